/* widelab cluster end to end: outputs, planted recovery through the CLI, the
 * asymptotic table, and exit code 2 with clear messages on bad input. */
#include "planted.h"

#include <unistd.h>

static char dir[256];

static int setup(void **state) {
    return wl_test_tmpdir(dir, sizeof dir) ? 0 : -1;
}

static int teardown(void **state) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes X as a headerless CSV. */
static void write_csv(const char *path, const wl_mat *X) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (size_t i = 0; i < X->rows; i++)
        for (size_t j = 0; j < X->cols; j++)
            fprintf(f, "%.17g%c", WL_AT(X, i, j), j + 1 < X->cols ? ',' : '\n');
    fclose(f);
}

static void test_help(void **state) {
    char out[8192];
    assert_int_equal(wl_test_cli("cluster --help", out, sizeof out), 0);
    assert_non_null(strstr(out, "--restarts"));
    assert_non_null(strstr(out, "--asymptotics"));
    assert_non_null(strstr(out, "[default: sqeuclid]"));
}

static void test_cluster_csv(void **state) {
    int truth[300];
    wl_mat X;
    pl_make(1, 3, 100, 4, 12, &X, truth); /* Poisson clusters, KL */
    char csv[512], args[2048], out[8192], path[600];
    snprintf(csv, sizeof csv, "%s/pois.csv", dir);
    write_csv(csv, &X);
    snprintf(args, sizeof args, "cluster '%s' --k 3 --div kl --restarts 2 --seed 3 --out '%s/run'",
             csv, dir);
    int rc = wl_test_cli(args, out, sizeof out);
    if (rc != 0) fail_msg("exit %d: %s", rc, out);
    assert_non_null(strstr(out, "objective"));
    const char *files[] = {"labels.npy", "labels.csv", "centres.npy", "summary.json",
                           "config.json", "metrics.csv"};
    for (int i = 0; i < 6; i++) {
        snprintf(path, sizeof path, "%s/run/%s", dir, files[i]);
        if (!wl_test_exists(path)) fail_msg("missing %s", path);
    }
    /* labels.csv: header + one line per row; recovers the planted clusters */
    snprintf(path, sizeof path, "%s/run/labels.csv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[128];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "index,label\n");
    int lab[300];
    size_t n = 0, idx;
    while (n < 300 && fscanf(f, "%zu,%d", &idx, &lab[n]) == 2) {
        assert_int_equal(idx, n);
        n++;
    }
    fclose(f);
    assert_int_equal(n, 300);
    WL_ASSERT_CLOSE(wl_cluster_ari(lab, truth, 300), 1.0, 1e-12);
    /* centres.npy is 3 x 4 and matches the means of the labelled rows */
    snprintf(path, sizeof path, "%s/run/centres.npy", dir);
    double *C;
    int ndim;
    size_t shape[8];
    WL_OK_OR_FAIL(wl_npy_read(path, &C, &ndim, shape));
    assert_int_equal(ndim, 2);
    assert_int_equal(shape[0], 3);
    assert_int_equal(shape[1], 4);
    for (int h = 0; h < 3; h++) {
        double m = 0, c = 0;
        for (size_t i = 0; i < 300; i++)
            if (lab[i] == h) m += WL_AT(&X, i, 0), c++;
        WL_ASSERT_CLOSE(C[h * 4], m / c, 1e-9);
    }
    free(C);
    snprintf(path, sizeof path, "%s/run/summary.json", dir);
    char *js = wl_test_slurp(path, NULL);
    assert_non_null(js);
    assert_non_null(strstr(js, "\"objective\""));
    assert_non_null(strstr(js, "\"divergence\": \"kl\""));
    free(js);
    /* soft clustering through the CLI reports a log-likelihood */
    snprintf(args, sizeof args, "cluster '%s' --k 3 --div kl --soft --out '%s/soft'", csv, dir);
    rc = wl_test_cli(args, out, sizeof out);
    if (rc != 0) fail_msg("exit %d: %s", rc, out);
    assert_non_null(strstr(out, "log-likelihood"));
    wl_mat_free(&X);
}

static void test_mahalanobis_metric(void **state) {
    int truth[200];
    wl_mat X;
    pl_make(0, 2, 100, 2, 4, &X, truth);
    char csv[512], npy[512], args[2048], out[8192];
    snprintf(csv, sizeof csv, "%s/g.csv", dir);
    snprintf(npy, sizeof npy, "%s/A.npy", dir);
    write_csv(csv, &X);
    double A[4] = {2, 0.3, 0.3, 1};
    size_t sh[2] = {2, 2};
    WL_OK_OR_FAIL(wl_npy_write(npy, A, 2, sh));
    snprintf(args, sizeof args, "cluster '%s' --k 2 --div mahalanobis --metric '%s'", csv, npy);
    int rc = wl_test_cli(args, out, sizeof out);
    if (rc != 0) fail_msg("exit %d: %s", rc, out);
    assert_non_null(strstr(out, "mahalanobis"));
    /* a metric of the wrong size is bad input */
    size_t sh1[2] = {1, 1};
    WL_OK_OR_FAIL(wl_npy_write(npy, A, 2, sh1));
    assert_int_equal(wl_test_cli(args, out, sizeof out), 2);
    assert_non_null(strstr(out, "2 x 2"));
    wl_mat_free(&X);
}

static void test_bad_input(void **state) {
    char csv[512], args[2048], out[8192];
    snprintf(csv, sizeof csv, "%s/bad.csv", dir);
    FILE *f = fopen(csv, "w");
    fprintf(f, "1,2\n3,4\n5,-6\n7,8\n");
    fclose(f);
    snprintf(args, sizeof args, "cluster '%s' --k 2 --div kl", csv);
    assert_int_equal(wl_test_cli(args, out, sizeof out), 2);
    assert_non_null(strstr(out, "row 2, column 1"));
    assert_non_null(strstr(out, "-6"));
    snprintf(args, sizeof args, "cluster '%s' --k 2 --div nope", csv);
    assert_int_equal(wl_test_cli(args, out, sizeof out), 2);
    assert_non_null(strstr(out, "nope"));
    snprintf(args, sizeof args, "cluster '%s' --k 9", csv);
    assert_int_equal(wl_test_cli(args, out, sizeof out), 2);
    assert_non_null(strstr(out, "k = 9"));
    snprintf(args, sizeof args, "cluster '%s'", csv);
    assert_int_equal(wl_test_cli(args, out, sizeof out), 2);
    assert_non_null(strstr(out, "--k"));
    snprintf(args, sizeof args, "cluster '%s' --k two", csv);
    assert_int_equal(wl_test_cli(args, out, sizeof out), 2);
    assert_int_equal(wl_test_cli("cluster /nonexistent/x.csv --k 2", out, sizeof out), 2);
    assert_int_equal(wl_test_cli("cluster --asymptotics --div kl", out, sizeof out), 2);
    assert_non_null(strstr(out, "--density"));
    assert_int_equal(wl_test_cli("cluster --asymptotics --density gauss", out, sizeof out), 2);
    assert_int_equal(wl_test_cli("cluster --asymptotics --density uniform:-1,1 --div kl", out,
                                 sizeof out), 2);
}

static void test_asymptotics(void **state) {
    char args[2048], out[8192], path[600];
    snprintf(args, sizeof args, "cluster --asymptotics --density uniform --div sqeuclid --k 4,16 "
                                "--n 20000 --out '%s/asym'", dir);
    int rc = wl_test_cli(args, out, sizeof out);
    if (rc != 0) fail_msg("exit %d: %s", rc, out);
    assert_non_null(strstr(out, "0.083333333")); /* the predicted 1/12 */
    snprintf(path, sizeof path, "%s/asym/asymptotics.csv", dir);
    char *csv = wl_test_slurp(path, NULL);
    assert_non_null(csv);
    int lines = 0;
    for (char *c = csv; *c; c++) lines += *c == '\n';
    assert_int_equal(lines, 3);
    assert_non_null(strstr(csv, "k2E_predicted"));
    free(csv);
    snprintf(path, sizeof path, "%s/asym/asymptotics.svg", dir);
    assert_true(wl_test_exists(path));
    snprintf(path, sizeof path, "%s/asym/centres.csv", dir);
    assert_true(wl_test_exists(path));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help),       cmocka_unit_test(test_cluster_csv),
        cmocka_unit_test(test_mahalanobis_metric), cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_asymptotics),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
