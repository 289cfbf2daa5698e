/* Experiment `dag-linearity` (quick): every claim supported; its files hold the
 * measured values. */
#include "wl_test.h"

static void test_dag_linearity_quick(void **state) {
    (void)state;
    const char *files[] = {"linearity.csv", "hessian_norm.svg", "kernel_change.svg",
                           "linearity_gap.svg", NULL};
    const char *dir = wl_test_exp_quick("dag-linearity", files);
    char path[1024];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *s = wl_test_slurp(path, NULL);
    assert_non_null(strstr(s, "\"slope_hessian_norm\""));
    assert_non_null(strstr(s, "\"kernel_change_gd\""));
    assert_non_null(strstr(s, "\"linearity_gap\""));
    free(s);
    /* the table: a header and one row per architecture and size, with
       positive Hessian norms */
    snprintf(path, sizeof path, "%s/linearity.csv", dir);
    s = wl_test_slurp(path, NULL);
    assert_non_null(strstr(s, "hessian_norm"));
    size_t rows = 0;
    for (char *c = s; *c; c++) rows += *c == '\n';
    assert_true(rows >= 1 + 3);
    char *line = strchr(s, '\n') + 1;
    double arch, size, dim, h;
    assert_int_equal(sscanf(line, "%lf,%lf,%lf,%lf", &arch, &size, &dim, &h), 4);
    assert_true(h > 0 && dim > size);
    free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_dag_linearity_quick)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
