/* widelab report: JSON writer, metric tables (CSV), SVG line plots, .npz
 * archives and checkpoints.
 *
 *   wl_table *t; const char *cols[] = {"step", "loss"};
 *   wl_table_new(2, cols, &t);
 *   wl_table_append(t, (double[]){0, 1.5});
 *   wl_table_write_csv(t, "run/metrics.csv");        // atomic: temp + rename
 *
 *   wl_plot p; wl_plot_init(&p, "training loss", "step", "loss");
 *   p.log_y = 1;
 *   wl_plot_series(&p, "train", n, steps, losses);
 *   wl_plot_write_svg(&p, "run/loss.svg");
 */
#ifndef WIDELAB_REPORT_H
#define WIDELAB_REPORT_H

#include "widelab/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- JSON (streaming writer; NaN/Inf are written as null) ------------------ */

typedef struct wl_json {
    FILE *f;
    int depth;
    int first[64]; /* no member written yet at this depth */
} wl_json;

void wl_json_begin(wl_json *j, FILE *f); /* opens the top-level object */
void wl_json_end(wl_json *j);            /* closes it, newline */
/* key = NULL inside arrays. */
void wl_json_obj(wl_json *j, const char *key);
void wl_json_obj_end(wl_json *j);
void wl_json_arr(wl_json *j, const char *key);
void wl_json_arr_end(wl_json *j);
void wl_json_num(wl_json *j, const char *key, double v);
void wl_json_int(wl_json *j, const char *key, long long v);
void wl_json_str(wl_json *j, const char *key, const char *s);
void wl_json_bool(wl_json *j, const char *key, int v);
void wl_json_null(wl_json *j, const char *key);
void wl_json_nums(wl_json *j, const char *key, const double *v, size_t n);
/* Writes s as a JSON string literal (quotes and escapes). */
void wl_json_quote(FILE *f, const char *s);

/* ---- tables of named numeric columns (metrics.csv) ----------------------- */

typedef struct wl_table wl_table;

int wl_table_new(size_t ncols, const char *const *names, wl_table **out);
void wl_table_free(wl_table *t);
/* Adds a column (only while the table has no rows). */
int wl_table_add_col(wl_table *t, const char *name);
size_t wl_table_ncols(const wl_table *t);
size_t wl_table_nrows(const wl_table *t);
const char *wl_table_colname(const wl_table *t, size_t c);
/* Index of a column by name, or -1. */
long wl_table_col(const wl_table *t, const char *name);
/* Appends a row of ncols values (NaN = empty cell). */
int wl_table_append(wl_table *t, const double *row);
/* Sets one cell of the last row by column name (ignored if no such column). */
void wl_table_set(wl_table *t, const char *name, double v);
double wl_table_get(const wl_table *t, size_t row, size_t col);
/* Column c copied into out (nrows). */
void wl_table_column(const wl_table *t, size_t c, double *out);
/* Drops rows from `keep` on. */
void wl_table_truncate(wl_table *t, size_t keep);
/* CSV with a header line; values %.17g (round trip), empty for NaN. Atomic. */
int wl_table_write_csv(const wl_table *t, const char *path);
/* Reads a CSV written by wl_table_write_csv (header + numeric cells). */
int wl_table_read_csv(const char *path, wl_table **out);

/* ---- SVG line plots --------------------------------------------------------- */

#define WL_PLOT_MAX_SERIES 16

typedef struct wl_plot_series_t {
    char label[64];
    size_t n;
    const double *x, *y; /* referenced, not copied */
    int points;          /* 1: draw markers instead of a line */
} wl_plot_series_t;

typedef struct wl_plot {
    char title[128], xlabel[64], ylabel[64];
    int log_x, log_y;
    size_t nseries;
    wl_plot_series_t series[WL_PLOT_MAX_SERIES];
    /* optional horizontal reference lines (e.g. 2/eta) */
    size_t nhlines;
    double hline[4];
    char hline_label[4][48];
} wl_plot;

void wl_plot_init(wl_plot *p, const char *title, const char *xlabel, const char *ylabel);
int wl_plot_series(wl_plot *p, const char *label, size_t n, const double *x, const double *y);
int wl_plot_hline(wl_plot *p, double y, const char *label);
/* Writes a self-contained SVG (axes, ticks, legend); non-finite points and,
 * on log axes, non-positive ones are skipped. Atomic. */
int wl_plot_write_svg(const wl_plot *p, const char *path);

/* ---- .npz archives (NumPy zip of .npy members) ------------------------------ */

typedef enum wl_dtype { WL_F64 = 0, WL_U64 = 1, WL_I64 = 2 } wl_dtype;

typedef struct wl_npz_array {
    char name[96];      /* member name without ".npy" */
    wl_dtype dtype;
    int ndim;           /* 0..4 */
    size_t shape[4];
    void *data;         /* C order; owned by the caller when writing, by the
                           archive when read (freed by wl_npz_free) */
} wl_npz_array;

/* Writes the arrays as an uncompressed .npz (np.load reads it). Atomic. */
int wl_npz_write(const char *path, const wl_npz_array *arrays, size_t n);
/* Reads every member (stored or deflated, f8/f4/u8/i8/i4 converted to the
 * nearest wl_dtype: floats to WL_F64, ints to WL_I64, u8 kept). */
int wl_npz_read(const char *path, wl_npz_array **arrays, size_t *n);
void wl_npz_free(wl_npz_array *arrays, size_t n);
/* Finds a member by name, or NULL. */
const wl_npz_array *wl_npz_find(const wl_npz_array *arrays, size_t n, const char *name);

/* ---- small fits used by reports --------------------------------------------- */

/* Least-squares slope and intercept of log(y) against log(x) (points with
 * non-positive x or y skipped); returns the number of points used. */
size_t wl_loglog_slope(size_t n, const double *x, const double *y, double *slope,
                       double *intercept);

#ifdef __cplusplus
}
#endif
#endif
