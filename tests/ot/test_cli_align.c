/* widelab align end to end: run directory, recovered matching and map,
 * two-sided with different dimensions, CSV input, bad input exits 2. */
#include "wl_test.h"

static char dir[256], out[16384];

static int setup(void **state) {
    (void)state;
    return wl_test_tmpdir(dir, sizeof dir) ? 0 : -1;
}

/* X: n x d1 Gaussian; Y = Pi X A + noise with A (d1 x d2) orthonormal rows. */
static void write_planted(size_t n, size_t d1, size_t d2, uint64_t seed, size_t *perm,
                          wl_mat *Ain) {
    wl_rng r;
    wl_rng_seed(&r, seed);
    wl_mat X, Y0, Y, R;
    wl_mat_alloc(&X, n, d1);
    wl_mat_alloc(&Y0, n, d2);
    wl_mat_alloc(&Y, n, d2);
    wl_mat_alloc(&R, d2, d2);
    wl_rng_normal_fill(&r, X.data, n * d1, 0.0, 1.0);
    WL_OK_OR_FAIL(wl_random_orthogonal(&r, &R));
    wl_mat A = wl_mat_rows(&R, 0, d1);
    WL_OK_OR_FAIL(wl_gemm(0, 0, 1.0, &X, &A, 0.0, &Y0));
    for (size_t i = 0; i < n * d2; i++) Y0.data[i] += 0.005 * wl_rng_normal(&r);
    wl_rng_permutation(&r, perm, n);
    for (size_t i = 0; i < n; i++) memcpy(Y.data + perm[i] * d2, Y0.data + i * d2, d2 * sizeof(double));
    if (Ain) WL_OK_OR_FAIL(wl_mat_copy(Ain, &A));
    char p[512];
    size_t sx[2] = {n, d1}, sy[2] = {n, d2};
    snprintf(p, sizeof p, "%s/X.npy", dir);
    WL_OK_OR_FAIL(wl_npy_write(p, X.data, 2, sx));
    snprintf(p, sizeof p, "%s/Y.npy", dir);
    WL_OK_OR_FAIL(wl_npy_write(p, Y.data, 2, sy));
    snprintf(p, sizeof p, "%s/Y.csv", dir);
    FILE *f = fopen(p, "w");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d2; j++) fprintf(f, "%.17g%c", WL_AT(&Y, i, j), j + 1 < d2 ? ',' : '\n');
    fclose(f);
    wl_mat_free(&X);
    wl_mat_free(&Y0);
    wl_mat_free(&Y);
    wl_mat_free(&R);
}

static double *read_npy(const char *sub, size_t *count) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, sub);
    double *data;
    int nd;
    size_t shape[8];
    WL_OK_OR_FAIL(wl_npy_read(p, &data, &nd, shape));
    *count = 1;
    for (int i = 0; i < nd; i++) *count *= shape[i];
    return data;
}

static void test_wasserstein_run_directory(void **state) {
    (void)state;
    size_t perm[50], cnt;
    wl_mat A;
    wl_mat_alloc(&A, 3, 3);
    write_planted(50, 3, 3, 1, perm, &A);
    char args[1024], p[512];
    snprintf(args, sizeof args, "align %s/X.npy %s/Y.npy --out %s/run --seed 3", dir, dir, dir);
    int rc = wl_test_cli(args, out, sizeof out);
    if (rc) fail_msg("exit %d: %s", rc, out);
    assert_non_null(strstr(out, "converged   yes"));
    const char *files[] = {"config.json", "summary.json", "Q.npy", "matching.npy", "matching.csv"};
    for (size_t i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/run/%s", dir, files[i]);
        if (!wl_test_exists(p)) fail_msg("missing %s", p);
    }
    double *m = read_npy("run/matching.npy", &cnt);
    assert_int_equal(cnt, 50);
    for (size_t i = 0; i < 50; i++) assert_true((size_t)m[i] == perm[i]);
    free(m);
    double *q = read_npy("run/Q.npy", &cnt);
    assert_int_equal(cnt, 9);
    assert_true(wl_test_rel_err(9, q, A.data, 1.0) < 0.02);
    free(q);
    snprintf(p, sizeof p, "%s/run/summary.json", dir);
    char *js = wl_test_slurp(p, NULL);
    assert_non_null(js);
    assert_non_null(strstr(js, "\"method\": \"wasserstein\""));
    assert_non_null(strstr(js, "\"cost\""));
    free(js);
    snprintf(p, sizeof p, "%s/run/matching.csv", dir);
    char *csv = wl_test_slurp(p, NULL);
    char line[64];
    snprintf(line, sizeof line, "\n0,%zu,", perm[0]);
    assert_non_null(strstr(csv, "x_row,y_row,weight"));
    assert_non_null(strstr(csv, line));
    free(csv);
    wl_mat_free(&A);
}

static void test_two_sided_and_csv(void **state) {
    (void)state;
    size_t perm[40], cnt;
    write_planted(40, 2, 4, 2, perm, NULL);
    char args[1024];
    snprintf(args, sizeof args, "align %s/X.npy %s/Y.csv --method two-sided --restarts 3 --out %s/two",
             dir, dir, dir);
    int rc = wl_test_cli(args, out, sizeof out);
    if (rc) fail_msg("exit %d: %s", rc, out);
    double *q2 = read_npy("two/Q2.npy", &cnt);
    assert_int_equal(cnt, 8); /* d2 x k = 4 x 2 */
    free(q2);
    double *m = read_npy("two/matching.npy", &cnt);
    size_t ok = 0;
    for (size_t i = 0; i < 40; i++) ok += (size_t)m[i] == perm[i];
    assert_true(ok == 40);
    free(m);
    /* entropic transport step */
    snprintf(args, sizeof args, "align %s/X.npy %s/Y.csv --method two-sided --reg 0.01 --restarts 2",
             dir, dir);
    rc = wl_test_cli(args, out, sizeof out);
    if (rc) fail_msg("exit %d: %s", rc, out);
}

static void test_procrustes_and_rotation(void **state) {
    (void)state;
    size_t perm[30];
    write_planted(30, 3, 3, 4, perm, NULL);
    char args[1024];
    /* rows do not correspond: plain Procrustes leaves a large residual */
    snprintf(args, sizeof args, "align %s/X.npy %s/Y.npy --method procrustes --rotation", dir, dir);
    int rc = wl_test_cli(args, out, sizeof out);
    if (rc) fail_msg("exit %d: %s", rc, out);
    const char *c = strstr(out, "cost");
    assert_non_null(c);
    assert_true(atof(c + 4) > 0.5);
}

static void test_bad_input(void **state) {
    (void)state;
    size_t perm[20];
    write_planted(20, 2, 3, 5, perm, NULL);
    char args[1024];
    struct { const char *fmt; const char *msg; } cases[] = {
        {"align %s/X.npy %s/Y.npy", "columns"},                         /* d mismatch, one-sided */
        {"align %s/X.npy %s/Y.npy --method procrustes", "same shape"},
        {"align %s/X.npy %s/Y.npy --method nope", "--method"},
        {"align %s/X.npy %s/missing.npy", "missing"},
        {"align %s/X.npy %s/Y.npy --exact --reg 0.1", "contradict"},
        {"align %s/X.npy %s/Y.npy --method two-sided --dim 5", "--dim"},
        {"align %s/X.npy %s/Y.npy --reg -1", "--reg"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(args, sizeof args, cases[i].fmt, dir, dir);
        int rc = wl_test_cli(args, out, sizeof out);
        if (rc != 2) fail_msg("'%s' exited %d (want 2): %s", args, rc, out);
        if (!strstr(out, cases[i].msg)) fail_msg("'%s': no '%s' in: %s", args, cases[i].msg, out);
    }
    int rc = wl_test_cli("align --help", out, sizeof out);
    assert_int_equal(rc, 0);
    const char *names[] = {"--method", "--reg", "--exact", "--rotation", "--restarts", "--iters", "--seed", "--out"};
    for (size_t i = 0; i < 8; i++) assert_non_null(strstr(out, names[i]));
    assert_non_null(strstr(out, "[default: wasserstein]"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_wasserstein_run_directory, setup),
        cmocka_unit_test_setup(test_two_sided_and_csv, setup),
        cmocka_unit_test_setup(test_procrustes_and_rotation, setup),
        cmocka_unit_test_setup(test_bad_input, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
