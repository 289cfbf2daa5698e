/* Model-Hessian spectral norms ||d^2 f_c(x_i)/dw^2|| per point and output, by
 * Lanczos (largest magnitude) on the indefinite Hessian of one output. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "widelab/curv.h"

void wl_hf_norms_free(wl_hf_norms *r) {
    if (!r) return;
    free(r->norms);
    free(r->mean);
    free(r->max);
    memset(r, 0, sizeof *r);
}

/* ||H_{f_c}(x)|| for one point (row X1, 1 x n_in) and output c. */
static int one_norm(wl_model *m, const double *w, const wl_mat *X1, size_t c, double tol,
                    wl_rng *rng, double *norm, size_t *mv, int *conv) {
    wl_mat G;
    if (wl_mat_alloc(&G, 1, m->n_out)) return WL_ENOMEM;
    WL_AT(&G, 0, c) = 1.0;
    wl_hessian *h = NULL;
    int rc = wl_hessian_model_new(m, w, X1, &G, &h);
    wl_mat_free(&G);
    if (rc) return rc;
    wl_linop H = wl_hessian_op(h);
    wl_lanczos_opts o;
    wl_lanczos_opts_default(&o);
    o.tol = tol;
    wl_eig_result r;
    rc = wl_lanczos(&H, &o, rng, 0, &r);
    if (!rc) {
        *norm = fabs(r.values[0]);
        *mv += r.matvecs;
        if (!r.converged) *conv = 0;
        wl_eig_result_free(&r);
    }
    wl_hessian_free(h);
    return rc;
}

int wl_model_hessian_norms(wl_model *m, const double *w, const wl_mat *X, double tol,
                           wl_rng *rng, wl_hf_norms *out) {
    memset(out, 0, sizeof *out);
    if (!m || !w || !X || X->rows == 0)
        return wl_seterr(WL_EINVAL, "model Hessian norms: no model, parameters or points");
    if (X->cols != m->n_in)
        return wl_seterr(WL_EINVAL, "model Hessian norms: points have %zu features, the model "
                         "takes %zu", X->cols, m->n_in);
    size_t n = X->rows, k = m->n_out;
    out->n = n;
    out->k = k;
    out->converged = 1;
    out->norms = wl_dalloc(n * k, "Hessian norms");
    out->mean = wl_dalloc(k, "Hessian norm means");
    out->max = wl_dalloc(k, "Hessian norm maxima");
    int rc = (!out->norms || !out->mean || !out->max) ? WL_ENOMEM : WL_OK;
    for (size_t i = 0; !rc && i < n; i++)
        for (size_t c = 0; !rc && c < k; c++) {
            wl_mat X1 = wl_mat_rows(X, i, 1);
            wl_rng r = wl_rng_split(rng, (uint64_t)(i * k + c));
            rc = one_norm(m, w, &X1, c, tol, &r, &out->norms[i * k + c], &out->matvecs,
                          &out->converged);
            if (rc) wl_adderr(rc, "model Hessian norm at point %zu, output %zu", i, c);
        }
    for (size_t c = 0; !rc && c < k; c++)
        for (size_t i = 0; i < n; i++) {
            double v = out->norms[i * k + c];
            out->mean[c] += v / (double)n;
            if (v > out->max[c]) out->max[c] = v;
            if (v > out->max_all) out->max_all = v;
        }
    if (rc) wl_hf_norms_free(out);
    return rc;
}
