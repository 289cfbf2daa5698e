/* Adjusted Rand index (Hubert & Arabie) of two labelings:
 * ARI = (sum_ij C(n_ij,2) - E) / ((sum_i C(a_i,2) + sum_j C(b_j,2)) / 2 - E),
 * E = sum_i C(a_i,2) sum_j C(b_j,2) / C(n,2). */
#include "cluster/internal.h"

#include <math.h>
#include <stdlib.h>

static double pairs(double m) { return 0.5 * m * (m - 1.0); }

double wl_cluster_ari(const int *a, const int *b, size_t n) {
    int ka = 0, kb = 0;
    for (size_t i = 0; i < n; i++) {
        if (a[i] < 0 || b[i] < 0) return NAN;
        if (a[i] + 1 > ka) ka = a[i] + 1;
        if (b[i] + 1 > kb) kb = b[i] + 1;
    }
    double *tab = calloc((size_t)ka * (size_t)kb + (size_t)ka + (size_t)kb, sizeof *tab);
    if (!tab || n < 2) {
        free(tab);
        return NAN;
    }
    double *ra = tab + (size_t)ka * (size_t)kb, *rb = ra + ka;
    for (size_t i = 0; i < n; i++) {
        tab[(size_t)a[i] * (size_t)kb + (size_t)b[i]] += 1.0;
        ra[a[i]] += 1.0;
        rb[b[i]] += 1.0;
    }
    double sij = 0.0, sa = 0.0, sb = 0.0;
    for (size_t t = 0; t < (size_t)ka * (size_t)kb; t++) sij += pairs(tab[t]);
    for (int i = 0; i < ka; i++) sa += pairs(ra[i]);
    for (int j = 0; j < kb; j++) sb += pairs(rb[j]);
    free(tab);
    double expct = sa * sb / pairs((double)n), maxi = 0.5 * (sa + sb);
    if (maxi == expct) return 1.0; /* both trivial (one cluster or all singletons) */
    return (sij - expct) / (maxi - expct);
}
