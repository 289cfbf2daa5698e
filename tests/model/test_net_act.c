/* Activation functions: first and second derivatives against central
 * differences at many points, closed-form values, conventions at 0. */
#include "wl_test.h"

static void test_derivatives(void **state) {
    (void)state;
    const double h = 1e-5;
    for (int a = 0; a < WL_ACT_COUNT; a++) {
        for (double z = -4.3; z < 4.3; z += 0.37) {
            double f, d1, d2, fp, fm, d1p, d1m;
            wl_act_eval(a, 0.2, z, &f, &d1, &d2);
            wl_act_eval(a, 0.2, z + h, &fp, &d1p, NULL);
            wl_act_eval(a, 0.2, z - h, &fm, &d1m, NULL);
            double e1 = fabs(d1 - (fp - fm) / (2 * h)), e2 = fabs(d2 - (d1p - d1m) / (2 * h));
            if (!(e1 < 1e-8 * fmax(1, fabs(d1)) && e2 < 1e-8 * fmax(1, fabs(d2))))
                fail_msg("%s at %g: d1 error %.3g, d2 error %.3g", wl_act_name(a), z, e1, e2);
        }
    }
}

static void test_values(void **state) {
    (void)state;
    double f, d1, d2;
    wl_act_eval(WL_ACT_RELU, 0, 0.0, &f, &d1, &d2);
    assert_true(f == 0 && d1 == 0 && d2 == 0);
    wl_act_eval(WL_ACT_LEAKY, 0.1, 0.0, NULL, &d1, NULL);
    assert_true(d1 == 0.1);
    wl_act_eval(WL_ACT_LEAKY, 0.1, -2.0, &f, NULL, NULL);
    WL_ASSERT_CLOSE(f, -0.2, 1e-16);
    wl_act_eval(WL_ACT_GELU, 0, 1.0, &f, NULL, NULL);
    WL_ASSERT_CLOSE(f, 0.5 * (1 + erf(1 / sqrt(2.0))), 1e-15);
    wl_act_eval(WL_ACT_SOFTPLUS, 0, 800.0, &f, &d1, NULL); /* no overflow */
    WL_ASSERT_CLOSE(f, 800.0, 1e-15);
    WL_ASSERT_CLOSE(d1, 1.0, 1e-15);
    wl_act_eval(WL_ACT_SOFTPLUS, 0, -800.0, &f, &d1, NULL);
    assert_true(f >= 0 && f < 1e-300 && d1 < 1e-300);
    wl_act_eval(WL_ACT_SIGMOID, 0, -800.0, &f, NULL, NULL);
    assert_true(isfinite(f) && f >= 0);
    int a;
    assert_int_equal(wl_act_from_name("swish", &a), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "swish"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_derivatives),
        cmocka_unit_test(test_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
