/* Experiment `pl-star` (quick): every claim supported; its files. */
#include "wl_test.h"

static void test_pl_star_quick(void **state) {
    (void)state;
    const char *files[] = {"pl_star.csv", "pl_ratio.svg", "loss.svg", NULL};
    const char *dir = wl_test_exp_quick("pl-star", files);
    char path[1024];
    snprintf(path, sizeof path, "%s/pl_star.csv", dir);
    wl_table *t;
    WL_OK_OR_FAIL(wl_table_read_csv(path, &t));
    /* mu_t >= lambda_min(K_t)/n on every row, and the loss falls */
    long cm = wl_table_col(t, "mu"), cb = wl_table_col(t, "lambda_min_over_n"), cl = wl_table_col(t, "loss");
    for (size_t r = 0; r < wl_table_nrows(t); r++)
        assert_true(wl_table_get(t, r, (size_t)cm) >= wl_table_get(t, r, (size_t)cb) * (1 - 1e-9));
    assert_true(wl_table_get(t, wl_table_nrows(t) - 1, (size_t)cl) < 1e-3 * wl_table_get(t, 0, (size_t)cl));
    wl_table_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_pl_star_quick)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
