/* The linear model f(w; x) = W x (+ b).
 *
 *   w = [W (k x d, row-major) | b (k)]      dim = k d (+ k)
 *   X: n x d,  F = X W^T (+ 1 b^T): n x k
 *
 * f is linear in w, so the model Hessian is zero: jvp2 = 0 and hvp = 0.
 * init draws W_cj ~ N(0, 1/d) (so that f has O(1) outputs for O(1)-norm
 * features per coordinate) and sets b = 0. */
#include "widelab/net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct wl_linear {
    wl_model base;
    size_t d, k;
    int bias;
    wl_param_block blocks[2];
} wl_linear;

static wl_mat weight_view(const wl_linear *L, const double *w) {
    return wl_mat_view((double *)w, L->k, L->d);
}

/* F = X W^T + 1 b^T */
static int lin_forward(wl_model *m, const double *w, const wl_mat *X, wl_mat *F) {
    wl_linear *L = (wl_linear *)m;
    wl_mat W = weight_view(L, w);
    int rc = wl_gemm(0, 1, 1.0, X, &W, 0.0, F);
    if (rc || !L->bias) return rc;
    const double *b = w + L->k * L->d;
    for (size_t i = 0; i < F->rows; i++)
        for (size_t c = 0; c < L->k; c++) WL_AT(F, i, c) += b[c];
    return WL_OK;
}

/* from F = X W^T + 1 b^T:  gW = G^T X (k x d),  gb = sum_i G_i */
static int lin_vjp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G, double *gw) {
    wl_linear *L = (wl_linear *)m;
    (void)w;
    wl_mat gW = wl_mat_view(gw, L->k, L->d);
    int rc = wl_gemm(1, 0, 1.0, G, X, 0.0, &gW);
    if (rc || !L->bias) return rc;
    double *gb = gw + L->k * L->d;
    for (size_t c = 0; c < L->k; c++) gb[c] = 0.0;
    for (size_t i = 0; i < G->rows; i++)
        for (size_t c = 0; c < L->k; c++) gb[c] += WL_AT(G, i, c);
    return WL_OK;
}

/* JV = X V^T + 1 vb^T  (the forward map applied to the direction v) */
static int lin_jvp(wl_model *m, const double *w, const wl_mat *X, const double *v, wl_mat *JV) {
    (void)w;
    return lin_forward(m, v, X, JV);
}

/* Q_ic = v^T Hess f_c v = 0 */
static int lin_jvp2(wl_model *m, const double *w, const wl_mat *X, const double *v, wl_mat *Q) {
    (void)m, (void)w, (void)X, (void)v;
    wl_mat_zero(Q);
    return WL_OK;
}

/* hv = sum_ic G_ic Hess f_c v = 0 */
static int lin_hvp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G,
                   const double *v, double *hv) {
    (void)X, (void)G, (void)v, (void)w;
    memset(hv, 0, m->dim * sizeof(double));
    return WL_OK;
}

/* df_c/dx = W_c:  GX = G W (n x k)(k x d) */
static int lin_xvjp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G,
                    wl_mat *GX) {
    (void)X;
    wl_linear *L = (wl_linear *)m;
    wl_mat W = weight_view(L, w);
    return wl_gemm(0, 0, 1.0, G, &W, 0.0, GX);
}

/* W ~ N(0, 1/d), b = 0 */
static int lin_init(wl_model *m, wl_rng *rng, double *w) {
    wl_linear *L = (wl_linear *)m;
    wl_rng_normal_fill(rng, w, L->k * L->d, 0.0, 1.0 / sqrt((double)L->d));
    if (L->bias) memset(w + L->k * L->d, 0, L->k * sizeof(double));
    return WL_OK;
}

static wl_model *lin_clone(const wl_model *m) {
    const wl_linear *L = (const wl_linear *)m;
    wl_model *c = NULL;
    if (wl_linear_new(L->d, L->k, L->bias, &c)) return NULL;
    return c;
}

static void lin_free(wl_model *m) { free(m); }

static const wl_model_ops lin_ops = {lin_forward, lin_vjp,  lin_jvp,   lin_jvp2, lin_hvp,
                                     lin_xvjp,    lin_init, lin_clone, lin_free};

int wl_linear_new(size_t d, size_t k, int bias, wl_model **out) {
    if (!out) return wl_seterr(WL_EINVAL, "linear: out is NULL");
    *out = NULL;
    if (d == 0 || k == 0)
        return wl_seterr(WL_EINVAL, "linear: sizes must be positive (d = %zu, k = %zu)", d, k);
    wl_linear *L = wl_calloc(1, sizeof *L, "linear model");
    if (!L) return WL_ENOMEM;
    L->d = d;
    L->k = k;
    L->bias = bias ? 1 : 0;
    L->base.ops = &lin_ops;
    L->base.dim = k * d + (L->bias ? k : 0);
    L->base.n_in = d;
    L->base.n_out = k;
    L->base.kind = "linear";
    L->base.blocks = L->blocks;
    L->base.n_blocks = L->bias ? 2 : 1;
    wl_param_block *bw = &L->blocks[0], *bb = &L->blocks[1];
    strcpy(bw->name, "weight");
    bw->offset = 0, bw->rows = k, bw->cols = d, bw->ndim = 2;
    strcpy(bb->name, "bias");
    bb->offset = k * d, bb->rows = k, bb->cols = 1, bb->ndim = 1;
    *out = &L->base;
    return WL_OK;
}
