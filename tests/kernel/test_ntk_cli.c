/* widelab ntk end to end: summary keys and files, the depth sweep table, the
 * kernel streamed to disk, parameters from .npy, exit 2 on bad input. */
#include "wl_test.h"

static char out[1 << 16];

static void test_summary_and_files(void **st) {
    (void)st;
    char dir[256], args[1024], path[512];
    assert_non_null(wl_test_tmpdir(dir, sizeof dir));
    snprintf(args, sizeof args, "ntk --model mlp:6-32x2-2:relu:ntk --n 12 --out %s/run", dir);
    assert_int_equal(wl_test_cli(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "lambda_max"));
    assert_non_null(strstr(out, "lambda_min"));
    assert_non_null(strstr(out, "condition"));
    assert_non_null(strstr(out, "min_angle"));
    const char *files[] = {"config.json", "summary.json", "kernel.npy", "eigenvalues.npy",
                           "spectrum.svg"};
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/run/%s", dir, files[i]);
        if (!wl_test_exists(path)) fail_msg("missing %s", path);
    }
    snprintf(path, sizeof path, "%s/run/summary.json", dir);
    char *js = wl_test_slurp(path, NULL);
    assert_non_null(js);
    const char *keys[] = {"\"lambda_max\"", "\"lambda_min\"", "\"condition_number\"",
                          "\"min_angle_deg\"", "\"mean_angle_deg\"", "\"eff_rank\"",
                          "\"eff_rank_entropy\"", "\"method\": \"structured\""};
    for (int i = 0; i < 8; i++)
        if (!strstr(js, keys[i])) fail_msg("summary.json lacks %s:\n%s", keys[i], js);
    free(js);
    /* the kernel file holds 12 x 12 doubles after a 64-byte-aligned header */
    size_t len;
    snprintf(path, sizeof path, "%s/run/kernel.npy", dir);
    char *k = wl_test_slurp(path, &len);
    assert_non_null(k);
    assert_int_equal(len % 64, (12 * 12 * 8) % 64);
    assert_non_null(strstr(k + 10, "(12, 12)"));
    free(k);
}

/* parameters from a .npy give the same kernel as drawing them from the seed */
static void test_init_npy(void **st) {
    (void)st;
    char dir[256], args[1024], path[512], a[4096];
    assert_non_null(wl_test_tmpdir(dir, sizeof dir));
    wl_model *m;
    WL_OK_OR_FAIL(wl_net_from_spec("mlp:6-16-1:tanh:ntk", &m));
    double *w = wl_dalloc(m->dim, "w");
    wl_rng r;
    wl_rng_seed(&r, 5);
    WL_OK_OR_FAIL(wl_model_init(m, &r, w));
    snprintf(path, sizeof path, "%s/params.npy", dir);
    size_t sh = m->dim;
    WL_OK_OR_FAIL(wl_npy_write(path, w, 1, &sh));
    snprintf(args, sizeof args, "ntk --model mlp:6-16-1:tanh:ntk --n 8 --init %s", path);
    assert_int_equal(wl_test_cli(args, a, sizeof a), 0);
    snprintf(args, sizeof args, "ntk --model mlp:6-16-1:tanh:ntk --n 8 --run %s", dir);
    assert_int_equal(wl_test_cli(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "lambda_max"));
    /* same numbers from --init and --run */
    assert_string_equal(strstr(a, "lambda_max"), strstr(out, "lambda_max"));
    /* wrong parameter count: exit 2 naming the file */
    snprintf(args, sizeof args, "ntk --model mlp:6-17-1:tanh:ntk --n 8 --init %s", path);
    assert_int_equal(wl_test_cli(args, out, sizeof out), 2);
    assert_non_null(strstr(out, "params.npy"));
    free(w);
    wl_model_free(m);
}

/* --lanczos: extreme eigenvalues without the kernel, equal to the dense ones */
static void test_lanczos(void **st) {
    (void)st;
    char dense[4096];
    assert_int_equal(wl_test_cli("ntk --model mlp:6-24-2:tanh:ntk --n 15", dense, sizeof dense), 0);
    assert_int_equal(wl_test_cli("ntk --model mlp:6-24-2:tanh:ntk --n 15 --lanczos 2", out, sizeof out), 0);
    const char *a = strstr(dense, "lambda_max"), *b = strstr(out, "lambda_max");
    assert_non_null(a);
    assert_non_null(b);
    double x = atof(a + 10), y = atof(b + 10);
    WL_ASSERT_CLOSE(x, y, 1e-7);
    a = strstr(dense, "lambda_min");
    b = strstr(out, "lambda_min");
    WL_ASSERT_CLOSE(atof(a + 10), atof(b + 10), 1e-7 * x);
    assert_non_null(strstr(out, "converged"));
    assert_null(strstr(out, "NOT converged"));
}

/* points from the shared data options */
static void test_data_options(void **st) {
    (void)st;
    assert_int_equal(wl_test_cli("ntk --model mlp:6-16-2:tanh:ntk --data synth:sphere:n=30,d=6 "
                                 "--n 12 --mode full",
                                 out, sizeof out),
                     0);
    assert_non_null(strstr(out, "full 24 x 24"));
    /* the data's dimension must match the model's input */
    assert_int_equal(wl_test_cli("ntk --model mlp:5-16-2:tanh:ntk --data synth:sphere:n=30,d=6",
                                 out, sizeof out),
                     2);
    assert_non_null(strstr(out, "6 features"));
}

static void test_sweep(void **st) {
    (void)st;
    assert_int_equal(wl_test_cli("ntk --depths 0..2 --act relu,identity --width 64 --n 10", out,
                                 sizeof out),
                     0);
    assert_non_null(strstr(out, "condition"));
    int rows = 0;
    for (char *p = out; (p = strstr(p, "\nrelu ")) != NULL; p++) rows++;
    for (char *p = out; (p = strstr(p, "\nidentity ")) != NULL; p++) rows++;
    assert_int_equal(rows, 6);
    assert_int_equal(wl_test_cli("ntk --depths 3..1", out, sizeof out), 2);
    assert_non_null(strstr(out, "--depths"));
}

/* over the budget with --out: streamed to disk, summary says so */
static void test_disk(void **st) {
    (void)st;
    char dir[256], args[1024], path[512];
    assert_non_null(wl_test_tmpdir(dir, sizeof dir));
    snprintf(args, sizeof args,
             "ntk --model mlp:6-8-1:tanh:ntk --n 300 --mem-limit 600K --tile 20 --out %s", dir);
    assert_int_equal(wl_test_cli(args, out, sizeof out), 0);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *js = wl_test_slurp(path, NULL);
    assert_non_null(js);
    assert_non_null(strstr(js, "\"kernel_on_disk\": true"));
    free(js);
    size_t len;
    snprintf(path, sizeof path, "%s/kernel.npy", dir);
    char *k = wl_test_slurp(path, &len);
    assert_non_null(k);
    assert_true(len > 300 * 300 * 8);
    free(k);
    /* without --out it is refused with the size and the option */
    assert_int_equal(
        wl_test_cli("ntk --model mlp:6-8-1:tanh:ntk --n 300 --mem-limit 600K", out, sizeof out), 1);
    assert_non_null(strstr(out, "703.1 KiB"));
    assert_non_null(strstr(out, "--out"));
}

static void test_bad_input(void **st) {
    (void)st;
    const char *bad[] = {
        "ntk --mode bogus",
        "ntk --method fastest",
        "ntk --model mlp:oops",
        "ntk --mem-limit lots",
        "ntk --n 0",
        "ntk --frobnicate",
        "ntk --model mlp:6-8-1:relu:ntk --data /nonexistent.npy",
        "ntk --init a.npy --run b",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = wl_test_cli(bad[i], out, sizeof out);
        if (rc != 2) fail_msg("'%s' exited %d:\n%s", bad[i], rc, out);
        assert_non_null(strstr(out, "error"));
    }
    assert_int_equal(wl_test_cli("ntk --help", out, sizeof out), 0);
    assert_non_null(strstr(out, "--mem-limit"));
    assert_non_null(strstr(out, "[default: trace]"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_and_files), cmocka_unit_test(test_init_npy),
        cmocka_unit_test(test_sweep),             cmocka_unit_test(test_disk),
        cmocka_unit_test(test_data_options),      cmocka_unit_test(test_lanczos),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
