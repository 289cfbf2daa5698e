/* The asymptotic study: draws from a 1-D density, Lloyd for growing k,
 * k^2 E_k next to the predicted (1/24) (int (p phi'')^{1/3})^3. */
#include "cluster/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* New centres c (k) with the point density of prev (kp, ascending): the
 * piecewise-linear map through (0, lo), ((j + 1/2)/kp, prev_j), (1, hi) read
 * at (j + 1/2)/k. Starting each k from the previous one (splitting) keeps
 * Lloyd out of the poor stationary points that sampling noise creates. */
static void refine(const double *prev, size_t kp, double lo, double hi, double *c, size_t k) {
    for (size_t j = 0; j < k; j++) {
        double s = ((double)j + 0.5) / (double)k, pos = s * (double)kp - 0.5;
        if (pos < 0.0) { /* between lo and prev[0] */
            double t = s / (0.5 / (double)kp);
            c[j] = lo + t * (prev[0] - lo);
        } else if (pos >= (double)(kp - 1)) { /* between prev[kp-1] and hi */
            double t = (s - ((double)kp - 0.5) / (double)kp) / (0.5 / (double)kp);
            c[j] = prev[kp - 1] + t * (hi - prev[kp - 1]);
        } else {
            size_t a = (size_t)pos;
            double t = pos - (double)a;
            c[j] = (1.0 - t) * prev[a] + t * prev[a + 1];
        }
    }
}

static int draw_sorted(const wl_density *p, size_t n, wl_rng *rng, double *x) {
    for (size_t i = 0; i < n; i++) x[i] = wl_density_sample(p, rng);
    qsort(x, n, sizeof *x, cmp_double);
    return WL_OK;
}

int wl_cluster_asym_sweep(const wl_div *div, const wl_density *p, size_t n, const size_t *ks,
                          size_t nk, wl_rng *rng, wl_asym_row *rows, double *centres_last) {
    if (!div || !p || !ks || !rows || !rng || nk == 0 || n < 2)
        return wl_seterr(WL_EINVAL, "wl_cluster_asym_sweep: bad argument");
    double predicted;
    int rc = wl_cluster_asym_constant(div, p, &predicted, NULL);
    if (rc) return rc;
    size_t kmax = 0;
    for (size_t t = 0; t < nk; t++) {
        if (ks[t] < 2 || ks[t] > n / 2)
            return wl_seterr(WL_EINVAL, "asymptotics: k = %zu must be in [2, n/2 = %zu]", ks[t],
                             n / 2);
        kmax = ks[t] > kmax ? ks[t] : kmax;
    }
    double *x = wl_dalloc(n, "samples"), *y = wl_dalloc(n, "held-out samples");
    double *c = wl_dalloc(kmax, "centres"), *prev = wl_dalloc(kmax, "centres");
    if (!x || !y || !c || !prev) {
        rc = WL_ENOMEM;
        goto done;
    }
    draw_sorted(p, n, rng, x);
    draw_sorted(p, n, rng, y);
    size_t kp = 0;
    for (size_t t = 0; t < nk && !rc; t++) {
        size_t k = ks[t];
        wl_asym_row *r = &rows[t];
        double e;
        int init = kp > 0 && kp < k;
        if (init) refine(prev, kp, x[0], x[n - 1], c, k);
        rc = wl_cluster_lloyd_1d(div, x, n, k, init, c, 200000, 1e-12, &e, &r->iterations,
                                 &r->converged);
        if (rc) break;
        r->k = k;
        r->predicted = predicted;
        r->train = (double)k * (double)k * e;
        r->measured = (double)k * (double)k * wl_cl_mean_div_1d(div, y, n, c, k);
        memcpy(prev, c, k * sizeof *c);
        kp = k;
        if (centres_last && t + 1 == nk) memcpy(centres_last, c, k * sizeof *c);
    }
done:
    free(x);
    free(y);
    free(c);
    free(prev);
    return rc;
}
