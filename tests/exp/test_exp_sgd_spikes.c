/* sgd-spikes experiment, quick mode: every claim supported and the run
 * directory holds the measured values. */
#include "wl_test.h"

static void test_sgd_spikes_quick(void **state) {
    (void)state;
    char path[512];
    const char *dir = wl_test_exp_quick("sgd-spikes", NULL);
    assert_int_equal(wl_test_exp_nclaims, 4);

    wl_table *t;
    snprintf(path, sizeof path, "%s/sgd_spikes.csv", dir);
    WL_OK_OR_FAIL(wl_table_read_csv(path, &t));
    size_t nb = wl_table_nrows(t);
    assert_true(nb >= 3);
    /* batch sizes ascending, the last one the full batch: GD below eta_crit */
    for (size_t i = 1; i < nb; i++) assert_true(wl_test_cell(t, i, "batch") > wl_test_cell(t, i - 1, "batch"));
    assert_true(wl_test_cell(t, 0, "spikes") > wl_test_cell(t, nb - 1, "spikes"));
    assert_true(wl_test_cell(t, nb - 1, "frac_steps_lr_above_batch_crit") == 0);
    assert_true(wl_test_cell(t, 0, "frac_steps_lr_above_batch_crit") > 0);
    for (size_t i = 0; i < nb; i++) {
        assert_true(wl_test_cell(t, i, "spikes_lowering_lambda") <= wl_test_cell(t, i, "spikes"));
        double a = wl_test_cell(t, i, "agop_align_final");
        assert_true(a > 0 && a <= 1 + 1e-12);
        assert_true(wl_test_cell(t, i, "diverged") == 0);
        assert_true(wl_test_cell(t, i, "train_loss_final") < 1e-2);
    }
    wl_table_free(t);

    snprintf(path, sizeof path, "%s/curves.csv", dir);
    WL_OK_OR_FAIL(wl_table_read_csv(path, &t));
    assert_true(wl_table_nrows(t) > 3 * 100);
    wl_table_free(t);
    const char *svgs[] = {"sgd_spikes_loss.svg", "sgd_spikes_kernel.svg", "sgd_spikes_agop.svg"};
    for (int i = 0; i < 3; i++) wl_test_file_has(dir, svgs[i], (const char *const[]){"<svg", NULL});
    wl_test_file_has(dir, "summary.json", (const char *const[]){"\"spearman_batch_spikes\"", "\"agop_align_final\"", "\"eta_crit_full_batch\"", NULL});
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_sgd_spikes_quick)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
