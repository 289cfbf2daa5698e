/* Experiment `linearity` (quick): every claim supported; its files hold the
 * measured values. */
#include "linearity_check.h"

static void test_linearity_quick(void **state) {
    (void)state;
    check_linearity_experiment("linearity");
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_linearity_quick)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
