/* The objective's gradient of a network (backward pass reusing its forward
 * pass) equals J^T l'(F) from a full vjp, on batches and on all rows. */
#include "wl_test.h"

static void test_net_gradient_matches_vjp(void **state) {
    (void)state;
    wl_model *net;
    WL_OK_OR_FAIL(wl_net_from_spec("resmlp:6-16x2-3:tanh:ntk:bias", &net));
    wl_rng r;
    wl_rng_seed(&r, 4);
    double *w = wl_dalloc(net->dim, "w"), *g = wl_dalloc(net->dim, "g"), *h = wl_dalloc(net->dim, "h");
    WL_OK_OR_FAIL(wl_model_init(net, &r, w));
    wl_mat X, Y, F, G;
    wl_mat_alloc(&X, 20, 6);
    wl_mat_alloc(&Y, 20, 3);
    wl_rng_normal_fill(&r, X.data, 120, 0, 1);
    wl_rng_normal_fill(&r, Y.data, 60, 0, 1);
    wl_objective *o;
    WL_OK_OR_FAIL(wl_objective_new(net, WL_LOSS_MSE, &X, &Y, &o));
    /* all rows: G = (F - Y)/n, g = J^T G */
    double L;
    WL_OK_OR_FAIL(wl_objective_grad(o, w, NULL, 0, &L, g));
    wl_mat_alloc(&F, 20, 3);
    wl_mat_alloc(&G, 20, 3);
    WL_OK_OR_FAIL(wl_model_forward(net, w, &X, &F));
    for (size_t i = 0; i < 60; i++) G.data[i] = (F.data[i] - Y.data[i]) / 20.0;
    WL_OK_OR_FAIL(wl_model_vjp(net, w, &X, &G, h));
    assert_true(wl_test_rel_err(net->dim, g, h, 1e-300) < 1e-13);
    /* a batch after a forward pass on other rows */
    size_t idx[3] = {17, 2, 9};
    WL_OK_OR_FAIL(wl_objective_grad(o, w, idx, 3, &L, g));
    wl_mat Xb, Fb, Gb;
    wl_mat_alloc(&Xb, 3, 6);
    wl_mat_alloc(&Fb, 3, 3);
    wl_mat_alloc(&Gb, 3, 3);
    for (int i = 0; i < 3; i++) memcpy(&WL_AT(&Xb, i, 0), &WL_AT(&X, idx[i], 0), 6 * sizeof(double));
    WL_OK_OR_FAIL(wl_model_forward(net, w, &Xb, &Fb));
    for (int i = 0; i < 3; i++)
        for (int c = 0; c < 3; c++) WL_AT(&Gb, i, c) = (WL_AT(&Fb, i, c) - WL_AT(&Y, idx[i], c)) / 3.0;
    WL_OK_OR_FAIL(wl_model_vjp(net, w, &Xb, &Gb, h));
    assert_true(wl_test_rel_err(net->dim, g, h, 1e-300) < 1e-13);
    wl_objective_free(o);
    wl_model_free(net);
    free(w), free(g), free(h);
    wl_mat_free(&X), wl_mat_free(&Y), wl_mat_free(&F), wl_mat_free(&G);
    wl_mat_free(&Xb), wl_mat_free(&Fb), wl_mat_free(&Gb);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_net_gradient_matches_vjp)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
