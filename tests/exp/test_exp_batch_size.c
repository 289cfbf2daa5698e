/* Experiment `batch-size` (quick): every claim supported; its files. */
#include "wl_test.h"

static void test_batch_size_quick(void **state) {
    (void)state;
    const char *files[] = {"linreg_batch.svg", "linreg_batch.csv", "network_batch.svg",
                           "network_batch.csv", NULL};
    const char *dir = wl_test_exp_quick("batch-size", files);
    char path[1024];
    snprintf(path, sizeof path, "%s/linreg_batch.csv", dir);
    wl_table *t;
    WL_OK_OR_FAIL(wl_table_read_csv(path, &t));
    assert_true(wl_table_nrows(t) >= 6);
    /* the optimal step grows with the batch and saturates below 1/lambda_1 */
    for (size_t r = 1; r < wl_table_nrows(t); r++)
        assert_true(wl_table_get(t, r, 1) > wl_table_get(t, r - 1, 1));
    wl_table_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_batch_size_quick)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
