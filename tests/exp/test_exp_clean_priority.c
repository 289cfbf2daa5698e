/* clean-priority experiment, quick mode: every claim supported and the run
 * directory holds the measured values. */
#include "wl_test.h"

static void test_clean_priority_quick(void **state) {
    (void)state;
    char path[512];
    const char *dir = wl_test_exp_quick("clean-priority", NULL);
    assert_int_equal(wl_test_exp_nclaims, 4);

    wl_table *t;
    snprintf(path, sizeof path, "%s/clean_priority.csv", dir);
    WL_OK_OR_FAIL(wl_table_read_csv(path, &t));
    assert_true(wl_table_nrows(t) >= 2);
    for (size_t i = 0; i < wl_table_nrows(t); i++) {
        double delta = wl_test_cell(t, i, "delta");
        assert_true(delta > 0 && delta < 0.5);
        WL_ASSERT_CLOSE(wl_test_cell(t, i, "ratio_expected"), (1 - delta) / delta, 1e-12);
        assert_true(wl_test_cell(t, i, "test_err_best") < wl_test_cell(t, i, "test_err_final"));
        assert_true(wl_test_cell(t, i, "best_step") > 0);
        assert_true(wl_test_cell(t, i, "cosine0") >= -1 && wl_test_cell(t, i, "cosine0") <= 1);
        /* binary: true-label and given-label accuracies of a corrupted sample add to 1 */
        WL_ASSERT_CLOSE(wl_test_cell(t, i, "acc_noisy_true_best") + wl_test_cell(t, i, "acc_noisy_best"), 1.0,
                        1e-12);
    }
    wl_table_free(t);

    snprintf(path, sizeof path, "%s/curves.csv", dir);
    WL_OK_OR_FAIL(wl_table_read_csv(path, &t));
    assert_true(wl_table_nrows(t) >= 20);
    wl_table_free(t);
    const char *svgs[] = {"clean_priority_test.svg", "clean_priority_ratio.svg",
                          "clean_priority_noisy.svg"};
    for (int i = 0; i < 3; i++) wl_test_file_has(dir, svgs[i], (const char *const[]){"<svg", NULL});
    wl_test_file_has(dir, "summary.json", (const char *const[]){"\"ratio0\"", "\"best_step\"", NULL});
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_clean_priority_quick)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
