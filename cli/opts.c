/* Declarative option parsing, --help generation and error reporting. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *type_name(cli_type t) {
    switch (t) {
    case CLI_STR: return "TEXT";
    case CLI_INT: return "INT";
    case CLI_SIZE: return "N";
    case CLI_U64: return "N";
    case CLI_DOUBLE: return "X";
    default: return "";
    }
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "widelab %s: error: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'widelab %s --help')\n", cmd);
    return CLI_USAGE;
}

/* Stores text into the option's variable; 0 on success. */
static int set_value(const cli_cmd *cmd, const cli_opt *o, const char *text) {
    char *end = NULL;
    errno = 0;
    switch (o->type) {
    case CLI_STR: *(const char **)o->ptr = text; return 0;
    case CLI_FLAG: *(int *)o->ptr = 1; return 0;
    case CLI_INT: {
        long v = strtol(text, &end, 10);
        if (errno || end == text || *end) break;
        *(long *)o->ptr = v;
        return 0;
    }
    case CLI_SIZE:
    case CLI_U64: {
        if (text[0] == '-') break;
        unsigned long long v = strtoull(text, &end, 10);
        if (errno || end == text || *end) break;
        if (o->type == CLI_SIZE) *(size_t *)o->ptr = (size_t)v;
        else *(uint64_t *)o->ptr = (uint64_t)v;
        return 0;
    }
    case CLI_DOUBLE: {
        double v = strtod(text, &end);
        if (errno || end == text || *end || !isfinite(v)) break;
        *(double *)o->ptr = v;
        return 0;
    }
    }
    cli_usage_error(cmd->name, "option --%s expects %s, got '%s'", o->name, type_name(o->type),
                    text);
    return -1;
}

void cli_usage(FILE *f, const cli_cmd *cmd, const cli_opt *opts, size_t nopts) {
    fprintf(f, "usage: widelab %s %s\n\n%s\n", cmd->name, cmd->usage ? cmd->usage : "[options]",
            cmd->summary ? cmd->summary : "");
    fprintf(f, "\noptions:\n");
    for (size_t i = 0; i < nopts; i++) {
        const cli_opt *o = &opts[i];
        char left[64];
        if (o->type == CLI_FLAG) snprintf(left, sizeof left, "--%s", o->name);
        else snprintf(left, sizeof left, "--%s %s", o->name, type_name(o->type));
        fprintf(f, "  %-24s %s", left, o->help ? o->help : "");
        if (o->type != CLI_FLAG) fprintf(f, " [default: %s]", o->def ? o->def : "none");
        fprintf(f, "\n");
    }
    fprintf(f, "  %-24s %s\n", "--help", "show this help and exit");
}

int cli_parse(const cli_cmd *cmd, int argc, char **argv, const cli_opt *opts, size_t nopts,
              char **pos, size_t maxpos, size_t *npos, int *help) {
    *help = 0;
    *npos = 0;
    for (size_t i = 0; i < nopts; i++) {
        const cli_opt *o = &opts[i];
        if (o->type == CLI_FLAG) *(int *)o->ptr = 0;
        else if (o->def) {
            if (set_value(cmd, o, o->def)) return CLI_USAGE;
        } else if (o->type == CLI_STR) *(const char **)o->ptr = NULL;
    }
    int only_pos = 0;
    for (int a = 0; a < argc; a++) {
        char *arg = argv[a];
        if (!only_pos && strcmp(arg, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (!only_pos && (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)) {
            cli_usage(stdout, cmd, opts, nopts);
            *help = 1;
            return CLI_OK;
        }
        if (!only_pos && arg[0] == '-' && arg[1] == '-' && arg[2]) {
            const char *name = arg + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            const cli_opt *o = NULL;
            for (size_t i = 0; i < nopts; i++)
                if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0) o = &opts[i];
            if (!o) return cli_usage_error(cmd->name, "unknown option '%.*s'", (int)(len + 2), arg);
            const char *val = NULL;
            if (o->type == CLI_FLAG) {
                if (eq) return cli_usage_error(cmd->name, "option --%s takes no value", o->name);
            } else if (eq) val = eq + 1;
            else if (a + 1 < argc) val = argv[++a];
            else return cli_usage_error(cmd->name, "option --%s needs a value", o->name);
            if (set_value(cmd, o, val)) return CLI_USAGE;
            continue;
        }
        if (*npos >= maxpos)
            return cli_usage_error(cmd->name, "unexpected argument '%s'", arg);
        pos[(*npos)++] = arg;
    }
    return CLI_OK;
}

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

void cli_opts_json(FILE *f, const cli_opt *opts, size_t nopts, int indent) {
    for (size_t i = 0; i < nopts; i++) {
        const cli_opt *o = &opts[i];
        fprintf(f, "%*s\"%s\": ", indent, "", o->name);
        switch (o->type) {
        case CLI_STR: {
            const char *s = *(const char **)o->ptr;
            if (s) json_str(f, s);
            else fputs("null", f);
            break;
        }
        case CLI_FLAG: fputs(*(int *)o->ptr ? "true" : "false", f); break;
        case CLI_INT: fprintf(f, "%ld", *(long *)o->ptr); break;
        case CLI_SIZE: fprintf(f, "%zu", *(size_t *)o->ptr); break;
        case CLI_U64: fprintf(f, "%llu", (unsigned long long)*(uint64_t *)o->ptr); break;
        case CLI_DOUBLE: fprintf(f, "%.17g", *(double *)o->ptr); break;
        }
        fputs(i + 1 < nopts ? ",\n" : "\n", f);
    }
}

int cli_fail(const char *cmd, int rc) {
    fprintf(stderr, "widelab %s: error: %s\n", cmd, wl_errmsg()[0] ? wl_errmsg() : wl_strerror(rc));
    switch (rc) {
    case WL_EINVAL:
    case WL_EFORMAT:
    case WL_EIO:
    case WL_EUNSUP: return CLI_USAGE;
    default: return CLI_FAIL;
    }
}

int cli_stderr_tty(void) { return isatty(2); }
