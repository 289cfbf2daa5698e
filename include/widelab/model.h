/* widelab models: every model is f(w; x) in R^k with a flat parameter vector w
 * of length dim, and exposes the same derivative operations on a batch.
 *
 *   X: n x n_in (row-major), F: n x n_out, w: dim
 *
 *   forward  F = f(w; X)
 *   vjp      gw = sum_i J_i^T G_i                      G: n x n_out, gw: dim
 *   jvp      JV_i = J_i v                              v: dim, JV: n x n_out
 *   jvp2     Q_ic = v^T (d^2 f_c(x_i)/dw^2) v          Q: n x n_out
 *   hvp      hv = sum_ic G_ic (d^2 f_c(x_i)/dw^2) v    hv: dim
 *   xvjp     GX_i = sum_c G_ic df_c(x_i)/dx            GX: n x n_in (optional)
 *
 * A model owns its batch workspace (grown as needed), so one handle must not
 * be used from two threads at once: clone it for each thread.
 */
#ifndef WIDELAB_MODEL_H
#define WIDELAB_MODEL_H

#include "widelab/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wl_model wl_model;

/* A named slice of w, laid out like a PyTorch state_dict entry:
 * "0.weight" (rows = out, cols = in, row-major) or "0.bias" (rows = out,
 * cols = 1, ndim = 1). */
typedef struct wl_param_block {
    char name[64];
    size_t offset, rows, cols;
    int ndim; /* 1 or 2 */
} wl_param_block;

typedef struct wl_model_ops {
    int (*forward)(wl_model *, const double *w, const wl_mat *X, wl_mat *F);
    int (*vjp)(wl_model *, const double *w, const wl_mat *X, const wl_mat *G, double *gw);
    int (*jvp)(wl_model *, const double *w, const wl_mat *X, const double *v, wl_mat *JV);
    int (*jvp2)(wl_model *, const double *w, const wl_mat *X, const double *v, wl_mat *Q);
    int (*hvp)(wl_model *, const double *w, const wl_mat *X, const wl_mat *G, const double *v,
               double *hv);
    /* optional (NULL = WL_EUNSUP) */
    int (*xvjp)(wl_model *, const double *w, const wl_mat *X, const wl_mat *G, wl_mat *GX);
    /* draws initial parameters into w (dim) from rng */
    int (*init)(wl_model *, wl_rng *rng, double *w);
    /* independent copy (own workspace) for use from another thread */
    wl_model *(*clone)(const wl_model *);
    void (*free)(wl_model *);
} wl_model_ops;

struct wl_model {
    const wl_model_ops *ops;
    size_t dim, n_in, n_out;
    const char *kind;          /* "net", "linear", "taylor1", "taylor2", "kernel", ... */
    size_t n_blocks;           /* named parameter slices (may be 0) */
    wl_param_block *blocks;    /* owned by the model */
};

/* Shape-checked entry points: they validate X/F/G sizes against the model and
 * set a message naming the mismatch, then call the op. */
int wl_model_forward(wl_model *m, const double *w, const wl_mat *X, wl_mat *F);
int wl_model_vjp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G, double *gw);
int wl_model_jvp(wl_model *m, const double *w, const wl_mat *X, const double *v, wl_mat *JV);
int wl_model_jvp2(wl_model *m, const double *w, const wl_mat *X, const double *v, wl_mat *Q);
int wl_model_hvp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G,
                 const double *v, double *hv);
int wl_model_xvjp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G, wl_mat *GX);
int wl_model_init(wl_model *m, wl_rng *rng, double *w);
wl_model *wl_model_clone(const wl_model *m);
void wl_model_free(wl_model *m);

#ifdef __cplusplus
}
#endif
#endif
