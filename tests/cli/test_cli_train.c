/* widelab train end to end: run directory, Taylor models, divergence,
 * kill-and-resume equal to an uninterrupted run, bad input. */
#include "wl_test.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256], out[65536];

static int setup(void **state) {
    (void)state;
    return wl_test_tmpdir(dir, sizeof dir) ? 0 : -1;
}

#define DATA "--data synth:teacher:n=300,d=12,width=20,k=2,seed=3 --n-test 60"

static void test_run_directory(void **state) {
    (void)state;
    char args[2048], p[512];
    snprintf(args, sizeof args, "train " DATA " --model mlp:12-64x2-2:tanh:ntk --optim mass "
             "--batch 16 --epochs 3 --probe kernel:20,linearity:20 --probe-n 20 --out %s/run", dir);
    int rc = wl_test_cli(args, out, sizeof out);
    if (rc) fail_msg("exit %d: %s", rc, out);
    assert_non_null(strstr(out, "test loss:"));
    assert_non_null(strstr(out, "auto settings"));
    const char *files[] = {"config.json", "metrics.csv", "summary.json", "checkpoint.npz",
                           "params.npy", "params.npz", "loss.svg", "accuracy.svg"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/run/%s", dir, files[i]);
        if (!wl_test_exists(p)) fail_msg("missing %s", p);
    }
    snprintf(p, sizeof p, "%s/run/metrics.csv", dir);
    wl_table *m;
    WL_OK_OR_FAIL(wl_table_read_csv(p, &m));
    assert_true(wl_table_col(m, "ntk_change") >= 0);
    assert_true(wl_table_col(m, "lin_gap_rel") >= 0);
    size_t last = wl_table_nrows(m) - 1;
    long cl = wl_table_col(m, "train_loss");
    assert_true(wl_table_get(m, last, (size_t)cl) < wl_table_get(m, 0, (size_t)cl));
    wl_table_free(m);
    snprintf(p, sizeof p, "%s/run/config.json", dir);
    char *cfg = wl_test_slurp(p, NULL);
    assert_non_null(strstr(cfg, "\"optim\": \"mass\""));
    assert_non_null(strstr(cfg, "\"seed\": 0"));
    free(cfg);
    /* the state_dict archive loads back as the initial parameters of a new run */
    snprintf(args, sizeof args, "train " DATA " --model mlp:12-64x2-2:tanh:ntk --optim sgd --lr 0.01 "
             "--steps 1 --init %s/run/params.npz --out %s/run2", dir, dir);
    rc = wl_test_cli(args, out, sizeof out);
    if (rc) fail_msg("exit %d: %s", rc, out);
}

static void test_taylor_models(void **state) {
    (void)state;
    const char *kinds[] = {"linear", "quadratic"};
    for (int i = 0; i < 2; i++) {
        char args[2048], p[512];
        snprintf(args, sizeof args, "train " DATA " --model %s --arch mlp:12-32-2:relu:ntk "
                 "--optim gd --lr auto --steps 30 --out %s/tay%d", kinds[i], dir, i);
        int rc = wl_test_cli(args, out, sizeof out);
        if (rc) fail_msg("exit %d: %s", rc, out);
        snprintf(p, sizeof p, "%s/tay%d/summary.json", dir, i);
        char *s = wl_test_slurp(p, NULL);
        assert_non_null(strstr(s, i ? "\"taylor2\"" : "\"taylor1\""));
        free(s);
    }
}

static void test_divergence_exit_1(void **state) {
    (void)state;
    char args[2048], p[512];
    snprintf(args, sizeof args, "train " DATA " --model mlp:12-32-2:relu:ntk --optim gd --lr 1e8 "
             "--steps 500 --eval-every 100 --out %s/div", dir);
    int rc = wl_test_cli(args, out, sizeof out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "diverged at step"));
    snprintf(p, sizeof p, "%s/div/checkpoint.npz", dir);
    assert_true(wl_test_exists(p)); /* the last good checkpoint is kept */
    snprintf(p, sizeof p, "%s/div/summary.json", dir);
    char *s = wl_test_slurp(p, NULL);
    assert_non_null(s);
    assert_non_null(strstr(s, "\"diverged\""));
    free(s);
}

/* Step of the last checkpoint: the last row of metrics.csv. */
static double checkpoint_step(const char *run) {
    char p[512];
    snprintf(p, sizeof p, "%s/metrics.csv", run);
    wl_table *m;
    if (wl_table_read_csv(p, &m)) return -1;
    double s = wl_table_nrows(m) ? wl_table_get(m, wl_table_nrows(m) - 1, 0) : -1;
    wl_table_free(m);
    return s;
}

static void test_kill_and_resume(void **state) {
    (void)state;
    const char *common = "train " DATA " --model mlp:12-128x2-2:relu:ntk --optim mass --batch 8 "
                         "--steps 6000 --eval-every 200 --quiet";
    char args[2048], a[512], b[512];
    snprintf(a, sizeof a, "%s/full", dir);
    snprintf(b, sizeof b, "%s/killed", dir);
    snprintf(args, sizeof args, "%s --out %s", common, a);
    int rc = wl_test_cli(args, out, sizeof out);
    if (rc) fail_msg("exit %d: %s", rc, out);
    /* the same run, killed (SIGKILL) once a checkpoint past step 0 exists */
    pid_t pid = fork();
    if (pid == 0) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "exec '%s' %s --out %s >/dev/null 2>&1", WL_CLI_PATH, common, b);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    double st = -1;
    for (int i = 0; i < 60000 && st < 400; i++) {
        usleep(2000);
        st = checkpoint_step(b);
    }
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    st = checkpoint_step(b);
    if (!(st > 0 && st < 6000)) skip(); /* finished before the kill: nothing to resume */
    snprintf(args, sizeof args, "train --resume %s", b);
    rc = wl_test_cli(args, out, sizeof out);
    if (rc) fail_msg("resume: exit %d: %s", rc, out);
    assert_non_null(strstr(out, "resuming"));
    char pa[600], pb[600];
    snprintf(pa, sizeof pa, "%s/params.npy", a);
    snprintf(pb, sizeof pb, "%s/params.npy", b);
    size_t la, lb;
    char *xa = wl_test_slurp(pa, &la), *xb = wl_test_slurp(pb, &lb);
    assert_non_null(xa);
    assert_non_null(xb);
    assert_int_equal(la, lb);
    assert_memory_equal(xa, xb, la); /* bit for bit */
    free(xa);
    free(xb);
}

static void test_bad_input(void **state) {
    (void)state;
    char args[2048];
    assert_int_equal(wl_test_cli("train --bogus 1", out, sizeof out), 2);
    assert_non_null(strstr(out, "--bogus"));
    assert_int_equal(wl_test_cli("train " DATA " --model mlp:12-x-2", out, sizeof out), 2);
    assert_int_equal(wl_test_cli("train " DATA " --model mlp:10-8-2:relu:ntk", out, sizeof out), 2);
    assert_non_null(strstr(out, "12 features"));
    assert_int_equal(wl_test_cli("train " DATA " --lr fast", out, sizeof out), 2);
    snprintf(args, sizeof args, "train " DATA " --model mlp:12-8-2:relu:ntk --init %s/full/params.npy --out %s/x", dir, dir);
    assert_int_equal(wl_test_cli(args, out, sizeof out), 2);
    assert_non_null(strstr(out, "parameters"));
    assert_int_equal(wl_test_cli("train --resume /nonexistent/run", out, sizeof out), 2);
    assert_int_equal(wl_test_cli("train " DATA " --probe kernel:0", out, sizeof out), 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_directory),   cmocka_unit_test(test_taylor_models),
        cmocka_unit_test(test_divergence_exit_1), cmocka_unit_test(test_kill_and_resume),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
