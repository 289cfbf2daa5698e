/* Spectral summary of a tangent kernel: all eigenvalues (LAPACK), condition
 * number, effective ranks, and the warnings for singular kernels. */
#include "widelab/kernel.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int wl_ntk_eigvals(const wl_mat *K, double *eig) {
    if (!K || !K->data || !eig) return wl_seterr(WL_EINVAL, "ntk eigvals: NULL argument");
    if (K->rows != K->cols)
        return wl_seterr(WL_EINVAL, "ntk eigvals: kernel is %zu x %zu, not square", K->rows,
                         K->cols);
    if (!wl_all_finite(K->rows * K->cols, K->data) && K->ld == K->cols)
        return wl_seterr(WL_ENUMERIC, "ntk eigvals: kernel has NaN or Inf entries");
    wl_mat A;
    int rc = wl_mat_alloc(&A, K->rows, K->cols);
    if (!rc) rc = wl_mat_copy(&A, K);
    if (!rc) rc = wl_eigh(&A, eig, 0);
    wl_mat_free(&A);
    return rc;
}

/* lambda_i ascending */
int wl_ntk_summary_from_eigs(const double *eig, size_t n, wl_ntk_summary *s) {
    if (!eig || !s || n == 0) return wl_seterr(WL_EINVAL, "ntk summary: no eigenvalues");
    memset(s, 0, sizeof *s);
    s->n = n;
    s->lambda_min = eig[0];
    s->lambda_max = eig[n - 1];
    double tr = 0.0, pos = 0.0;
    for (size_t i = 0; i < n; i++) {
        tr += eig[i];
        pos += eig[i] > 0 ? eig[i] : 0.0;
    }
    s->trace = tr;
    if (s->lambda_min <= 0.0) {
        s->flags |= WL_NTK_WARN_NONPOS;
        s->cond = INFINITY;
    } else {
        s->cond = s->lambda_max / s->lambda_min;
    }
    if (s->lambda_min < (double)n * DBL_EPSILON * fabs(s->lambda_max))
        s->flags |= WL_NTK_WARN_ILLCOND;
    s->eff_rank = s->lambda_max > 0 ? tr / s->lambda_max : 0.0;
    /* entropy effective rank: exp(H), p_i = lambda_i^+ / sum lambda^+ */
    double H = 0.0;
    for (size_t i = 0; pos > 0 && i < n; i++) {
        double p = eig[i] > 0 ? eig[i] / pos : 0.0;
        if (p > 0) H -= p * log(p);
    }
    s->eff_rank_entropy = pos > 0 ? exp(H) : 0.0;
    return WL_OK;
}

int wl_ntk_summarize(const wl_mat *K, double *eig, wl_ntk_summary *s) {
    if (!K || !s) return wl_seterr(WL_EINVAL, "ntk summary: NULL argument");
    double *e = eig ? eig : wl_dalloc(K->rows, "eigenvalues");
    if (!e) return WL_ENOMEM;
    int rc = wl_ntk_eigvals(K, e);
    if (!rc) rc = wl_ntk_summary_from_eigs(e, K->rows, s);
    if (!rc) rc = wl_ntk_angles(K, &s->angle_min, &s->angle_mean);
    if (!eig) free(e);
    return rc;
}
