/* Kernel regression and gradient flow on the MSE L = (1/n) sum 1/2 ||f - y||^2
 * in closed form (THEORY.md section 1):
 *   f_t(X*) = f_0(X*) + K* Kr^{-1} (I - exp(-eta Kr t / n)) (Y - f_0(X)),
 * Kr = K + ridge I = V diag(l) V^T computed once; then the coefficients
 *   A_t = V diag(g_i) V^T R0,  g_i = (1 - exp(-eta l_i t / n)) / l_i  (1/l_i at t = inf),
 * cost O(n^2 k) per time. Eigenvalues l_i <= rcond * l_max get g_i = 0. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "widelab/kernel.h"

struct wl_kreg {
    size_t n, k;
    double ridge, thr;
    double *lam;   /* n, ascending */
    wl_mat V;      /* n x n eigenvectors (columns) */
    wl_mat C;      /* n x k: V^T (Y - F0) */
    wl_mat F0;     /* n x k */
    wl_kreg_info info;
};

void wl_kreg_free(wl_kreg *r) {
    if (!r) return;
    free(r->lam);
    wl_mat_free(&r->V);
    wl_mat_free(&r->C);
    wl_mat_free(&r->F0);
    free(r);
}

static int check_inputs(const wl_mat *K, const wl_mat *Y, const wl_mat *F0, double ridge) {
    if (!K || !Y) return wl_seterr(WL_EINVAL, "kernel regression: K and Y are required");
    const size_t n = K->rows;
    if (K->cols != n || n == 0)
        return wl_seterr(WL_EINVAL, "kernel regression: K is %zu x %zu, expected square", K->rows,
                         K->cols);
    if (Y->rows != n || Y->cols == 0)
        return wl_seterr(WL_EINVAL, "kernel regression: Y has %zu rows, K is %zu x %zu", Y->rows,
                         n, n);
    if (F0 && (F0->rows != n || F0->cols != Y->cols))
        return wl_seterr(WL_EINVAL, "kernel regression: F0 is %zu x %zu, expected %zu x %zu",
                         F0->rows, F0->cols, n, Y->cols);
    if (!(ridge >= 0) || !isfinite(ridge))
        return wl_seterr(WL_EINVAL, "kernel regression: ridge %g must be >= 0", ridge);
    double mx = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double v = WL_AT(K, i, j);
            if (!isfinite(v))
                return wl_seterr(WL_EINVAL, "kernel regression: K(%zu, %zu) = %g", i, j, v);
            mx = fmax(mx, fabs(v));
        }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (fabs(WL_AT(K, i, j) - WL_AT(K, j, i)) > 1e-10 * mx)
                return wl_seterr(WL_EINVAL,
                                 "kernel regression: K is not symmetric: K(%zu, %zu) = %.17g, "
                                 "K(%zu, %zu) = %.17g",
                                 i, j, WL_AT(K, i, j), j, i, WL_AT(K, j, i));
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < Y->cols; c++)
            if (!isfinite(WL_AT(Y, i, c)) || (F0 && !isfinite(WL_AT(F0, i, c))))
                return wl_seterr(WL_EINVAL, "kernel regression: Y or F0 row %zu is not finite", i);
    return WL_OK;
}

static void fill_info(wl_kreg *r, double rcond) {
    wl_kreg_info *in = &r->info;
    const size_t n = r->n;
    in->n = n;
    in->k = r->k;
    in->lambda_max = r->lam[n - 1];
    in->lambda_min = r->lam[0];
    in->cond = in->lambda_min > 0 ? in->lambda_max / in->lambda_min : INFINITY;
    in->rcond = rcond;
    r->thr = rcond * in->lambda_max;
    in->n_dropped = 0;
    for (size_t i = 0; i < n; i++) in->n_dropped += r->lam[i] <= r->thr;
    in->ill_conditioned = in->n_dropped > 0;
    in->message[0] = 0;
    if (in->ill_conditioned)
        snprintf(in->message, sizeof in->message,
                 "kernel is numerically singular: condition number %.3g; %zu of %zu "
                 "eigenvalues <= %.3g (rcond * lambda_max) treated as zero (pseudo-inverse)",
                 in->cond, in->n_dropped, n, r->thr);
}

int wl_kreg_new(const wl_mat *K, const wl_mat *Y, const wl_mat *F0, double ridge, double rcond,
                wl_kreg **out) {
    *out = NULL;
    int rc = check_inputs(K, Y, F0, ridge);
    if (rc) return rc;
    const size_t n = K->rows, k = Y->cols;
    wl_kreg *r = wl_calloc(1, sizeof *r, "kernel regression");
    if (!r) return WL_ENOMEM;
    r->n = n;
    r->k = k;
    r->ridge = ridge;
    r->lam = wl_dalloc(n, "kernel eigenvalues");
    rc = r->lam ? WL_OK : WL_ENOMEM;
    if (!rc) rc = wl_mat_alloc(&r->V, n, n);
    if (!rc) rc = wl_mat_alloc(&r->C, n, k);
    if (!rc) rc = wl_mat_alloc(&r->F0, n, k);
    if (!rc) {
        wl_mat_copy(&r->V, K);
        for (size_t i = 0; i < n; i++) WL_AT(&r->V, i, i) += ridge;
        if (F0) wl_mat_copy(&r->F0, F0);
        rc = wl_eigh(&r->V, r->lam, 1); /* Kr = V diag(lam) V^T */
    }
    if (!rc && !(r->lam[n - 1] > 0))
        rc = wl_seterr(WL_ENUMERIC,
                       "kernel regression: the kernel has no positive eigenvalue (largest %g)",
                       r->lam[n - 1]);
    if (!rc) {
        /* C = V^T (Y - F0) */
        wl_mat R;
        rc = wl_mat_alloc(&R, n, k);
        if (!rc) {
            for (size_t i = 0; i < n; i++)
                for (size_t c = 0; c < k; c++) WL_AT(&R, i, c) = WL_AT(Y, i, c) - WL_AT(&r->F0, i, c);
            rc = wl_gemm(1, 0, 1.0, &r->V, &R, 0.0, &r->C);
            wl_mat_free(&R);
        }
    }
    if (rc) {
        wl_kreg_free(r);
        return rc;
    }
    fill_info(r, rcond > 0 ? rcond : 1e-12 * (double)n);
    *out = r;
    return WL_OK;
}

void wl_kreg_get_info(const wl_kreg *r, wl_kreg_info *info) { *info = r->info; }

static int check_time(double eta, double t) {
    if (!(t >= 0)) return wl_seterr(WL_EINVAL, "kernel regression: time %g must be >= 0", t);
    if (!isinf(t) && t > 0 && (!(eta > 0) || !isfinite(eta)))
        return wl_seterr(WL_EINVAL, "kernel regression: step eta %g must be > 0", eta);
    return WL_OK;
}

/* g_i of the coefficients; train = 1: (l_i - ridge) g_i, the factor of K A. */
static void gains(const wl_kreg *r, double eta, double t, int train, double *g) {
    for (size_t i = 0; i < r->n; i++) {
        double l = r->lam[i], v;
        if (l <= r->thr) v = 0.0;
        else if (isinf(t)) v = 1.0 / l;
        else v = -expm1(-eta * l * t / (double)r->n) / l;
        g[i] = train ? (l - r->ridge) * v : v;
    }
}

/* out = V diag(g) C  (n x k) */
static int apply(const wl_kreg *r, const double *g, wl_mat *out) {
    wl_mat G;
    int rc = wl_mat_alloc(&G, r->n, r->k);
    if (rc) return rc;
    for (size_t i = 0; i < r->n; i++)
        for (size_t c = 0; c < r->k; c++) WL_AT(&G, i, c) = g[i] * WL_AT(&r->C, i, c);
    rc = wl_gemm(0, 0, 1.0, &r->V, &G, 0.0, out);
    wl_mat_free(&G);
    return rc;
}

int wl_kreg_coef(const wl_kreg *r, double eta, double t, wl_mat *A) {
    int rc = check_time(eta, t);
    if (rc) return rc;
    if (A->rows != r->n || A->cols != r->k)
        return wl_seterr(WL_EINVAL, "kernel regression: A is %zu x %zu, expected %zu x %zu",
                         A->rows, A->cols, r->n, r->k);
    double *g = wl_dalloc(r->n, "kernel regression gains");
    if (!g) return WL_ENOMEM;
    gains(r, eta, t, 0, g);
    rc = apply(r, g, A);
    free(g);
    return rc;
}

int wl_kreg_predict(const wl_kreg *r, const wl_mat *Ks, const wl_mat *F0s, double eta, double t,
                    wl_mat *F) {
    int rc = check_time(eta, t);
    if (rc) return rc;
    const size_t m = Ks ? Ks->rows : r->n;
    if (Ks && Ks->cols != r->n)
        return wl_seterr(WL_EINVAL, "kernel regression: K* has %zu columns, %zu training points",
                         Ks->cols, r->n);
    if (F->rows != m || F->cols != r->k)
        return wl_seterr(WL_EINVAL, "kernel regression: F is %zu x %zu, expected %zu x %zu",
                         F->rows, F->cols, m, r->k);
    if (Ks && F0s && (F0s->rows != m || F0s->cols != r->k))
        return wl_seterr(WL_EINVAL, "kernel regression: F0* is %zu x %zu, expected %zu x %zu",
                         F0s->rows, F0s->cols, m, r->k);
    double *g = wl_dalloc(r->n, "kernel regression gains");
    if (!g) return WL_ENOMEM;
    if (!Ks) {
        /* F = F0 + K A_t = F0 + V diag((l - ridge) g) C */
        gains(r, eta, t, 1, g);
        rc = apply(r, g, F);
        if (!rc)
            for (size_t i = 0; i < m; i++)
                for (size_t c = 0; c < r->k; c++) WL_AT(F, i, c) += WL_AT(&r->F0, i, c);
    } else {
        /* F = F0* + K* A_t */
        wl_mat A;
        gains(r, eta, t, 0, g);
        rc = wl_mat_alloc(&A, r->n, r->k);
        if (!rc) rc = apply(r, g, &A);
        if (!rc) {
            if (F0s) wl_mat_copy(F, F0s);
            rc = wl_gemm(0, 0, 1.0, Ks, &A, F0s ? 1.0 : 0.0, F);
        }
        wl_mat_free(&A);
    }
    free(g);
    return rc;
}

int wl_kreg_predict_times(const wl_kreg *r, const wl_mat *Ks, const wl_mat *F0s, double eta,
                          const double *times, size_t nt, wl_mat *F) {
    const size_t m = Ks ? Ks->rows : r->n;
    if (F->rows != nt * m || F->cols != r->k)
        return wl_seterr(WL_EINVAL, "kernel regression: F is %zu x %zu, expected %zu x %zu",
                         F->rows, F->cols, nt * m, r->k);
    for (size_t j = 0; j < nt; j++) {
        wl_mat Fj = wl_mat_rows(F, j * m, m);
        int rc = wl_kreg_predict(r, Ks, F0s, eta, times[j], &Fj);
        if (rc) return wl_adderr(rc, "time %g", times[j]);
    }
    return WL_OK;
}
