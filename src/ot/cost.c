/* Cost matrices between two point clouds, in row tiles through BLAS. */
#include <math.h>
#include <stdlib.h>

#include "ot_internal.h"

#define WL_COST_TILE 512

/* sq[i] = ||row i of A||^2.  A: n x d */
static void row_sqnorms(const wl_mat *A, double *sq) {
    for (size_t i = 0; i < A->rows; i++) {
        const double *r = A->data + i * A->ld;
        sq[i] = wl_dot(A->cols, r, r);
    }
}

/* C_ij = ||x_i||^2 + ||y_j||^2 - 2 x_i . y_j  (sqrt for Euclidean).
 * X: n x d, Y: m x d, C: n x m; tile of T rows: C[T] = -2 X[T] Y^T then add norms. */
int wl_ot_cost(const wl_mat *X, const wl_mat *Y, int metric, wl_mat *C) {
    if (!X || !Y || !C) return wl_seterr(WL_EINVAL, "ot cost: NULL argument");
    if (X->cols != Y->cols)
        return wl_seterr(WL_EINVAL, "ot cost: X has %zu columns but Y has %zu", X->cols, Y->cols);
    if (C->rows != X->rows || C->cols != Y->rows)
        return wl_seterr(WL_EINVAL, "ot cost: C must be %zu x %zu, got %zu x %zu", X->rows,
                         Y->rows, C->rows, C->cols);
    if (metric != WL_OT_SQEUCLIDEAN && metric != WL_OT_EUCLIDEAN)
        return wl_seterr(WL_EINVAL, "ot cost: unknown metric %d", metric);
    size_t n = X->rows, m = Y->rows;
    for (size_t i = 0; i < n; i++)
        if (!wl_all_finite(X->cols, X->data + i * X->ld))
            return wl_seterr(WL_ENUMERIC, "ot cost: X row %zu has NaN or Inf", i);
    for (size_t j = 0; j < m; j++)
        if (!wl_all_finite(Y->cols, Y->data + j * Y->ld))
            return wl_seterr(WL_ENUMERIC, "ot cost: Y row %zu has NaN or Inf", j);
    double *xs = wl_dalloc(n + m + 1, "ot cost norms");
    if (!xs) return WL_ENOMEM;
    double *ys = xs + n;
    row_sqnorms(X, xs);
    row_sqnorms(Y, ys);
    int rc = WL_OK;
    for (size_t r0 = 0; r0 < n && rc == WL_OK; r0 += WL_COST_TILE) {
        size_t nr = n - r0 < WL_COST_TILE ? n - r0 : WL_COST_TILE;
        wl_mat Xt = wl_mat_rows(X, r0, nr), Ct = wl_mat_rows(C, r0, nr);
        if (X->cols == 0) wl_mat_zero(&Ct);
        else rc = wl_gemm(0, 1, -2.0, &Xt, Y, 0.0, &Ct);
        if (rc) break;
        #pragma omp parallel for schedule(static) if (nr * m > WL_OT_PAR_MIN)
        for (size_t i = 0; i < nr; i++) {
            double *c = Ct.data + i * Ct.ld, xi = xs[r0 + i];
            for (size_t j = 0; j < m; j++) {
                double v = c[j] + xi + ys[j];
                v = v > 0.0 ? v : 0.0;
                c[j] = metric == WL_OT_EUCLIDEAN ? sqrt(v) : v;
            }
        }
    }
    free(xs);
    return rc;
}
