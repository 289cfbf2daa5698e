/* CSV: header detection, label/target columns, exact round trips, bad cells. */
#include "wl_test.h"

static char dir[256];

static const char *tmp(const char *name) {
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static void put(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

static void check_error(int rc, int code, const char *n1, const char *n2, const char *n3) {
    if (rc != code) fail_msg("got %s (%s), expected %s", wl_strerror(rc), wl_errmsg(), wl_strerror(code));
    const char *n[3] = {n1, n2, n3};
    for (int i = 0; i < 3; i++)
        if (n[i] && !strstr(wl_errmsg(), n[i])) fail_msg("message lacks '%s': %s", n[i], wl_errmsg());
}

static void test_header_and_label(void **state) {
    (void)state;
    put(tmp("a.csv"), "f1, f2 ,class,f3\n1.5,2,1,3\n# a comment\n\n-4,5e-3,0,6\r\n7,8,2,9\n");
    wl_csv_opts o;
    wl_csv_opts_default(&o);
    o.label = "class";
    wl_dataset ds;
    WL_OK_OR_FAIL(wl_data_load_csv(tmp("a.csv"), &o, &ds));
    assert_int_equal(ds.n, 3);
    assert_int_equal(ds.d, 3);
    assert_int_equal(ds.n_classes, 3);
    double want[9] = {1.5, 2, 3, -4, 5e-3, 6, 7, 8, 9};
    for (int i = 0; i < 9; i++) assert_true(ds.X[i] == want[i]);
    assert_int_equal(ds.labels[0], 1);
    assert_int_equal(ds.labels[1], 0);
    assert_int_equal(ds.labels[2], 2);
    assert_string_equal(ds.name, "a.csv");
    wl_dataset_free(&ds);
    /* the same column by index, through the spec */
    char spec[700];
    snprintf(spec, sizeof spec, "%s:label=2", tmp("a.csv"));
    WL_OK_OR_FAIL(wl_data_load(spec, &ds));
    assert_int_equal(ds.labels[2], 2);
    wl_dataset_free(&ds);
    /* no header, ';' separated, regression target */
    put(tmp("b.csv"), "1;2;3\n4;5;6\n");
    snprintf(spec, sizeof spec, "%s:target=0", tmp("b.csv"));
    WL_OK_OR_FAIL(wl_data_load(spec, &ds));
    assert_int_equal(ds.n, 2);
    assert_int_equal(ds.d, 2);
    assert_int_equal(ds.k, 1);
    assert_true(ds.Y[1] == 4);
    assert_true(ds.X[3] == 6);
    assert_null(ds.labels);
    wl_dataset_free(&ds);
    /* header=1 forces a numeric first line to be names */
    snprintf(spec, sizeof spec, "%s:header=1", tmp("b.csv"));
    WL_OK_OR_FAIL(wl_data_load(spec, &ds));
    assert_int_equal(ds.n, 1);
    wl_dataset_free(&ds);
}

static void test_roundtrip(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 9);
    wl_dataset ds, back;
    WL_OK_OR_FAIL(wl_dataset_alloc(&ds, 40, 5, 0, 1));
    for (size_t i = 0; i < 200; i++) ds.X[i] = wl_rng_normal(&r) * pow(10.0, (double)(i % 60) - 30);
    ds.X[7] = -0.0;
    ds.X[8] = 4.9e-324;
    ds.X[9] = 0.1;
    for (size_t i = 0; i < 40; i++) ds.labels[i] = (int)(i % 4);
    ds.n_classes = 4;
    WL_OK_OR_FAIL(wl_data_write(&ds, tmp("rt.csv")));
    char spec[700];
    snprintf(spec, sizeof spec, "%s:label=label", tmp("rt.csv"));
    WL_OK_OR_FAIL(wl_data_load(spec, &back));
    assert_int_equal(back.n, 40);
    assert_int_equal(back.d, 5);
    assert_memory_equal(ds.X, back.X, 200 * sizeof(double)); /* bit for bit, -0.0 too */
    assert_memory_equal(ds.labels, back.labels, 40 * sizeof(int));
    wl_dataset_free(&back);
    /* .npy with sibling labels */
    WL_OK_OR_FAIL(wl_data_write(&ds, tmp("rt.npy")));
    snprintf(spec, sizeof spec, "%s:labels=%s", tmp("rt.npy"), tmp("rt_labels.npy"));
    WL_OK_OR_FAIL(wl_data_load(spec, &back));
    assert_memory_equal(ds.X, back.X, 200 * sizeof(double));
    assert_memory_equal(ds.labels, back.labels, 40 * sizeof(int));
    assert_int_equal(back.n_classes, 4);
    wl_dataset_free(&back);
    /* regression targets through CSV (y0) */
    WL_OK_OR_FAIL(wl_data_targets(&ds, WL_TARGETS_LABEL));
    free(ds.labels);
    ds.labels = NULL;
    ds.target_kind = WL_TARGETS_RAW;
    WL_OK_OR_FAIL(wl_data_write(&ds, tmp("reg.csv")));
    snprintf(spec, sizeof spec, "%s:target=y0", tmp("reg.csv"));
    WL_OK_OR_FAIL(wl_data_load(spec, &back));
    assert_memory_equal(ds.Y, back.Y, 40 * sizeof(double));
    wl_dataset_free(&back);
    wl_dataset_free(&ds);
    assert_int_equal(wl_data_write(&ds, tmp("x.txt")), WL_EINVAL);
}

static void test_bad_csv(void **state) {
    (void)state;
    wl_dataset ds;
    put(tmp("c.csv"), "a,b,c\n1,2,3\n4,oops,6\n");
    check_error(wl_data_load_csv(tmp("c.csv"), NULL, &ds), WL_EFORMAT, "line 3", "column 2", "'oops'");
    assert_non_null(strstr(wl_errmsg(), tmp("c.csv")));
    put(tmp("r.csv"), "1,2,3\n4,5\n");
    check_error(wl_data_load_csv(tmp("r.csv"), NULL, &ds), WL_EFORMAT, "line 2", "2 cells, expected 3", "r.csv");
    put(tmp("n.csv"), "1,2,3\n4,nan,6\n");
    check_error(wl_data_load_csv(tmp("n.csv"), NULL, &ds), WL_EFORMAT, "line 2", "column 2", "'nan'");
    put(tmp("i.csv"), "x,y\n1,2\n-inf,6\n");
    check_error(wl_data_load_csv(tmp("i.csv"), NULL, &ds), WL_EFORMAT, "line 3", "column 1", "'-inf'");
    char spec[700];
    snprintf(spec, sizeof spec, "%s:nonfinite=1", tmp("i.csv"));
    WL_OK_OR_FAIL(wl_data_load(spec, &ds));
    assert_true(isinf(ds.X[2]));
    wl_dataset_free(&ds);
    put(tmp("e.csv"), "1,,3\n");
    check_error(wl_data_load_csv(tmp("e.csv"), NULL, &ds), WL_EFORMAT, "line 1", "column 2", "''");
    put(tmp("l.csv"), "x,lab\n1,0\n2,1.5\n");
    snprintf(spec, sizeof spec, "%s:label=lab", tmp("l.csv"));
    check_error(wl_data_load(spec, &ds), WL_EFORMAT, "line 3", "not an integer", "'1.5'");
    snprintf(spec, sizeof spec, "%s:label=nosuch", tmp("l.csv"));
    check_error(wl_data_load(spec, &ds), WL_EINVAL, "no column 'nosuch'", "l.csv", NULL);
    snprintf(spec, sizeof spec, "%s:color=red", tmp("l.csv"));
    check_error(wl_data_load(spec, &ds), WL_EINVAL, "unknown option 'color=red'", NULL, NULL);
    put(tmp("z.csv"), "");
    check_error(wl_data_load_csv(tmp("z.csv"), NULL, &ds), WL_EFORMAT, "no data rows", NULL, NULL);
    put(tmp("h.csv"), "a,b\n");
    check_error(wl_data_load_csv(tmp("h.csv"), NULL, &ds), WL_EFORMAT, "no data rows", NULL, NULL);
    FILE *f = fopen(tmp("bin.csv"), "wb");
    fwrite("1,2\n\0\x01", 1, 6, f);
    fclose(f);
    check_error(wl_data_load_csv(tmp("bin.csv"), NULL, &ds), WL_EFORMAT, "NUL byte", "byte 4", NULL);
    check_error(wl_data_load("no-such-set", &ds), WL_EINVAL, "unknown data set 'no-such-set'", NULL, NULL);
}

int main(void) {
    if (!wl_test_tmpdir(dir, sizeof dir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_and_label),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_bad_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
