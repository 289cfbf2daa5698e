/* Transition to linearity: the model Hessian norm, the tangent-kernel change
 * over a ball and along GD, and the linearization gap after GD, for one
 * model (wl_linm_measure). The sweep and its files are in linearity_sweep.c.
 *
 * With the mean MSE L(w) = (1/n) sum_i 1/2 (f(w; x_i) - y_i)^2 and the
 * per-output tangent kernel K = J J^T (n x n, k = 1), the Hessian of L near
 * w0 is about K / n, so GD uses eta = lr_frac * n / lambda_max(K(w0)). */
#include "linearity_measure.h"

#include "widelab/curv.h"
#include "widelab/kernel.h"
#include "widelab/loss.h"
#include "widelab/net.h"
#include "widelab/probe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* lambda_max(K) of a symmetric n x n kernel (dense LAPACK; n is small). */
static int kernel_lmax(const wl_mat *K, double *lmax) {
    size_t n = K->rows;
    wl_mat A = {0};
    double *ev = wl_dalloc(n, "kernel eigenvalues");
    int rc = ev ? wl_mat_alloc(&A, n, n) : WL_ENOMEM;
    if (!rc) {
        memcpy(A.data, K->data, n * n * sizeof(double));
        rc = wl_eigh(&A, ev, 0);
    }
    if (!rc) *lmax = ev[n - 1];
    wl_mat_free(&A);
    free(ev);
    return rc;
}

/* Hessian norms at the first hpoints rows of X, at w0. */
static int measure_hessian(wl_model *m, const double *w0, const wl_mat *X, const wl_linm_cfg *cfg,
                           uint64_t seed, wl_linm *out) {
    size_t np = cfg->hpoints < X->rows ? cfg->hpoints : X->rows;
    wl_mat Xh = wl_mat_rows(X, 0, np);
    wl_rng r;
    wl_rng_seed(&r, seed ^ 0x4e55u);
    wl_hf_norms hn;
    int rc = wl_model_hessian_norms(m, w0, &Xh, cfg->tol, &r, &hn);
    if (rc) return rc;
    out->hnorm = hn.mean[0];
    out->hnorm_max = hn.max[0];
    out->converged = hn.converged;
    out->hvps = hn.matvecs;
    wl_hf_norms_free(&hn);
    return WL_OK;
}

/* w = w0 + R u with u = H_0 grad f_0 / ||H_0 grad f_0|| (f_0 = f(.; x_0),
 * H_0 its Hessian at w0): the direction that changes K(x_0, x_0) fastest,
 * dK_00 = 2 grad f_0^T H_0 du, so the change in the ball of radius R is
 * measured near its worst case rather than along a random direction (where
 * it is far smaller). g, u: scratch (dim). */
static int measure_ball(wl_model *m, const double *w0, const wl_mat *X, const wl_mat *K0,
                        double R, double *g, double *u, double *w, double *out) {
    size_t p = m->dim;
    wl_mat X0 = wl_mat_rows(X, 0, 1);
    double one = 1.0;
    wl_mat G = wl_mat_view(&one, 1, 1);
    int rc = wl_model_vjp(m, w0, &X0, &G, g); /* g = grad f_0 */
    if (!rc) rc = wl_model_hvp(m, w0, &X0, &G, g, u); /* u = H_0 grad f_0 */
    if (rc) return rc;
    double un = wl_nrm2(p, u);
    if (!(un > 0)) { /* a linear model: any direction; take the gradient */
        memcpy(u, g, p * sizeof(double));
        un = wl_nrm2(p, u);
    }
    memcpy(w, w0, p * sizeof(double));
    wl_axpy(p, R / un, u, w);
    wl_ntk_opts no;
    wl_ntk_opts_default(&no);
    wl_mat K = {0};
    rc = wl_ntk_empirical(m, w, X, NULL, &no, &K);
    if (!rc) rc = wl_ntk_rel_diff(K0, &K, out);
    wl_mat_free(&K);
    return rc;
}

/* T steps of full-batch GD from w0 into w; kernel change and gap at w_T. */
static int measure_gd(wl_model *m, wl_objective *o, const double *w0, const wl_mat *X,
                      const wl_mat *K0, const wl_linm_cfg *cfg, double *g, double *w,
                      wl_linm *out) {
    size_t p = m->dim, n = X->rows;
    double lmax = 0;
    int rc = kernel_lmax(K0, &lmax);
    if (rc) return rc;
    out->lr = cfg->lr_frac * (double)n / lmax;
    memcpy(w, w0, p * sizeof(double));
    for (size_t t = 0; t < cfg->gd_steps && !rc; t++) {
        double L;
        rc = wl_objective_grad(o, w, NULL, n, &L, g);
        if (!rc && t == 0) out->loss0 = L;
        if (!rc) wl_axpy(p, -out->lr, g, w);
    }
    if (!rc) rc = wl_objective_value(o, w, NULL, n, &out->loss_gd);
    if (!rc && !isfinite(out->loss_gd))
        rc = wl_seterr(WL_ENUMERIC, "linearity: GD diverged (eta %g)", out->lr);
    if (rc) return rc;
    double dist = 0;
    for (size_t j = 0; j < p; j++) dist += (w[j] - w0[j]) * (w[j] - w0[j]);
    out->dist_gd = sqrt(dist);
    wl_ntk_opts no;
    wl_ntk_opts_default(&no);
    wl_mat K = {0};
    rc = wl_ntk_empirical(m, w, X, NULL, &no, &K);
    if (!rc) rc = wl_ntk_rel_diff(K0, &K, &out->kchange_gd);
    wl_mat_free(&K);
    if (!rc) rc = wl_linearity_gap(m, w0, w, X, NULL, &out->gap_gd, &out->gap_rel);
    return rc;
}

int wl_linm_measure(const char *spec, const wl_dataset *ds, const wl_linm_cfg *cfg,
                    uint64_t seed, wl_linm *out) {
    memset(out, 0, sizeof *out);
    wl_model *m = NULL;
    wl_objective *o = NULL;
    double *w0 = NULL, *w = NULL, *g = NULL, *u = NULL;
    wl_mat K0 = {0};
    wl_mat X = wl_dataset_X(ds), Y = wl_dataset_Y(ds);
    int rc = wl_net_from_spec(spec, &m);
    if (rc) return rc;
    if (m->n_out != 1) {
        wl_model_free(m);
        return wl_seterr(WL_EINVAL, "linearity: model \"%s\" has %zu outputs, wants 1", spec,
                         m->n_out);
    }
    size_t p = m->dim;
    out->dim = p;
    w0 = wl_dalloc(p, "w0");
    w = wl_dalloc(p, "w");
    g = wl_dalloc(p, "gradient");
    u = wl_dalloc(p, "direction");
    if (!w0 || !w || !g || !u) rc = WL_ENOMEM;
    wl_rng r;
    wl_rng_seed(&r, seed);
    if (!rc) rc = wl_model_init(m, &r, w0);
    if (!rc) rc = wl_objective_new(m, WL_LOSS_MSE, &X, &Y, &o);
    if (!rc) rc = measure_hessian(m, w0, &X, cfg, seed, out);
    wl_ntk_opts no;
    wl_ntk_opts_default(&no);
    if (!rc) rc = wl_ntk_empirical(m, w0, &X, NULL, &no, &K0);
    if (!rc) {
        size_t n = K0.rows;
        for (size_t i = 0; i < n; i++) out->grad_norm += sqrt(K0.data[i * n + i]) / (double)n;
        rc = measure_ball(m, w0, &X, &K0, cfg->radius, g, u, w, &out->kchange_ball);
    }
    if (!rc) rc = measure_gd(m, o, w0, &X, &K0, cfg, g, w, out);
    if (rc) wl_adderr(rc, "linearity measurement of \"%s\"", spec);
    wl_mat_free(&K0);
    wl_objective_free(o);
    free(w0);
    free(w);
    free(g);
    free(u);
    wl_model_free(m);
    return rc;
}
