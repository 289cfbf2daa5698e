/* Shared by the tests of the linearity experiments (linearity, dag-linearity,
 * assembly): quick run with every claim supported, then the files hold the
 * fitted slopes and one row per architecture and size with a positive
 * Hessian norm. */
#ifndef WL_TEST_LINEARITY_CHECK_H
#define WL_TEST_LINEARITY_CHECK_H

#include "wl_test.h"

static void check_linearity_experiment(const char *name) {
    const char *files[] = {"linearity.csv", "hessian_norm.svg", "kernel_change.svg",
                           "linearity_gap.svg", NULL};
    const char *dir = wl_test_exp_quick(name, files);
    wl_test_file_has(dir, "summary.json",
                     (const char *const[]){"\"slope_hessian_norm\"", "\"kernel_change_gd\"",
                                           "\"linearity_gap\"", NULL});
    char path[1024];
    snprintf(path, sizeof path, "%s/linearity.csv", dir);
    char *s = wl_test_slurp(path, NULL);
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

#endif
