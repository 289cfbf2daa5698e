/* Every network op, every mode (forward, vjp, jvp, jvp2, hvp, xvjp, clone)
 * against central finite differences and against each other. */
#include "net_check.h"

static void test_each_activation(void **state) {
    (void)state;
    static const char *acts[] = {"identity", "relu", "leaky=0.2", "tanh", "erf",
                                 "sigmoid", "softplus", "gelu", "square"};
    char spec[128];
    for (size_t a = 0; a < sizeof acts / sizeof *acts; a++) {
        snprintf(spec, sizeof spec, "mlp:3-5-2:%s:ntk", acts[a]);
        nc_check_all(spec, NULL, 4, 11 + a);
        snprintf(spec, sizeof spec, "mlp:3-4-2:%s:std:bias=0.5:csigma", acts[a]);
        nc_check_all(spec, NULL, 3, 29 + a);
    }
}

static void test_dense_alone(void **state) {
    (void)state;
    nc_check_all("mlp:4-3:ntk", NULL, 5, 1);             /* a single dense layer */
    nc_check_all("mlp:4-3:ntk:bias", NULL, 5, 2);
    nc_check_all("mlp:4-3:std:bias=0.3", NULL, 5, 3);
}

/* x -> dense -> tanh -> {dense, scale} -> add / concat -> dense */
static wl_model *branchy(int param, int use_concat) {
    wl_net *net;
    size_t x, h, a, b1, b2, s, y;
    WL_OK_OR_FAIL(wl_net_new(param, &net));
    WL_OK_OR_FAIL(wl_net_add_input(net, 3, &x));
    WL_OK_OR_FAIL(wl_net_add_dense(net, x, 4, 1, 0.7, &h));
    WL_OK_OR_FAIL(wl_net_add_act(net, h, WL_ACT_TANH, 0, 0, &a));
    WL_OK_OR_FAIL(wl_net_add_dense(net, a, 4, 0, 0, &b1));
    WL_OK_OR_FAIL(wl_net_add_scale(net, a, -1.7, &b2));
    size_t ins[3] = {b1, b2, h};
    if (use_concat)
        WL_OK_OR_FAIL(wl_net_add_concat(net, ins, 3, &s));
    else
        WL_OK_OR_FAIL(wl_net_add_add(net, ins, 3, 0.0, &s));
    WL_OK_OR_FAIL(wl_net_add_act(net, s, WL_ACT_SOFTPLUS, 0, 0, &a));
    WL_OK_OR_FAIL(wl_net_add_dense(net, a, 2, 1, 0.2, &y));
    WL_OK_OR_FAIL(wl_net_set_output(net, y));
    wl_model *m;
    WL_OK_OR_FAIL(wl_net_finish(net, &m));
    return m;
}

static void test_add_concat_scale(void **state) {
    (void)state;
    nc_check_all(NULL, branchy(WL_PARAM_NTK, 0), 4, 5);
    nc_check_all(NULL, branchy(WL_PARAM_STD, 0), 4, 6);
    nc_check_all(NULL, branchy(WL_PARAM_NTK, 1), 4, 7);
}

/* The input node feeding an add and a concat directly (x has no tangent). */
static void test_input_in_skip(void **state) {
    (void)state;
    wl_net *net;
    size_t x, h, a, s, c, y;
    WL_OK_OR_FAIL(wl_net_new(WL_PARAM_NTK, &net));
    WL_OK_OR_FAIL(wl_net_add_input(net, 3, &x));
    WL_OK_OR_FAIL(wl_net_add_dense(net, x, 3, 0, 0, &h));
    WL_OK_OR_FAIL(wl_net_add_act(net, h, WL_ACT_GELU, 0, 0, &a));
    size_t ins[2] = {x, a};
    WL_OK_OR_FAIL(wl_net_add_add(net, ins, 2, 0.0, &s));
    size_t ins2[2] = {s, x};
    WL_OK_OR_FAIL(wl_net_add_concat(net, ins2, 2, &c));
    WL_OK_OR_FAIL(wl_net_add_act(net, c, WL_ACT_SQUARE, 0, 0, &a));
    WL_OK_OR_FAIL(wl_net_add_dense(net, a, 2, 0, 0, &y));
    wl_model *m;
    WL_OK_OR_FAIL(wl_net_finish(net, &m));
    nc_check_all(NULL, m, 3, 8);
}

/* Closed forms of each op on one point: dense NTK z = W x / sqrt(d) + beta b. */
static void test_dense_closed_form(void **state) {
    (void)state;
    wl_model *m;
    WL_OK_OR_FAIL(wl_net_from_spec("mlp:2-1:ntk:bias=0.5", &m));
    double w[3] = {0.3, -1.2, 2.0}, x[2] = {1.5, 0.25}, f;
    wl_mat X = wl_mat_view(x, 1, 2), F = wl_mat_view(&f, 1, 1);
    WL_OK_OR_FAIL(wl_model_forward(m, w, &X, &F));
    WL_ASSERT_CLOSE(f, (0.3 * 1.5 - 1.2 * 0.25) / sqrt(2.0) + 0.5 * 2.0, 1e-15);
    wl_model_free(m);
    WL_OK_OR_FAIL(wl_net_from_spec("mlp:2-1:std:bias", &m));
    WL_OK_OR_FAIL(wl_model_forward(m, w, &X, &F));
    WL_ASSERT_CLOSE(f, 0.3 * 1.5 - 1.2 * 0.25 + 2.0, 1e-15);
    wl_model_free(m);
}

/* add: (sum of inputs)/sqrt(in-degree) under NTK, the plain sum under STD;
 * concat and scale by value. */
static void test_add_concat_scale_values(void **state) {
    (void)state;
    for (int param = 0; param < 2; param++) {
        wl_net *net;
        size_t x, a, b, s, c, k, y;
        WL_OK_OR_FAIL(wl_net_new(param, &net));
        WL_OK_OR_FAIL(wl_net_add_input(net, 2, &x));
        WL_OK_OR_FAIL(wl_net_add_dense(net, x, 2, 0, 0, &a));
        WL_OK_OR_FAIL(wl_net_add_scale(net, x, 3.0, &b));
        size_t ins[3] = {a, b, x};
        WL_OK_OR_FAIL(wl_net_add_add(net, ins, 3, 0.0, &s));
        size_t cins[2] = {s, b};
        WL_OK_OR_FAIL(wl_net_add_concat(net, cins, 2, &c));
        WL_OK_OR_FAIL(wl_net_add_scale(net, c, -0.5, &k));
        WL_OK_OR_FAIL(wl_net_add_act(net, k, WL_ACT_IDENTITY, 0, 0, &y));
        wl_model *m;
        WL_OK_OR_FAIL(wl_net_finish(net, &m));
        assert_int_equal(m->n_out, 4);
        double w[4] = {1, 2, 3, 4}, xv[2] = {0.5, -1}, f[4];
        wl_mat X = wl_mat_view(xv, 1, 2), F = wl_mat_view(f, 1, 4);
        WL_OK_OR_FAIL(wl_model_forward(m, w, &X, &F));
        double sw = param == WL_PARAM_NTK ? 1 / sqrt(2.0) : 1.0, sa = param == WL_PARAM_NTK ? 1 / sqrt(3.0) : 1.0;
        double z0 = sw * (1 * 0.5 + 2 * -1), z1 = sw * (3 * 0.5 + 4 * -1);
        double e[4] = {-0.5 * sa * (z0 + 3 * 0.5 + 0.5), -0.5 * sa * (z1 + 3 * -1 - 1), -0.5 * 3 * 0.5,
                       -0.5 * 3 * -1};
        for (int i = 0; i < 4; i++) WL_ASSERT_CLOSE(f[i], e[i], 1e-15);
        wl_model_free(m);
    }
}

/* Strided views (ld > cols) give the same numbers as packed ones; an empty
 * batch gives zero gradients. */
static void test_strides_and_empty_batch(void **state) {
    (void)state;
    wl_model *m;
    WL_OK_OR_FAIL(wl_net_from_spec("mlp:3-4-2:tanh:bias", &m));
    wl_rng r;
    wl_rng_seed(&r, 9);
    double w[26], x[12], xs[4 * 5], f[8], fs[4 * 3], g[8], gs[4 * 3], gw[26], gws[26];
    assert_int_equal(m->dim, 26);
    WL_OK_OR_FAIL(wl_model_init(m, &r, w));
    wl_rng_normal_fill(&r, x, 12, 0, 1);
    wl_rng_normal_fill(&r, g, 8, 0, 1);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 5; j++) xs[i * 5 + j] = j < 3 ? x[i * 3 + j] : NAN;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) gs[i * 3 + j] = j < 2 ? g[i * 2 + j] : NAN;
    wl_mat X = wl_mat_view(x, 4, 3), F = wl_mat_view(f, 4, 2), G = wl_mat_view(g, 4, 2);
    wl_mat Xs = {xs, 4, 3, 5}, Fs = {fs, 4, 2, 3}, Gs = {gs, 4, 2, 3};
    WL_OK_OR_FAIL(wl_model_forward(m, w, &X, &F));
    WL_OK_OR_FAIL(wl_model_forward(m, w, &Xs, &Fs));
    for (int i = 0; i < 4; i++)
        for (int c = 0; c < 2; c++) assert_true(f[i * 2 + c] == fs[i * 3 + c]);
    WL_OK_OR_FAIL(wl_model_vjp(m, w, &X, &G, gw));
    WL_OK_OR_FAIL(wl_model_vjp(m, w, &Xs, &Gs, gws));
    assert_memory_equal(gw, gws, sizeof gw);
    wl_mat X0 = wl_mat_view(x, 0, 3), G0 = wl_mat_view(g, 0, 2);
    WL_OK_OR_FAIL(wl_model_vjp(m, w, &X0, &G0, gw));
    for (int i = 0; i < 26; i++) assert_true(gw[i] == 0.0);
    /* shape errors come back as WL_EINVAL */
    wl_mat Xbad = wl_mat_view(x, 4, 2);
    assert_int_equal(wl_model_forward(m, w, &Xbad, &F), WL_EINVAL);
    wl_model_free(m);
}

/* The backward pass alone after a forward pass gives vjp's numbers. */
static void test_vjp_last(void **state) {
    (void)state;
    wl_model *m, *lin;
    WL_OK_OR_FAIL(wl_net_from_spec("resmlp:3-4x2-2:gelu:bias", &m));
    wl_rng r;
    wl_rng_seed(&r, 4);
    double *w = wl_dalloc(m->dim, "w"), *g1 = wl_dalloc(m->dim, "g1"), *g2 = wl_dalloc(m->dim, "g2");
    double x[15], f[10], g[10];
    WL_OK_OR_FAIL(wl_model_init(m, &r, w));
    wl_rng_normal_fill(&r, x, 15, 0, 1);
    wl_rng_normal_fill(&r, g, 10, 0, 1);
    wl_mat X = wl_mat_view(x, 5, 3), F = wl_mat_view(f, 5, 2), G = wl_mat_view(g, 5, 2);
    assert_int_equal(wl_net_vjp_last(m, &G, g2), WL_EINVAL); /* nothing to continue from */
    WL_OK_OR_FAIL(wl_model_vjp(m, w, &X, &G, g1));
    WL_OK_OR_FAIL(wl_model_forward(m, w, &X, &F));
    WL_OK_OR_FAIL(wl_net_vjp_last(m, &G, g2));
    assert_memory_equal(g1, g2, m->dim * sizeof *g1);
    WL_OK_OR_FAIL(wl_net_vjp_last(m, &G, g2)); /* repeatable */
    assert_memory_equal(g1, g2, m->dim * sizeof *g1);
    wl_mat G4 = wl_mat_view(g, 4, 2);
    assert_int_equal(wl_net_vjp_last(m, &G4, g2), WL_EINVAL);
    wl_model *c = wl_model_clone(m);
    assert_int_equal(wl_net_vjp_last(c, &G, g2), WL_EINVAL);
    wl_model_free(c);
    WL_OK_OR_FAIL(wl_net_from_spec("linear:3-2", &lin));
    assert_int_equal(wl_net_vjp_last(lin, &G, g2), WL_EUNSUP);
    wl_model_free(lin);
    wl_model_free(m);
    free(w);
    free(g1);
    free(g2);
}

/* Clones used from several threads at once give the single-thread numbers
 * (no shared mutable state between handles). */
static void test_clones_in_threads(void **state) {
    (void)state;
    wl_model *m;
    WL_OK_OR_FAIL(wl_net_from_spec("mlp:5-16x2-3:tanh:bias", &m));
    wl_rng r;
    wl_rng_seed(&r, 12);
    enum { T = 4, N = 20 };
    double *w = wl_dalloc(m->dim, "w"), x[T][N * 5], g[N * 3], ref[T][64 * 16 * 4], got[T][64 * 16 * 4];
    assert_true(m->dim <= 64 * 16 * 4);
    WL_OK_OR_FAIL(wl_model_init(m, &r, w));
    wl_rng_normal_fill(&r, &x[0][0], T * N * 5, 0, 1);
    wl_rng_normal_fill(&r, g, N * 3, 0, 1);
    wl_mat G = wl_mat_view(g, N, 3);
    for (int t = 0; t < T; t++) {
        wl_mat X = wl_mat_view(x[t], N, 5);
        WL_OK_OR_FAIL(wl_model_vjp(m, w, &X, &G, ref[t]));
    }
    wl_model *c[T];
    for (int t = 0; t < T; t++) assert_non_null(c[t] = wl_model_clone(m));
    int fails = 0;
#pragma omp parallel for reduction(+ : fails)
    for (int t = 0; t < T; t++) {
        wl_mat X = wl_mat_view(x[t], N, 5);
        for (int rep = 0; rep < 20; rep++) fails += wl_model_vjp(c[t], w, &X, &G, got[t]) != WL_OK;
    }
    assert_int_equal(fails, 0);
    for (int t = 0; t < T; t++) {
        assert_memory_equal(ref[t], got[t], m->dim * sizeof(double));
        wl_model_free(c[t]);
    }
    free(w);
    wl_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_activation),  cmocka_unit_test(test_dense_alone),
        cmocka_unit_test(test_add_concat_scale), cmocka_unit_test(test_input_in_skip),
        cmocka_unit_test(test_dense_closed_form), cmocka_unit_test(test_strides_and_empty_batch),
        cmocka_unit_test(test_vjp_last),    cmocka_unit_test(test_add_concat_scale_values),    cmocka_unit_test(test_clones_in_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
