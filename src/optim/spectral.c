/* Step and batch sizes from the spectrum (THEORY.md section 5), from data
 * X (n x d) or from a kernel matrix K (n x n). Formulas in optim.h.
 *
 * Both paths reduce to whitened features Z (n x r) on the range of H:
 *   data:   H = X^T X / n = V diag(lam) V^T,  Z = X V_r diag(lam_r)^-1/2
 *   kernel: K = U diag(lam) U^T,              Z = sqrt(n) U_r
 * so that H^-1/2 x_i = z_i and x_i^T H^+ x_i = ||z_i||^2, and then
 *   L1     = lambda_max((1/n) Z^T diag(||x_i||^2) Z)
 *   kappa~ = lambda_max((1/n) Z^T diag(||z_i||^2) Z). */
#include "widelab/optim.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* lambda_max((1/n) Z^T diag(c) Z),  Z: n x r */
static int weighted_lmax(const wl_mat *Z, const double *c, double *out) {
    size_t n = Z->rows, r = Z->cols;
    wl_mat B, A;
    int rc = wl_mat_alloc(&B, n, r);
    if (rc) return rc;
    rc = wl_mat_alloc(&A, r, r);
    if (rc) {
        wl_mat_free(&B);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        double s = sqrt(c[i]);
        for (size_t j = 0; j < r; j++) WL_AT(&B, i, j) = s * WL_AT(Z, i, j);
    }
    double *ev = wl_dalloc(r, "eigenvalues");
    rc = ev ? wl_syrk(1, 1.0 / (double)n, &B, 0.0, &A) : WL_ENOMEM;
    if (!rc) rc = wl_eigh(&A, ev, 0);
    if (!rc) *out = ev[r - 1];
    free(ev);
    wl_mat_free(&A);
    wl_mat_free(&B);
    return rc;
}

/* L1 and kappa~ from whitened features Z and squared norms c1_i = ||x_i||^2 */
static int whitened_constants(const wl_mat *Z, const double *c1, wl_spectral *s) {
    size_t n = Z->rows;
    double *c2 = wl_dalloc(n, "leverages");
    if (!c2) return WL_ENOMEM;
    for (size_t i = 0; i < n; i++) c2[i] = wl_dot(Z->cols, &WL_AT(Z, i, 0), &WL_AT(Z, i, 0));
    int rc = weighted_lmax(Z, c1, &s->L1);
    if (!rc) rc = weighted_lmax(Z, c2, &s->kappa_tilde);
    free(c2);
    return rc;
}

/* eigenvalues ev (ascending, length p) of a p x p matrix built from `count`
 * samples: rank r, L = max, mu = smallest counted non-zero */
static size_t count_rank(const double *ev, size_t p, size_t count, double *L, double *mu) {
    *L = ev[p - 1];
    double tol = (double)(p > count ? p : count) * 100.0 * DBL_EPSILON * fabs(*L);
    size_t r = 0;
    for (size_t j = 0; j < p; j++)
        if (ev[j] > tol) r++;
    *mu = r ? ev[p - r] : 0.0;
    return r;
}

static void reset(wl_spectral *s, size_t n, size_t dim) {
    memset(s, 0, sizeof *s);
    s->n = n;
    s->dim = dim;
}

int wl_spectral_from_data(const wl_mat *X, wl_spectral *s) {
    if (!X || !s) return wl_seterr(WL_EINVAL, "spectral: NULL argument");
    size_t n = X->rows, d = X->cols;
    if (n == 0 || d == 0) return wl_seterr(WL_EINVAL, "spectral: empty data (%zu x %zu)", n, d);
    for (size_t i = 0; i < n; i++)
        if (!wl_all_finite(d, &WL_AT(X, i, 0)))
            return wl_seterr(WL_ENUMERIC, "spectral: data row %zu contains NaN or Inf", i);
    reset(s, n, d);
    wl_mat H = {0}, Z = {0};
    double *ev = wl_dalloc(d, "eigenvalues"), *c1 = wl_dalloc(n, "norms");
    int rc = (ev && c1) ? wl_mat_alloc(&H, d, d) : WL_ENOMEM;
    if (!rc) rc = wl_syrk(1, 1.0 / (double)n, X, 0.0, &H); /* H = X^T X / n */
    if (!rc) rc = wl_eigh(&H, ev, 1);
    if (!rc) {
        s->rank = count_rank(ev, d, n, &s->L, &s->mu);
        if (s->rank == 0) rc = wl_seterr(WL_ENUMERIC, "spectral: the data are all zero");
    }
    if (!rc) rc = wl_mat_alloc(&Z, n, s->rank);
    if (!rc) {
        /* Vr = top-r eigenvectors scaled by lam^-1/2 (in place), Z = X Vr */
        size_t r = s->rank;
        wl_mat Vr = {&WL_AT(&H, 0, d - r), d, r, H.ld};
        for (size_t j = 0; j < r; j++) {
            double sc = 1.0 / sqrt(ev[d - r + j]);
            for (size_t i = 0; i < d; i++) WL_AT(&Vr, i, j) *= sc;
        }
        rc = wl_gemm(0, 0, 1.0, X, &Vr, 0.0, &Z);
    }
    if (!rc) {
        s->beta = 0.0;
        for (size_t i = 0; i < n; i++) {
            c1[i] = wl_dot(d, &WL_AT(X, i, 0), &WL_AT(X, i, 0));
            if (c1[i] > s->beta) s->beta = c1[i];
        }
        rc = whitened_constants(&Z, c1, s);
    }
    free(ev);
    free(c1);
    wl_mat_free(&H);
    wl_mat_free(&Z);
    return rc;
}

/* K symmetric (to 1e-8 relative) and finite; beta and c1 = diag(K) */
static int check_kernel(const wl_mat *K, double *c1, wl_spectral *s) {
    size_t n = K->rows;
    for (size_t i = 0; i < n; i++) {
        if (!wl_all_finite(n, &WL_AT(K, i, 0)))
            return wl_seterr(WL_ENUMERIC, "spectral: kernel row %zu contains NaN or Inf", i);
        c1[i] = WL_AT(K, i, i);
        if (c1[i] > s->beta) s->beta = c1[i];
        for (size_t j = 0; j < i; j++) {
            double a = WL_AT(K, i, j), b = WL_AT(K, j, i);
            if (fabs(a - b) > 1e-8 * (fabs(a) + fabs(b)) + 1e-300)
                return wl_seterr(WL_EINVAL,
                                 "spectral: the kernel is not symmetric (K[%zu][%zu] = %g, K[%zu][%zu] = %g)", i,
                                 j, a, j, i, b);
        }
    }
    return WL_OK;
}

/* eigenvalues only first; eigenvectors only when K is rank deficient. For
 * full-rank K, U_r = U is orthogonal, so U^T diag(K_ii) U has the spectrum of
 * diag(K_ii) (L1 = beta) and every leverage h_i = 1 (kappa~ = n). */
int wl_spectral_from_kernel(const wl_mat *K, wl_spectral *s) {
    if (!K || !s) return wl_seterr(WL_EINVAL, "spectral: NULL argument");
    size_t n = K->rows;
    if (n == 0 || K->cols != n)
        return wl_seterr(WL_EINVAL, "spectral: the kernel matrix must be square and non-empty (got %zu x %zu)", n,
                         K->cols);
    reset(s, n, n);
    wl_mat U = {0}, Z = {0};
    double *ev = wl_dalloc(n, "eigenvalues"), *c1 = wl_dalloc(n, "diagonal");
    int rc = (ev && c1) ? check_kernel(K, c1, s) : WL_ENOMEM;
    if (!rc) rc = wl_mat_alloc(&U, n, n);
    if (!rc) rc = wl_mat_copy(&U, K);
    if (!rc) rc = wl_eigh(&U, ev, 0);
    if (!rc) {
        double lmax, lmin;
        s->rank = count_rank(ev, n, n, &lmax, &lmin);
        if (s->rank == 0) rc = wl_seterr(WL_ENUMERIC, "spectral: the kernel matrix is zero");
        if (!rc && ev[0] < -1e-8 * lmax)
            rc = wl_seterr(WL_ENUMERIC, "spectral: the kernel is not positive semi-definite (eigenvalue %g)", ev[0]);
        s->L = lmax / (double)n;
        s->mu = lmin / (double)n;
    }
    if (!rc && s->rank == n) {
        s->L1 = s->beta;
        s->kappa_tilde = (double)n;
    } else if (!rc) {
        rc = wl_mat_copy(&U, K);
        if (!rc) rc = wl_eigh(&U, ev, 1);
        if (!rc) rc = wl_mat_alloc(&Z, n, s->rank);
        if (!rc) {
            /* Z = sqrt(n) U_r (the top r eigenvectors) */
            double sn = sqrt((double)n);
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < s->rank; j++) WL_AT(&Z, i, j) = sn * WL_AT(&U, i, n - s->rank + j);
            rc = whitened_constants(&Z, c1, s);
        }
    }
    free(ev);
    free(c1);
    wl_mat_free(&U);
    wl_mat_free(&Z);
    return rc;
}

int wl_spectral_choose(wl_spectral *s, size_t m) {
    if (!s) return wl_seterr(WL_EINVAL, "spectral: NULL argument");
    if (m == 0) return wl_seterr(WL_EINVAL, "spectral: batch size must be at least 1");
    if (!(s->L > 0 && s->mu > 0))
        return wl_seterr(WL_EINVAL, "spectral: estimate the constants first (L = %g, mu = %g)", s->L, s->mu);
    double dm = (double)m;
    s->m = m;
    s->L_m = s->L1 / dm + (dm - 1.0) * s->L / dm;
    s->kappa_m = s->L_m / s->mu;
    s->kappa_tilde_m = s->kappa_tilde / dm + (dm - 1.0) / dm;
    double sq = sqrt(s->kappa_m * s->kappa_tilde_m);
    s->mass_eta1 = 1.0 / s->L_m;
    s->mass_gamma = (sq - 1.0) / (sq + 1.0);
    s->mass_eta2 = s->mass_eta1 * (1.0 - 1.0 / s->kappa_tilde_m) / (1.0 + 1.0 / sq);
    s->sgd_lr = dm / (s->beta + (dm - 1.0) * s->L);
    s->m_star = s->beta / s->L + 1.0;
    return WL_OK;
}

int wl_spectral_configure(const wl_spectral *s, wl_optim_config *cfg) {
    if (!s || !cfg) return wl_seterr(WL_EINVAL, "spectral: NULL argument");
    if (s->m == 0) return wl_seterr(WL_EINVAL, "spectral: choose a batch size first (wl_spectral_choose)");
    switch (cfg->kind) {
    case WL_OPT_GD: cfg->lr = 1.0 / s->L; cfg->batch = 0; return WL_OK;
    case WL_OPT_SGD:
    case WL_OPT_HEAVYBALL: cfg->lr = s->sgd_lr; break;
    case WL_OPT_NESTEROV:
        cfg->lr = s->mass_eta1;
        cfg->momentum = s->mass_gamma;
        break;
    case WL_OPT_MASS:
        cfg->lr = s->mass_eta1;
        cfg->momentum = s->mass_gamma;
        cfg->mass_eta2 = s->mass_eta2;
        cfg->mass_kappa_tilde = s->kappa_tilde_m;
        break;
    default: return wl_seterr(WL_EUNSUP, "spectral: no spectral step-size rule for %s", wl_optim_name(cfg->kind));
    }
    cfg->batch = s->m;
    return WL_OK;
}

const char *wl_spectral_format(const wl_spectral *s, char *buf, size_t cap) {
    int o = snprintf(buf, cap,
                     "spectrum: n %zu, rank %zu of %zu, L %.6g, mu %.6g, kappa %.6g, beta %.6g, L1 %.6g, kappa-tilde %.6g\n",
                     s->n, s->rank, s->dim, s->L, s->mu, s->mu > 0 ? s->L / s->mu : INFINITY, s->beta, s->L1,
                     s->kappa_tilde);
    if (s->m && o >= 0 && (size_t)o < cap)
        snprintf(buf + o, cap - (size_t)o,
                 "batch %zu: L_m %.6g, kappa_m %.6g, kappa-tilde_m %.6g\n"
                 "  mass: eta1 %.6g, eta2 %.6g, gamma %.6g (rate 1 - 1/%.4g per step)\n"
                 "  sgd: eta*(m) %.6g (rate 1 - 1/%.4g), critical batch m* %.4g\n",
                 s->m, s->L_m, s->kappa_m, s->kappa_tilde_m, s->mass_eta1, s->mass_eta2, s->mass_gamma,
                 sqrt(s->kappa_m * s->kappa_tilde_m), s->sgd_lr, s->kappa_m, s->m_star);
    return buf;
}
