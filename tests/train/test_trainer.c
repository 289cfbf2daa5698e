/* The training loop: metrics rows, exact resumption, divergence, early
 * stopping and probes, on the linear model (exact answers known). */
#include "wl_test.h"

#include <unistd.h>

typedef struct fixture {
    wl_dataset tr, te;
    wl_model *m;
    double *w0;
    char dir[256];
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    wl_rng r;
    wl_rng_seed(&r, 1);
    double wstar[8];
    if (wl_synth_linreg(&r, 200, 8, NULL, 1.0, 1, 0.0, &f->tr, wstar)) return -1;
    if (wl_synth_linreg(&r, 50, 8, NULL, 1.0, 1, 0.0, &f->te, wstar)) return -1;
    if (wl_linear_new(8, 1, 0, &f->m)) return -1;
    f->w0 = calloc(8, sizeof(double));
    if (!wl_test_tmpdir(f->dir, sizeof f->dir)) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    wl_dataset_free(&f->tr);
    wl_dataset_free(&f->te);
    wl_model_free(f->m);
    free(f->w0);
    free(f);
    return 0;
}

static wl_optim_config sgd(double lr, size_t batch) {
    wl_optim_config c = wl_optim_defaults(WL_OPT_SGD);
    c.lr = lr;
    c.batch = batch;
    return c;
}

static void test_rows_and_convergence(void **state) {
    fixture *f = *state;
    wl_optim_config oc = sgd(0.3, 10);
    wl_train_config tc;
    wl_train_defaults(&tc);
    tc.steps = 400;
    tc.eval_every = 50;
    wl_trainer *t;
    WL_OK_OR_FAIL(wl_trainer_new(f->m, WL_LOSS_MSE, &f->tr, &f->te, NULL, &oc, &tc, f->w0, &t));
    WL_OK_OR_FAIL(wl_trainer_run(t, NULL, NULL));
    const wl_table *m = wl_trainer_metrics(t);
    assert_int_equal(wl_table_nrows(m), 9); /* steps 0, 50, ..., 400 */
    long cl = wl_table_col(m, "train_loss"), cs = wl_table_col(m, "step");
    assert_true(cl >= 0 && cs >= 0);
    assert_true(wl_table_get(m, 8, (size_t)cs) == 400);
    double l0 = wl_table_get(m, 0, (size_t)cl), l8 = wl_table_get(m, 8, (size_t)cl);
    assert_true(l8 < 1e-6 * l0); /* noise-free regression interpolates */
    assert_true(isnan(wl_table_get(m, 0, (size_t)wl_table_col(m, "train_acc"))));
    wl_trainer_free(t);
}

static int stop_at(void *ctx, const wl_trainer *t) { return wl_trainer_step(t) >= *(size_t *)ctx; }

static void test_resume_is_bit_identical(void **state) {
    fixture *f = *state;
    wl_optim_config oc = wl_optim_defaults(WL_OPT_MASS);
    oc.lr = 0.02;
    oc.batch = 7; /* does not divide 200: epochs with a short batch */
    wl_train_config tc;
    wl_train_defaults(&tc);
    tc.steps = 90;
    tc.eval_every = 15;
    tc.seed = 5;
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/a", f->dir);
    snprintf(b, sizeof b, "%s/b", f->dir);
    WL_OK_OR_FAIL(wl_mkdirs(a));
    WL_OK_OR_FAIL(wl_mkdirs(b));
    /* uninterrupted */
    tc.run_dir = a;
    wl_trainer *ta;
    WL_OK_OR_FAIL(wl_trainer_new(f->m, WL_LOSS_MSE, &f->tr, &f->te, NULL, &oc, &tc, f->w0, &ta));
    WL_OK_OR_FAIL(wl_trainer_add_probe(ta, "spikes"));
    WL_OK_OR_FAIL(wl_trainer_run(ta, NULL, NULL));
    /* stopped at step 45, then resumed by a fresh trainer */
    tc.run_dir = b;
    wl_trainer *tb;
    size_t stop = 45;
    WL_OK_OR_FAIL(wl_trainer_new(f->m, WL_LOSS_MSE, &f->tr, &f->te, NULL, &oc, &tc, f->w0, &tb));
    WL_OK_OR_FAIL(wl_trainer_add_probe(tb, "spikes"));
    WL_OK_OR_FAIL(wl_trainer_run(tb, stop_at, &stop));
    assert_int_equal(wl_trainer_step(tb), 45);
    wl_trainer_free(tb);
    char ck[600];
    snprintf(ck, sizeof ck, "%s/checkpoint.npz", b);
    double *other = calloc(8, sizeof(double));
    other[0] = 99; /* the resumed trainer must not depend on the init passed in */
    WL_OK_OR_FAIL(wl_trainer_new(f->m, WL_LOSS_MSE, &f->tr, &f->te, NULL, &oc, &tc, other, &tb));
    WL_OK_OR_FAIL(wl_trainer_add_probe(tb, "spikes"));
    WL_OK_OR_FAIL(wl_trainer_resume(tb, ck));
    assert_int_equal(wl_trainer_step(tb), 45);
    WL_OK_OR_FAIL(wl_trainer_run(tb, NULL, NULL));
    assert_memory_equal(wl_trainer_params(ta), wl_trainer_params(tb), 8 * sizeof(double));
    const wl_table *ma = wl_trainer_metrics(ta), *mb = wl_trainer_metrics(tb);
    assert_int_equal(wl_table_nrows(ma), wl_table_nrows(mb));
    long cl = wl_table_col(ma, "train_loss");
    for (size_t r = 0; r < wl_table_nrows(ma); r++) {
        double x = wl_table_get(ma, r, (size_t)cl), y = wl_table_get(mb, r, (size_t)cl);
        assert_true(x == y || (isnan(x) && isnan(y)));
    }
    wl_trainer_free(ta);
    wl_trainer_free(tb);
    free(other);
    /* a checkpoint of another model is refused with a message */
    wl_model *big;
    WL_OK_OR_FAIL(wl_linear_new(8, 1, 1, &big));
    double wb[9] = {0};
    WL_OK_OR_FAIL(wl_trainer_new(big, WL_LOSS_MSE, &f->tr, NULL, NULL, &oc, &tc, wb, &tb));
    assert_int_equal(wl_trainer_resume(tb, ck), WL_EFORMAT);
    assert_non_null(strstr(wl_errmsg(), "params"));
    wl_trainer_free(tb);
    wl_model_free(big);
}

static void test_divergence_stops_cleanly(void **state) {
    fixture *f = *state;
    wl_optim_config oc = wl_optim_defaults(WL_OPT_GD);
    oc.lr = 1e6;
    oc.batch = 0;
    wl_train_config tc;
    wl_train_defaults(&tc);
    tc.steps = 10000;
    tc.eval_every = 1000;
    wl_trainer *t;
    WL_OK_OR_FAIL(wl_trainer_new(f->m, WL_LOSS_MSE, &f->tr, NULL, NULL, &oc, &tc, f->w0, &t));
    assert_int_equal(wl_trainer_run(t, NULL, NULL), WL_ENUMERIC);
    assert_non_null(strstr(wl_errmsg(), "diverged at step"));
    assert_true(wl_trainer_step(t) < 10000);
    assert_true(wl_all_finite(8, wl_trainer_params(t)));
    wl_trainer_free(t);
}

static void test_early_stopping(void **state) {
    fixture *f = *state;
    /* validation targets of opposite sign: its loss grows from the start */
    wl_dataset val;
    WL_OK_OR_FAIL(wl_dataset_copy(&val, &f->te));
    for (size_t i = 0; i < val.n; i++) val.Y[i] = -val.Y[i];
    wl_optim_config oc = sgd(0.05, 20);
    wl_train_config tc;
    wl_train_defaults(&tc);
    tc.steps = 1000;
    tc.eval_every = 5;
    tc.early_stop = 3;
    wl_trainer *t;
    WL_OK_OR_FAIL(wl_trainer_new(f->m, WL_LOSS_MSE, &f->tr, &f->te, &val, &oc, &tc, f->w0, &t));
    WL_OK_OR_FAIL(wl_trainer_run(t, NULL, NULL));
    wl_train_status s;
    wl_trainer_status(t, &s);
    assert_true(s.early_stopped);
    assert_int_equal(s.best_step, 0);
    assert_int_equal(s.step, 15);
    /* the best parameters (the initial ones) are restored */
    assert_memory_equal(wl_trainer_params(t), f->w0, 8 * sizeof(double));
    assert_true(wl_table_col(wl_trainer_metrics(t), "val_loss") >= 0);
    wl_trainer_free(t);
    wl_dataset_free(&val);
}

static void test_probes_on_linear_model(void **state) {
    fixture *f = *state;
    wl_optim_config oc = sgd(0.05, 10);
    wl_train_config tc;
    wl_train_defaults(&tc);
    tc.steps = 100;
    tc.eval_every = 50;
    tc.probe_n = 30;
    wl_trainer *t;
    double w0[8];
    for (int i = 0; i < 8; i++) w0[i] = 0.1 * i;
    WL_OK_OR_FAIL(wl_trainer_new(f->m, WL_LOSS_MSE, &f->tr, &f->te, NULL, &oc, &tc, w0, &t));
    WL_OK_OR_FAIL(wl_trainer_add_probe(t, "kernel:25"));
    WL_OK_OR_FAIL(wl_trainer_add_probe(t, "linearity:25"));
    WL_OK_OR_FAIL(wl_trainer_add_probe(t, "pl:25"));
    WL_OK_OR_FAIL(wl_trainer_add_probe(t, "sharpness:25"));
    WL_OK_OR_FAIL(wl_trainer_add_probe(t, "agop:50"));
    assert_int_equal(wl_trainer_add_probe(t, "noise"), WL_EINVAL); /* no label noise here */
    assert_int_equal(wl_trainer_add_probe(t, "bogus"), WL_EINVAL);
    assert_int_equal(wl_trainer_add_probe(t, "kernel:0"), WL_EINVAL);
    WL_OK_OR_FAIL(wl_trainer_run(t, NULL, NULL));
    const wl_table *m = wl_trainer_metrics(t);
    size_t last = wl_table_nrows(m) - 1;
    /* a linear model: its kernel never changes and it equals its linearization */
    assert_true(wl_table_get(m, last, (size_t)wl_table_col(m, "ntk_change")) < 1e-12);
    assert_true(wl_table_get(m, last, (size_t)wl_table_col(m, "lin_gap_rel")) < 1e-10);
    /* the PL ratio of a quadratic is at least its bound lambda_min(K)/n */
    double pl = wl_table_get(m, last, (size_t)wl_table_col(m, "pl_ratio"));
    double bound = wl_table_get(m, last, (size_t)wl_table_col(m, "pl_bound"));
    assert_true(pl >= bound * (1 - 1e-9));
    /* sharpness of the mean MSE of f = w.x is lambda_max(X^T X / n) = lambda_max(K)/n */
    double sharp = wl_table_get(m, last, (size_t)wl_table_col(m, "sharpness"));
    double lmax = wl_table_get(m, last, (size_t)wl_table_col(m, "ntk_lambda_max"));
    WL_ASSERT_CLOSE(sharp, lmax / 30.0, 1e-6);
    WL_ASSERT_CLOSE(wl_table_get(m, last, (size_t)wl_table_col(m, "two_over_lr")), 40.0, 1e-12);
    /* AGOP of f = w.x is w w^T: its trace is ||w||^2 */
    const double *w = wl_trainer_params(t);
    WL_ASSERT_CLOSE(wl_table_get(m, last, (size_t)wl_table_col(m, "agop_trace")), wl_dot(8, w, w), 1e-12);
    wl_trainer_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_and_convergence),
        cmocka_unit_test(test_resume_is_bit_identical),
        cmocka_unit_test(test_divergence_stops_cleanly),
        cmocka_unit_test(test_early_stopping),
        cmocka_unit_test(test_probes_on_linear_model),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
