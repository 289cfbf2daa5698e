/* Objectives: gradient and Hessian-vector products against finite
 * differences of the value, for MSE and cross-entropy, on the linear model and
 * on a small non-linear model defined here with exact derivatives:
 *
 *   f_c(w; x) = sum_j a_cj tanh(u_j x_j),   w = [a (k x d) | u (d)]
 */
#include "wl_test.h"

/* ---- the non-linear test model ------------------------------------------- */

typedef struct tmodel {
    wl_model base;
    size_t d, k;
} tmodel;

static const double *tm_a(const tmodel *t, const double *w) { (void)t; return w; }
static const double *tm_u(const tmodel *t, const double *w) { return w + t->k * t->d; }

static int tm_forward(wl_model *m, const double *w, const wl_mat *X, wl_mat *F) {
    tmodel *t = (tmodel *)m;
    const double *a = tm_a(t, w), *u = tm_u(t, w);
    for (size_t i = 0; i < X->rows; i++)
        for (size_t c = 0; c < t->k; c++) {
            double s = 0;
            for (size_t j = 0; j < t->d; j++) s += a[c * t->d + j] * tanh(u[j] * WL_AT(X, i, j));
            WL_AT(F, i, c) = s;
        }
    return WL_OK;
}

/* df_c/da_cj = tanh(z_j), df_c/du_j = a_cj x_j sech^2(z_j), z_j = u_j x_j */
static int tm_jvp(wl_model *m, const double *w, const wl_mat *X, const double *v, wl_mat *JV) {
    tmodel *t = (tmodel *)m;
    const double *a = tm_a(t, w), *u = tm_u(t, w), *va = v, *vu = v + t->k * t->d;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t c = 0; c < t->k; c++) {
            double s = 0;
            for (size_t j = 0; j < t->d; j++) {
                double x = WL_AT(X, i, j), th = tanh(u[j] * x), se = 1 - th * th;
                s += va[c * t->d + j] * th + a[c * t->d + j] * x * se * vu[j];
            }
            WL_AT(JV, i, c) = s;
        }
    return WL_OK;
}

static int tm_vjp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G, double *gw) {
    tmodel *t = (tmodel *)m;
    const double *a = tm_a(t, w), *u = tm_u(t, w);
    double *ga = gw, *gu = gw + t->k * t->d;
    memset(gw, 0, m->dim * sizeof(double));
    for (size_t i = 0; i < X->rows; i++)
        for (size_t c = 0; c < t->k; c++)
            for (size_t j = 0; j < t->d; j++) {
                double x = WL_AT(X, i, j), th = tanh(u[j] * x), se = 1 - th * th;
                ga[c * t->d + j] += WL_AT(G, i, c) * th;
                gu[j] += WL_AT(G, i, c) * a[c * t->d + j] * x * se;
            }
    return WL_OK;
}

/* d2f_c/da_cj du_j = x_j sech^2, d2f_c/du_j^2 = -2 a_cj x_j^2 tanh sech^2 */
static int tm_jvp2(wl_model *m, const double *w, const wl_mat *X, const double *v, wl_mat *Q) {
    tmodel *t = (tmodel *)m;
    const double *a = tm_a(t, w), *u = tm_u(t, w), *va = v, *vu = v + t->k * t->d;
    for (size_t i = 0; i < X->rows; i++)
        for (size_t c = 0; c < t->k; c++) {
            double s = 0;
            for (size_t j = 0; j < t->d; j++) {
                double x = WL_AT(X, i, j), th = tanh(u[j] * x), se = 1 - th * th;
                s += 2 * va[c * t->d + j] * vu[j] * x * se;
                s += -2 * a[c * t->d + j] * x * x * th * se * vu[j] * vu[j];
            }
            WL_AT(Q, i, c) = s;
        }
    return WL_OK;
}

static int tm_hvp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G,
                  const double *v, double *hv) {
    tmodel *t = (tmodel *)m;
    const double *a = tm_a(t, w), *u = tm_u(t, w), *va = v, *vu = v + t->k * t->d;
    double *ha = hv, *hu = hv + t->k * t->d;
    memset(hv, 0, m->dim * sizeof(double));
    for (size_t i = 0; i < X->rows; i++)
        for (size_t c = 0; c < t->k; c++)
            for (size_t j = 0; j < t->d; j++) {
                double x = WL_AT(X, i, j), th = tanh(u[j] * x), se = 1 - th * th;
                double g = WL_AT(G, i, c);
                ha[c * t->d + j] += g * x * se * vu[j];
                hu[j] += g * (x * se * va[c * t->d + j] - 2 * a[c * t->d + j] * x * x * th * se * vu[j]);
            }
    return WL_OK;
}

static void tm_free(wl_model *m) { free(m); }

static const wl_model_ops tm_ops = {tm_forward, tm_vjp, tm_jvp, tm_jvp2, tm_hvp,
                                    NULL,       NULL,   NULL,   tm_free};

static wl_model *tm_new(size_t d, size_t k) {
    tmodel *t = calloc(1, sizeof *t);
    t->d = d;
    t->k = k;
    t->base.ops = &tm_ops;
    t->base.dim = k * d + d;
    t->base.n_in = d;
    t->base.n_out = k;
    t->base.kind = "tanh-test";
    return &t->base;
}

/* ---- helpers ---------------------------------------------------------------- */

typedef struct setup {
    wl_model *m;
    wl_mat X, Y;
    wl_objective *o;
    double *w, *v, *u;
} setup;

static void make(setup *s, int nonlinear, wl_loss_kind loss, uint64_t seed) {
    size_t n = 9, d = 4, k = 3;
    wl_rng r;
    wl_rng_seed(&r, seed);
    if (nonlinear)
        s->m = tm_new(d, k);
    else
        WL_OK_OR_FAIL(wl_linear_new(d, k, 1, &s->m));
    wl_mat_alloc(&s->X, n, d);
    wl_mat_alloc(&s->Y, n, k);
    wl_rng_normal_fill(&r, s->X.data, n * d, 0, 1);
    if (loss == WL_LOSS_MSE) {
        wl_rng_normal_fill(&r, s->Y.data, n * k, 0, 1);
    } else {
        for (size_t i = 0; i < n; i++) WL_AT(&s->Y, i, wl_rng_below(&r, k)) = 1.0;
        /* one soft target row */
        WL_AT(&s->Y, 0, 0) = 0.2, WL_AT(&s->Y, 0, 1) = 0.5, WL_AT(&s->Y, 0, 2) = 0.3;
    }
    size_t p = s->m->dim;
    s->w = wl_dalloc(p, "w");
    s->v = wl_dalloc(p, "v");
    s->u = wl_dalloc(p, "u");
    wl_rng_normal_fill(&r, s->w, p, 0, 1);
    wl_rng_normal_fill(&r, s->v, p, 0, 1);
    wl_rng_normal_fill(&r, s->u, p, 0, 1);
    WL_OK_OR_FAIL(wl_objective_new(s->m, loss, &s->X, &s->Y, &s->o));
}

static void unmake(setup *s) {
    wl_objective_free(s->o);
    wl_model_free(s->m);
    wl_mat_free(&s->X);
    wl_mat_free(&s->Y);
    free(s->w);
    free(s->v);
    free(s->u);
}

static double value_at(setup *s, const size_t *idx, size_t nb, const double *dir, double h,
                       const double *dir2, double h2) {
    size_t p = s->m->dim;
    double *wp = wl_dalloc(p, "wp"), L;
    for (size_t j = 0; j < p; j++) wp[j] = s->w[j] + h * dir[j] + (dir2 ? h2 * dir2[j] : 0.0);
    WL_OK_OR_FAIL(wl_objective_value(s->o, wp, idx, nb, &L));
    free(wp);
    return L;
}

static const size_t batch_idx[] = {7, 2, 2, 5, 0};

static void check_objective(int nonlinear, wl_loss_kind loss) {
    setup s;
    make(&s, nonlinear, loss, 100 + (uint64_t)nonlinear * 10 + (uint64_t)loss);
    size_t p = s.m->dim;
    double *g = wl_dalloc(p, "g"), *hv = wl_dalloc(p, "hv"), *gn = wl_dalloc(p, "gn");
    double *gp = wl_dalloc(p, "gp"), *gm = wl_dalloc(p, "gm"), *e = wl_dalloc(p, "e");
    const size_t *idxs[2] = {NULL, batch_idx};
    size_t nbs[2] = {0, 5};
    for (int b = 0; b < 2; b++) {
        const size_t *idx = idxs[b];
        size_t nb = nbs[b];
        double L, L0;
        WL_OK_OR_FAIL(wl_objective_grad(s.o, s.w, idx, nb, &L, g));
        WL_OK_OR_FAIL(wl_objective_value(s.o, s.w, idx, nb, &L0));
        WL_ASSERT_CLOSE(L, L0, 1e-14);
        /* gradient: every coordinate against central differences of the value */
        double h = 1e-5;
        for (size_t j = 0; j < p; j++) {
            e[j] = 1;
            double fd = (value_at(&s, idx, nb, e, h, NULL, 0) - value_at(&s, idx, nb, e, -h, NULL, 0)) / (2 * h);
            WL_ASSERT_CLOSE(g[j], fd, 1e-7);
            e[j] = 0;
        }
        /* hvp against central differences of the gradient */
        WL_OK_OR_FAIL(wl_objective_hvp(s.o, s.w, idx, nb, s.v, hv));
        double *wp = wl_dalloc(p, "wp");
        for (size_t j = 0; j < p; j++) wp[j] = s.w[j] + h * s.v[j];
        WL_OK_OR_FAIL(wl_objective_grad(s.o, wp, idx, nb, NULL, gp));
        for (size_t j = 0; j < p; j++) wp[j] = s.w[j] - h * s.v[j];
        WL_OK_OR_FAIL(wl_objective_grad(s.o, wp, idx, nb, NULL, gm));
        free(wp);
        for (size_t j = 0; j < p; j++) gp[j] = (gp[j] - gm[j]) / (2 * h);
        assert_true(wl_test_rel_err(p, hv, gp, 1e-3) < 1e-6);
        /* u^T H v against the mixed second difference of the value */
        double h2 = 1e-4;
        double mixed = (value_at(&s, idx, nb, s.u, h2, s.v, h2) - value_at(&s, idx, nb, s.u, h2, s.v, -h2) -
                        value_at(&s, idx, nb, s.u, -h2, s.v, h2) + value_at(&s, idx, nb, s.u, -h2, s.v, -h2)) /
                       (4 * h2 * h2);
        WL_ASSERT_CLOSE(wl_dot(p, s.u, hv), mixed, 1e-5);
        /* Gauss-Newton: symmetric and PSD; equal to the full Hessian for a linear model */
        WL_OK_OR_FAIL(wl_objective_gnvp(s.o, s.w, idx, nb, s.v, gn));
        WL_OK_OR_FAIL(wl_objective_gnvp(s.o, s.w, idx, nb, s.u, gm));
        WL_ASSERT_CLOSE(wl_dot(p, s.u, gn), wl_dot(p, s.v, gm), 1e-12);
        assert_true(wl_dot(p, s.v, gn) >= 0.0);
        assert_true(wl_dot(p, s.u, gm) >= 0.0);
        if (!nonlinear) assert_true(wl_test_rel_err(p, gn, hv, 1e-12) < 1e-13);
        else assert_true(wl_test_rel_err(p, gn, hv, 1e-12) > 1e-6); /* model part is there */
        /* per-sample losses average to the value */
        size_t m = idx ? nb : wl_objective_n(s.o);
        double *l = wl_dalloc(m, "l"), sum = 0;
        WL_OK_OR_FAIL(wl_objective_losses(s.o, s.w, idx, nb, l));
        for (size_t i = 0; i < m; i++) sum += l[i];
        WL_ASSERT_CLOSE(sum / (double)m, L, 1e-13);
        free(l);
    }
    free(g), free(hv), free(gn), free(gp), free(gm), free(e);
    unmake(&s);
}

static void test_mse_linear(void **state) { (void)state; check_objective(0, WL_LOSS_MSE); }
static void test_xent_linear(void **state) { (void)state; check_objective(0, WL_LOSS_XENT); }
static void test_mse_nonlinear(void **state) { (void)state; check_objective(1, WL_LOSS_MSE); }
static void test_xent_nonlinear(void **state) { (void)state; check_objective(1, WL_LOSS_XENT); }

/* the test model's own hvp and jvp2 against differences of its vjp and jvp */
static void test_model_derivatives(void **state) {
    (void)state;
    setup s;
    make(&s, 1, WL_LOSS_MSE, 7);
    size_t p = s.m->dim, n = s.X.rows, k = s.Y.cols;
    double h = 1e-5, *hv = wl_dalloc(p, "hv"), *gp = wl_dalloc(p, "gp"), *gm = wl_dalloc(p, "gm");
    double *wp = wl_dalloc(p, "wp");
    wl_mat Q, Jp, Jm;
    wl_mat_alloc(&Q, n, k), wl_mat_alloc(&Jp, n, k), wl_mat_alloc(&Jm, n, k);
    WL_OK_OR_FAIL(wl_model_hvp(s.m, s.w, &s.X, &s.Y, s.v, hv));
    WL_OK_OR_FAIL(wl_model_jvp2(s.m, s.w, &s.X, s.v, &Q));
    for (size_t j = 0; j < p; j++) wp[j] = s.w[j] + h * s.v[j];
    WL_OK_OR_FAIL(wl_model_vjp(s.m, wp, &s.X, &s.Y, gp));
    WL_OK_OR_FAIL(wl_model_jvp(s.m, wp, &s.X, s.v, &Jp));
    for (size_t j = 0; j < p; j++) wp[j] = s.w[j] - h * s.v[j];
    WL_OK_OR_FAIL(wl_model_vjp(s.m, wp, &s.X, &s.Y, gm));
    WL_OK_OR_FAIL(wl_model_jvp(s.m, wp, &s.X, s.v, &Jm));
    for (size_t j = 0; j < p; j++) gp[j] = (gp[j] - gm[j]) / (2 * h);
    assert_true(wl_test_rel_err(p, hv, gp, 1e-3) < 1e-7);
    for (size_t i = 0; i < n * k; i++)
        WL_ASSERT_CLOSE(Q.data[i], (Jp.data[i] - Jm.data[i]) / (2 * h), 1e-7);
    free(hv), free(gp), free(gm), free(wp);
    wl_mat_free(&Q), wl_mat_free(&Jp), wl_mat_free(&Jm);
    unmake(&s);
}

/* MSE on the linear model without bias: GN v = X_b^T X_b v / nb per output */
static void test_linear_gn_closed_form(void **state) {
    (void)state;
    size_t n = 6, d = 3;
    wl_model *m;
    WL_OK_OR_FAIL(wl_linear_new(d, 1, 0, &m));
    wl_mat X, Y;
    wl_mat_alloc(&X, n, d), wl_mat_alloc(&Y, n, 1);
    wl_rng r;
    wl_rng_seed(&r, 9);
    wl_rng_normal_fill(&r, X.data, n * d, 0, 1);
    wl_objective *o;
    WL_OK_OR_FAIL(wl_objective_new(m, WL_LOSS_MSE, &X, &Y, &o));
    double w[3] = {0.3, -1, 2}, v[3] = {1, 2, -0.5}, hv[3], ref[3] = {0};
    size_t idx[] = {1, 4, 5};
    WL_OK_OR_FAIL(wl_objective_hvp(o, w, idx, 3, v, hv));
    for (size_t b = 0; b < 3; b++) {
        double xv = 0;
        for (size_t j = 0; j < d; j++) xv += WL_AT(&X, idx[b], j) * v[j];
        for (size_t j = 0; j < d; j++) ref[j] += WL_AT(&X, idx[b], j) * xv / 3.0;
    }
    assert_true(wl_test_rel_err(3, hv, ref, 1e-12) < 1e-13);
    /* value: (1/n) sum 1/2 (w.x_i - y_i)^2 with y = 0 */
    double L, ref_L = 0;
    WL_OK_OR_FAIL(wl_objective_value(o, w, NULL, 0, &L));
    for (size_t i = 0; i < n; i++) {
        double f = 0;
        for (size_t j = 0; j < d; j++) f += WL_AT(&X, i, j) * w[j];
        ref_L += 0.5 * f * f / (double)n;
    }
    WL_ASSERT_CLOSE(L, ref_L, 1e-14);
    wl_objective_free(o);
    wl_model_free(m);
    wl_mat_free(&X), wl_mat_free(&Y);
}

/* cross-entropy closed forms and stability with huge logits */
static void test_xent_values(void **state) {
    (void)state;
    double f[] = {1000, 0, -1000, 1, 2, 3}, y[] = {1, 0, 0, 0, 0, 1}, g[6], l[2], L;
    wl_mat F = wl_mat_view(f, 2, 3), Y = wl_mat_view(y, 2, 3), G = wl_mat_view(g, 2, 3);
    WL_OK_OR_FAIL(wl_loss_eval(WL_LOSS_XENT, &F, &Y, 0.5, &L, &G));
    WL_OK_OR_FAIL(wl_loss_per_sample(WL_LOSS_XENT, &F, &Y, l));
    double lse = 3 + log(1 + exp(-1) + exp(-2));
    WL_ASSERT_CLOSE(l[0], 0.0, 1e-12);
    WL_ASSERT_CLOSE(l[1], lse - 3, 1e-14);
    WL_ASSERT_CLOSE(L, 0.5 * (l[0] + l[1]), 1e-14);
    WL_ASSERT_CLOSE(g[5], 0.5 * (exp(3 - lse) - 1), 1e-14);
    assert_true(wl_all_finite(6, g));
    /* accuracy: argmax and sign conventions */
    double acc;
    WL_OK_OR_FAIL(wl_accuracy(&F, &Y, &acc));
    WL_ASSERT_CLOSE(acc, 1.0, 0);
    int labels[] = {0, 1};
    WL_OK_OR_FAIL(wl_accuracy_labels(&F, labels, &acc));
    WL_ASSERT_CLOSE(acc, 0.5, 0);
    double f1[] = {0.3, -2, 0.1}, y1[] = {1, 1, -1};
    wl_mat F1 = wl_mat_view(f1, 3, 1), Y1 = wl_mat_view(y1, 3, 1);
    WL_OK_OR_FAIL(wl_accuracy(&F1, &Y1, &acc));
    WL_ASSERT_CLOSE(acc, 1.0 / 3.0, 1e-15);
    wl_loss_kind kind;
    WL_OK_OR_FAIL(wl_loss_parse("ce", &kind));
    assert_int_equal(kind, WL_LOSS_XENT);
    assert_int_equal(wl_loss_parse("hinge", &kind), WL_EINVAL);
}

/* the shipped checker: small errors for exact derivatives, large ones when the
 * model part of the Hessian is missing */
static int zero_hvp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G, const double *v,
                    double *hv) {
    (void)w, (void)X, (void)G, (void)v;
    memset(hv, 0, m->dim * sizeof(double));
    return WL_OK;
}

static void test_checker(void **state) {
    (void)state;
    setup s;
    make(&s, 1, WL_LOSS_XENT, 12);
    wl_rng r;
    wl_rng_seed(&r, 5);
    double ge, he;
    WL_OK_OR_FAIL(wl_objective_check(s.o, s.w, batch_idx, 5, &r, 3, &ge, &he));
    assert_true(ge < 1e-7 && he < 1e-6);
    wl_model_ops broken = tm_ops;
    broken.hvp = zero_hvp;
    s.m->ops = &broken;
    WL_OK_OR_FAIL(wl_objective_check(s.o, s.w, batch_idx, 5, &r, 3, &ge, &he));
    assert_true(ge < 1e-7);
    assert_true(he > 1e-3);
    s.m->ops = &tm_ops;
    unmake(&s);
}

/* a clone evaluates the same numbers with its own model and buffers */
static void test_clone(void **state) {
    (void)state;
    setup s;
    make(&s, 0, WL_LOSS_XENT, 13);
    wl_objective *c;
    WL_OK_OR_FAIL(wl_objective_clone(s.o, &c));
    assert_ptr_not_equal(wl_objective_model(c), s.m);
    size_t p = s.m->dim;
    double *g1 = wl_dalloc(p, "g1"), *g2 = wl_dalloc(p, "g2"), L1, L2;
    WL_OK_OR_FAIL(wl_objective_grad(s.o, s.w, batch_idx, 5, &L1, g1));
    WL_OK_OR_FAIL(wl_objective_grad(c, s.w, batch_idx, 5, &L2, g2));
    assert_true(L1 == L2);
    assert_memory_equal(g1, g2, p * sizeof(double));
    free(g1), free(g2);
    wl_objective_free(c);
    /* a model without clone is refused */
    setup t;
    make(&t, 1, WL_LOSS_MSE, 14);
    assert_int_equal(wl_objective_clone(t.o, &c), WL_EUNSUP);
    assert_null(c);
    unmake(&t);
    unmake(&s);
}

static void test_bad_input(void **state) {
    (void)state;
    setup s;
    make(&s, 0, WL_LOSS_MSE, 1);
    double L;
    size_t bad[] = {1, 99};
    assert_int_equal(wl_objective_value(s.o, s.w, bad, 2, &L), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "row 99"));
    assert_int_equal(wl_objective_value(s.o, s.w, bad, 0, &L), WL_EINVAL);
    wl_objective *o2 = NULL;
    wl_mat Yb;
    wl_mat_alloc(&Yb, s.X.rows, 2);
    assert_int_equal(wl_objective_new(s.m, WL_LOSS_MSE, &s.X, &Yb, &o2), WL_EINVAL);
    assert_null(o2);
    wl_mat_free(&Yb);
    /* cross-entropy over a single logit is refused */
    wl_model *m1;
    WL_OK_OR_FAIL(wl_linear_new(s.X.cols, 1, 0, &m1));
    wl_mat Y1;
    wl_mat_alloc(&Y1, s.X.rows, 1);
    assert_int_equal(wl_objective_new(m1, WL_LOSS_XENT, &s.X, &Y1, &o2), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "2 outputs"));
    wl_mat_free(&Y1);
    wl_model_free(m1);
    unmake(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_derivatives), cmocka_unit_test(test_mse_linear),
        cmocka_unit_test(test_xent_linear),       cmocka_unit_test(test_mse_nonlinear),
        cmocka_unit_test(test_xent_nonlinear),    cmocka_unit_test(test_linear_gn_closed_form),
        cmocka_unit_test(test_xent_values),       cmocka_unit_test(test_checker),
        cmocka_unit_test(test_clone),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
