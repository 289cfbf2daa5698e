/* Marginals, plan statistics and the plan step shared by the alignment loops. */
#include <math.h>
#include <stdlib.h>

#include "ot_internal.h"

int wl_ot_marginal(const double *src, size_t n, const char *name, double *w) {
    if (n == 0) return wl_seterr(WL_EINVAL, "ot: marginal %s is empty", name);
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double v = src ? src[i] : 1.0 / (double)n;
        if (!isfinite(v) || v < 0.0)
            return wl_seterr(WL_EINVAL, "ot: marginal %s[%zu] = %g is not a finite value >= 0",
                             name, i, v);
        w[i] = v;
        s += v;
    }
    if (!(s > 0.0)) return wl_seterr(WL_EINVAL, "ot: marginal %s sums to %g, not > 0", name, s);
    return WL_OK;
}

int wl_ot_balance(const double *a, size_t n, double *b, size_t m) {
    double sa = 0.0, sb = 0.0;
    for (size_t i = 0; i < n; i++) sa += a[i];
    for (size_t j = 0; j < m; j++) sb += b[j];
    if (fabs(sa - sb) > 1e-9 * fmax(sa, sb))
        return wl_seterr(WL_EINVAL, "ot: marginals have different masses: sum a = %.17g, sum b = %.17g",
                         sa, sb);
    for (size_t j = 0; j < m; j++) b[j] *= sa / sb;
    return WL_OK;
}

double wl_ot_col_err(const wl_mat *P, const double *b) {
    size_t n = P->rows, m = P->cols;
    double *s = calloc(m ? m : 1, sizeof *s);
    if (!s) return INFINITY;
    for (size_t i = 0; i < n; i++) wl_axpy(m, 1.0, P->data + i * P->ld, s);
    double e = 0.0;
    for (size_t j = 0; j < m; j++) e += (s[j] - b[j]) * (s[j] - b[j]);
    free(s);
    return sqrt(e);
}

double wl_ot_dot(const wl_mat *P, const wl_mat *C) {
    double s = 0.0;
    for (size_t i = 0; i < P->rows; i++)
        s += wl_dot(P->cols, P->data + i * P->ld, C->data + i * C->ld);
    return s;
}

int wl_plan_match(const wl_mat *P, size_t *match) {
    if (!P || !match) return wl_seterr(WL_EINVAL, "plan match: NULL argument");
    if (P->cols == 0) return wl_seterr(WL_EINVAL, "plan match: plan has no columns");
    for (size_t i = 0; i < P->rows; i++) {
        const double *r = P->data + i * P->ld;
        size_t best = 0;
        for (size_t j = 1; j < P->cols; j++)
            if (r[j] > r[best]) best = j;
        match[i] = best;
    }
    return WL_OK;
}

/* P = argmin <P, C> with uniform marginals: the network simplex for eps = 0
 * (for n == m its vertex is a permutation / n; faster than the O(n^3)
 * assignment beyond a few hundred points), Sinkhorn with sk for eps > 0. */
int wl_ot_plan(const wl_mat *C, double eps, const wl_sinkhorn_opts *sk, wl_mat *P) {
    wl_ot_result r;
    if (eps > 0.0) {
        wl_sinkhorn_opts o = *sk;
        o.eps = eps;
        return wl_sinkhorn(C, NULL, NULL, &o, P, NULL, NULL, &r);
    }
    return wl_emd(C, NULL, NULL, 0, P, NULL, NULL, &r);
}
