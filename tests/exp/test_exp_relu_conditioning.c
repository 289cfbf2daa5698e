/* Experiment `relu-conditioning` (quick): every claim supported; its files. */
#include "wl_test.h"

static void test_relu_conditioning_quick(void **state) {
    (void)state;
    const char *files[] = {"fashion_mnist.csv", "fashion_mnist_cond.svg", "fashion_mnist_angle.svg",
                           "synthetic.csv", "synthetic_cond.svg", "gd_steps.svg", NULL};
    const char *dir = wl_test_exp_quick("relu-conditioning", files);
    char path[1024];
    snprintf(path, sizeof path, "%s/fashion_mnist.csv", dir);
    wl_table *t;
    WL_OK_OR_FAIL(wl_table_read_csv(path, &t));
    /* depth 0 is the same linear model for both activations: same kernel */
    WL_ASSERT_CLOSE(wl_table_get(t, 0, (size_t)wl_table_col(t, "relu_cond_inf")),
                    wl_table_get(t, 0, (size_t)wl_table_col(t, "linear_cond_inf")), 1e-9);
    /* the infinite-width ReLU condition number falls at every added layer */
    long c = wl_table_col(t, "relu_cond_inf");
    for (size_t r = 1; r < wl_table_nrows(t); r++)
        assert_true(wl_table_get(t, r, (size_t)c) < wl_table_get(t, r - 1, (size_t)c));
    wl_table_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_relu_conditioning_quick)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
