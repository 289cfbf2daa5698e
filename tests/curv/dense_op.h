/* Test helpers: dense symmetric operators with a known spectrum. */
#ifndef WL_TEST_DENSE_OP_H
#define WL_TEST_DENSE_OP_H

#include "wl_test.h"

/* y = A x for the dense matrix ctx (a wl_mat *). */
static inline int dense_mv(void *ctx, const double *x, double *y) {
    return wl_gemv(0, 1.0, (const wl_mat *)ctx, x, 0.0, y);
}

/* A = Q diag(lam) Q^T with Q orthogonal (eigenvectors of a random symmetric
 * matrix); A must be p x p, allocated. */
static inline void known_spectrum(wl_rng *r, const double *lam, size_t p, wl_mat *A) {
    wl_mat Q, QL;
    double *w = malloc(p * sizeof(double));
    wl_mat_alloc(&Q, p, p);
    wl_mat_alloc(&QL, p, p);
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j <= i; j++) WL_AT(&Q, i, j) = WL_AT(&Q, j, i) = wl_rng_normal(r);
    wl_eigh(&Q, w, 1);
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < p; j++) WL_AT(&QL, i, j) = WL_AT(&Q, i, j) * lam[j];
    wl_gemm(0, 1, 1.0, &QL, &Q, 0.0, A);
    for (size_t i = 0; i < p; i++) /* exact symmetry */
        for (size_t j = 0; j < i; j++) WL_AT(A, i, j) = WL_AT(A, j, i);
    wl_mat_free(&Q);
    wl_mat_free(&QL);
    free(w);
}

static inline int cmp_desc(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

#endif
