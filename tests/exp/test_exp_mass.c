/* Experiment `mass` (quick): every claim supported; its files and numbers. */
#include "wl_test.h"

static void test_mass_quick(void **state) {
    (void)state;
    const char *files[] = {"linreg_loss.svg", "linreg_loss.csv", "kernel_loss.svg",
                           "network_loss.svg", NULL};
    const char *dir = wl_test_exp_quick("mass", files);
    char path[1024];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *s = wl_test_slurp(path, NULL);
    assert_non_null(strstr(s, "\"mean_steps_to_target\""));
    assert_non_null(strstr(s, "\"kernel_machine\""));
    free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_mass_quick)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
