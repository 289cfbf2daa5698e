/* Shared pieces of the widelab command line: declarative options with
 * defaults (so --help lists every one), error reporting and exit codes. */
#ifndef WL_CLI_H
#define WL_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "widelab.h"

/* Exit codes of every command. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

typedef enum cli_type {
    CLI_STR,    /* const char *                     */
    CLI_INT,    /* long                             */
    CLI_SIZE,   /* size_t                           */
    CLI_U64,    /* uint64_t                         */
    CLI_DOUBLE, /* double                           */
    CLI_FLAG    /* int, set to 1 when present       */
} cli_type;

/* One option: --name VALUE (or --name=VALUE); def is the default as text
 * (NULL = unset: strings stay NULL, numbers 0). */
typedef struct cli_opt {
    const char *name;
    cli_type type;
    void *ptr;
    const char *def;
    const char *help;
} cli_opt;

/* A command's description for --help. */
typedef struct cli_cmd {
    const char *name;     /* "data convert" */
    const char *usage;    /* "IN OUT [options]" */
    const char *summary;  /* one paragraph */
} cli_cmd;

/* Parses argv[0..argc) (argv[0] is the first argument after the command
 * name). Positional arguments are collected into pos (at most maxpos).
 * Returns CLI_OK, or CLI_USAGE after printing the problem; *help is set when
 * --help was asked (usage already printed, caller returns 0). */
int cli_parse(const cli_cmd *cmd, int argc, char **argv, const cli_opt *opts, size_t nopts,
              char **pos, size_t maxpos, size_t *npos, int *help);

/* Prints the usage and every option with its default. */
void cli_usage(FILE *f, const cli_cmd *cmd, const cli_opt *opts, size_t nopts);

/* Writes every option's resolved value as JSON object members
 * ("name": value,) at the given indent; used for config.json. */
void cli_opts_json(FILE *f, const cli_opt *opts, size_t nopts, int indent);

/* Prints "widelab CMD: error: <library message>" to stderr and returns the
 * exit code for rc (2 for bad input or usage, 1 for failures while running). */
int cli_fail(const char *cmd, int rc);

/* Prints a usage error and returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Loads option values from the "options" object of a config.json written
 * by cli_run_begin (strings are duplicated and live for the process). Options
 * absent from the file keep their current values. */
int cli_opts_load_json(const char *path, const cli_opt *opts, size_t nopts);

/* 1 when stderr is a terminal (progress bars only then). */
int cli_stderr_tty(void);

#endif
