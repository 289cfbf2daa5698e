/* aiming experiment, quick mode: every claim supported, the run directory
 * holds the measured values, and the linearized model (least squares) shows
 * its closed form <grad L(w), w - w*> = 2 L(w). */
#include "wl_test.h"

static void test_aiming_quick(void **state) {
    (void)state;
    char path[512];
    const char *dir = wl_test_exp_quick("aiming", NULL);
    assert_int_equal(wl_test_exp_nclaims, 2);

    wl_table *t;
    snprintf(path, sizeof path, "%s/aiming.csv", dir);
    WL_OK_OR_FAIL(wl_table_read_csv(path, &t));
    size_t rows = wl_table_nrows(t), nlin = 0, nnet = 0;
    assert_true(rows > 40);
    double lin_final = NAN, lin_first = NAN;
    for (size_t i = 0; i < rows; i++) {
        int model = (int)wl_test_cell(t, i, "model");
        double loss = wl_test_cell(t, i, "loss"), a = wl_test_cell(t, i, "aiming_ratio");
        assert_true(loss >= 0);
        assert_true(wl_test_cell(t, i, "dist_to_final") >= 0);
        if (model == 1) {
            if (nlin++ == 0) lin_first = loss;
            lin_final = loss;
        } else {
            nnet++;
        }
        /* least squares: while L(w_t) >> L(w_T), a_t = 2 up to O(L_T / L_t) terms */
        if (model == 1 && loss > 1e-5 * lin_first) WL_ASSERT_CLOSE(a, 2.0, 0.05);
    }
    assert_int_equal(nlin, nnet);
    assert_true(lin_final < 1e-6 * lin_first);
    wl_table_free(t);
    const char *svgs[] = {"aiming_ratio.svg", "aiming_loss.svg"};
    for (int i = 0; i < 2; i++) wl_test_file_has(dir, svgs[i], (const char *const[]){"<svg", NULL});
    wl_test_file_has(dir, "summary.json", (const char *const[]){"\"theta_min\"", "\"quarter_reduction\"", NULL});
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_aiming_quick)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
