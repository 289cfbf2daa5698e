/* Finite-difference check of an objective's derivatives along random
 * directions v (unit norm, drawn from rng), step h = 1e-5 max(1, ||w||):
 *   grad_err = |<g, v> - (L(w + h v) - L(w - h v)) / 2h| / max(|<g, v>|, 1e-12)
 *   hvp_err  = ||H v - (g(w + h v) - g(w - h v)) / 2h|| / max(||H v||, 1e-12)
 * maximized over the trials. */
#include "widelab/loss.h"

#include <math.h>
#include <stdlib.h>

typedef struct bufs {
    double *v, *wp, *g, *hv, *gp, *gm;
} bufs;

static void free_bufs(bufs *b) {
    free(b->v), free(b->wp), free(b->g), free(b->hv), free(b->gp), free(b->gm);
}

/* wp = w + s v */
static void shift(size_t p, const double *w, double s, const double *v, double *wp) {
    for (size_t j = 0; j < p; j++) wp[j] = w[j] + s * v[j];
}

static int one_trial(wl_objective *o, const double *w, const size_t *idx, size_t nb, double h,
                     bufs *b, size_t p, double *ge, double *he) {
    double L, Lp, Lm;
    int rc = wl_objective_grad(o, w, idx, nb, &L, b->g);
    if (!rc) rc = wl_objective_hvp(o, w, idx, nb, b->v, b->hv);
    if (!rc) shift(p, w, h, b->v, b->wp), rc = wl_objective_grad(o, b->wp, idx, nb, &Lp, b->gp);
    if (!rc) shift(p, w, -h, b->v, b->wp), rc = wl_objective_grad(o, b->wp, idx, nb, &Lm, b->gm);
    if (rc) return rc;
    double gv = wl_dot(p, b->g, b->v), fd = (Lp - Lm) / (2 * h);
    *ge = fabs(gv - fd) / fmax(fabs(gv), 1e-12);
    double num = 0.0;
    for (size_t j = 0; j < p; j++) {
        double d = b->hv[j] - (b->gp[j] - b->gm[j]) / (2 * h);
        num += d * d;
    }
    *he = sqrt(num) / fmax(wl_nrm2(p, b->hv), 1e-12);
    return WL_OK;
}

int wl_objective_check(wl_objective *o, const double *w, const size_t *idx, size_t nb,
                       wl_rng *rng, size_t trials, double *grad_err, double *hvp_err) {
    if (!o || !w || !rng || !grad_err || !hvp_err)
        return wl_seterr(WL_EINVAL, "objective check: NULL argument");
    size_t p = wl_objective_model(o)->dim;
    bufs b = {wl_dalloc(p, "check"), wl_dalloc(p, "check"), wl_dalloc(p, "check"),
              wl_dalloc(p, "check"), wl_dalloc(p, "check"), wl_dalloc(p, "check")};
    if (!b.v || !b.wp || !b.g || !b.hv || !b.gp || !b.gm) {
        free_bufs(&b);
        return WL_ENOMEM;
    }
    double h = 1e-5 * fmax(1.0, wl_nrm2(p, w));
    *grad_err = *hvp_err = 0.0;
    int rc = WL_OK;
    for (size_t t = 0; t < (trials ? trials : 1) && !rc; t++) {
        wl_rng_normal_fill(rng, b.v, p, 0.0, 1.0);
        wl_scal(p, 1.0 / wl_nrm2(p, b.v), b.v);
        double ge, he;
        rc = one_trial(o, w, idx, nb, h, &b, p, &ge, &he);
        if (!rc) *grad_err = fmax(*grad_err, ge), *hvp_err = fmax(*hvp_err, he);
    }
    free_bufs(&b);
    return rc;
}
