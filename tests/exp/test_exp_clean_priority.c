/* clean-priority experiment, quick mode: every claim supported and the run
 * directory holds the measured values. */
#include "wl_test.h"

static double cell(const wl_table *t, size_t r, const char *col) {
    long c = wl_table_col(t, col);
    if (c < 0) fail_msg("no column %s", col);
    return wl_table_get(t, r, (size_t)c);
}

static void test_clean_priority_quick(void **state) {
    (void)state;
    char dir[256], path[512];
    assert_non_null(wl_test_tmpdir(dir, sizeof dir));
    const wl_exp *e = wl_exp_find("clean-priority");
    assert_non_null(e);
    wl_exp_ctx ctx = {.out_dir = dir, .quick = 1, .seed = 0};
    wl_exp_result r;
    WL_OK_OR_FAIL(wl_exp_run(e, &ctx, &r));
    assert_int_equal(r.nclaims, 4);
    for (size_t i = 0; i < r.nclaims; i++)
        if (!r.claims[i].supported) fail_msg("%s: %s", r.claims[i].claim, r.claims[i].measured);

    wl_table *t;
    snprintf(path, sizeof path, "%s/clean_priority.csv", dir);
    WL_OK_OR_FAIL(wl_table_read_csv(path, &t));
    assert_true(wl_table_nrows(t) >= 2);
    for (size_t i = 0; i < wl_table_nrows(t); i++) {
        double delta = cell(t, i, "delta");
        assert_true(delta > 0 && delta < 0.5);
        WL_ASSERT_CLOSE(cell(t, i, "ratio_expected"), (1 - delta) / delta, 1e-12);
        assert_true(cell(t, i, "test_err_best") < cell(t, i, "test_err_final"));
        assert_true(cell(t, i, "best_step") > 0);
        assert_true(cell(t, i, "cosine0") >= -1 && cell(t, i, "cosine0") <= 1);
        /* binary: true-label and given-label accuracies of a corrupted sample add to 1 */
        WL_ASSERT_CLOSE(cell(t, i, "acc_noisy_true_best") + cell(t, i, "acc_noisy_best"), 1.0,
                        1e-12);
    }
    wl_table_free(t);

    snprintf(path, sizeof path, "%s/curves.csv", dir);
    WL_OK_OR_FAIL(wl_table_read_csv(path, &t));
    assert_true(wl_table_nrows(t) >= 20);
    wl_table_free(t);
    const char *svgs[] = {"clean_priority_test.svg", "clean_priority_ratio.svg",
                          "clean_priority_noisy.svg"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, svgs[i]);
        char *s = wl_test_slurp(path, NULL);
        assert_non_null(s);
        assert_non_null(strstr(s, "<svg"));
        free(s);
    }
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *js = wl_test_slurp(path, NULL);
    assert_non_null(js);
    assert_non_null(strstr(js, "\"ratio0\""));
    assert_non_null(strstr(js, "\"best_step\""));
    free(js);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_clean_priority_quick)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
