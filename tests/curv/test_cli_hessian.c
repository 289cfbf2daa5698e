/* End-to-end runs of 'widelab hessian': the width sweep's slope, a spectrum
 * run checked against a dense Hessian, and exit code 2 on bad input. */
#include "wl_test.h"

static double json_num(const char *json, const char *key) {
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(json, pat);
    return p ? strtod(p + strlen(pat), NULL) : NAN;
}

static void rmtree(const char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

/* ||H_f(x)|| of the 2-layer ReLU net scales as m^{-1/2}: the fitted slope is
 * -0.5 and every width matches ||x|| / sqrt(m d). */
static void test_width_sweep(void **state) {
    (void)state;
    char dir[256], args[512], out[8192], path[512];
    assert_non_null(wl_test_tmpdir(dir, sizeof dir));
    snprintf(args, sizeof args, "hessian --widths 100,1000,10000,100000 --dim 10 --seed 3 --out %s", dir);
    assert_int_equal(wl_test_cli(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "log-log slope"));
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *js = wl_test_slurp(path, NULL);
    assert_non_null(js);
    double slope = json_num(js, "slope");
    assert_true(fabs(slope + 0.5) < 1e-3);
    /* the measured norms against the closed form, row by row of widths.csv */
    snprintf(path, sizeof path, "%s/widths.csv", dir);
    wl_table *t;
    WL_OK_OR_FAIL(wl_table_read_csv(path, &t));
    assert_int_equal(wl_table_nrows(t), 4);
    for (size_t i = 0; i < 4; i++)
        WL_ASSERT_CLOSE(wl_table_get(t, i, 1) / wl_table_get(t, i, 2), 1.0, 1e-8);
    wl_table_free(t);
    free(js);
    rmtree(dir);
}

/* eigenvalues.npy of a run equals the top of a dense LAPACK spectrum of the
 * same loss Hessian (same parameters via --init, same data spec). */
static void test_spectrum_against_dense(void **state) {
    (void)state;
    const char *spec = "mlp:4-6-2:tanh:ntk:bias", *data = "synth:teacher:n=20,d=4,width=8,k=2,seed=1";
    char dir[256], args[1024], out[8192], path[512];
    assert_non_null(wl_test_tmpdir(dir, sizeof dir));
    wl_model *m;
    WL_OK_OR_FAIL(wl_net_from_spec(spec, &m));
    double *w = malloc(m->dim * sizeof(double));
    wl_rng r;
    wl_rng_seed(&r, 3);
    WL_OK_OR_FAIL(wl_model_init(m, &r, w));
    size_t sh[1] = {m->dim};
    snprintf(path, sizeof path, "%s/params.npy", dir);
    WL_OK_OR_FAIL(wl_npy_write(path, w, 1, sh));
    snprintf(args, sizeof args,
             "hessian --model %s --data %s --init %s --k 3 --tol 1e-10 --probes 10 --density "
             "--slq-steps 20 --per-layer --hf-points 2 --out %s/run",
             spec, data, path, dir);
    int rc = wl_test_cli(args, out, sizeof out);
    if (rc) fail_msg("exit %d: %s", rc, out);
    /* reference */
    wl_dataset ds;
    WL_OK_OR_FAIL(wl_data_load(data, &ds));
    wl_mat X = wl_mat_view(ds.X, ds.n, ds.d), Y = wl_mat_view(ds.Y, ds.n, ds.k);
    wl_objective *obj;
    WL_OK_OR_FAIL(wl_objective_new(m, WL_LOSS_MSE, &X, &Y, &obj));
    wl_hessian *h;
    WL_OK_OR_FAIL(wl_hessian_loss_new(obj, w, NULL, 0, WL_HESS_LOSS, &h));
    wl_linop op = wl_hessian_op(h);
    wl_mat H;
    wl_mat_alloc(&H, m->dim, m->dim);
    WL_OK_OR_FAIL(wl_linop_dense(&op, &H));
    double *ev = malloc(m->dim * sizeof(double)), *got;
    WL_OK_OR_FAIL(wl_eigh(&H, ev, 0));
    int nd;
    size_t shape[8];
    snprintf(path, sizeof path, "%s/run/eigenvalues.npy", dir);
    WL_OK_OR_FAIL(wl_npy_read(path, &got, &nd, shape));
    assert_int_equal(shape[0], 3);
    for (size_t j = 0; j < 3; j++) WL_ASSERT_CLOSE(got[j], ev[m->dim - 1 - j], 1e-9);
    snprintf(path, sizeof path, "%s/run/summary.json", dir);
    char *js = wl_test_slurp(path, NULL);
    assert_non_null(js);
    WL_ASSERT_CLOSE(json_num(js, "eta_crit"), 2.0 / ev[m->dim - 1], 1e-9);
    assert_false(isnan(json_num(js, "trace")));
    assert_non_null(strstr(js, "\"layer_top_eigenvalue\""));
    assert_non_null(strstr(js, "\"2.bias\""));
    snprintf(path, sizeof path, "%s/run/density.svg", dir);
    assert_true(wl_test_exists(path));
    snprintf(path, sizeof path, "%s/run/config.json", dir);
    assert_true(wl_test_exists(path));
    free(js);
    free(got);
    free(ev);
    free(w);
    wl_mat_free(&H);
    wl_hessian_free(h);
    wl_objective_free(obj);
    wl_dataset_free(&ds);
    wl_model_free(m);
    rmtree(dir);
}

static void test_bad_input(void **state) {
    (void)state;
    const char *d = "--model mlp:4-6-2:tanh:ntk --data synth:teacher:n=20,d=4,width=8,k=2,seed=1";
    const char *bad[] = {"--widths 100,abc", "--widths 0,10", "--widths ''", "--which hessian",
                         "--order up", "--k 0", "--tol 0", "--loss hinge", "--bogus 1",
                         "--init /nonexistent/params.npy", "--k 1000", "--model mlp:5-6-2:tanh:ntk",
                         "--model nonsense:1-2", "--data synth:nope"};
    char args[1024], out[4096];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(args, sizeof args, "hessian %s %s", d, bad[i]);
        int rc = wl_test_cli(args, out, sizeof out);
        if (rc != 2) fail_msg("'%s' exited %d, expected 2: %s", bad[i], rc, out);
        assert_non_null(strstr(out, "error"));
    }
    assert_int_equal(wl_test_cli("hessian --help", out, sizeof out), 0);
    assert_non_null(strstr(out, "--widths"));
    assert_non_null(strstr(out, "--n-train"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_width_sweep),
        cmocka_unit_test(test_spectrum_against_dense),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
