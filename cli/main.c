/* widelab: dispatch to the subcommands in cli/cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define WL_CMD(name)                                  \
    int cmd_##name(int argc, char **argv);            \
    extern const char cmd_##name##_summary[];
#include "cli_commands.h"
#undef WL_CMD

typedef struct entry {
    const char *name;
    int (*run)(int, char **);
    const char *summary;
} entry;

static const entry commands[] = {
#define WL_CMD(name) {#name, cmd_##name, cmd_##name##_summary},
#include "cli_commands.h"
#undef WL_CMD
    {NULL, NULL, NULL}};

static void usage(FILE *f) {
    fprintf(f,
            "usage: widelab COMMAND [options]\n\n"
            "widelab %s: train wide networks and look inside their training.\n\ncommands:\n",
            wl_version());
    for (const entry *e = commands; e->name; e++) fprintf(f, "  %-10s %s\n", e->name, e->summary);
    fprintf(f, "\n  --help     this help;  --version  print the version\n"
               "'widelab COMMAND --help' lists every option of a command with its default.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("widelab %s\n", wl_version());
        return CLI_OK;
    }
    for (const entry *e = commands; e->name; e++)
        if (strcmp(argv[1], e->name) == 0) return e->run(argc - 2, argv + 2);
    fprintf(stderr, "widelab: error: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
