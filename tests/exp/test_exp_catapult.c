/* catapult experiment, quick mode: every claim supported and the run
 * directory holds the measured values. */
#include "wl_test.h"

static void test_catapult_quick(void **state) {
    (void)state;
    char path[512];
    const char *dir = wl_test_exp_quick("catapult", NULL);
    assert_int_equal(wl_test_exp_nclaims, 4);

    wl_table *t;
    snprintf(path, sizeof path, "%s/catapult.csv", dir);
    WL_OK_OR_FAIL(wl_table_read_csv(path, &t));
    assert_true(wl_table_nrows(t) >= 9); /* 3 models x at least 3 step sizes */
    int seen_catapult = 0, seen_linear_div = 0;
    for (size_t i = 0; i < wl_table_nrows(t); i++) {
        /* the step size is the stated multiple of 2 / lambda_max(K0)/n */
        WL_ASSERT_CLOSE(wl_test_cell(t, i, "lr"), wl_test_cell(t, i, "lr_factor") * 2.0 / wl_test_cell(t, i, "lambda0"),
                        1e-12);
        assert_true(wl_test_cell(t, i, "peak_loss") >= wl_test_cell(t, i, "loss0"));
        double f = wl_test_cell(t, i, "lr_factor");
        int model = (int)wl_test_cell(t, i, "model");
        if (f > 1 && f < 2 && model == 0) {
            seen_catapult = 1;
            assert_true(wl_test_cell(t, i, "peak_loss") > 2 * wl_test_cell(t, i, "loss0"));
            assert_true(wl_test_cell(t, i, "lambda_final") < wl_test_cell(t, i, "two_over_lr"));
            assert_true(wl_test_cell(t, i, "lambda_final") < wl_test_cell(t, i, "lambda0"));
        }
        if (f > 1 && model == 1) seen_linear_div += wl_test_cell(t, i, "diverged") == 1;
    }
    assert_true(seen_catapult);
    assert_true(seen_linear_div >= 2);
    wl_table_free(t);

    snprintf(path, sizeof path, "%s/curves.csv", dir);
    WL_OK_OR_FAIL(wl_table_read_csv(path, &t));
    assert_true(wl_table_nrows(t) > 100);
    wl_table_free(t);
    const char *svgs[] = {"catapult_loss.svg", "catapult_models.svg", "catapult_kernel.svg"};
    for (int i = 0; i < 3; i++) wl_test_file_has(dir, svgs[i], (const char *const[]){"<svg", NULL});
    wl_test_file_has(dir, "summary.json", (const char *const[]){"\"eta_crit\"", "\"peak_over_loss0\"", "\"supported\": true", NULL});
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_catapult_quick)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
