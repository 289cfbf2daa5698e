/* Average gradient outer product of a predictor and its alignment. */
#include "widelab/probe.h"

#include <math.h>
#include <stdlib.h>

/* AGOP = (1/n) sum_c GX_c^T GX_c,  GX_c = d f_c / dx (n x d), one xvjp per output */
int wl_agop(wl_model *m, const double *w, const wl_mat *X, wl_mat *G) {
    size_t n = X->rows, d = X->cols, k = m->n_out;
    if (G->rows != d || G->cols != d)
        return wl_seterr(WL_EINVAL, "agop: result is %zu x %zu, inputs have %zu features",
                         G->rows, G->cols, d);
    wl_mat E, GX;
    int rc = wl_mat_alloc(&E, n, k);
    if (!rc) rc = wl_mat_alloc(&GX, n, d);
    if (rc) {
        wl_mat_free(&E);
        return rc;
    }
    wl_mat_zero(G);
    for (size_t c = 0; c < k && !rc; c++) {
        wl_mat_zero(&E);
        for (size_t i = 0; i < n; i++) WL_AT(&E, i, c) = 1.0; /* G = e_c for every row */
        rc = wl_model_xvjp(m, w, X, &E, &GX);
        if (!rc) rc = wl_syrk(1, 1.0 / (double)n, &GX, 1.0, G);
    }
    wl_mat_free(&E);
    wl_mat_free(&GX);
    return rc;
}

/* <A, B>_F / (||A||_F ||B||_F) */
double wl_agop_alignment(const wl_mat *A, const wl_mat *B) {
    if (A->rows != B->rows || A->cols != B->cols) return NAN;
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < A->rows; i++)
        for (size_t j = 0; j < A->cols; j++) {
            double a = WL_AT(A, i, j), b = WL_AT(B, i, j);
            ab += a * b, aa += a * a, bb += b * b;
        }
    return (aa > 0 && bb > 0) ? ab / sqrt(aa * bb) : NAN;
}
