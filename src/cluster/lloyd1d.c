/* Near-exact Lloyd for 1-D Bregman clustering on a sorted sample. In 1-D the
 * Bregman Voronoi cells are intervals: D(t, c) = D(t, e) is linear in t. */
#include "cluster/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Boundary between centres c < e: D(x, c) = D(x, e) is linear in x. */
static double boundary(double c, double e, double pc, double gc, double pe,
                       double ge) {
    return (pc - pe - gc * c + ge * e) / (ge - gc);
}

/* First index i in [0, n) with x[i] > t (n if none). */
static size_t upper_bound(const double *x, size_t n, double t) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x[mid] > t) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

/* The sample as a continuous law: mass 1/(n-1) spread uniformly over each gap
 * [x_i, x_i+1] of the sorted data, so F and the first moment M are continuous
 * in t and cell boundaries move smoothly (plain Lloyd on the discrete sample
 * freezes once a sweep moves every boundary by less than the data spacing). */
typedef struct smooth_law {
    const double *x;
    const double *M; /* M[i] = int_{x_0}^{x_i} t dF */
    size_t n;
} smooth_law;

/* F(t) and M(t) = int_{x_0}^t s dF(s), t clamped to [x_0, x_n-1]. */
static void law_at(const smooth_law *L, double t, double *F, double *M) {
    const double *x = L->x;
    size_t n = L->n;
    double w = 1.0 / (double)(n - 1);
    if (t <= x[0]) {
        *F = 0.0, *M = 0.0;
        return;
    }
    if (t >= x[n - 1]) {
        *F = 1.0, *M = L->M[n - 1];
        return;
    }
    size_t i = upper_bound(x, n, t) - 1; /* x[i] <= t < x[i+1] */
    double gap = x[i + 1] - x[i], f = gap > 0.0 ? (t - x[i]) / gap : 0.0;
    *F = ((double)i + f) * w;
    *M = L->M[i] + w * f * 0.5 * (t + x[i]); /* int_{x_i}^t s ds / gap */
}

/* Lloyd sweeps: cell j = (t_{j-1}, t_j] with D(t_j, c_j) = D(t_j, c_j+1),
 * c_j = its mean under the law. Stops when max |c_new - c_old| <= tol span. */
static size_t lloyd_sweeps(const wl_div *div, const smooth_law *L, size_t k, double *c,
                           size_t max_iter, double tol, int *conv) {
    double span = L->x[L->n - 1] - L->x[0];
    size_t it = 0;
    *conv = 0;
    while (it < max_iter) {
        double move = 0.0, F0 = 0.0, M0 = 0.0, F1, M1;
        for (size_t j = 0; j < k; j++) {
            if (j + 1 < k) {
                double pj = wl_div_phi(div, &c[j], 1), gj, pe = wl_div_phi(div, &c[j + 1], 1), ge;
                wl_div_grad(div, &c[j], 1, &gj);
                wl_div_grad(div, &c[j + 1], 1, &ge);
                law_at(L, boundary(c[j], c[j + 1], pj, gj, pe, ge), &F1, &M1);
            } else F1 = 1.0, M1 = L->M[L->n - 1];
            if (F1 > F0) {
                double mean = (M1 - M0) / (F1 - F0);
                move = fmax(move, fabs(mean - c[j]));
                c[j] = mean;
            }
            if (F1 > F0) F0 = F1, M0 = M1;
        }
        it++;
        if (move <= tol * span) {
            *conv = 1;
            break;
        }
    }
    return it;
}

/* (1/n) sum_i D(x_i, nearest c): x and c ascending, the cells are intervals,
 * so the nearest centre only moves right along x (one merge pass). */
double wl_cl_mean_div_1d(const wl_div *div, const double *x, size_t n, const double *c,
                         size_t k) {
    double s = 0.0;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        double dj = wl_div_eval(div, &x[i], &c[j], 1);
        while (j + 1 < k) {
            double dn = wl_div_eval(div, &x[i], &c[j + 1], 1);
            if (dn > dj) break;
            dj = dn;
            j++;
        }
        s += dj;
    }
    return s / (double)n;
}

int wl_cluster_lloyd_1d(const wl_div *div, const double *x, size_t n, size_t k, int init,
                        double *centres, size_t max_iter, double tol, double *mean_div,
                        size_t *iterations, int *converged) {
    if (!div || !x || !centres || k == 0 || k > n || n < 2)
        return wl_seterr(WL_EINVAL, "1-D Lloyd: need 1 <= k = %zu <= n = %zu, n >= 2", k, n);
    for (size_t i = 0; i < n; i++) {
        const char *why;
        if (!wl_div_in_domain(div, x[i], &why))
            return wl_seterr(WL_EINVAL, "divergence '%s' %s: sample %zu is %.17g", div->name, why,
                             i, x[i]);
        if (i && x[i] < x[i - 1]) return wl_seterr(WL_EINVAL, "1-D Lloyd: data not sorted at %zu", i);
    }
    double *M = wl_dalloc(n, "moments");
    if (!M) return WL_ENOMEM;
    for (size_t i = 0; i + 1 < n; i++) M[i + 1] = M[i] + 0.5 * (x[i] + x[i + 1]) / (double)(n - 1);
    smooth_law L = {x, M, n};
    if (!init) /* means of k equal-mass pieces */
        for (size_t j = 0; j < k; j++) {
            double Fa, Ma, Fb, Mb;
            law_at(&L, x[j * (n - 1) / k], &Fa, &Ma);
            law_at(&L, x[(j + 1) * (n - 1) / k], &Fb, &Mb);
            centres[j] = Fb > Fa ? (Mb - Ma) / (Fb - Fa) : x[j * (n - 1) / k];
        }
    int conv;
    size_t it = lloyd_sweeps(div, &L, k, centres, max_iter, tol, &conv);
    free(M);
    *mean_div = wl_cl_mean_div_1d(div, x, n, centres, k);
    if (iterations) *iterations = it;
    if (converged) *converged = conv;
    return WL_OK;
}
