/* Log-domain (stabilized) Sinkhorn: iterations on the dual potentials with
 * log-sum-exp, exact for any eps > 0 where the scaling form underflows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sinkhorn_log.h"

/* exp(x), 0 below the underflow threshold (skips libm's errno slow path). */
static inline double sexp(double x) { return x < -745.0 ? 0.0 : exp(x); }

/* Column blocks of the column pass (fixed, so results do not depend on the
 * thread count). */
#define WL_SKL_COLBLK 64

/* L_j = eps LSE_i((f_i - C_ij) / eps), two passes (max, then sum of exp).
 * C: n x m, f: n, L: m, mx: m scratch. */
static void col_lse(const wl_mat *C, const double *f, double eps, double *L, double *mx) {
    size_t n = C->rows, m = C->cols, nblk = (m + WL_SKL_COLBLK - 1) / WL_SKL_COLBLK;
    #pragma omp parallel for schedule(static) if (n * m > WL_OT_PAR_MIN)
    for (size_t bk = 0; bk < nblk; bk++) {
        size_t j0 = bk * WL_SKL_COLBLK, j1 = j0 + WL_SKL_COLBLK < m ? j0 + WL_SKL_COLBLK : m;
        for (size_t j = j0; j < j1; j++) {
            mx[j] = -INFINITY;
            L[j] = 0.0;
        }
        for (size_t i = 0; i < n; i++) {
            const double *c = C->data + i * C->ld;
            for (size_t j = j0; j < j1; j++) {
                double x = f[i] - c[j];
                mx[j] = x > mx[j] ? x : mx[j];
            }
        }
        for (size_t i = 0; i < n; i++) {
            const double *c = C->data + i * C->ld;
            for (size_t j = j0; j < j1; j++) L[j] += sexp((f[i] - c[j] - mx[j]) / eps);
        }
        for (size_t j = j0; j < j1; j++) L[j] = mx[j] + eps * log(L[j]);
    }
}

/* f_i = eps log a_i - eps LSE_j((g_j - C_ij) / eps).  C: n x m */
static void row_update(const wl_mat *C, const double *g, const double *a, double eps, double *f) {
    size_t n = C->rows, m = C->cols;
    #pragma omp parallel for schedule(static) if (n * m > WL_OT_PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        const double *c = C->data + i * C->ld;
        double mx = -INFINITY, s = 0.0;
        for (size_t j = 0; j < m; j++) mx = g[j] - c[j] > mx ? g[j] - c[j] : mx;
        for (size_t j = 0; j < m; j++) s += sexp((g[j] - c[j] - mx) / eps);
        f[i] = eps * log(a[i]) - (mx + eps * log(s));
    }
}

/* P_ij = exp((f_i + g_j - C_ij) / eps) (written when P != NULL); returns
 * <P, C>, summed row by row in a fixed order.  rows: n scratch */
static double log_plan(const wl_mat *C, const double *f, const double *g, double eps, wl_mat *P,
                       double *rows) {
    size_t n = C->rows, m = C->cols;
    #pragma omp parallel for schedule(static) if (n * m > WL_OT_PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        const double *c = C->data + i * C->ld;
        double s = 0.0;
        for (size_t j = 0; j < m; j++) {
            double p = sexp((f[i] + g[j] - c[j]) / eps);
            s += p * c[j];
            if (P) P->data[i * P->ld + j] = p;
        }
        rows[i] = s;
    }
    double total = 0.0;
    for (size_t i = 0; i < n; i++) total += rows[i];
    return total;
}

/* Runs up to max_iter iterations at regularization eps from the current
 * (f, g, L = colLSE(f)); returns iterations used, sets *err (column error,
 * checked every `check`) and stops once *err <= tol. */
static size_t log_stage(const wl_mat *C, const double *a, const double *b, double eps,
                        size_t max_iter, size_t check, double tol, double *f, double *g,
                        double *L, double *mx, double *err) {
    size_t m = C->cols, it;
    for (it = 0; it < max_iter; it++) {
        for (size_t j = 0; j < m; j++) g[j] = eps * log(b[j]) - L[j];
        row_update(C, g, a, eps, f);
        col_lse(C, f, eps, L, mx);
        if (it % check == 0 || it + 1 == max_iter) {
            double e = 0.0;
            for (size_t j = 0; j < m; j++) {
                double d = exp((g[j] + L[j]) / eps) - b[j];
                e += d * d;
            }
            *err = sqrt(e);
            if (!isfinite(*err)) return it + 1;
            if (*err <= tol) return it + 1;
        }
    }
    return it;
}

/* g = eps log b - L(f); f = eps log a - rowLSE(g); L = colLSE(f);
 * column error ||exp((g + L) / eps) - b||_2 for free from L.
 * When the cost range is large against eps, eps-scaling: stages at
 * eps 2^k, ..., 2 eps (at most 50 iterations each) warm-start the potentials. */
int wl_sinkhorn_log(const wl_mat *C, const double *a, const double *b, const wl_sinkhorn_opts *o,
                    double range, wl_mat *P, double *f, double *g, wl_ot_result *res) {
    size_t n = C->rows, m = C->cols;
    double eps = o->eps;
    double *buf = wl_dalloc(2 * n + 3 * m, "log-domain sinkhorn potentials");
    if (!buf) return WL_ENOMEM;
    double *ff = buf, *gg = ff + n, *L = gg + m, *mx = L + m, *rows = mx + m;
    size_t check = o->check_every ? o->check_every : 1, used = 0;
    int stages = 0;
    while (stages < 40 && eps * ldexp(1.0, stages) < range / 50.0) stages++;
    double err = INFINITY;
    for (int k = stages; k >= 1 && used < o->max_iter; k--) {
        double ek = eps * ldexp(1.0, k);
        size_t cap = o->max_iter - used < 50 ? o->max_iter - used : 50;
        col_lse(C, ff, ek, L, mx);
        used += log_stage(C, a, b, ek, cap, 1, fmax(o->tol, 1e-6), ff, gg, L, mx, &err);
        if (!isfinite(err)) break;
    }
    if (isfinite(err) || stages == 0) {
        col_lse(C, ff, eps, L, mx);
        used += log_stage(C, a, b, eps, o->max_iter - used, check, o->tol, ff, gg, L, mx, &err);
    }
    res->iters = used;
    res->err = err;
    res->converged = isfinite(err) && err <= o->tol;
    int rc = WL_OK;
    int finite = isfinite(res->err);
    for (size_t i = 0; i < n; i++) finite &= a[i] == 0.0 || isfinite(ff[i]); /* -inf where a_i = 0 */
    for (size_t j = 0; j < m; j++) finite &= b[j] == 0.0 || isfinite(gg[j]);
    if (!finite) {
        res->converged = 0;
        rc = wl_seterr(WL_ENUMERIC, "sinkhorn (log domain): potentials became non-finite at "
                                    "iteration %zu (eps = %g)", res->iters, eps);
    } else {
        res->cost = log_plan(C, ff, gg, eps, P, rows);
        if (f) memcpy(f, ff, n * sizeof *f);
        if (g) memcpy(g, gg, m * sizeof *g);
    }
    free(buf);
    return rc;
}
