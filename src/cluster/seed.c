/* k-means++ seeding with a Bregman divergence as the distance: the first
 * centre is a uniform row, each next one a row drawn with probability
 * proportional to D(x, nearest centre so far). */
#include "cluster/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* dist[i] = min(dist[i], D(x_i, c)) with D(x, c) = phi(x) - <g, x> - b, one gemv
 * (first = 1: dist[i] = D(x_i, c)). X: n x d, c: d, g, t: workspace d and n. */
static int update_dist(const wl_div *div, const wl_mat *X, const double *phix, const double *c,
                       double *g, double *t, double *dist, int first) {
    size_t n = X->rows, d = X->cols;
    wl_mat C1 = wl_mat_view((double *)c, 1, d), G1 = wl_mat_view(g, 1, d);
    double b;
    int rc = wl_cl_centre_consts(div, &C1, &G1, &b);
    if (rc) return rc;
    /* t = X g: n */
    wl_gemv(0, 1.0, X, g, 0.0, t);
    for (size_t i = 0; i < n; i++) {
        double v = phix[i] - t[i] - b;
        v = v > 0.0 ? v : 0.0;
        dist[i] = first || v < dist[i] ? v : dist[i];
    }
    return WL_OK;
}

/* Index i with cumulative weight sum_{j <= i} w_j > u * sum w (uniform if all 0). */
static size_t draw_weighted(const double *w, size_t n, wl_rng *rng) {
    double total = 0.0;
    for (size_t i = 0; i < n; i++) total += w[i];
    if (!(total > 0.0)) return (size_t)wl_rng_below(rng, n);
    double u = wl_rng_uniform(rng) * total, acc = 0.0;
    size_t last = 0;
    for (size_t i = 0; i < n; i++) {
        if (w[i] <= 0.0) continue;
        acc += w[i];
        last = i;
        if (acc > u) return i;
    }
    return last;
}

int wl_cl_seed_pp(const wl_div *div, const wl_mat *X, const double *phix, size_t k, wl_rng *rng,
                  wl_mat *C) {
    size_t n = X->rows, d = X->cols;
    double *dist = wl_dalloc(n, "k-means++ distances"), *t = wl_dalloc(n, "k-means++ scores");
    double *g = wl_dalloc(d, "gradient");
    int rc = WL_ENOMEM;
    if (!dist || !t || !g) goto done;
    size_t i = (size_t)wl_rng_below(rng, n);
    memcpy(&WL_AT(C, 0, 0), &WL_AT(X, i, 0), d * sizeof(double));
    if ((rc = update_dist(div, X, phix, &WL_AT(C, 0, 0), g, t, dist, 1))) goto done;
    for (size_t h = 1; h < k; h++) {
        i = draw_weighted(dist, n, rng);
        memcpy(&WL_AT(C, h, 0), &WL_AT(X, i, 0), d * sizeof(double));
        if (h + 1 < k && (rc = update_dist(div, X, phix, &WL_AT(C, h, 0), g, t, dist, 0)))
            goto done;
    }
    rc = WL_OK;
done:
    free(dist);
    free(t);
    free(g);
    return rc;
}

int wl_cluster_seed(const wl_div *div, const wl_mat *X, size_t k, wl_rng *rng, wl_mat *C) {
    if (!div || !X || !rng || !C) return wl_seterr(WL_EINVAL, "wl_cluster_seed: NULL argument");
    if (k == 0 || k > X->rows)
        return wl_seterr(WL_EINVAL, "k-means++: k = %zu must be in [1, n = %zu]", k, X->rows);
    if (C->rows != k || C->cols != X->cols)
        return wl_seterr(WL_EINVAL, "k-means++: centres are %zu x %zu, need %zu x %zu", C->rows,
                         C->cols, k, X->cols);
    int rc = wl_div_check(div, X);
    if (rc) return rc;
    double *phix = wl_dalloc(X->rows, "phi(x)");
    if (!phix) return WL_ENOMEM;
    rc = wl_cl_phi_rows(div, X, phix);
    if (!rc) rc = wl_cl_seed_pp(div, X, phix, k, rng, C);
    free(phix);
    return rc;
}
