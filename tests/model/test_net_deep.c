/* Deep compositions, every mode against finite differences: mlp depth 4,
 * resmlp, densemlp, assembly, NTK and standard, several outputs, c_sigma,
 * a non-linear output and a bottleneck. */
#include "net_check.h"

static void test_mlp_deep(void **state) {
    (void)state;
    nc_check_all("mlp:3-6x4-2:tanh:ntk", NULL, 4, 1);
    nc_check_all("mlp:3-6x4-3:relu:std:bias", NULL, 4, 2);
    nc_check_all("mlp:3-5-4-6-5-2:gelu:ntk:bias=0.3:csigma", NULL, 3, 3);
    nc_check_all("mlp:4-8-1-8-2:erf:ntk:outact=tanh", NULL, 3, 4); /* bottleneck, non-linear output */
}

static void test_resmlp(void **state) {
    (void)state;
    nc_check_all("resmlp:3-5x3-2:tanh:ntk", NULL, 4, 5);
    nc_check_all("resmlp:3-4x2-2:relu:std:bias", NULL, 4, 6);
}

static void test_densemlp(void **state) {
    (void)state;
    nc_check_all("densemlp:3-4x3-2:softplus:ntk", NULL, 4, 7);
    nc_check_all("densemlp:3-4x2-1:leaky=0.1:std:bias", NULL, 4, 8);
    nc_check_all("densemlp:3-4-5-2:tanh:ntk:concat", NULL, 4, 18);
    nc_check_all("densemlp:3-3x2-2:relu:std:bias:concat", NULL, 4, 19);
}

static void test_assembly(void **state) {
    (void)state;
    nc_check_all("assembly:3-4-2:5:sigmoid", NULL, 4, 9);
    nc_check_all("assembly:3-3-1:3:relu:bias", NULL, 4, 10);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mlp_deep),
        cmocka_unit_test(test_resmlp),
        cmocka_unit_test(test_densemlp),
        cmocka_unit_test(test_assembly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
