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

/* ---- reading config.json back (for --resume) ----------------------------- */

/* Parses a JSON string literal at *p (after the opening quote) into a new
 * buffer; advances *p past the closing quote. */
static char *json_string(const char **p) {
    const char *s = *p;
    size_t cap = strlen(s) + 1, n = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    while (*s && *s != '"') {
        if (*s == '\\' && s[1]) {
            s++;
            char c = *s;
            if (c == 'n') c = '\n';
            else if (c == 't') c = '\t';
            else if (c == 'u' && strlen(s) >= 5) {
                c = (char)strtol((char[5]){s[1], s[2], s[3], s[4], 0}, NULL, 16);
                s += 4;
            }
            out[n++] = c;
            s++;
        } else out[n++] = *s++;
    }
    out[n] = 0;
    *p = *s ? s + 1 : s;
    return out;
}

int cli_opts_load_json(const char *path, const cli_opt *opts, size_t nopts) {
    FILE *f = fopen(path, "rb");
    if (!f) return wl_seterr(WL_EIO, "cannot open '%s'", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        free(buf);
        return wl_seterr(WL_EIO, "cannot read '%s'", path);
    }
    fclose(f);
    buf[len] = 0;
    const char *p = strstr(buf, "\"options\"");
    if (!p || !(p = strchr(p, '{'))) {
        free(buf);
        return wl_seterr(WL_EFORMAT, "%s: no \"options\" object", path);
    }
    p++;
    const cli_cmd cmd = {"config", NULL, NULL};
    int rc = WL_OK;
    while (*p && *p != '}' && !rc) {
        while (*p && *p != '"' && *p != '}') p++;
        if (*p != '"') break;
        p++;
        char *key = json_string(&p);
        while (*p == ' ' || *p == ':') p++;
        char *val = NULL;
        int is_null = 0;
        if (*p == '"') {
            p++;
            val = json_string(&p);
        } else {
            const char *e = p;
            while (*e && *e != ',' && *e != '}' && *e != '\n') e++;
            val = malloc((size_t)(e - p) + 1);
            if (val) {
                memcpy(val, p, (size_t)(e - p));
                val[e - p] = 0;
            }
            p = e;
            is_null = val && strcmp(val, "null") == 0;
        }
        if (!key || !val) rc = wl_seterr(WL_ENOMEM, "out of memory reading '%s'", path);
        for (size_t i = 0; i < nopts && !rc; i++) {
            if (strcmp(opts[i].name, key) != 0) continue;
            if (opts[i].type == CLI_FLAG) *(int *)opts[i].ptr = strcmp(val, "true") == 0;
            else if (is_null) {
                if (opts[i].type == CLI_STR) *(const char **)opts[i].ptr = NULL;
            } else if (set_value(&cmd, &opts[i], val)) {
                rc = wl_seterr(WL_EFORMAT, "%s: bad value '%s' for option '%s'", path, val, key);
            } else if (opts[i].type == CLI_STR) {
                val = NULL; /* kept by the option */
            }
        }
        free(key);
        free(val);
        while (*p == ' ' || *p == ',' || *p == '\n' || *p == '\r') p++;
    }
    free(buf);
    return rc;
}
