/* `widelab ntk --infinite`: summary keys, nngp.npy, the depth sweep, and
 * usage errors. */
#include "wl_test.h"

static void test_infinite_run(void **state) {
    (void)state;
    char dir[512], args[1024], out[8192], path[600];
    assert_non_null(wl_test_tmpdir(dir, sizeof dir));
    snprintf(args, sizeof args,
             "ntk --model mlp:6-64x2-2:relu:ntk:bias=0.2 --n 12 --infinite --out %s/r", dir);
    int st = wl_test_cli(args, out, sizeof out);
    if (st != 0) fail_msg("exit %d: %s", st, out);
    assert_non_null(strstr(out, "(infinite)"));
    assert_non_null(strstr(out, "condition"));
    snprintf(path, sizeof path, "%s/r/summary.json", dir);
    char *js = wl_test_slurp(path, NULL);
    assert_non_null(js);
    assert_non_null(strstr(js, "\"method\": \"infinite\""));
    assert_non_null(strstr(js, "\"condition_number\""));
    free(js);
    snprintf(path, sizeof path, "%s/r/nngp.npy", dir);
    assert_true(wl_test_exists(path));
    /* a 12 x 12 kernel with a positive diagonal */
    snprintf(path, sizeof path, "%s/r/kernel.npy", dir);
    double *K;
    int nd;
    size_t shape[8];
    WL_OK_OR_FAIL(wl_npy_read(path, &K, &nd, shape));
    assert_int_equal(nd, 2);
    assert_int_equal(shape[0], 12);
    for (size_t i = 0; i < 12; i++) assert_true(K[i * 12 + i] > 0);
    free(K);
}

static void test_infinite_sweep_and_errors(void **state) {
    (void)state;
    char out[8192];
    int st = wl_test_cli("ntk --depths 0..2 --act relu,erf --n 10 --infinite", out, sizeof out);
    if (st != 0) fail_msg("exit %d: %s", st, out);
    assert_non_null(strstr(out, "erf"));
    assert_int_equal(wl_test_cli("ntk --infinite --mode full --model mlp:4-8-1", out, sizeof out), 2);
    assert_non_null(strstr(out, "--infinite"));
    assert_int_equal(wl_test_cli("ntk --infinite --model conv:4-8-1 --n 3", out, sizeof out), 2);
    assert_int_equal(wl_test_cli("ntk --infinite --model mlp:4-8-1:relu:ntk:outact=tanh --n 3", out,
                                 sizeof out),
                     2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_infinite_run),
        cmocka_unit_test(test_infinite_sweep_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
