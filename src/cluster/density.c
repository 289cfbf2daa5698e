/* 1-D densities for the asymptotic study: uniform[a, b], beta(a, b),
 * exponential (rate a, shift b): parse, pdf, draws, support. */
#include "cluster/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Parses "NAME" or "NAME:P1" or "NAME:P1,P2" into name and up to 2 values. */
static int split_spec(const char *spec, char *name, size_t cap, double *v, int *nv) {
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    if (len == 0 || len >= cap) return wl_seterr(WL_EINVAL, "bad density '%s'", spec);
    memcpy(name, spec, len);
    name[len] = 0;
    *nv = 0;
    if (!colon) return WL_OK;
    const char *s = colon + 1;
    while (*nv < 2) {
        char *end;
        double x = strtod(s, &end);
        if (end == s || !isfinite(x))
            return wl_seterr(WL_EINVAL, "density '%s': bad number at '%s'", spec, s);
        v[(*nv)++] = x;
        if (*end == 0) return WL_OK;
        if (*end != ',') break;
        s = end + 1;
    }
    return wl_seterr(WL_EINVAL, "density '%s': expected NAME:P1[,P2]", spec);
}

int wl_density_parse(const char *spec, wl_density *p) {
    char name[32];
    double v[2] = {0, 0};
    int nv = 0;
    if (!spec || !p) return wl_seterr(WL_EINVAL, "wl_density_parse: NULL argument");
    int rc = split_spec(spec, name, sizeof name, v, &nv);
    if (rc) return rc;
    if (strcmp(name, "uniform") == 0) {
        if (nv != 0 && nv != 2) return wl_seterr(WL_EINVAL, "density '%s': use uniform:LO,HI", spec);
        p->kind = WL_DENS_UNIFORM;
        p->a = nv ? v[0] : 0.0;
        p->b = nv ? v[1] : 1.0;
        if (!(p->a < p->b)) return wl_seterr(WL_EINVAL, "density '%s': needs LO < HI", spec);
    } else if (strcmp(name, "beta") == 0) {
        if (nv != 2 || !(v[0] > 0 && v[1] > 0))
            return wl_seterr(WL_EINVAL, "density '%s': use beta:A,B with A, B > 0", spec);
        p->kind = WL_DENS_BETA;
        p->a = v[0];
        p->b = v[1];
    } else if (strcmp(name, "exp") == 0) {
        p->kind = WL_DENS_EXP;
        p->a = nv ? v[0] : 1.0;
        p->b = nv == 2 ? v[1] : 0.0;
        if (!(p->a > 0)) return wl_seterr(WL_EINVAL, "density '%s': rate must be > 0", spec);
    } else {
        return wl_seterr(WL_EINVAL, "unknown density '%s' (uniform[:LO,HI], beta:A,B, "
                                    "exp[:RATE[,SHIFT]])", spec);
    }
    return WL_OK;
}

void wl_density_support(const wl_density *p, double *lo, double *hi) {
    switch (p->kind) {
    case WL_DENS_UNIFORM: *lo = p->a, *hi = p->b; return;
    case WL_DENS_BETA: *lo = 0.0, *hi = 1.0; return;
    case WL_DENS_EXP: *lo = p->b, *hi = INFINITY; return;
    }
}

double wl_density_pdf(const wl_density *p, double x) {
    switch (p->kind) {
    case WL_DENS_UNIFORM: return x >= p->a && x <= p->b ? 1.0 / (p->b - p->a) : 0.0;
    case WL_DENS_BETA: /* x^{a-1} (1-x)^{b-1} / B(a, b) */
        if (x <= 0.0 || x >= 1.0) return 0.0;
        return exp((p->a - 1.0) * log(x) + (p->b - 1.0) * log1p(-x) + lgamma(p->a + p->b) -
                   lgamma(p->a) - lgamma(p->b));
    case WL_DENS_EXP: return x >= p->b ? p->a * exp(-p->a * (x - p->b)) : 0.0;
    }
    return 0.0;
}

/* Gamma(a, 1) by Marsaglia and Tsang; a < 1 through Gamma(a + 1) U^{1/a}. */
static double gamma_draw(wl_rng *r, double a) {
    if (a < 1.0) return gamma_draw(r, a + 1.0) * pow(wl_rng_uniform(r) + 0x1p-54, 1.0 / a);
    double d = a - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double z = wl_rng_normal(r), v = 1.0 + c * z;
        if (v <= 0.0) continue;
        v = v * v * v;
        double u = wl_rng_uniform(r) + 0x1p-54;
        if (log(u) < 0.5 * z * z + d - d * v + d * log(v)) return d * v;
    }
}

/* Draws lie strictly inside the support (open interval). */
double wl_density_sample(const wl_density *p, wl_rng *rng) {
    double u = wl_rng_uniform(rng) + 0x1p-54; /* (0, 1) */
    switch (p->kind) {
    case WL_DENS_UNIFORM: return p->a + (p->b - p->a) * u;
    case WL_DENS_BETA:
        for (;;) {
            double x = gamma_draw(rng, p->a), y = gamma_draw(rng, p->b), t = x / (x + y);
            if (t > 0.0 && t < 1.0) return t;
        }
    case WL_DENS_EXP: return p->b - log(u) / p->a;
    }
    return NAN;
}
