/* xoshiro256** generator (Blackman & Vigna), seeded through splitmix64. */
#include "widelab/core.h"

#include <math.h>
#include <stdlib.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void wl_rng_seed(wl_rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    r->spare = 0.0;
    r->has_spare = 0;
}

wl_rng wl_rng_split(const wl_rng *r, uint64_t stream) {
    /* child seed = splitmix chain over (parent state, stream index) */
    uint64_t x = stream * 0xd1342543de82ef95ULL + 0x632be59bd9b4e019ULL;
    for (int i = 0; i < 4; i++) {
        x ^= r->s[i];
        (void)splitmix64(&x);
    }
    wl_rng c;
    for (int i = 0; i < 4; i++) c.s[i] = splitmix64(&x);
    c.spare = 0.0;
    c.has_spare = 0;
    return c;
}

uint64_t wl_rng_u64(wl_rng *r) {
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double wl_rng_uniform(wl_rng *r) { return (double)(wl_rng_u64(r) >> 11) * 0x1.0p-53; }

uint64_t wl_rng_below(wl_rng *r, uint64_t n) {
    /* rejection on the top of the range removes modulo bias */
    if (n == 0) return 0;
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = wl_rng_u64(r);
    while (x >= limit);
    return x % n;
}

/* Box-Muller: (sqrt(-2 ln u1) cos 2 pi u2, sqrt(-2 ln u1) sin 2 pi u2) */
double wl_rng_normal(wl_rng *r) {
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u1, u2;
    do u1 = wl_rng_uniform(r);
    while (u1 <= 0.0);
    u2 = wl_rng_uniform(r);
    double rad = sqrt(-2.0 * log(u1)), th = 6.283185307179586476925 * u2;
    r->spare = rad * sin(th);
    r->has_spare = 1;
    return rad * cos(th);
}

void wl_rng_normal_fill(wl_rng *r, double *x, size_t n, double mean, double sd) {
    for (size_t i = 0; i < n; i++) x[i] = mean + sd * wl_rng_normal(r);
}

void wl_rng_permutation(wl_rng *r, size_t *perm, size_t n) {
    for (size_t i = 0; i < n; i++) perm[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)wl_rng_below(r, i);
        size_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}

int wl_rng_sample(wl_rng *r, size_t n, size_t k, size_t *out) {
    if (k > n) return wl_seterr(WL_EINVAL, "cannot sample %zu of %zu items without replacement", k, n);
    size_t *idx = wl_malloc(n * sizeof *idx, "sampling index");
    if (!idx) return WL_ENOMEM;
    for (size_t i = 0; i < n; i++) idx[i] = i;
    /* partial Fisher-Yates: the first k slots are a uniform k-sample */
    for (size_t i = 0; i < k; i++) {
        size_t j = i + (size_t)wl_rng_below(r, n - i);
        size_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        out[i] = idx[i];
    }
    free(idx);
    return WL_OK;
}
