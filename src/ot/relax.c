/* Convex relaxation of Wasserstein Procrustes (Gold-Rangarajan, Grave et
 * al.): Frank-Wolfe on f(P) = ||Kx P - P Ky||_F^2 over plans with uniform
 * marginals. Kx, Ky are the squared-distance matrices of the clouds,
 * invariant to orthogonal maps (and translations). The Gram matrices X X^T of
 * Grave et al. make the uniform plan a minimizer (f = 0) whenever the clouds
 * are centered, so the distance form is used. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ot_internal.h"

typedef struct relax_ws {
    wl_mat Kx, Ky, R, G, RS, S;
} relax_ws;

static void ws_free(relax_ws *w) {
    wl_mat_free(&w->Kx);
    wl_mat_free(&w->Ky);
    wl_mat_free(&w->R);
    wl_mat_free(&w->G);
    wl_mat_free(&w->RS);
    wl_mat_free(&w->S);
}

static int ws_alloc(relax_ws *w, size_t n, size_t m) {
    memset(w, 0, sizeof *w);
    int rc = wl_mat_alloc(&w->Kx, n, n);
    if (!rc) rc = wl_mat_alloc(&w->Ky, m, m);
    if (!rc) rc = wl_mat_alloc(&w->R, n, m);
    if (!rc) rc = wl_mat_alloc(&w->G, n, m);
    if (!rc) rc = wl_mat_alloc(&w->RS, n, m);
    if (!rc) rc = wl_mat_alloc(&w->S, n, m);
    return rc;
}

/* D_ij = ||x_i - x_j||^2 = G_ii + G_jj - 2 G_ij with G = X X^T.  X: n x d, D: n x n */
static int sqdist(const wl_mat *X, wl_mat *D) {
    int rc = wl_syrk(0, 1.0, X, 0.0, D);
    if (rc) return rc;
    size_t n = D->rows;
    double *g = wl_dalloc(n, "relax diagonal");
    if (!g) return WL_ENOMEM;
    for (size_t i = 0; i < n; i++) g[i] = WL_AT(D, i, i);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) WL_AT(D, i, j) = fmax(0.0, g[i] + g[j] - 2.0 * WL_AT(D, i, j));
    free(g);
    return WL_OK;
}

/* RS = Kx S - S Ky for a sparse vertex S (at most n + m - 1 nonzeros):
 * column j of Kx S gathers s * Kx[:, i], row i of S Ky gathers s * Ky[j, :]. */
static void residual_sparse(const relax_ws *w, wl_mat *RS) {
    size_t n = w->S.rows, m = w->S.cols;
    wl_mat_zero(RS);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) {
            double s = WL_AT(&w->S, i, j);
            if (s == 0.0) continue;
            for (size_t k = 0; k < n; k++) WL_AT(RS, k, j) += s * WL_AT(&w->Kx, k, i);
            wl_axpy(m, -s, w->Ky.data + j * w->Ky.ld, RS->data + i * RS->ld);
        }
}

/* S = argmin_S <G, S> over plans with uniform marginals (a vertex). */
static int linear_step(relax_ws *w) {
    wl_sinkhorn_opts unused;
    wl_sinkhorn_opts_default(&unused);
    return wl_ot_plan(&w->G, 0.0, &unused, &w->S);
}

int wl_ot_relax(const wl_mat *X, const wl_mat *Y, size_t iters, wl_mat *P) {
    if (!X || !Y || !P) return wl_seterr(WL_EINVAL, "relax: NULL argument");
    size_t n = X->rows, m = Y->rows;
    if (n == 0 || m == 0) return wl_seterr(WL_EINVAL, "relax: empty point cloud (%zu, %zu points)", n, m);
    if (P->rows != n || P->cols != m)
        return wl_seterr(WL_EINVAL, "relax: P must be %zu x %zu, got %zu x %zu", n, m, P->rows, P->cols);
    relax_ws w;
    int rc = ws_alloc(&w, n, m);
    if (!rc) rc = sqdist(X, &w.Kx); /* Kx: n x n */
    if (!rc) rc = sqdist(Y, &w.Ky); /* Ky: m x m */
    if (rc) {
        ws_free(&w);
        return rc;
    }
    /* P = a b^T (uniform), R = Kx P - P Ky */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) WL_AT(P, i, j) = 1.0 / ((double)n * (double)m);
    rc = wl_gemm(0, 0, 1.0, &w.Kx, P, 0.0, &w.R);
    if (!rc) rc = wl_gemm(0, 0, -1.0, P, &w.Ky, 1.0, &w.R);
    for (size_t it = 0; it < iters && !rc; it++) {
        /* G = Kx R - R Ky  (half the gradient of f) */
        rc = wl_gemm(0, 0, 1.0, &w.Kx, &w.R, 0.0, &w.G);
        if (!rc) rc = wl_gemm(0, 0, -1.0, &w.R, &w.Ky, 1.0, &w.G);
        if (!rc) rc = linear_step(&w);
        if (rc) break;
        residual_sparse(&w, &w.RS);
        /* D = S - P, R_D = RS - R; gamma = -<R, R_D> / ||R_D||^2 in [0, 1] */
        double num = 0.0, den = 0.0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < m; j++) {
                double r = WL_AT(&w.R, i, j), rd = WL_AT(&w.RS, i, j) - r;
                num -= r * rd;
                den += rd * rd;
            }
        double gamma = den > 0.0 ? fmin(1.0, fmax(0.0, num / den)) : 0.0;
        if (gamma == 0.0) break; /* stationary: no descent along S - P */
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < m; j++) {
                WL_AT(P, i, j) += gamma * (WL_AT(&w.S, i, j) - WL_AT(P, i, j));
                WL_AT(&w.R, i, j) += gamma * (WL_AT(&w.RS, i, j) - WL_AT(&w.R, i, j));
            }
    }
    ws_free(&w);
    return rc;
}
