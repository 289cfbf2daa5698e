/* Numeric CSV loader: optional header (auto-detected), a label or target
 * column chosen by name or index, every cell checked. */
#include "widelab/data.h"
#include "data/data_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_BYTES ((size_t)1 << 34)

void wl_csv_opts_default(wl_csv_opts *o) {
    memset(o, 0, sizeof *o);
    o->header = -1;
}

typedef struct csv_line {
    char *text;  /* NUL-terminated, without the newline */
    size_t no;   /* 1-based line number */
} csv_line;

typedef struct csv_ctx {
    const char *path;
    char delim;
    size_t ncol;
    long label_col, target_col; /* -1 none */
    int allow_nonfinite;
} csv_ctx;

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        wl_seterr(WL_EIO, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *b = wl_malloc(cap + 1, path);
    while (b) {
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (n < cap) break;
        if (cap >= CSV_MAX_BYTES) {
            free(b);
            b = NULL;
            wl_seterr(WL_ENOMEM, "'%s' is larger than 16 GiB", path);
            break;
        }
        char *nb = realloc(b, 2 * cap + 1);
        if (!nb) {
            free(b);
            b = NULL;
            wl_seterr(WL_ENOMEM, "out of memory reading '%s'", path);
            break;
        }
        b = nb;
        cap *= 2;
    }
    if (b && ferror(f)) {
        free(b);
        b = NULL;
        wl_seterr(WL_EIO, "read error in '%s'", path);
    }
    fclose(f);
    if (b) {
        b[n] = 0;
        *len = n;
    }
    return b;
}

/* Splits text into lines (in place), skipping blank lines and '#' comments. */
static csv_line *split_lines(char *text, size_t len, size_t *nl) {
    size_t cap = 1;
    for (size_t i = 0; i < len; i++) cap += text[i] == '\n';
    csv_line *L = wl_calloc(cap, sizeof *L, "CSV lines");
    if (!L) return NULL;
    size_t no = 0, m = 0;
    char *s = text, *end = text + len;
    while (s < end) {
        char *e = memchr(s, '\n', (size_t)(end - s));
        if (!e) e = end;
        *e = 0;
        no++;
        if (e > s && e[-1] == '\r') e[-1] = 0;
        const char *t = s;
        while (*t == ' ' || *t == '\t') t++;
        if (*t && *t != '#') L[m++] = (csv_line){s, no};
        s = e + 1;
    }
    *nl = m;
    return L;
}

/* Splits a line into cells at delim (in place); returns the count (<= cap). */
static size_t split_cells(char *s, char delim, char **cells, size_t cap) {
    size_t n = 0;
    for (;;) {
        if (n < cap) cells[n] = s;
        n++;
        char *c = strchr(s, delim);
        if (!c) break;
        *c = 0;
        s = c + 1;
    }
    return n;
}

/* Trims spaces and one pair of double quotes. */
static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s[n - 1] = 0;
        s++;
    }
    return s;
}

/* 1 when the whole cell is a number (nan/inf included). */
static int parse_num(const char *s, double *v) {
    if (!*s) return 0;
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    if (end == s || *end) return 0;
    return 1;
}

static int cell_error(const csv_ctx *c, size_t line, size_t col, const char *why,
                      const char *text) {
    char shown[64];
    snprintf(shown, sizeof shown, "%s", text);
    return wl_seterr(WL_EFORMAT, "'%s' line %zu, column %zu: %s '%s'", c->path, line, col + 1,
                     why, shown);
}

/* Resolves a column given by header name or 0-based index. */
static int find_column(const csv_ctx *c, const char *want, char **names, int has_header,
                       long *col) {
    if (has_header)
        for (size_t j = 0; j < c->ncol; j++)
            if (strcmp(trim(names[j]), want) == 0) {
                *col = (long)j;
                return WL_OK;
            }
    char *end;
    long v = strtol(want, &end, 10);
    if (*want && !*end && v >= 0 && (size_t)v < c->ncol) {
        *col = v;
        return WL_OK;
    }
    return wl_seterr(WL_EINVAL, "'%s': no column '%s' (%zu columns%s)", c->path, want, c->ncol,
                     has_header ? "; give a header name or a 0-based index" : ", no header");
}

/* Parses one data row into X (d features), label and target. */
static int parse_row(const csv_ctx *c, const csv_line *ln, char **cells, wl_dataset *ds,
                     size_t i) {
    size_t nc = split_cells(ln->text, c->delim, cells, c->ncol);
    if (nc != c->ncol)
        return wl_seterr(WL_EFORMAT, "'%s' line %zu: %zu cells, expected %zu (ragged row)",
                         c->path, ln->no, nc, c->ncol);
    double *x = ds->X + i * ds->d;
    size_t f = 0;
    for (size_t j = 0; j < nc; j++) {
        char *t = trim(cells[j]);
        double v;
        if (!parse_num(t, &v)) return cell_error(c, ln->no, j, "not a number:", t);
        if (!isfinite(v) && !c->allow_nonfinite)
            return cell_error(c, ln->no, j, "non-finite value (allow with nonfinite=1):", t);
        if ((long)j == c->label_col) {
            if (!(v >= 0 && v < 2147483647.0) || v != floor(v))
                return cell_error(c, ln->no, j, "label is not an integer >= 0:", t);
            ds->labels[i] = (int)v;
        } else if ((long)j == c->target_col) ds->Y[i] = v;
        else x[f++] = v;
    }
    return WL_OK;
}

static int detect_header(const csv_ctx *c, char *first, char **cells) {
    char *copy = strdup(first);
    if (!copy) return wl_seterr(WL_ENOMEM, "out of memory");
    size_t nc = split_cells(copy, c->delim, cells, c->ncol);
    int hdr = 0;
    for (size_t j = 0; j < nc && j < c->ncol; j++) {
        double v;
        const char *t = trim(cells[j]);
        if (*t && !parse_num(t, &v)) hdr = 1; /* empty cells decide nothing */
    }
    free(copy);
    return hdr;
}

static char pick_delim(const char *first) {
    if (strchr(first, ',')) return ',';
    if (strchr(first, ';')) return ';';
    if (strchr(first, '\t')) return '\t';
    return ',';
}

/* Every line must have ncol cells; checked before allocating, so the
 * allocation is bounded by the file size. */
static int check_ragged(const csv_ctx *c, const csv_line *L, size_t nl) {
    for (size_t i = 0; i < nl; i++) {
        size_t cells = 1;
        for (const char *s = L[i].text; *s; s++) cells += *s == c->delim;
        if (cells != c->ncol)
            return wl_seterr(WL_EFORMAT, "'%s' line %zu: %zu cells, expected %zu (ragged row)",
                             c->path, L[i].no, cells, c->ncol);
    }
    return WL_OK;
}

static int load_lines(csv_ctx *c, const wl_csv_opts *o, csv_line *L, size_t nl, wl_dataset *ds) {
    if (nl == 0) return wl_seterr(WL_EFORMAT, "'%s': no data rows", c->path);
    c->delim = o->delim ? o->delim : pick_delim(L[0].text);
    c->ncol = 1;
    for (const char *s = L[0].text; *s; s++) c->ncol += *s == c->delim;
    int rc = check_ragged(c, L, nl);
    if (rc) return rc;
    char **cells = wl_calloc(c->ncol, sizeof *cells, "CSV cells");
    if (!cells) return WL_ENOMEM;
    int hdr = o->header >= 0 ? o->header : detect_header(c, L[0].text, cells);
    if (hdr) split_cells(L[0].text, c->delim, cells, c->ncol);
    c->label_col = c->target_col = -1;
    if (o->label) rc = find_column(c, o->label, cells, hdr, &c->label_col);
    if (!rc && o->target) rc = find_column(c, o->target, cells, hdr, &c->target_col);
    if (!rc && c->label_col >= 0 && c->label_col == c->target_col)
        rc = wl_seterr(WL_EINVAL, "'%s': label and target are the same column", c->path);
    size_t nspecial = (c->label_col >= 0) + (c->target_col >= 0);
    size_t n = nl - (size_t)hdr;
    if (!rc && n == 0) rc = wl_seterr(WL_EFORMAT, "'%s': a header but no data rows", c->path);
    if (!rc && c->ncol == nspecial)
        rc = wl_seterr(WL_EFORMAT, "'%s': no feature columns left", c->path);
    if (!rc) rc = wl_dataset_alloc(ds, n, c->ncol - nspecial, c->target_col >= 0, c->label_col >= 0);
    for (size_t i = 0; !rc && i < n; i++) rc = parse_row(c, &L[i + (size_t)hdr], cells, ds, i);
    free(cells);
    return rc;
}

int wl_data_load_csv(const char *path, const wl_csv_opts *opts, wl_dataset *out) {
    memset(out, 0, sizeof *out);
    wl_csv_opts o;
    if (opts) o = *opts;
    else wl_csv_opts_default(&o);
    size_t len, nl;
    char *text = slurp(path, &len);
    if (!text) return wl_errcode();
    if (memchr(text, 0, len)) {
        size_t at = (size_t)((char *)memchr(text, 0, len) - text);
        free(text);
        return wl_seterr(WL_EFORMAT, "'%s': NUL byte at byte %zu: not a text file", path, at);
    }
    csv_line *L = split_lines(text, len, &nl);
    if (!L) {
        free(text);
        return WL_ENOMEM;
    }
    csv_ctx c = {path, ',', 0, -1, -1, o.allow_nonfinite};
    wl_dataset ds;
    memset(&ds, 0, sizeof ds);
    int rc = load_lines(&c, &o, L, nl, &ds);
    free(L);
    free(text);
    if (!rc && ds.labels) {
        int mx = -1;
        for (size_t i = 0; i < ds.n; i++)
            if (ds.labels[i] > mx) mx = ds.labels[i];
        ds.n_classes = (size_t)(mx + 1);
    }
    if (rc) {
        wl_dataset_free(&ds);
        return rc;
    }
    wl_data_set_name(&ds, path);
    *out = ds;
    return WL_OK;
}
