/* Orthogonal Procrustes and random orthogonal matrices. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ot_internal.h"

/* sign(det A) by LU; A: d x d (copied). */
static int det_sign(const wl_mat *A, int *sign) {
    size_t d = A->rows;
    double *lu = wl_dalloc(d * d, "procrustes determinant");
    lapack_int *piv = malloc((d ? d : 1) * sizeof *piv);
    if (!lu || !piv) {
        free(lu);
        free(piv);
        return wl_seterr(WL_ENOMEM, "procrustes: out of memory for %zu x %zu", d, d);
    }
    for (size_t i = 0; i < d; i++) memcpy(lu + i * d, A->data + i * A->ld, d * sizeof *lu);
    lapack_int info = LAPACKE_dgetrf(LAPACK_ROW_MAJOR, (lapack_int)d, (lapack_int)d, lu, (lapack_int)d, piv);
    int s = 1;
    for (size_t i = 0; i < d; i++) {
        if (lu[i * d + i] < 0) s = -s;
        if (piv[i] != (lapack_int)(i + 1)) s = -s;
    }
    *sign = info > 0 ? 0 : s;
    free(lu);
    free(piv);
    return info < 0 ? wl_seterr(WL_EINVAL, "procrustes: dgetrf argument %d", (int)-info) : WL_OK;
}

/* Q = U V^T, U S V^T = svd(M): argmax tr(Q^T M) over orthonormal columns
 * (rows when d1 < d2). M: d1 x d2, Q: d1 x d2. */
int wl_procrustes_cross(const wl_mat *M, int rotation, wl_mat *Q) {
    if (!M || !Q) return wl_seterr(WL_EINVAL, "procrustes: NULL argument");
    size_t d1 = M->rows, d2 = M->cols, r = d1 < d2 ? d1 : d2;
    if (Q->rows != d1 || Q->cols != d2)
        return wl_seterr(WL_EINVAL, "procrustes: Q must be %zu x %zu, got %zu x %zu", d1, d2, Q->rows, Q->cols);
    if (r == 0) return wl_seterr(WL_EINVAL, "procrustes: empty matrix %zu x %zu", d1, d2);
    if (rotation && d1 != d2)
        return wl_seterr(WL_EINVAL, "procrustes: rotation needs a square map, got %zu x %zu", d1, d2);
    wl_mat A, U, Vt;
    double *s = wl_dalloc(r, "procrustes singular values");
    int rc = s ? WL_OK : WL_ENOMEM;
    memset(&A, 0, sizeof A);
    memset(&U, 0, sizeof U);
    memset(&Vt, 0, sizeof Vt);
    if (!rc) rc = wl_mat_alloc(&A, d1, d2);
    if (!rc) rc = wl_mat_alloc(&U, d1, r);
    if (!rc) rc = wl_mat_alloc(&Vt, r, d2);
    if (!rc) rc = wl_mat_copy(&A, M);
    if (!rc) rc = wl_svd(&A, &U, s, &Vt);
    if (!rc) rc = wl_gemm(0, 0, 1.0, &U, &Vt, 0.0, Q);
    if (!rc && rotation) {
        int sg = 1;
        rc = det_sign(Q, &sg);
        if (!rc && sg < 0) {
            /* Q = U diag(1, ..., 1, -1) V^T: flip the last singular vector */
            for (size_t i = 0; i < d1; i++) WL_AT(&U, i, r - 1) = -WL_AT(&U, i, r - 1);
            rc = wl_gemm(0, 0, 1.0, &U, &Vt, 0.0, Q);
        }
    }
    free(s);
    wl_mat_free(&A);
    wl_mat_free(&U);
    wl_mat_free(&Vt);
    return rc;
}

/* argmin_Q ||X Q - Y||_F = Procrustes of M = X^T Y.  X, Y: n x d, Q: d x d */
int wl_procrustes(const wl_mat *X, const wl_mat *Y, int rotation, wl_mat *Q) {
    if (!X || !Y || !Q) return wl_seterr(WL_EINVAL, "procrustes: NULL argument");
    if (X->rows != Y->rows || X->cols != Y->cols)
        return wl_seterr(WL_EINVAL, "procrustes: X is %zu x %zu but Y is %zu x %zu", X->rows,
                         X->cols, Y->rows, Y->cols);
    wl_mat M;
    int rc = wl_mat_alloc(&M, X->cols, Y->cols);
    if (!rc) rc = wl_gemm(1, 0, 1.0, X, Y, 0.0, &M);
    if (!rc) rc = wl_procrustes_cross(&M, rotation, Q);
    wl_mat_free(&M);
    return rc;
}

/* Haar orthogonal: G = Q R (QR of a Gaussian d x d), Q diag(sign(R_ii)). */
int wl_random_orthogonal(wl_rng *rng, wl_mat *Q) {
    if (!rng || !Q) return wl_seterr(WL_EINVAL, "random orthogonal: NULL argument");
    size_t d = Q->rows;
    if (Q->cols != d || d == 0)
        return wl_seterr(WL_EINVAL, "random orthogonal: Q must be square and non-empty, got %zu x %zu",
                         Q->rows, Q->cols);
    double *tau = wl_dalloc(d, "random orthogonal tau"), *sg = wl_dalloc(d, "random orthogonal signs");
    if (!tau || !sg) {
        free(tau);
        free(sg);
        return WL_ENOMEM;
    }
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) WL_AT(Q, i, j) = wl_rng_normal(rng);
    lapack_int info = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, (lapack_int)d, (lapack_int)d, Q->data, (lapack_int)Q->ld, tau);
    for (size_t i = 0; i < d && info == 0; i++) sg[i] = WL_AT(Q, i, i) < 0 ? -1.0 : 1.0;
    if (info == 0)
        info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, (lapack_int)d, (lapack_int)d, (lapack_int)d, Q->data,
                              (lapack_int)Q->ld, tau);
    for (size_t i = 0; i < d && info == 0; i++)
        for (size_t j = 0; j < d; j++) WL_AT(Q, i, j) *= sg[j];
    free(tau);
    free(sg);
    return info ? wl_seterr(WL_ENUMERIC, "random orthogonal: LAPACK QR failed (%d)", (int)info) : WL_OK;
}
