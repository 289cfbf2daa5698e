/* Power iteration on H (PSD: top eigenvalue) or on H^2 (indefinite: ||H||).
 *   v <- A v / ||A v||,  mu = v^T A v,  A = H or H^2,
 * stopped when ||A v - mu v|| <= tol |mu|. For an indefinite H plain power
 * iteration can oscillate between +-lambda; H^2 has the eigenvalue ||H||^2
 * at the top whatever the signs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "curv/krylov.h"

void wl_power_opts_default(wl_power_opts *o) {
    o->squared = 0;
    o->tol = 1e-8;
    o->max_iter = 1000;
}

/* y = A x with A = H or H^2 (t: p scratch). */
static int apply_a(const wl_linop *H, int squared, const double *x, double *t, double *y,
                   size_t *mv) {
    int rc = wl__apply(H, x, squared ? t : y);
    (*mv)++;
    if (rc || !squared) return rc;
    (*mv)++;
    return wl__apply(H, t, y);
}

int wl_power(const wl_linop *H, const wl_power_opts *o, wl_rng *rng, double *vec,
             wl_power_result *res) {
    wl_power_opts def;
    if (!o) {
        wl_power_opts_default(&def);
        o = &def;
    }
    memset(res, 0, sizeof *res);
    if (!H || !H->mv || H->p == 0) return wl_seterr(WL_EINVAL, "power: empty operator");
    if (!(o->tol > 0) || o->max_iter == 0)
        return wl_seterr(WL_EINVAL, "power: tol %g and max_iter %zu must be positive", o->tol,
                         o->max_iter);
    size_t p = H->p;
    double *v = wl_dalloc(p, "power iterate"), *y = wl_dalloc(p, "power product"),
           *t = wl_dalloc(p, "power scratch");
    int rc = (!v || !y || !t) ? WL_ENOMEM : WL_OK;
    if (!rc) {
        wl_rng_normal_fill(rng, v, p, 0.0, 1.0);
        wl_scal(p, 1.0 / wl_nrm2(p, v), v);
    }
    double mu = 0;
    for (size_t it = 0; !rc && it < o->max_iter; it++) {
        rc = apply_a(H, o->squared, v, t, y, &res->matvecs);
        if (rc) break;
        res->iterations = it + 1;
        mu = wl_dot(p, v, y);
        /* residual ||A v - mu v|| (explicitly: sqrt(|y|^2 - mu^2) cancels) */
        double ny = wl_nrm2(p, y), r = 0;
        for (size_t i = 0; i < p; i++) r += (y[i] - mu * v[i]) * (y[i] - mu * v[i]);
        r = sqrt(r);
        res->residual = mu != 0 ? r / fabs(mu) : (ny == 0 ? 0 : INFINITY);
        if (ny == 0) { /* v in the null space: A = 0 on it */
            res->converged = 1;
            break;
        }
        if (res->residual <= o->tol) {
            res->converged = 1;
            break;
        }
        for (size_t i = 0; i < p; i++) v[i] = y[i] / ny;
    }
    if (!rc) {
        res->value = o->squared ? sqrt(fmax(mu, 0.0)) : mu;
        if (vec) memcpy(vec, v, p * sizeof(double));
    }
    free(v);
    free(y);
    free(t);
    return rc;
}
