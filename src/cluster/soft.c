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

/* E-step. Rt (k x n) receives the responsibilities (column i is point i);
 * labels = most likely component; returns LL. S^T = G X^T is computed in
 * place in Rt. */
static int e_step(const wl_mat *X, const double *phix, const wl_mat *G, const double *b,
                  const double *pi, double beta, wl_mat *Rt, int *labels, double *ll) {
    size_t n = X->rows, k = G->rows;
    /* Rt = G X^T: k x n */
    int rc = wl_cl_gemm_det(0, 1, G, X, Rt);
    if (rc) return rc;
    double *lpi = wl_dalloc(k, "log weights"), *lli = wl_dalloc(n, "row log-likelihoods");
    if (!lpi || !lli) {
        free(lpi);
        free(lli);
        return WL_ENOMEM;
    }
    for (size_t h = 0; h < k; h++) lpi[h] = pi[h] > 0.0 ? log(pi[h]) : -INFINITY;
#pragma omp parallel for schedule(static) if (n * k > ((size_t)1 << 15))
    for (long i = 0; i < (long)n; i++) {
        double *r = &Rt->data[i], m = -INFINITY; /* r[h * n]: component h */
        size_t arg = 0;
        for (size_t h = 0; h < k; h++) {
            double dv = phix[i] - r[h * n] - b[h]; /* D(x_i, mu_h) */
            r[h * n] = lpi[h] - beta * (dv > 0.0 ? dv : 0.0);
            if (r[h * n] > m) {
                m = r[h * n];
                arg = h;
            }
        }
        double s = 0.0;
        for (size_t h = 0; h < k; h++) s += (r[h * n] = exp(r[h * n] - m));
        for (size_t h = 0; h < k; h++) r[h * n] /= s;
        labels[i] = (int)arg;
        lli[i] = m + log(s);
    }
    double sum = 0.0; /* in row order: the same bits for any thread count */
    for (size_t i = 0; i < n; i++) sum += lli[i];
    free(lpi);
    free(lli);
    *ll = sum / (double)n;
    return isfinite(*ll) ? WL_OK : wl_seterr(WL_ENUMERIC, "soft clustering: log-likelihood is %g", *ll);
}

/* M-step: pi = row means of Rt, C = diag(1/N) Rt X. */
static int m_step(const wl_mat *X, const wl_mat *Rt, wl_mat *C, double *pi, wl_mat *C2) {
    size_t n = X->rows, k = Rt->rows, d = X->cols;
    for (size_t h = 0; h < k; h++) {
        pi[h] = 0.0;
        for (size_t i = 0; i < n; i++) pi[h] += WL_AT(Rt, h, i);
    }
    /* C2 = Rt X: k x d */
    int rc = wl_cl_gemm_det(0, 0, Rt, X, C2);
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
    if (!b || wl_mat_alloc(&R, k, n) || wl_mat_alloc(&G, k, d) || wl_mat_alloc(&C2, k, d))
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
