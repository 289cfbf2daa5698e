/* Planted-cluster data from the exponential family that matches each
 * divergence, shared by the cluster tests. */
#ifndef WL_TEST_PLANTED_H
#define WL_TEST_PLANTED_H

#include "wl_test.h"

/* Gamma(shape a, scale 1), Marsaglia-Tsang (a < 1 via a + 1 and U^{1/a}). */
static inline double pl_gamma(wl_rng *r, double a) {
    if (a < 1.0) return pl_gamma(r, a + 1.0) * pow(wl_rng_uniform(r) + 1e-300, 1.0 / a);
    double d = a - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double z = wl_rng_normal(r), v = 1.0 + c * z;
        if (v <= 0.0) continue;
        v = v * v * v;
        double u = wl_rng_uniform(r);
        if (log(u + 1e-300) < 0.5 * z * z + d - d * v + d * log(v)) return d * v;
    }
}

/* Poisson(lam) by multiplication of uniforms (lam <= ~500). */
static inline double pl_poisson(wl_rng *r, double lam) {
    double L = exp(-lam), p = 1.0;
    int k = -1;
    do {
        k++;
        p *= wl_rng_uniform(r);
    } while (p > L);
    return (double)k;
}

/* Fills X (k*m x d) with m points per cluster; truth[i] = cluster of row i.
 * kind: 0 Gaussian (sd 1, means spread 12), 1 Poisson (rates 20..120),
 * 2 Gamma shape 100 (means 1..10, the Itakura-Saito family), 3 Beta with
 * concentration 60 (means 0.1..0.9), 4 Gaussian sd 0.15 (means -2..2). */
static inline void pl_make(int kind, size_t k, size_t m, size_t d, uint64_t seed, wl_mat *X,
                           int *truth) {
    wl_rng r;
    wl_rng_seed(&r, seed);
    double *mu = malloc(k * d * sizeof *mu);
    for (size_t h = 0; h < k * d; h++) {
        double u = wl_rng_uniform(&r);
        mu[h] = kind == 0 ? 12.0 * u : kind == 1 ? 20.0 + 100.0 * u : kind == 2 ? 1.0 + 9.0 * u
              : kind == 3 ? 0.1 + 0.8 * u : -2.0 + 4.0 * u;
    }
    wl_mat_alloc(X, k * m, d);
    for (size_t i = 0; i < k * m; i++) {
        size_t h = i % k;
        truth[i] = (int)h;
        for (size_t j = 0; j < d; j++) {
            double v, c = mu[h * d + j];
            switch (kind) {
            case 0: v = c + wl_rng_normal(&r); break;
            case 1: v = pl_poisson(&r, c); break;
            case 2: v = c * pl_gamma(&r, 100.0) / 100.0; break;
            case 3: {
                double a = pl_gamma(&r, 60.0 * c), b = pl_gamma(&r, 60.0 * (1.0 - c));
                v = a / (a + b);
                break;
            }
            default: v = c + 0.15 * wl_rng_normal(&r); break;
            }
            WL_AT(X, i, j) = v;
        }
    }
    free(mu);
}

#endif
