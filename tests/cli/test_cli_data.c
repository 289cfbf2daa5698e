/* widelab data info / convert: output, exit codes, no partial files. */
#include "wl_test.h"

#include <dirent.h>

static char dir[256];

static const char *tmp(const char *name) {
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

/* Number of entries in dir (no . and ..). */
static int count_files(void) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void test_info(void **state) {
    (void)state;
    char out[8192];
    int rc = wl_test_cli("data info synth:gauss1d:n=10,seed=1 --label-noise 0.2", out, sizeof out);
    if (rc != 0) fail_msg("rc %d: %s", rc, out);
    const char *want[] = {"n          10", "d          1", "k          1 (pm1)", "classes    2",
                          "class 0    ", "range", "mean", "memory", "corrupted  2"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(out, want[i])) fail_msg("missing '%s' in:\n%s", want[i], out);
    assert_int_equal(wl_test_cli("data --help", out, sizeof out), 0);
    assert_non_null(strstr(out, "data convert IN OUT"));
    assert_int_equal(wl_test_cli("data", out, sizeof out), 2);
    assert_int_equal(wl_test_cli("--help", out, sizeof out), 0);
    assert_non_null(strstr(out, "inspect and convert data sets"));
    assert_int_equal(wl_test_cli("data info --help", out, sizeof out), 0);
    assert_non_null(strstr(out, "--n-train"));
    assert_non_null(strstr(out, "--label-noise"));
    assert_non_null(strstr(out, "[default: none]"));
}

static void test_bad_input_exit_2(void **state) {
    (void)state;
    char out[8192], args[1200];
    const char *bad[] = {"data info no-such-set", "data info synth:linreg:n=oops",
                         "data info synth:linreg --bogus", "data frobnicate",
                         "data info synth:gauss1d --normalize sideways",
                         "data info synth:gauss1d --n-train 100000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = wl_test_cli(bad[i], out, sizeof out);
        if (rc != 2) fail_msg("'%s' -> %d (expected 2): %s", bad[i], rc, out);
        assert_non_null(strstr(out, "error"));
    }
    /* a CSV with a bad cell: exit 2, message with file/line/column/text, no output */
    FILE *f = fopen(tmp("bad.csv"), "w");
    fputs("a,b\n1,2\n3,x7\n", f);
    fclose(f);
    int before = count_files();
    snprintf(args, sizeof args, "data convert %s %s", tmp("bad.csv"), tmp("out.npy"));
    assert_int_equal(wl_test_cli(args, out, sizeof out), 2);
    assert_non_null(strstr(out, "line 3, column 2"));
    assert_non_null(strstr(out, "'x7'"));
    assert_int_equal(count_files(), before);
    /* a step after loading fails: still nothing written */
    snprintf(args, sizeof args, "data convert synth:teacher:n=5 %s --targets pm1", tmp("out.npy"));
    assert_int_equal(wl_test_cli(args, out, sizeof out), 2);
    snprintf(args, sizeof args, "data convert synth:gauss1d:n=6 %s --label-noise 2", tmp("out.csv"));
    assert_int_equal(wl_test_cli(args, out, sizeof out), 2);
    snprintf(args, sizeof args, "data convert synth:gauss1d:n=6 %s/nodir/out.npy", dir);
    assert_int_equal(wl_test_cli(args, out, sizeof out), 2);
    snprintf(args, sizeof args, "data convert synth:gauss1d:n=6 %s", tmp("out.txt"));
    assert_int_equal(wl_test_cli(args, out, sizeof out), 2);
    snprintf(args, sizeof args, "data convert synth:gauss1d:n=6 %s --n-test 2 --test-out %s",
             tmp("out.npy"), tmp("te.txt"));
    assert_int_equal(wl_test_cli(args, out, sizeof out), 2);
    snprintf(args, sizeof args, "data convert synth:gauss1d:n=6 %s --test-out %s", tmp("out.npy"),
             tmp("te.npy"));
    assert_int_equal(wl_test_cli(args, out, sizeof out), 2);
    assert_non_null(strstr(out, "no test part"));
    assert_int_equal(count_files(), before);
}

static void test_convert_roundtrip(void **state) {
    (void)state;
    char out[8192], args[1200];
    snprintf(args, sizeof args,
             "data convert synth:mixture:n=40,d=3,seed=2 %s --label-noise 0.25 --data-seed 5 "
             "--normalize standardize --n-test 10 --test-out %s",
             tmp("tr.npy"), tmp("te.csv"));
    int rc = wl_test_cli(args, out, sizeof out);
    if (rc) fail_msg("rc %d: %s", rc, out);
    wl_dataset d;
    char spec[1200];
    snprintf(spec, sizeof spec, "%s:labels=%s:targets=%s", tmp("tr.npy"), tmp("tr_labels.npy"),
             tmp("tr_targets.npy"));
    WL_OK_OR_FAIL(wl_data_load(spec, &d));
    assert_int_equal(d.n, 30);
    assert_int_equal(d.d, 3);
    assert_int_equal(d.k, 1);
    /* the same preparation in-process gives the same bits */
    wl_data_opts o;
    wl_data_opts_default(&o);
    o.data = "synth:mixture:n=40,d=3,seed=2";
    o.label_noise = 0.25;
    o.seed = 5;
    o.normalize = "standardize";
    o.n_test = 10;
    wl_dataset tr, te;
    WL_OK_OR_FAIL(wl_data_prepare(&o, &tr, &te));
    assert_memory_equal(tr.X, d.X, 90 * sizeof(double));
    assert_memory_equal(tr.labels, d.labels, 30 * sizeof(int));
    assert_memory_equal(tr.Y, d.Y, 30 * sizeof(double));
    double *mask;
    int nd;
    size_t sh[8];
    WL_OK_OR_FAIL(wl_npy_read(tmp("tr_corrupted.npy"), &mask, &nd, sh));
    size_t flips = 0;
    for (size_t i = 0; i < 30; i++) flips += mask[i] != 0;
    assert_int_equal(flips, 8); /* round(0.25 * 30) */
    free(mask);
    /* the siblings are found by themselves, noise record included */
    snprintf(args, sizeof args, "data info %s", tmp("tr.npy"));
    rc = wl_test_cli(args, out, sizeof out);
    if (rc || !strstr(out, "corrupted  8") || !strstr(out, "k          1 (pm1)"))
        fail_msg("rc %d: %s", rc, out);
    wl_dataset auto_;
    WL_OK_OR_FAIL(wl_data_load(tmp("tr.npy"), &auto_));
    assert_memory_equal(auto_.true_labels, tr.true_labels, 30 * sizeof(int));
    assert_memory_equal(auto_.corrupted, tr.corrupted, 30);
    assert_int_equal(auto_.target_kind, WL_TARGETS_PM1);
    wl_dataset_free(&auto_);
    snprintf(spec, sizeof spec, "%s:label=label", tmp("te.csv"));
    wl_dataset t2;
    WL_OK_OR_FAIL(wl_data_load(spec, &t2));
    assert_int_equal(t2.n, 10);
    assert_memory_equal(te.X, t2.X, 30 * sizeof(double));
    wl_dataset_free(&t2);
    wl_dataset_free(&tr);
    wl_dataset_free(&te);
    wl_dataset_free(&d);
}

int main(void) {
    if (!wl_test_tmpdir(dir, sizeof dir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info),
        cmocka_unit_test(test_bad_input_exit_2),
        cmocka_unit_test(test_convert_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
