/* In-memory tables of named numeric columns, written and read as CSV. */
#include "widelab/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct wl_table {
    size_t ncols, nrows, cap;
    char **names;
    double *data; /* nrows x ncols */
};

int wl_table_new(size_t ncols, const char *const *names, wl_table **out) {
    wl_table *t = wl_calloc(1, sizeof *t, "table");
    if (!t) return WL_ENOMEM;
    for (size_t c = 0; c < ncols; c++) {
        int rc = wl_table_add_col(t, names[c]);
        if (rc) {
            wl_table_free(t);
            return rc;
        }
    }
    *out = t;
    return WL_OK;
}

void wl_table_free(wl_table *t) {
    if (!t) return;
    for (size_t c = 0; c < t->ncols; c++) free(t->names[c]);
    free(t->names);
    free(t->data);
    free(t);
}

int wl_table_add_col(wl_table *t, const char *name) {
    if (t->nrows) return wl_seterr(WL_EINVAL, "table: cannot add column '%s' after rows", name);
    if (wl_table_col(t, name) >= 0)
        return wl_seterr(WL_EINVAL, "table: duplicate column '%s'", name);
    char **nn = realloc(t->names, (t->ncols + 1) * sizeof *nn);
    if (!nn) return wl_seterr(WL_ENOMEM, "table: out of memory");
    t->names = nn;
    size_t len = strlen(name);
    t->names[t->ncols] = malloc(len + 1);
    if (!t->names[t->ncols]) return wl_seterr(WL_ENOMEM, "table: out of memory");
    memcpy(t->names[t->ncols], name, len + 1);
    t->ncols++;
    return WL_OK;
}

size_t wl_table_ncols(const wl_table *t) { return t->ncols; }
size_t wl_table_nrows(const wl_table *t) { return t->nrows; }
const char *wl_table_colname(const wl_table *t, size_t c) { return c < t->ncols ? t->names[c] : NULL; }

long wl_table_col(const wl_table *t, const char *name) {
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->names[c], name) == 0) return (long)c;
    return -1;
}

int wl_table_append(wl_table *t, const double *row) {
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        double *d = realloc(t->data, cap * (t->ncols ? t->ncols : 1) * sizeof *d);
        if (!d) return wl_seterr(WL_ENOMEM, "table: out of memory for %zu rows", cap);
        t->data = d;
        t->cap = cap;
    }
    double *dst = t->data + t->nrows * t->ncols;
    for (size_t c = 0; c < t->ncols; c++) dst[c] = row ? row[c] : NAN;
    t->nrows++;
    return WL_OK;
}

void wl_table_set(wl_table *t, const char *name, double v) {
    long c = wl_table_col(t, name);
    if (c >= 0 && t->nrows) t->data[(t->nrows - 1) * t->ncols + (size_t)c] = v;
}

double wl_table_get(const wl_table *t, size_t row, size_t col) {
    return (row < t->nrows && col < t->ncols) ? t->data[row * t->ncols + col] : NAN;
}

void wl_table_column(const wl_table *t, size_t c, double *out) {
    for (size_t r = 0; r < t->nrows; r++) out[r] = t->data[r * t->ncols + c];
}

void wl_table_truncate(wl_table *t, size_t keep) {
    if (keep < t->nrows) t->nrows = keep;
}

int wl_table_write_csv(const wl_table *t, const char *path) {
    wl_out o;
    int rc = wl_out_open(&o, path);
    if (rc) return rc;
    for (size_t c = 0; c < t->ncols; c++) fprintf(o.f, "%s%s", c ? "," : "", t->names[c]);
    fputc('\n', o.f);
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            double v = t->data[r * t->ncols + c];
            if (c) fputc(',', o.f);
            if (isfinite(v)) fprintf(o.f, "%.17g", v);
            else if (isinf(v)) fputs(v > 0 ? "inf" : "-inf", o.f);
        }
        fputc('\n', o.f);
    }
    return wl_out_commit(&o);
}

/* Splits line in place at commas; returns the number of fields. */
static size_t split(char *line, char **fields, size_t max) {
    size_t n = 0;
    char *p = line;
    while (n < max) {
        fields[n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = 0;
        p = c + 1;
    }
    return n;
}

int wl_table_read_csv(const char *path, wl_table **out) {
    FILE *f = fopen(path, "r");
    if (!f) return wl_seterr(WL_EIO, "cannot open '%s'", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    wl_table *t = NULL;
    char **fields = NULL;
    double *row = NULL;
    int rc = WL_OK;
    size_t lineno = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (!t) {
            size_t ncols = 1;
            for (char *p = line; *p; p++) ncols += *p == ',';
            fields = malloc(ncols * sizeof *fields);
            row = malloc(ncols * sizeof *row);
            if (!fields || !row) {
                rc = wl_seterr(WL_ENOMEM, "out of memory reading '%s'", path);
                break;
            }
            size_t n = split(line, fields, ncols);
            if ((rc = wl_table_new(n, (const char *const *)fields, &t))) break;
            continue;
        }
        if (len == 0) continue;
        size_t n = split(line, fields, t->ncols);
        if (n != t->ncols) {
            rc = wl_seterr(WL_EFORMAT, "%s:%zu: %zu fields, header has %zu", path, lineno, n,
                           t->ncols);
            break;
        }
        for (size_t c = 0; c < n; c++) {
            char *end;
            if (!fields[c][0]) {
                row[c] = NAN;
                continue;
            }
            row[c] = strtod(fields[c], &end);
            if (*end) {
                rc = wl_seterr(WL_EFORMAT, "%s:%zu: column '%s': '%s' is not a number", path,
                               lineno, t->names[c], fields[c]);
                break;
            }
        }
        if (rc || (rc = wl_table_append(t, row))) break;
    }
    free(line);
    free(fields);
    free(row);
    fclose(f);
    if (!rc && !t) rc = wl_seterr(WL_EFORMAT, "%s: empty file, no header", path);
    if (rc) {
        wl_table_free(t);
        return rc;
    }
    *out = t;
    return WL_OK;
}
