/* Extreme eigenvalues of the kernel as an operator (K v = J (J^T v), never
 * stored), by Lanczos with full reorthogonalization:
 *   A Q_j = Q_j T_j + beta_j q_{j+1} e_j^T, T_j tridiagonal (alpha, beta);
 *   Ritz pairs (theta_i, Q_j s_i) with residual |beta_j s_i[j]|.
 * (A small solver local to the kernel module; the curvature module has the
 * general one for Hessians.) */
#include "widelab/kernel.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Ritz values of T (m x m) ascending into theta, residuals |beta_m s_i[m-1]| */
static int ritz(const double *alpha, const double *beta, size_t m, double beta_m, double *theta,
                double *res, double *work_e, double *work_z) {
    memcpy(theta, alpha, m * sizeof *theta);
    if (m > 1) memcpy(work_e, beta, (m - 1) * sizeof *work_e);
    lapack_int info = LAPACKE_dstev(LAPACK_ROW_MAJOR, 'V', (lapack_int)m, theta, work_e, work_z,
                                    (lapack_int)m);
    if (info != 0)
        return wl_seterr(WL_ENUMERIC, "ntk lanczos: tridiagonal eigensolver failed (info %d)",
                         (int)info);
    /* row-major z: column i is the eigenvector of theta_i; its last entry */
    for (size_t i = 0; i < m; i++) res[i] = fabs(beta_m * work_z[(m - 1) * m + i]);
    return WL_OK;
}

/* q <- q - Q Q^T q, twice (full reorthogonalization) */
static void reorth(const double *Q, size_t j, size_t n, double *q) {
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < j; i++) wl_axpy(n, -wl_dot(n, Q + i * n, q), Q + i * n, q);
}

typedef struct lz {
    double *Q, *alpha, *beta, *theta, *res, *e, *z;
} lz;

static void lz_free(lz *s) {
    free(s->Q);
    free(s->alpha);
    free(s->beta);
    free(s->theta);
    free(s->res);
    free(s->e);
    free(s->z);
}

static int lz_alloc(lz *s, size_t n, size_t mmax) {
    memset(s, 0, sizeof *s);
    s->Q = wl_dalloc((mmax + 1) * n, "Lanczos basis");
    s->alpha = wl_dalloc(mmax, "Lanczos");
    s->beta = wl_dalloc(mmax, "Lanczos");
    s->theta = wl_dalloc(mmax, "Lanczos");
    s->res = wl_dalloc(mmax, "Lanczos");
    s->e = wl_dalloc(mmax, "Lanczos");
    s->z = wl_dalloc(mmax * mmax, "Lanczos");
    if (s->Q && s->alpha && s->beta && s->theta && s->res && s->e && s->z) return WL_OK;
    lz_free(s);
    return WL_ENOMEM;
}

/* wanted Ritz pair number r (0-based) in the ascending list of m */
static size_t wanted(size_t r, size_t m, int which) { return which > 0 ? m - 1 - r : r; }

int wl_ntk_lanczos_op(wl_ntk_op op, void *ctx, size_t n, size_t nev, int which, double tol,
                      size_t max_iter, wl_rng *rng, double *vals, wl_ntk_lanczos_info *info) {
    if (!op || !rng || !vals || n == 0 || nev == 0 || nev > n)
        return wl_seterr(WL_EINVAL, "ntk lanczos: bad arguments (n = %zu, nev = %zu)", n, nev);
    size_t mmax = max_iter && max_iter < n ? max_iter : n;
    if (mmax < nev) mmax = nev;
    if (tol <= 0) tol = 1e-10;
    lz s;
    int rc = lz_alloc(&s, n, mmax);
    if (rc) return rc;
    double *q = s.Q;
    for (size_t i = 0; i < n; i++) q[i] = wl_rng_normal(rng);
    wl_scal(n, 1.0 / wl_nrm2(n, q), q);
    size_t m = 0;
    double worst = INFINITY;
    int conv = 0;
    while (!rc && m < mmax) {
        double *qj = s.Q + m * n, *w = s.Q + (m + 1) * n;
        rc = op(ctx, qj, w);
        if (rc) break;
        s.alpha[m] = wl_dot(n, qj, w);
        reorth(s.Q, m + 1, n, w); /* removes alpha q_j and beta q_{j-1} too */
        double b = wl_nrm2(n, w);
        s.beta[m] = b;
        m++;
        if (m < nev) {
            if (b > 0) wl_scal(n, 1.0 / b, w);
            continue;
        }
        rc = ritz(s.alpha, s.beta, m, b, s.theta, s.res, s.e, s.z);
        if (rc) break;
        double scale = fmax(fabs(s.theta[0]), fabs(s.theta[m - 1]));
        worst = 0.0;
        for (size_t r = 0; r < nev; r++) worst = fmax(worst, s.res[wanted(r, m, which)]);
        /* invariant subspace (b ~ 0) or the whole space: Ritz values are exact */
        if (worst <= tol * scale || b <= 1e-14 * scale || m == n) {
            conv = worst <= tol * scale || m == n || b <= 1e-14 * scale;
            break;
        }
        wl_scal(n, 1.0 / b, w);
    }
    if (!rc) {
        for (size_t r = 0; r < nev; r++) vals[r] = s.theta[wanted(r, m, which)];
        if (info) {
            info->iters = m;
            info->resid = worst;
            info->converged = conv;
        }
    }
    lz_free(&s);
    return rc;
}

typedef struct kop {
    wl_model *m;
    const double *w;
    const wl_mat *X;
    wl_ntk_mode mode;
} kop;

static int kernel_op(void *ctx, const double *x, double *y) {
    kop *k = ctx;
    return wl_ntk_matvec(k->m, k->w, k->X, k->mode, x, y);
}

int wl_ntk_lanczos(wl_model *m, const double *w, const wl_mat *X, wl_ntk_mode mode,
                   size_t nev, int which, double tol, size_t max_iter, wl_rng *rng,
                   double *vals, wl_ntk_lanczos_info *info) {
    if (!m || !X) return wl_seterr(WL_EINVAL, "ntk lanczos: NULL model or points");
    if (mode == WL_NTK_DIAG)
        return wl_seterr(WL_EINVAL, "ntk lanczos: the diag mode is not an operator");
    kop k = {m, w, X, mode};
    size_t n = X->rows * (mode == WL_NTK_FULL ? m->n_out : 1);
    return wl_ntk_lanczos_op(kernel_op, &k, n, nev, which, tol, max_iter, rng, vals, info);
}
