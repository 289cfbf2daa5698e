/* Experiment `assembly` (quick): every claim supported; its files hold the
 * measured values. */
#include "linearity_check.h"

static void test_assembly_quick(void **state) {
    (void)state;
    check_linearity_experiment("assembly");
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_assembly_quick)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
