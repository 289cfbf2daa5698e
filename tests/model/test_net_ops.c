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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_activation),  cmocka_unit_test(test_dense_alone),
        cmocka_unit_test(test_add_concat_scale), cmocka_unit_test(test_input_in_skip),
        cmocka_unit_test(test_dense_closed_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
