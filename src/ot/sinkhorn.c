/* Entropic OT: Sinkhorn scaling iterations, with a fused pass over K per
 * iteration, and the dispatcher to the log-domain form. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ot_internal.h"
#include "sinkhorn_log.h"

/* Row blocks of the fused pass: a fixed count, so partial sums are added in
 * the same order whatever the thread count (bit-identical results). */
#define WL_SK_BLOCKS 16

void wl_sinkhorn_opts_default(wl_sinkhorn_opts *o) {
    o->eps = 0.05;
    o->tol = 1e-9;
    o->max_iter = 1000;
    o->check_every = 10;
    o->mode = WL_SK_AUTO;
}

/* Kernels compiled for AVX-512 and AVX2 as well as the baseline ISA; the
 * loader picks the best the CPU has (GCC/clang function multiversioning). */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define WL_SK_CLONES __attribute__((target_clones("arch=skylake-avx512", "avx2", "default")))
#else
#define WL_SK_CLONES
#endif

/* u_i = a_i / (k_i . v), then p += u_i k_i for rows i in [i0, i1) of K (n x m),
 * four rows at a time so that v and p are read once per four rows.
 * Returns 1 if some (K v)_i is not > 0 or u_i is not finite. */
WL_SK_CLONES
static int fused_rows(const double *K, size_t m, size_t i0, size_t i1, const double *a,
                      const double *v, double *u, double *p) {
    int bad = 0;
    size_t i = i0;
    for (; i + 4 <= i1; i += 4) {
        const double *k0 = K + i * m, *k1 = k0 + m, *k2 = k1 + m, *k3 = k2 + m;
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        #pragma omp simd reduction(+ : s0, s1, s2, s3)
        for (size_t j = 0; j < m; j++) {
            s0 += k0[j] * v[j];
            s1 += k1[j] * v[j];
            s2 += k2[j] * v[j];
            s3 += k3[j] * v[j];
        }
        double u0 = a[i] / s0, u1 = a[i + 1] / s1, u2 = a[i + 2] / s2, u3 = a[i + 3] / s3;
        if (!(s0 > 0.0 && s1 > 0.0 && s2 > 0.0 && s3 > 0.0) || !isfinite(u0) || !isfinite(u1) ||
            !isfinite(u2) || !isfinite(u3))
            bad = 1;
        u[i] = u0;
        u[i + 1] = u1;
        u[i + 2] = u2;
        u[i + 3] = u3;
        #pragma omp simd
        for (size_t j = 0; j < m; j++) p[j] += (u0 * k0[j] + u1 * k1[j]) + (u2 * k2[j] + u3 * k3[j]);
    }
    for (; i < i1; i++) {
        const double *k = K + i * m;
        double s = 0.0;
        #pragma omp simd reduction(+ : s)
        for (size_t j = 0; j < m; j++) s += k[j] * v[j];
        double ui = a[i] / s;
        if (!(s > 0.0) || !isfinite(ui)) bad = 1;
        u[i] = ui;
        #pragma omp simd
        for (size_t j = 0; j < m; j++) p[j] += ui * k[j];
    }
    return bad;
}

/* One fused pass over K (n x m): u_i = a_i / (K v)_i, then kt = K^T u
 * (partial sums per row block in part, nb x m, added in block order).
 * Returns 0, or 1 if some (K v)_i underflowed to 0 or u_i is not finite. */
static int fused_pass(const double *K, size_t n, size_t m, const double *a, const double *v,
                      double *u, double *kt, double *part) {
    size_t nb = n < WL_SK_BLOCKS ? n : WL_SK_BLOCKS;
    int bad = 0;
    #pragma omp parallel for schedule(static) reduction(|| : bad) if (n * m > WL_OT_PAR_MIN)
    for (size_t blk = 0; blk < nb; blk++) {
        size_t i0 = n * blk / nb, i1 = n * (blk + 1) / nb;
        double *p = part + blk * m;
        memset(p, 0, m * sizeof *p);
        if (fused_rows(K, m, i0, i1, a, v, u, p)) bad = 1;
    }
    memcpy(kt, part, m * sizeof *kt);
    for (size_t blk = 1; blk < nb; blk++) {
        const double *p = part + blk * m;
        for (size_t j = 0; j < m; j++) kt[j] += p[j];
    }
    return bad;
}

/* K_ij = exp(-(C_ij - cmin) / eps).  C, K: n x m (K contiguous) */
static void gibbs(const wl_mat *C, double cmin, double eps, double *K) {
    size_t n = C->rows, m = C->cols;
    double s = -1.0 / eps;
    #pragma omp parallel for schedule(static) if (n * m > WL_OT_PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        const double *c = C->data + i * C->ld;
        double *k = K + i * m;
        for (size_t j = 0; j < m; j++) {
            double x = (c[j] - cmin) * s;
            k[j] = x < -745.0 ? 0.0 : exp(x);
        }
    }
}

/* P_ij = u_i K_ij v_j (written when P != NULL); returns <P, C>, summed row
 * by row in a fixed order (the same bits for any thread count). */
static double scaling_plan(const wl_mat *C, const double *K, const double *u, const double *v,
                           wl_mat *P, double *rows) {
    size_t n = C->rows, m = C->cols;
    #pragma omp parallel for schedule(static) if (n * m > WL_OT_PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        const double *k = K + i * m, *c = C->data + i * C->ld;
        double s = 0.0;
        for (size_t j = 0; j < m; j++) {
            double p = u[i] * k[j] * v[j];
            s += p * c[j];
            if (P) P->data[i * P->ld + j] = p;
        }
        rows[i] = s;
    }
    double total = 0.0;
    for (size_t i = 0; i < n; i++) total += rows[i];
    return total;
}

/* Scaling form: v = b / (K^T u), u = a / (K v), error ||v * K^T u - b||_2. */
static int sinkhorn_scaling(const wl_mat *C, const double *a, const double *b, double cmin,
                            double cmax, const wl_sinkhorn_opts *o, wl_mat *P, double *f, double *g,
                            wl_ot_result *res) {
    size_t n = C->rows, m = C->cols, nb = n < WL_SK_BLOCKS ? n : WL_SK_BLOCKS;
    double *K = wl_malloc(n * m * sizeof(double), "sinkhorn kernel K");
    double *buf = wl_dalloc(2 * n + 2 * m + nb * m, "sinkhorn scalings");
    if (!K || !buf) {
        free(K);
        free(buf);
        return WL_ENOMEM;
    }
    double *u = buf, *v = u + n, *kt = v + m, *part = kt + m, *rows = part + nb * m;
    gibbs(C, cmin, o->eps, K);
    for (size_t j = 0; j < m; j++) v[j] = 1.0;
    int rc = WL_OK, bad = fused_pass(K, n, m, a, v, u, kt, part);
    size_t check = o->check_every ? o->check_every : 1;
    for (size_t it = 0; it < o->max_iter && !bad; it++) {
        for (size_t j = 0; j < m; j++) {
            v[j] = b[j] / kt[j];
            if (!isfinite(v[j])) bad = 1;
        }
        if (bad) break;
        bad = fused_pass(K, n, m, a, v, u, kt, part);
        res->iters = it + 1;
        if (bad) break;
        if (it % check == 0 || it + 1 == o->max_iter) {
            double e = 0.0;
            for (size_t j = 0; j < m; j++) e += (v[j] * kt[j] - b[j]) * (v[j] * kt[j] - b[j]);
            res->err = sqrt(e);
            if (res->err <= o->tol) {
                res->converged = 1;
                break;
            }
        }
    }
    if (bad) {
        res->converged = 0;
        res->err = INFINITY;
        rc = wl_seterr(WL_ENUMERIC,
                       "sinkhorn: scaling form under/overflowed at iteration %zu "
                       "(eps = %g, cost range / eps = %g); use the log-domain form",
                       res->iters, o->eps, (cmax - cmin) / o->eps);
    } else {
        res->cost = scaling_plan(C, K, u, v, P, rows);
        /* duals of the shifted kernel: f + g = C - cmin on the support scale */
        if (f)
            for (size_t i = 0; i < n; i++) f[i] = o->eps * log(u[i]) + cmin;
        if (g)
            for (size_t j = 0; j < m; j++) g[j] = o->eps * log(v[j]);
    }
    free(K);
    free(buf);
    return rc;
}

/* min and max entry of C; *finite = 0 if some entry is NaN or Inf. */
static double cost_min(const wl_mat *C, double *cmax, int *finite) {
    double lo = INFINITY, hi = -INFINITY;
    int bad = 0;
    #pragma omp parallel for schedule(static) reduction(min : lo) reduction(max : hi) reduction(|| : bad) \
        if (C->rows * C->cols > WL_OT_PAR_MIN)
    for (size_t i = 0; i < C->rows; i++) {
        const double *c = C->data + i * C->ld;
        for (size_t j = 0; j < C->cols; j++) {
            lo = c[j] < lo ? c[j] : lo;
            hi = c[j] > hi ? c[j] : hi;
        }
        if (!wl_all_finite(C->cols, c)) bad = 1;
    }
    *finite = !bad;
    *cmax = hi;
    return lo;
}

int wl_sinkhorn(const wl_mat *C, const double *a, const double *b, const wl_sinkhorn_opts *o,
                wl_mat *P, double *f, double *g, wl_ot_result *res) {
    if (!C || !o || !res) return wl_seterr(WL_EINVAL, "sinkhorn: NULL argument");
    memset(res, 0, sizeof *res);
    res->err = INFINITY;
    size_t n = C->rows, m = C->cols;
    if (n == 0 || m == 0) return wl_seterr(WL_EINVAL, "sinkhorn: empty cost matrix %zu x %zu", n, m);
    if (!(o->eps > 0.0) || !isfinite(o->eps))
        return wl_seterr(WL_EINVAL, "sinkhorn: eps = %g must be > 0", o->eps);
    if (!(o->tol >= 0.0)) return wl_seterr(WL_EINVAL, "sinkhorn: tol = %g must be >= 0", o->tol);
    if (P && (P->rows != n || P->cols != m))
        return wl_seterr(WL_EINVAL, "sinkhorn: P must be %zu x %zu, got %zu x %zu", n, m, P->rows,
                         P->cols);
    int finite;
    double cmax, cmin = cost_min(C, &cmax, &finite);
    if (!finite) return wl_seterr(WL_ENUMERIC, "sinkhorn: cost matrix has NaN or Inf entries");
    double *ab = wl_dalloc(n + m, "sinkhorn marginals");
    if (!ab) return WL_ENOMEM;
    int rc = wl_ot_marginal(a, n, "a", ab);
    if (!rc) rc = wl_ot_marginal(b, m, "b", ab + n);
    if (!rc) rc = wl_ot_balance(ab, n, ab + n, m);
    if (!rc) {
        int mode = o->mode;
        if (mode == WL_SK_AUTO) mode = (cmax - cmin) / o->eps > 300.0 ? WL_SK_LOG : WL_SK_SCALING;
        if (mode == WL_SK_LOG) rc = wl_sinkhorn_log(C, ab, ab + n, o, cmax - cmin, P, f, g, res);
        else rc = sinkhorn_scaling(C, ab, ab + n, cmin, cmax, o, P, f, g, res);
    }
    free(ab);
    return rc;
}
