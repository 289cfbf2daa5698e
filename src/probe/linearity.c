/* Distance of a model from its linearization at w0. */
#include "widelab/probe.h"

#include <math.h>
#include <stdlib.h>

/* gap = f(w) - f(w0) - J(w0)(w - w0)    all n x k */
int wl_linearity_gap(wl_model *m, const double *w0, const double *w, const wl_mat *X,
                     const wl_mat *F0, double *abs_gap, double *rel_gap) {
    size_t n = X->rows, k = m->n_out, p = m->dim;
    wl_mat F, Fb, JV;
    double *dw = wl_dalloc(p, "linearity step");
    if (!dw) return WL_ENOMEM;
    int rc = wl_mat_alloc(&F, n, k);
    if (!rc) rc = wl_mat_alloc(&Fb, n, k);
    if (!rc) rc = wl_mat_alloc(&JV, n, k);
    if (rc) goto done;
    for (size_t i = 0; i < p; i++) dw[i] = w[i] - w0[i];
    if ((rc = wl_model_forward(m, w, X, &F))) goto done;
    if (F0) rc = wl_mat_copy(&Fb, F0);
    else rc = wl_model_forward(m, w0, X, &Fb);
    if (rc || (rc = wl_model_jvp(m, w0, X, dw, &JV))) goto done;
    double gap = 0, change = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < k; c++) {
            double df = WL_AT(&F, i, c) - WL_AT(&Fb, i, c), g = df - WL_AT(&JV, i, c);
            gap += g * g;
            change += df * df;
        }
    if (abs_gap) *abs_gap = sqrt(gap / (double)(n ? n : 1));
    if (rel_gap) *rel_gap = change > 0 ? sqrt(gap / change) : 0.0;
done:
    free(dw);
    wl_mat_free(&F);
    wl_mat_free(&Fb);
    wl_mat_free(&JV);
    return rc;
}
