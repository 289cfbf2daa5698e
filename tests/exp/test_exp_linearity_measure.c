/* The measurements behind `linearity`, `dag-linearity` and `assembly`
 * against closed forms: a linear model has no curvature, an assembly of
 * 2-layer ReLU networks has ||H_f(x)|| = ||x|| / sqrt(m d N) exactly. */
#include "wl_test.h"

#include "../../src/exp/linearity_measure.h"

#include <math.h>

static wl_dataset teacher(size_t n) {
    wl_rng r;
    wl_rng_seed(&r, 3);
    wl_dataset ds = {0};
    if (wl_synth_teacher(&r, n, 8, 16, 1, WL_SYNTH_TANH, 0.0, &ds)) fail_msg("%s", wl_errmsg());
    return ds;
}

static const wl_linm_cfg cfg = {.hpoints = 4, .radius = 1.0, .gd_steps = 20, .lr_frac = 0.5,
                                .tol = 1e-8};

/* f = W x: H_f = 0, the kernel does not move, the linearization is exact. */
static void test_linear_model_is_linear(void **state) {
    (void)state;
    wl_dataset ds = teacher(8);
    wl_linm m;
    WL_OK_OR_FAIL(wl_linm_measure("linear:8-1", &ds, &cfg, 1, &m));
    assert_true(m.hnorm < 1e-12);
    assert_true(m.kchange_ball < 1e-12);
    assert_true(m.kchange_gd < 1e-12);
    assert_true(m.gap_gd < 1e-12);
    assert_true(m.loss_gd < m.loss0);
    assert_true(m.dist_gd > 0);
    wl_dataset_free(&ds);
}

/* Assembly of N ReLU nets 8 -> 4 -> 1: the Hessian is block diagonal with
 * blocks of norm ||x|| / sqrt(4 * 8) (an active neuron), times 1/sqrt(N). */
static void test_assembly_hessian_closed_form(void **state) {
    (void)state;
    wl_dataset ds = teacher(4);
    const size_t Ns[] = {1, 16};
    for (size_t t = 0; t < 2; t++) {
        char spec[64];
        snprintf(spec, sizeof spec, "assembly:8-4-1:%zu:relu:ntk", Ns[t]);
        wl_linm m;
        WL_OK_OR_FAIL(wl_linm_measure(spec, &ds, &cfg, 5, &m));
        double want = 0;
        for (size_t i = 0; i < 4; i++) want += wl_nrm2(8, ds.X + 8 * i) / 4.0;
        want /= sqrt(4.0 * 8.0 * (double)Ns[t]);
        if (Ns[t] > 1) WL_ASSERT_CLOSE(m.hnorm, want, 1e-6);
        else assert_true(m.hnorm <= want * (1 + 1e-6)); /* a point may leave all 4 neurons off */
        assert_true(m.converged);
        assert_true(m.grad_norm > 0 && m.kchange_ball > 0 && m.kchange_gd > 0);
        assert_true(m.lr > 0 && m.loss_gd < m.loss0);
    }
    wl_dataset_free(&ds);
}

static void test_bad_models(void **state) {
    (void)state;
    wl_dataset ds = teacher(4);
    wl_linm m;
    assert_int_equal(wl_linm_measure("mlp:8-16-2", &ds, &cfg, 1, &m), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "outputs"));
    assert_int_equal(wl_linm_measure("mlp:8-16-1:nope", &ds, &cfg, 1, &m), WL_EINVAL);
    assert_int_equal(wl_linm_measure("mlp:3-16-1", &ds, &cfg, 1, &m), WL_EINVAL);
    wl_dataset_free(&ds);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_linear_model_is_linear),
                                       cmocka_unit_test(test_assembly_hessian_closed_form),
                                       cmocka_unit_test(test_bad_models)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
