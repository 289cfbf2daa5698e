/* catapult experiment, quick mode: every claim supported and the run
 * directory holds the measured values. */
#include "wl_test.h"

static double cell(const wl_table *t, size_t r, const char *col) {
    long c = wl_table_col(t, col);
    if (c < 0) fail_msg("no column %s", col);
    return wl_table_get(t, r, (size_t)c);
}

static void test_catapult_quick(void **state) {
    (void)state;
    char dir[256], path[512];
    assert_non_null(wl_test_tmpdir(dir, sizeof dir));
    const wl_exp *e = wl_exp_find("catapult");
    assert_non_null(e);
    wl_exp_ctx ctx = {.out_dir = dir, .quick = 1, .seed = 0};
    wl_exp_result r;
    WL_OK_OR_FAIL(wl_exp_run(e, &ctx, &r));
    assert_int_equal(r.nclaims, 4);
    for (size_t i = 0; i < r.nclaims; i++)
        if (!r.claims[i].supported) fail_msg("%s: %s", r.claims[i].claim, r.claims[i].measured);

    wl_table *t;
    snprintf(path, sizeof path, "%s/catapult.csv", dir);
    WL_OK_OR_FAIL(wl_table_read_csv(path, &t));
    assert_true(wl_table_nrows(t) >= 9); /* 3 models x at least 3 step sizes */
    int seen_catapult = 0, seen_linear_div = 0;
    for (size_t i = 0; i < wl_table_nrows(t); i++) {
        /* the step size is the stated multiple of 2 / lambda_max(K0)/n */
        WL_ASSERT_CLOSE(cell(t, i, "lr"), cell(t, i, "lr_factor") * 2.0 / cell(t, i, "lambda0"),
                        1e-12);
        assert_true(cell(t, i, "peak_loss") >= cell(t, i, "loss0"));
        double f = cell(t, i, "lr_factor");
        int model = (int)cell(t, i, "model");
        if (f > 1 && f < 2 && model == 0) {
            seen_catapult = 1;
            assert_true(cell(t, i, "peak_loss") > 2 * cell(t, i, "loss0"));
            assert_true(cell(t, i, "lambda_final") < cell(t, i, "two_over_lr"));
            assert_true(cell(t, i, "lambda_final") < cell(t, i, "lambda0"));
        }
        if (f > 1 && model == 1) seen_linear_div += cell(t, i, "diverged") == 1;
    }
    assert_true(seen_catapult);
    assert_true(seen_linear_div >= 2);
    wl_table_free(t);

    snprintf(path, sizeof path, "%s/curves.csv", dir);
    WL_OK_OR_FAIL(wl_table_read_csv(path, &t));
    assert_true(wl_table_nrows(t) > 100);
    wl_table_free(t);
    const char *svgs[] = {"catapult_loss.svg", "catapult_models.svg", "catapult_kernel.svg"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, svgs[i]);
        size_t len;
        char *s = wl_test_slurp(path, &len);
        assert_non_null(s);
        assert_non_null(strstr(s, "<svg"));
        free(s);
    }
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *js = wl_test_slurp(path, NULL);
    assert_non_null(js);
    assert_non_null(strstr(js, "\"eta_crit\""));
    assert_non_null(strstr(js, "\"peak_over_loss0\""));
    assert_non_null(strstr(js, "\"supported\": true"));
    free(js);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_catapult_quick)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
