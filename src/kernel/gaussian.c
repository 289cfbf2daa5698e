/* Kernel functions k(x, z) on two point sets: Gaussian and Laplacian (with a
 * bandwidth, as EigenPro defines them), the infinite-width NTK/NNGP of an
 * architecture, or a user callback. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "widelab/kernel.h"

/* D2 = squared distances: ||x_i||^2 + ||z_j||^2 - 2 X1 X2^T (>= 0).
 * X1: n1 x d, X2: n2 x d, D2: n1 x n2 */
static int sqdist(const wl_mat *X1, const wl_mat *X2, wl_mat *D2) {
    int rc = wl_gemm(0, 1, -2.0, X1, X2, 0.0, D2);
    if (rc) return rc;
    const size_t d = X1->cols;
    double *zn = wl_dalloc(X2->rows, "squared norms");
    if (!zn) return WL_ENOMEM;
    for (size_t j = 0; j < X2->rows; j++) zn[j] = wl_dot(d, &WL_AT(X2, j, 0), &WL_AT(X2, j, 0));
    for (size_t i = 0; i < X1->rows; i++) {
        double xi = wl_dot(d, &WL_AT(X1, i, 0), &WL_AT(X1, i, 0));
        double *row = &WL_AT(D2, i, 0);
        for (size_t j = 0; j < X2->rows; j++) {
            double v = row[j] + xi + zn[j];
            row[j] = v > 0 ? v : 0.0;
        }
    }
    free(zn);
    return WL_OK;
}

int wl_kfun_eval(const wl_kfun *k, const wl_mat *X1, const wl_mat *X2, wl_mat *K) {
    if (!k || !X1 || !K) return wl_seterr(WL_EINVAL, "kernel: NULL argument");
    const wl_mat *Y = X2 ? X2 : X1;
    if (Y->cols != X1->cols)
        return wl_seterr(WL_EINVAL, "kernel: point sets have %zu and %zu features", X1->cols,
                         Y->cols);
    if (K->rows != X1->rows || K->cols != Y->rows)
        return wl_seterr(WL_EINVAL, "kernel: K is %zu x %zu, expected %zu x %zu", K->rows,
                         K->cols, X1->rows, Y->rows);
    switch (k->kind) {
    case WL_KFUN_GAUSSIAN:
    case WL_KFUN_LAPLACIAN: {
        const double bw = k->bandwidth;
        if (!(bw > 0) || !isfinite(bw))
            return wl_seterr(WL_EINVAL, "kernel: bandwidth %g must be > 0", bw);
        int rc = sqdist(X1, Y, K);
        if (rc) return rc;
        const int gauss = k->kind == WL_KFUN_GAUSSIAN;
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < K->rows; i++)
            for (size_t j = 0; j < K->cols; j++) {
                double d2 = WL_AT(K, i, j);
                /* exp(-||x - z||^2 / (2 bw^2))  or  exp(-||x - z|| / bw) */
                WL_AT(K, i, j) = gauss ? exp(-d2 / (2 * bw * bw)) : exp(-sqrt(d2) / bw);
            }
        if (!X2 || X2 == X1) /* exact 1 on the diagonal of k(X, X) */
            for (size_t i = 0; i < K->rows; i++) WL_AT(K, i, i) = 1.0;
        return WL_OK;
    }
    case WL_KFUN_NTK: return wl_ntk_infinite(&k->arch, X1, X2, K, NULL);
    case WL_KFUN_NNGP: return wl_ntk_infinite(&k->arch, X1, X2, NULL, K);
    case WL_KFUN_CALLBACK:
        if (!k->cb) return wl_seterr(WL_EINVAL, "kernel: callback kernel without a function");
        return k->cb(X1, Y, K, k->ctx);
    }
    return wl_seterr(WL_EINVAL, "kernel: unknown kind %d", (int)k->kind);
}

int wl_kfun_from_name(const char *name, wl_kfun_kind *kind) {
    static const char *const names[] = {"gaussian", "laplacian", "ntk", "nngp"};
    for (int i = 0; i < 4; i++)
        if (name && !strcmp(name, names[i])) {
            *kind = (wl_kfun_kind)i;
            return WL_OK;
        }
    if (name && (!strcmp(name, "rbf") || !strcmp(name, "gauss"))) {
        *kind = WL_KFUN_GAUSSIAN;
        return WL_OK;
    }
    return wl_seterr(WL_EINVAL, "unknown kernel '%s' (gaussian, laplacian, ntk, nngp)",
                     name ? name : "(null)");
}
