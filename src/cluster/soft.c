/* Bregman soft clustering (Banerjee et al. 2005): a mixture of exponential
 * families fitted by EM,
 *   E: r_ih = pi_h exp(-beta D(x_i, mu_h)) / sum_l pi_l exp(-beta D(x_i, mu_l))
 *   M: pi_h = (1/n) sum_i r_ih,  mu_h = sum_i r_ih x_i / sum_i r_ih.
 * The log-likelihood without the base measure,
 *   LL = (1/n) sum_i log sum_h pi_h exp(-beta D(x_i, mu_h)),
 * never decreases. */
#include "cluster/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* E-step. R (n x k) receives the responsibilities; labels = row argmax;
 * returns LL. S = X G^T is computed in place in R. */
static int e_step(const wl_mat *X, const double *phix, const wl_mat *G, const double *b,
                  const double *pi, double beta, wl_mat *R, int *labels, double *ll) {
    size_t n = X->rows, k = G->rows;
    /* R = X G^T: n x k */
    int rc = wl_gemm(0, 1, 1.0, X, G, 0.0, R);
    if (rc) return rc;
    double *lpi = wl_dalloc(k, "log weights");
    if (!lpi) return WL_ENOMEM;
    for (size_t h = 0; h < k; h++) lpi[h] = pi[h] > 0.0 ? log(pi[h]) : -INFINITY;
    double sum = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : sum)
    for (long i = 0; i < (long)n; i++) {
        double *r = &WL_AT(R, i, 0), m = -INFINITY;
        size_t arg = 0;
        for (size_t h = 0; h < k; h++) {
            double dv = phix[i] - r[h] - b[h]; /* D(x_i, mu_h) */
            r[h] = lpi[h] - beta * (dv > 0.0 ? dv : 0.0);
            if (r[h] > m) {
                m = r[h];
                arg = h;
            }
        }
        double s = 0.0;
        for (size_t h = 0; h < k; h++) s += (r[h] = exp(r[h] - m));
        for (size_t h = 0; h < k; h++) r[h] /= s;
        labels[i] = (int)arg;
        sum += m + log(s);
    }
    free(lpi);
    *ll = sum / (double)n;
    return isfinite(*ll) ? WL_OK : wl_seterr(WL_ENUMERIC, "soft clustering: log-likelihood is %g", *ll);
}

/* M-step: pi = column means of R, C = diag(1/N) R^T X. */
static int m_step(const wl_mat *X, const wl_mat *R, wl_mat *C, double *pi, wl_mat *C2) {
    size_t n = X->rows, k = R->cols, d = X->cols;
    for (size_t h = 0; h < k; h++) pi[h] = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t h = 0; h < k; h++) pi[h] += WL_AT(R, i, h);
    /* C2 = R^T X: k x d */
    int rc = wl_gemm(1, 0, 1.0, R, X, 0.0, C2);
    if (rc) return rc;
    for (size_t h = 0; h < k; h++) {
        if (pi[h] > 1e-300 * (double)n) /* a dead component keeps its centre */
            for (size_t j = 0; j < d; j++) WL_AT(C, h, j) = WL_AT(C2, h, j) / pi[h];
        pi[h] /= (double)n;
    }
    return WL_OK;
}

int wl_cl_soft_run(const wl_div *div, const wl_mat *X, const double *phix,
                   const wl_cluster_opts *o, wl_mat *C, double *pi, int *labels,
                   double *loglik, double *trace, size_t *ntrace, size_t *iters, int *conv) {
    size_t n = X->rows, k = C->rows, d = C->cols;
    wl_mat R = {0}, G = {0}, C2 = {0};
    double *b = wl_dalloc(k, "centre constants");
    int rc = WL_ENOMEM;
    if (!b || wl_mat_alloc(&R, n, k) || wl_mat_alloc(&G, k, d) || wl_mat_alloc(&C2, k, d))
        goto done;
    for (size_t h = 0; h < k; h++) pi[h] = 1.0 / (double)k;
    double prev = -INFINITY;
    *iters = 0;
    *conv = 0;
    *ntrace = 0;
    for (;;) {
        if ((rc = wl_cl_centre_consts(div, C, &G, b)) ||
            (rc = e_step(X, phix, &G, b, pi, o->beta, &R, labels, loglik)))
            goto done;
        trace[(*ntrace)++] = *loglik;
        if (*iters > 0 && *loglik - prev <= o->tol * fabs(prev)) {
            *conv = 1;
            break;
        }
        if (*iters >= o->max_iter) break;
        if ((rc = m_step(X, &R, C, pi, &C2))) goto done;
        prev = *loglik;
        (*iters)++;
    }
    rc = WL_OK;
done:
    free(b);
    wl_mat_free(&R);
    wl_mat_free(&G);
    wl_mat_free(&C2);
    return rc;
}
