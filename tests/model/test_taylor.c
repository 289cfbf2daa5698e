/* Taylor models: every op against finite differences, the Taylor remainder
 * orders, constant Hessian, and the exact identities of the expansions. */
#include "../curv/toy_model.h"

static void randn(wl_rng *r, double *x, size_t n, double sd) { wl_rng_normal_fill(r, x, n, 0, sd); }

static void fwd(wl_model *m, const double *w, const wl_mat *X, wl_mat *F) {
    WL_OK_OR_FAIL(wl_model_forward(m, w, X, F));
}

/* jvp, vjp, jvp2 and hvp of m at w against central differences of forward
 * (and of vjp for hvp). */
static void check_ops_fd(wl_model *m, const double *w, const wl_mat *X, wl_rng *r) {
    size_t n = X->rows, k = m->n_out, p = m->dim;
    const double h = 1e-4;
    double *v = malloc(p * sizeof(double)), *wp = malloc(p * sizeof(double)),
           *wm = malloc(p * sizeof(double)), *g = malloc(p * sizeof(double)),
           *gp = malloc(p * sizeof(double)), *gm = malloc(p * sizeof(double)),
           *hv = malloc(p * sizeof(double)), *fd = malloc(p * sizeof(double));
    wl_mat F0, Fp, Fm, JV, Q, G, fdm;
    wl_mat_alloc(&F0, n, k);
    wl_mat_alloc(&Fp, n, k);
    wl_mat_alloc(&Fm, n, k);
    wl_mat_alloc(&JV, n, k);
    wl_mat_alloc(&Q, n, k);
    wl_mat_alloc(&G, n, k);
    wl_mat_alloc(&fdm, n, k);
    randn(r, v, p, 1.0);
    randn(r, G.data, n * k, 1.0);
    for (size_t i = 0; i < p; i++) {
        wp[i] = w[i] + h * v[i];
        wm[i] = w[i] - h * v[i];
    }
    fwd(m, w, X, &F0);
    fwd(m, wp, X, &Fp);
    fwd(m, wm, X, &Fm);
    /* jvp = (F(w + hv) - F(w - hv)) / 2h;  jvp2 = (F(w + hv) - 2F + F(w - hv)) / h^2 */
    WL_OK_OR_FAIL(wl_model_jvp(m, w, X, v, &JV));
    WL_OK_OR_FAIL(wl_model_jvp2(m, w, X, v, &Q));
    for (size_t i = 0; i < n * k; i++) fdm.data[i] = (Fp.data[i] - Fm.data[i]) / (2 * h);
    assert_true(wl_test_rel_err(n * k, JV.data, fdm.data, 1e-3) < 1e-6);
    for (size_t i = 0; i < n * k; i++)
        fdm.data[i] = (Fp.data[i] - 2 * F0.data[i] + Fm.data[i]) / (h * h);
    assert_true(wl_test_rel_err(n * k, Q.data, fdm.data, 1e-2) < 1e-4);
    /* vjp: <vjp(G), v> = <G, jvp(v)> by differences */
    WL_OK_OR_FAIL(wl_model_vjp(m, w, X, &G, g));
    double lhs = wl_dot(p, g, v), rhs = 0;
    for (size_t i = 0; i < n * k; i++) rhs += G.data[i] * (Fp.data[i] - Fm.data[i]) / (2 * h);
    WL_ASSERT_CLOSE(lhs, rhs, 1e-6);
    /* hvp = (vjp(w + hv) - vjp(w - hv)) / 2h */
    WL_OK_OR_FAIL(wl_model_hvp(m, w, X, &G, v, hv));
    WL_OK_OR_FAIL(wl_model_vjp(m, wp, X, &G, gp));
    WL_OK_OR_FAIL(wl_model_vjp(m, wm, X, &G, gm));
    for (size_t i = 0; i < p; i++) fd[i] = (gp[i] - gm[i]) / (2 * h);
    assert_true(wl_test_rel_err(p, hv, fd, 1e-3) < 1e-6);
    free(v), free(wp), free(wm), free(g), free(gp), free(gm), free(hv), free(fd);
    wl_mat_free(&F0), wl_mat_free(&Fp), wl_mat_free(&Fm), wl_mat_free(&JV);
    wl_mat_free(&Q), wl_mat_free(&G), wl_mat_free(&fdm);
}

typedef struct fixture {
    wl_model *base, *t1, *t2;
    double *w0, *w;
    wl_mat X;
    wl_rng r;
} fixture;

static void setup(fixture *fx, size_t d, size_t k, size_t n) {
    wl_rng_seed(&fx->r, 21);
    fx->base = toy_new(d, k);
    size_t p = fx->base->dim;
    fx->w0 = malloc(p * sizeof(double));
    fx->w = malloc(p * sizeof(double));
    WL_OK_OR_FAIL(wl_model_init(fx->base, &fx->r, fx->w0));
    for (size_t i = 0; i < p; i++) fx->w[i] = fx->w0[i] + 0.3 * wl_rng_normal(&fx->r);
    wl_mat_alloc(&fx->X, n, d);
    randn(&fx->r, fx->X.data, n * d, 0.7);
    WL_OK_OR_FAIL(wl_taylor_new(fx->base, fx->w0, 1, &fx->t1));
    WL_OK_OR_FAIL(wl_taylor_new(fx->base, fx->w0, 2, &fx->t2));
}

static void teardown(fixture *fx) {
    wl_model_free(fx->t1);
    wl_model_free(fx->t2);
    wl_model_free(fx->base);
    free(fx->w0);
    free(fx->w);
    wl_mat_free(&fx->X);
}

static void test_ops_against_fd(void **state) {
    (void)state;
    fixture fx;
    setup(&fx, 4, 3, 5);
    check_ops_fd(fx.base, fx.w0, &fx.X, &fx.r); /* the toy itself */
    check_ops_fd(fx.t1, fx.w, &fx.X, &fx.r);
    check_ops_fd(fx.t2, fx.w, &fx.X, &fx.r);
    check_ops_fd(fx.t2, fx.w0, &fx.X, &fx.r); /* d = 0 branch of jvp */
    assert_string_equal(fx.t1->kind, "taylor1");
    assert_string_equal(fx.t2->kind, "taylor2");
    teardown(&fx);
}

/* |f(w0 + t v) - f_q(w0 + t v)| = O(t^3): ratio ~8 when t halves; O(t^2), ~4, for f_lin */
static void test_remainder_orders(void **state) {
    (void)state;
    fixture fx;
    setup(&fx, 4, 2, 6);
    size_t p = fx.base->dim, nk = 6 * 2;
    double *v = malloc(p * sizeof(double)), *wt = malloc(p * sizeof(double));
    randn(&fx.r, v, p, 1.0);
    wl_mat F, F1, F2;
    wl_mat_alloc(&F, 6, 2);
    wl_mat_alloc(&F1, 6, 2);
    wl_mat_alloc(&F2, 6, 2);
    double e1[3], e2[3];
    for (int s = 0; s < 3; s++) {
        double t = 0.02 / pow(2.0, s);
        for (size_t i = 0; i < p; i++) wt[i] = fx.w0[i] + t * v[i];
        fwd(fx.base, wt, &fx.X, &F);
        fwd(fx.t1, wt, &fx.X, &F1);
        fwd(fx.t2, wt, &fx.X, &F2);
        e1[s] = e2[s] = 0;
        for (size_t i = 0; i < nk; i++) {
            e1[s] = fmax(e1[s], fabs(F.data[i] - F1.data[i]));
            e2[s] = fmax(e2[s], fabs(F.data[i] - F2.data[i]));
        }
    }
    for (int s = 0; s < 2; s++) {
        assert_true(fabs(e1[s] / e1[s + 1] - 4.0) < 0.2);
        assert_true(fabs(e2[s] / e2[s + 1] - 8.0) < 0.4);
    }
    /* at w0 both equal the base exactly */
    fwd(fx.base, fx.w0, &fx.X, &F);
    fwd(fx.t2, fx.w0, &fx.X, &F2);
    assert_memory_equal(F.data, F2.data, nk * sizeof(double));
    free(v);
    free(wt);
    wl_mat_free(&F), wl_mat_free(&F1), wl_mat_free(&F2);
    teardown(&fx);
}

/* Hessian of the quadratic model: constant in w and equal to the base's at w0;
 * the linearized model has none; jvp of the linearized model is J0 at any w. */
static void test_constant_hessian(void **state) {
    (void)state;
    fixture fx;
    setup(&fx, 3, 2, 4);
    size_t p = fx.base->dim;
    double *v = malloc(p * sizeof(double)), *a = malloc(p * sizeof(double)),
           *b = malloc(p * sizeof(double)), *c = malloc(p * sizeof(double));
    wl_mat G, Qa, Qb, Ja, Jb;
    wl_mat_alloc(&G, 4, 2);
    wl_mat_alloc(&Qa, 4, 2);
    wl_mat_alloc(&Qb, 4, 2);
    wl_mat_alloc(&Ja, 4, 2);
    wl_mat_alloc(&Jb, 4, 2);
    randn(&fx.r, v, p, 1.0);
    randn(&fx.r, G.data, 8, 1.0);
    WL_OK_OR_FAIL(wl_model_hvp(fx.t2, fx.w, &fx.X, &G, v, a));
    WL_OK_OR_FAIL(wl_model_hvp(fx.t2, fx.w0, &fx.X, &G, v, b));
    WL_OK_OR_FAIL(wl_model_hvp(fx.base, fx.w0, &fx.X, &G, v, c));
    assert_memory_equal(a, b, p * sizeof(double));
    assert_memory_equal(a, c, p * sizeof(double));
    WL_OK_OR_FAIL(wl_model_jvp2(fx.t2, fx.w, &fx.X, v, &Qa));
    WL_OK_OR_FAIL(wl_model_jvp2(fx.base, fx.w0, &fx.X, v, &Qb));
    assert_memory_equal(Qa.data, Qb.data, 8 * sizeof(double));
    WL_OK_OR_FAIL(wl_model_hvp(fx.t1, fx.w, &fx.X, &G, v, a));
    for (size_t i = 0; i < p; i++) assert_true(a[i] == 0.0);
    WL_OK_OR_FAIL(wl_model_jvp(fx.t1, fx.w, &fx.X, v, &Ja));
    WL_OK_OR_FAIL(wl_model_jvp(fx.base, fx.w0, &fx.X, v, &Jb));
    assert_memory_equal(Ja.data, Jb.data, 8 * sizeof(double));
    /* the quadratic model's Jacobian moves linearly: J(w) v = J0 v + d^T H v,
     * checked against the symmetric bilinear form from hvp: e_c-weighted */
    WL_OK_OR_FAIL(wl_model_jvp(fx.t2, fx.w, &fx.X, v, &Ja));
    for (size_t i = 0; i < p; i++) a[i] = fx.w[i] - fx.w0[i];
    for (size_t pt = 0; pt < 4; pt++)
        for (size_t cc = 0; cc < 2; cc++) {
            wl_mat E;
            wl_mat_alloc(&E, 4, 2);
            WL_AT(&E, pt, cc) = 1.0;
            WL_OK_OR_FAIL(wl_model_hvp(fx.base, fx.w0, &fx.X, &E, v, c)); /* H_c(x_pt) v */
            WL_ASSERT_CLOSE(WL_AT(&Ja, pt, cc), WL_AT(&Jb, pt, cc) + wl_dot(p, a, c), 1e-12);
            wl_mat_free(&E);
        }
    free(v), free(a), free(b), free(c);
    wl_mat_free(&G), wl_mat_free(&Qa), wl_mat_free(&Qb), wl_mat_free(&Ja), wl_mat_free(&Jb);
    teardown(&fx);
}

/* init gives w0; clones agree; bad arguments */
static void test_init_clone_errors(void **state) {
    (void)state;
    fixture fx;
    setup(&fx, 3, 2, 4);
    size_t p = fx.base->dim;
    double *w = malloc(p * sizeof(double));
    WL_OK_OR_FAIL(wl_model_init(fx.t2, &fx.r, w));
    assert_memory_equal(w, fx.w0, p * sizeof(double));
    wl_model *c = wl_model_clone(fx.t2);
    assert_non_null(c);
    wl_mat F1, F2;
    wl_mat_alloc(&F1, 4, 2);
    wl_mat_alloc(&F2, 4, 2);
    fwd(fx.t2, fx.w, &fx.X, &F1);
    fwd(c, fx.w, &fx.X, &F2);
    assert_memory_equal(F1.data, F2.data, 8 * sizeof(double));
    wl_model_free(c);
    wl_model *bad = NULL;
    assert_int_equal(wl_taylor_new(fx.base, fx.w0, 3, &bad), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "order 3"));
    assert_null(bad);
    w[0] = NAN;
    assert_int_equal(wl_taylor_new(fx.base, w, 1, &bad), WL_EINVAL);
    wl_mat GX;
    wl_mat_alloc(&GX, 4, 3);
    assert_int_equal(wl_model_xvjp(fx.t1, fx.w, &fx.X, &F1, &GX), WL_EUNSUP);
    wl_mat_free(&GX);
    free(w);
    wl_mat_free(&F1), wl_mat_free(&F2);
    teardown(&fx);
}

/* For f = (1/sqrt m) sum_i v_i relu(u_i.x / sqrt d), H_f has only the u-v cross
 * terms, and the quadratic model around w0 is exactly the network with its
 * activation pattern frozen at w0:  f_q(w; x) = (1/sqrt m) sum_i v_i D_i u_i.x / sqrt d,
 * D_i = 1[u0_i.x > 0], for any w (not only near w0). */
static void test_relu_quadratic_is_frozen_net(void **state) {
    (void)state;
    const size_t d = 4, m = 30, n = 5;
    wl_model *net, *q;
    WL_OK_OR_FAIL(wl_net_from_spec("mlp:4-30-1:relu:ntk", &net));
    size_t p = net->dim;
    assert_int_equal(p, m * d + m);
    wl_rng r;
    wl_rng_seed(&r, 60);
    double *w0 = malloc(p * sizeof(double)), *w = malloc(p * sizeof(double));
    WL_OK_OR_FAIL(wl_model_init(net, &r, w0));
    for (size_t i = 0; i < p; i++) w[i] = w0[i] + wl_rng_normal(&r); /* far away */
    wl_mat X, F;
    wl_mat_alloc(&X, n, d);
    wl_mat_alloc(&F, n, 1);
    randn(&r, X.data, n * d, 1.0);
    WL_OK_OR_FAIL(wl_taylor_new(net, w0, 2, &q));
    WL_OK_OR_FAIL(wl_model_forward(q, w, &X, &F));
    const double *U0 = w0, *U = w, *v = w + m * d; /* "0.weight" m x d, "2.weight" 1 x m */
    size_t changed = 0;
    for (size_t s = 0; s < n; s++) {
        const double *x = &WL_AT(&X, s, 0);
        double ref = 0;
        for (size_t i = 0; i < m; i++) {
            double z0 = 0, z = 0;
            for (size_t j = 0; j < d; j++) {
                z0 += U0[i * d + j] * x[j];
                z += U[i * d + j] * x[j];
            }
            if ((z0 > 0) != (z > 0)) changed++;
            if (z0 > 0) ref += v[i] * z / sqrt((double)d);
        }
        ref /= sqrt((double)m);
        WL_ASSERT_CLOSE(WL_AT(&F, s, 0), ref, 1e-12);
    }
    assert_true(changed > 10); /* the pattern did move: the identity is not trivial */
    wl_model_free(q);
    wl_model_free(net);
    free(w0), free(w);
    wl_mat_free(&X), wl_mat_free(&F);
}

/* The linearization of a linear model is the model itself, ops and all. */
static void test_linear_of_linear(void **state) {
    (void)state;
    wl_model *lin, *t;
    WL_OK_OR_FAIL(wl_linear_new(5, 3, 1, &lin));
    size_t p = lin->dim;
    wl_rng r;
    wl_rng_seed(&r, 70);
    double *w0 = malloc(p * sizeof(double)), *w = malloc(p * sizeof(double)),
           *g1 = malloc(p * sizeof(double)), *g2 = malloc(p * sizeof(double));
    randn(&r, w0, p, 1.0);
    randn(&r, w, p, 3.0);
    WL_OK_OR_FAIL(wl_taylor_new(lin, w0, 1, &t));
    assert_int_equal(t->n_blocks, lin->n_blocks);
    wl_mat X, F1, F2, G;
    wl_mat_alloc(&X, 4, 5);
    wl_mat_alloc(&F1, 4, 3);
    wl_mat_alloc(&F2, 4, 3);
    wl_mat_alloc(&G, 4, 3);
    randn(&r, X.data, 20, 1.0);
    randn(&r, G.data, 12, 1.0);
    fwd(lin, w, &X, &F1);
    fwd(t, w, &X, &F2);
    assert_true(wl_test_rel_err(12, F2.data, F1.data, 1e-300) < 1e-13);
    WL_OK_OR_FAIL(wl_model_vjp(lin, w, &X, &G, g1));
    WL_OK_OR_FAIL(wl_model_vjp(t, w, &X, &G, g2));
    assert_true(wl_test_rel_err(p, g2, g1, 1e-300) < 1e-14);
    WL_OK_OR_FAIL(wl_model_jvp(lin, w, &X, w0, &F1));
    WL_OK_OR_FAIL(wl_model_jvp(t, w, &X, w0, &F2));
    assert_true(wl_test_rel_err(12, F2.data, F1.data, 1e-300) < 1e-14);
    wl_model_free(t);
    /* and its quadratic model too (zero Hessian) */
    WL_OK_OR_FAIL(wl_taylor_new(lin, w0, 2, &t));
    fwd(lin, w, &X, &F1);
    fwd(t, w, &X, &F2);
    assert_true(wl_test_rel_err(12, F2.data, F1.data, 1e-300) < 1e-13);
    wl_model_free(t);
    wl_model_free(lin);
    free(w0), free(w), free(g1), free(g2);
    wl_mat_free(&X), wl_mat_free(&F1), wl_mat_free(&F2), wl_mat_free(&G);
}

/* The Taylor models of a real network pass the same finite-difference checks. */
static void test_net_taylor_fd(void **state) {
    (void)state;
    wl_model *net, *t2;
    WL_OK_OR_FAIL(wl_net_from_spec("mlp:3-6-6-2:tanh:ntk:bias", &net));
    wl_rng r;
    wl_rng_seed(&r, 80);
    size_t p = net->dim;
    double *w0 = malloc(p * sizeof(double)), *w = malloc(p * sizeof(double));
    WL_OK_OR_FAIL(wl_model_init(net, &r, w0));
    for (size_t i = 0; i < p; i++) w[i] = w0[i] + 0.2 * wl_rng_normal(&r);
    wl_mat X;
    wl_mat_alloc(&X, 4, 3);
    randn(&r, X.data, 12, 1.0);
    WL_OK_OR_FAIL(wl_taylor_new(net, w0, 2, &t2));
    check_ops_fd(t2, w, &X, &r);
    wl_model_free(t2);
    wl_model_free(net);
    free(w0), free(w);
    wl_mat_free(&X);
}

/* Taylor models train under every optimizer. GD on the linearized model with
 * eta = 1/lambda_max(H_L) (from Lanczos) minimizes a convex quadratic: the
 * loss decreases at every step. */
static void test_trainable(void **state) {
    (void)state;
    wl_model *net;
    WL_OK_OR_FAIL(wl_net_from_spec("mlp:3-16-1:tanh:ntk", &net));
    size_t p = net->dim, n = 16;
    wl_rng r;
    wl_rng_seed(&r, 90);
    double *w0 = malloc(p * sizeof(double)), *w = malloc(p * sizeof(double));
    WL_OK_OR_FAIL(wl_model_init(net, &r, w0));
    wl_mat X, Y;
    wl_mat_alloc(&X, n, 3);
    wl_mat_alloc(&Y, n, 1);
    randn(&r, X.data, 3 * n, 1.0);
    for (size_t i = 0; i < n; i++) WL_AT(&Y, i, 0) = sin(2 * WL_AT(&X, i, 0)) + WL_AT(&X, i, 1);
    const wl_optim_kind kinds[] = {WL_OPT_GD,   WL_OPT_SGD,  WL_OPT_HEAVYBALL,
                                   WL_OPT_NESTEROV, WL_OPT_ADAM, WL_OPT_MASS};
    for (int order = 1; order <= 2; order++) {
        wl_model *t;
        wl_objective *obj;
        WL_OK_OR_FAIL(wl_taylor_new(net, w0, order, &t));
        WL_OK_OR_FAIL(wl_objective_new(t, WL_LOSS_MSE, &X, &Y, &obj));
        wl_hessian *h;
        WL_OK_OR_FAIL(wl_hessian_loss_new(obj, w0, NULL, 0, WL_HESS_LOSS, &h));
        wl_linop H = wl_hessian_op(h);
        wl_lanczos_opts lo;
        wl_lanczos_opts_default(&lo);
        lo.which = WL_EIG_LA;
        wl_eig_result er;
        WL_OK_OR_FAIL(wl_lanczos(&H, &lo, &r, 0, &er));
        double eta = 1.0 / er.values[0];
        wl_eig_result_free(&er);
        wl_hessian_free(h);
        for (size_t kk = 0; kk < sizeof kinds / sizeof kinds[0]; kk++) {
            wl_optim_config cfg = wl_optim_defaults(kinds[kk]);
            cfg.lr = kinds[kk] == WL_OPT_ADAM ? 0.01 : (kinds[kk] == WL_OPT_GD ? eta : 0.2 * eta);
            cfg.batch = kinds[kk] == WL_OPT_GD ? 0 : 8;
            wl_optim *opt;
            WL_OK_OR_FAIL(wl_optim_new(&cfg, p, &opt));
            wl_batcher *b;
            WL_OK_OR_FAIL(wl_batcher_new(n, cfg.batch ? cfg.batch : n, 0, &r, &b));
            WL_OK_OR_FAIL(wl_model_init(t, &r, w)); /* = w0 */
            double L0, L1, losses[200];
            WL_OK_OR_FAIL(wl_objective_value(obj, w, NULL, 0, &L0));
            WL_OK_OR_FAIL(wl_optim_run(opt, obj, b, w, 200, losses));
            WL_OK_OR_FAIL(wl_objective_value(obj, w, NULL, 0, &L1));
            if (!(L1 < 0.5 * L0))
                fail_msg("taylor%d with %s: loss %g -> %g", order, wl_optim_name(kinds[kk]), L0, L1);
            if (kinds[kk] == WL_OPT_GD && order == 1)
                for (size_t s = 1; s < 200; s++) assert_true(losses[s] <= losses[s - 1] * (1 + 1e-12));
            wl_batcher_free(b);
            wl_optim_free(opt);
        }
        wl_objective_free(obj);
        wl_model_free(t);
    }
    wl_model_free(net);
    free(w0), free(w);
    wl_mat_free(&X), wl_mat_free(&Y);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_against_fd),
        cmocka_unit_test(test_remainder_orders),
        cmocka_unit_test(test_constant_hessian),
        cmocka_unit_test(test_init_clone_errors),
        cmocka_unit_test(test_relu_quadratic_is_frozen_net),
        cmocka_unit_test(test_linear_of_linear),
        cmocka_unit_test(test_net_taylor_fd),
        cmocka_unit_test(test_trainable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
