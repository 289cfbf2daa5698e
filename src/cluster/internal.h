/* Internals shared by the files of src/cluster/. */
#ifndef WL_CLUSTER_INTERNAL_H
#define WL_CLUSTER_INTERNAL_H

#include <stdio.h>

#include "widelab/cluster.h"

struct wl_div {
    wl_div_kind kind;
    char name[64];
    wl_mat A;              /* Mahalanobis: d x d SPD */
    wl_phi_fn phi;         /* custom */
    wl_grad_phi_fn grad;   /* custom */
    void *ctx;
};

/* 1 if v is in the domain of phi (per coordinate); *why describes it. */
int wl_div_in_domain(const wl_div *div, double v, const char **why);

/* phix[i] = phi(x_i), X: n x d. */
int wl_cl_phi_rows(const wl_div *div, const wl_mat *X, double *phix);

/* Per-centre constants of the assignment trick, C: k x d:
 * G = grad phi(C) (k x d), b_h = phi(c_h) - <g_h, c_h>, so that
 * D(x, c_h) = phi(x) - (<g_h, x> + b_h). Fails if a centre leaves the domain. */
int wl_cl_centre_consts(const wl_div *div, const wl_mat *C, wl_mat *G, double *b);

/* C = op(A) op(B) (op = transpose when the flag is 1) with the inner
 * dimension cut into fixed slices, so the bits do not depend on the BLAS
 * thread count. Use it as C (small) x (large): the tall-skinny orientation
 * X G^T is not thread-count stable in OpenBLAS even for short inner sizes. */
int wl_cl_gemm_det(int transA, int transB, const wl_mat *A, const wl_mat *B, wl_mat *C);

/* Row layout of an assignment pass, a function of (n, k, d) only so results
 * do not depend on the thread count: rows are cut in chunks of `chunk` rows
 * (nchunks of them; per-chunk cluster sums take nchunks x k x d doubles), and
 * the gemm runs on blocks of `block` chunks. */
typedef struct wl_cl_plan {
    size_t chunk, nchunks, block;
} wl_cl_plan;
void wl_cl_plan_make(size_t n, size_t k, size_t d, wl_cl_plan *p);

/* Hard assignment with precomputed phix, G, b (see above); Z: workspace of
 * k x (chunk * block) doubles. labels/dmin: n. Returns the mean divergence in
 * *obj and, if changed != NULL, the number of labels that changed (labels must
 * hold the previous assignment or -1). If sums != NULL (nchunks x k x d) it
 * receives each chunk's per-cluster sums of the rows under the new labels. */
int wl_cl_assign_hard(const wl_mat *X, const double *phix, const wl_mat *G, const double *b,
                      const wl_cl_plan *p, double *Z, int *labels, double *dmin, double *obj,
                      size_t *changed, double *sums);

/* C_h = (chunk sums of h added in chunk order) / counts[h]; empty clusters keep
 * their row. */
void wl_cl_means_from_sums(const double *sums, size_t nchunks, const size_t *counts,
                           wl_mat *C);

/* Centre update on its own: C_h = mean of the rows labelled h (same chunked
 * order as the fused pass); counts[h] = cluster sizes. Empty clusters keep
 * their row untouched. */
int wl_cl_update_means(const wl_mat *X, const int *labels, wl_mat *C, size_t *counts);

/* Each empty cluster h (counts[h] = 0) is moved onto the row with the largest
 * dmin (farthest from its centre in the last assignment); that dmin is then
 * zeroed so two empty clusters get different rows. Returns how many. */
size_t wl_cl_reseed_empty(const wl_mat *X, wl_mat *C, const size_t *counts, double *dmin);

/* k-means++ with precomputed phix (see wl_cluster_seed). */
int wl_cl_seed_pp(const wl_div *div, const wl_mat *X, const double *phix, size_t k, wl_rng *rng,
                  wl_mat *C);

/* Soft clustering (EM) of one start from the centres in C; see wl_cluster_fit. */
int wl_cl_soft_run(const wl_div *div, const wl_mat *X, const double *phix,
                   const wl_cluster_opts *o, wl_mat *C, double *pi, int *labels,
                   double *loglik, double *trace, size_t *ntrace, size_t *iters, int *conv);

/* (1/n) sum_i D(x_i, nearest centre), x (n) and c (k) ascending. */
double wl_cl_mean_div_1d(const wl_div *div, const double *x, size_t n, const double *c,
                         size_t k);

/* Minimal SVG helpers for the asymptotics plot. */
typedef struct wl_svg_axes {
    double x0, y0, w, h;             /* pixel box */
    double xmin, xmax, ymin, ymax;   /* data range */
    int logx;
} wl_svg_axes;
void wl_svg_frame(FILE *f, const wl_svg_axes *a, const char *title, const char *xlabel,
                  const char *ylabel);
double wl_svg_px(const wl_svg_axes *a, double x);
double wl_svg_py(const wl_svg_axes *a, double y);

#endif
