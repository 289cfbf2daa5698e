/* Streaming JSON writer: objects, arrays, numbers (NaN/Inf as null), strings. */
#include "widelab/report.h"

#include <math.h>

void wl_json_quote(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (c < 0x20) fprintf(f, "\\u%04x", c);
            else fputc(c, f);
        }
    }
    fputc('"', f);
}

/* comma, newline, indent, and "key": for the next member */
static void member(wl_json *j, const char *key) {
    if (!j->first[j->depth]) fputc(',', j->f);
    j->first[j->depth] = 0;
    fprintf(j->f, "\n%*s", 2 * j->depth, "");
    if (key) {
        wl_json_quote(j->f, key);
        fputs(": ", j->f);
    }
}

static void open_scope(wl_json *j, char c) {
    fputc(c, j->f);
    if (j->depth < 63) j->depth++;
    j->first[j->depth] = 1;
}

static void close_scope(wl_json *j, char c) {
    int empty = j->first[j->depth];
    if (j->depth > 0) j->depth--;
    if (!empty) fprintf(j->f, "\n%*s", 2 * j->depth, "");
    fputc(c, j->f);
}

void wl_json_begin(wl_json *j, FILE *f) {
    j->f = f;
    j->depth = 0;
    j->first[0] = 1;
    open_scope(j, '{');
}

void wl_json_end(wl_json *j) {
    close_scope(j, '}');
    fputc('\n', j->f);
}

void wl_json_obj(wl_json *j, const char *key) {
    member(j, key);
    open_scope(j, '{');
}
void wl_json_obj_end(wl_json *j) { close_scope(j, '}'); }
void wl_json_arr(wl_json *j, const char *key) {
    member(j, key);
    open_scope(j, '[');
}
void wl_json_arr_end(wl_json *j) { close_scope(j, ']'); }

static void put_num(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, "%.17g", v);
    else fputs("null", f);
}

void wl_json_num(wl_json *j, const char *key, double v) {
    member(j, key);
    put_num(j->f, v);
}
void wl_json_int(wl_json *j, const char *key, long long v) {
    member(j, key);
    fprintf(j->f, "%lld", v);
}
void wl_json_str(wl_json *j, const char *key, const char *s) {
    member(j, key);
    if (s) wl_json_quote(j->f, s);
    else fputs("null", j->f);
}
void wl_json_bool(wl_json *j, const char *key, int v) {
    member(j, key);
    fputs(v ? "true" : "false", j->f);
}
void wl_json_null(wl_json *j, const char *key) {
    member(j, key);
    fputs("null", j->f);
}
void wl_json_nums(wl_json *j, const char *key, const double *v, size_t n) {
    member(j, key);
    fputc('[', j->f);
    for (size_t i = 0; i < n; i++) {
        if (i) fputs(", ", j->f);
        put_num(j->f, v[i]);
    }
    fputc(']', j->f);
}
