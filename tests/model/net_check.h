/* Derivative checks shared by the network tests: every mode of a model
 * against central finite differences and against the other modes.
 * Header-only (static functions); include after wl_test.h. */
#ifndef WL_NET_CHECK_H
#define WL_NET_CHECK_H

#include "wl_test.h"

#define NC_TOL 1e-6   /* relative error allowed against finite differences */
#define NC_H 1e-5     /* finite-difference step */

static const char *nc_label = ""; /* the model under test, for messages */

typedef struct nc_ctx {
    wl_model *m;
    size_t n, d, k, p;
    double *w, *v, *u, *wt, *x, *xt;
    wl_mat X, Xt, F, Fp, Fm, G, JV, Q;
} nc_ctx;

static double *nc_vec(size_t n) {
    double *p = wl_dalloc(n ? n : 1, "test");
    assert_non_null(p);
    return p;
}

static void nc_setup(nc_ctx *c, wl_model *m, size_t n, uint64_t seed) {
    memset(c, 0, sizeof *c);
    c->m = m;
    c->n = n;
    c->d = m->n_in;
    c->k = m->n_out;
    c->p = m->dim;
    wl_rng r;
    wl_rng_seed(&r, seed);
    c->w = nc_vec(c->p);
    c->v = nc_vec(c->p);
    c->u = nc_vec(c->p);
    c->wt = nc_vec(c->p);
    WL_OK_OR_FAIL(wl_model_init(m, &r, c->w));
    wl_rng_normal_fill(&r, c->v, c->p, 0.0, 1.0);
    wl_rng_normal_fill(&r, c->u, c->p, 0.0, 1.0);
    c->x = nc_vec(n * c->d);
    c->xt = nc_vec(n * c->d);
    wl_rng_normal_fill(&r, c->x, n * c->d, 0.0, 1.0);
    c->X = wl_mat_view(c->x, n, c->d);
    c->Xt = wl_mat_view(c->xt, n, c->d);
    WL_OK_OR_FAIL(wl_mat_alloc(&c->F, n, c->k));
    WL_OK_OR_FAIL(wl_mat_alloc(&c->Fp, n, c->k));
    WL_OK_OR_FAIL(wl_mat_alloc(&c->Fm, n, c->k));
    WL_OK_OR_FAIL(wl_mat_alloc(&c->G, n, c->k));
    WL_OK_OR_FAIL(wl_mat_alloc(&c->JV, n, c->k));
    WL_OK_OR_FAIL(wl_mat_alloc(&c->Q, n, c->k));
    wl_rng_normal_fill(&r, c->G.data, n * c->k, 0.0, 1.0);
}

static void nc_teardown(nc_ctx *c) {
    free(c->w);
    free(c->v);
    free(c->u);
    free(c->wt);
    free(c->x);
    free(c->xt);
    wl_mat_free(&c->F);
    wl_mat_free(&c->Fp);
    wl_mat_free(&c->Fm);
    wl_mat_free(&c->G);
    wl_mat_free(&c->JV);
    wl_mat_free(&c->Q);
}

/* wt = w + t dir */
static const double *nc_shift(nc_ctx *c, const double *dir, double t) {
    for (size_t i = 0; i < c->p; i++) c->wt[i] = c->w[i] + t * dir[i];
    return c->wt;
}

static void nc_expect(const char *what, size_t n, const double *a, const double *b) {
    double e = wl_test_rel_err(n, a, b, 1e-8);
    if (!(e < NC_TOL))
        fail_msg("%s: %s: relative error %.3g against finite differences", nc_label, what, e);
}

/* jvp: J v against (f(w + h v) - f(w - h v)) / 2h */
static void nc_check_jvp(nc_ctx *c) {
    size_t nk = c->n * c->k;
    double *fd = nc_vec(nk);
    WL_OK_OR_FAIL(wl_model_jvp(c->m, c->w, &c->X, c->v, &c->JV));
    WL_OK_OR_FAIL(wl_model_forward(c->m, nc_shift(c, c->v, NC_H), &c->X, &c->Fp));
    WL_OK_OR_FAIL(wl_model_forward(c->m, nc_shift(c, c->v, -NC_H), &c->X, &c->Fm));
    for (size_t i = 0; i < nk; i++) fd[i] = (c->Fp.data[i] - c->Fm.data[i]) / (2 * NC_H);
    nc_expect("jvp", nk, c->JV.data, fd);
    free(fd);
}

/* vjp: every coordinate of J^T G against <G, (f(w + h e_j) - f(w - h e_j))/2h> */
static void nc_check_vjp(nc_ctx *c) {
    double *g = nc_vec(c->p), *fd = nc_vec(c->p), *e = nc_vec(c->p);
    size_t nk = c->n * c->k;
    WL_OK_OR_FAIL(wl_model_vjp(c->m, c->w, &c->X, &c->G, g));
    for (size_t j = 0; j < c->p; j++) {
        e[j] = 1.0;
        WL_OK_OR_FAIL(wl_model_forward(c->m, nc_shift(c, e, NC_H), &c->X, &c->Fp));
        WL_OK_OR_FAIL(wl_model_forward(c->m, nc_shift(c, e, -NC_H), &c->X, &c->Fm));
        e[j] = 0.0;
        double acc = 0;
        for (size_t i = 0; i < nk; i++) acc += c->G.data[i] * (c->Fp.data[i] - c->Fm.data[i]);
        fd[j] = acc / (2 * NC_H);
    }
    nc_expect("vjp", c->p, g, fd);
    /* adjoint identity <G, J v> = <J^T G, v> */
    WL_OK_OR_FAIL(wl_model_jvp(c->m, c->w, &c->X, c->v, &c->JV));
    WL_ASSERT_CLOSE(wl_dot(nk, c->G.data, c->JV.data), wl_dot(c->p, g, c->v), 1e-10);
    free(g);
    free(fd);
    free(e);
}

/* hvp: sum_ic G_ic H_f v against (vjp(w + h v) - vjp(w - h v)) / 2h; symmetry */
static void nc_check_hvp(nc_ctx *c) {
    double *hv = nc_vec(c->p), *hu = nc_vec(c->p), *gp = nc_vec(c->p), *gm = nc_vec(c->p);
    WL_OK_OR_FAIL(wl_model_hvp(c->m, c->w, &c->X, &c->G, c->v, hv));
    WL_OK_OR_FAIL(wl_model_vjp(c->m, nc_shift(c, c->v, NC_H), &c->X, &c->G, gp));
    WL_OK_OR_FAIL(wl_model_vjp(c->m, nc_shift(c, c->v, -NC_H), &c->X, &c->G, gm));
    for (size_t j = 0; j < c->p; j++) gp[j] = (gp[j] - gm[j]) / (2 * NC_H);
    nc_expect("hvp", c->p, hv, gp);
    /* u^T H v = v^T H u */
    WL_OK_OR_FAIL(wl_model_hvp(c->m, c->w, &c->X, &c->G, c->u, hu));
    double a = wl_dot(c->p, c->u, hv), b = wl_dot(c->p, c->v, hu);
    double s = wl_nrm2(c->p, hv) * wl_nrm2(c->p, c->u) + 1e-300;
    if (!(fabs(a - b) <= 1e-10 * s)) fail_msg("hvp not symmetric: u^T H v = %.17g, v^T H u = %.17g", a, b);
    free(hv);
    free(hu);
    free(gp);
    free(gm);
}

/* jvp2: v^T H_f v against (J(w + h v) v - J(w - h v) v) / 2h, and against
 * v^T hvp(G = e_ic, v) for a few (i, c) */
static void nc_check_jvp2(nc_ctx *c) {
    size_t nk = c->n * c->k;
    double *fd = nc_vec(nk), *hv = nc_vec(c->p);
    WL_OK_OR_FAIL(wl_model_jvp2(c->m, c->w, &c->X, c->v, &c->Q));
    WL_OK_OR_FAIL(wl_model_jvp(c->m, nc_shift(c, c->v, NC_H), &c->X, c->v, &c->Fp));
    WL_OK_OR_FAIL(wl_model_jvp(c->m, nc_shift(c, c->v, -NC_H), &c->X, c->v, &c->Fm));
    for (size_t i = 0; i < nk; i++) fd[i] = (c->Fp.data[i] - c->Fm.data[i]) / (2 * NC_H);
    nc_expect("jvp2", nk, c->Q.data, fd);
    wl_mat E;
    WL_OK_OR_FAIL(wl_mat_alloc(&E, c->n, c->k));
    for (size_t t = 0; t < 3 && t < nk; t++) {
        size_t idx = (t * 7919) % nk;
        wl_mat_zero(&E);
        E.data[idx] = 1.0;
        WL_OK_OR_FAIL(wl_model_hvp(c->m, c->w, &c->X, &E, c->v, hv));
        WL_ASSERT_CLOSE(wl_dot(c->p, c->v, hv), c->Q.data[idx], 1e-9);
    }
    wl_mat_free(&E);
    free(fd);
    free(hv);
}

/* xvjp: sum_c G_ic df_c/dx_i against finite differences in every x entry */
static void nc_check_xvjp(nc_ctx *c) {
    size_t nd = c->n * c->d, nk = c->n * c->k;
    wl_mat GX;
    WL_OK_OR_FAIL(wl_mat_alloc(&GX, c->n, c->d));
    double *fd = nc_vec(nd);
    WL_OK_OR_FAIL(wl_model_xvjp(c->m, c->w, &c->X, &c->G, &GX));
    for (size_t j = 0; j < nd; j++) {
        memcpy(c->xt, c->x, nd * sizeof *c->x);
        c->xt[j] += NC_H;
        WL_OK_OR_FAIL(wl_model_forward(c->m, c->w, &c->Xt, &c->Fp));
        c->xt[j] -= 2 * NC_H;
        WL_OK_OR_FAIL(wl_model_forward(c->m, c->w, &c->Xt, &c->Fm));
        double acc = 0;
        for (size_t i = 0; i < nk; i++) acc += c->G.data[i] * (c->Fp.data[i] - c->Fm.data[i]);
        fd[j] = acc / (2 * NC_H);
    }
    nc_expect("xvjp", nd, GX.data, fd);
    wl_mat_free(&GX);
    free(fd);
}

/* clone: the same numbers from an independent copy */
static void nc_check_clone(nc_ctx *c) {
    wl_model *m2 = wl_model_clone(c->m);
    assert_non_null(m2);
    double *g1 = nc_vec(c->p), *g2 = nc_vec(c->p);
    wl_mat F2;
    WL_OK_OR_FAIL(wl_mat_alloc(&F2, c->n, c->k));
    WL_OK_OR_FAIL(wl_model_forward(c->m, c->w, &c->X, &c->F));
    WL_OK_OR_FAIL(wl_model_forward(m2, c->w, &c->X, &F2));
    assert_memory_equal(c->F.data, F2.data, c->n * c->k * sizeof(double));
    WL_OK_OR_FAIL(wl_model_hvp(c->m, c->w, &c->X, &c->G, c->v, g1));
    WL_OK_OR_FAIL(wl_model_hvp(m2, c->w, &c->X, &c->G, c->v, g2));
    assert_memory_equal(g1, g2, c->p * sizeof(double));
    assert_true(m2->dim == c->m->dim && m2->n_blocks == c->m->n_blocks);
    wl_model_free(m2);
    wl_mat_free(&F2);
    free(g1);
    free(g2);
}

/* Every check on the model built from spec (or m, if spec is NULL). */
static void nc_check_all(const char *spec, wl_model *m, size_t n, uint64_t seed) {
    if (spec) WL_OK_OR_FAIL(wl_net_from_spec(spec, &m));
    nc_label = spec ? spec : "built network";
    nc_ctx c;
    nc_setup(&c, m, n, seed);
    nc_check_jvp(&c);
    nc_check_vjp(&c);
    nc_check_hvp(&c);
    nc_check_jvp2(&c);
    nc_check_xvjp(&c);
    nc_check_clone(&c);
    nc_teardown(&c);
    wl_model_free(m);
}

#endif
