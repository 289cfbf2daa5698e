/* The fuzzers' seed files are valid inputs: each loads, with the expected
 * values (they were written by NumPy and Python's gzip). */
#include "wl_test.h"

static const char *corpus(const char *rel) {
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/tests/fuzz/corpus/%s", WL_SOURCE_DIR, rel);
    return buf;
}

static void test_npy_seeds(void **state) {
    (void)state;
    struct { const char *f; int nd; size_t n; double last; } c[] = {
        {"npy/f8_2x3.npy", 2, 6, 5.0}, {"npy/u1_4.npy", 1, 4, 255.0}, {"npy/i8_3.npy", 1, 3, 5.0},
        {"npy/f4_2x2.npy", 2, 4, 4.0}, {"npy/v2_i4.npy", 1, 3, 9.0}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        double *a;
        int nd;
        size_t sh[8];
        WL_OK_OR_FAIL(wl_npy_read(corpus(c[i].f), &a, &nd, sh));
        assert_int_equal(nd, c[i].nd);
        size_t n = 1;
        for (int j = 0; j < nd; j++) n *= sh[j];
        assert_int_equal(n, c[i].n);
        assert_true(a[n - 1] == c[i].last);
        free(a);
    }
}

static void test_idx_and_csv_seeds(void **state) {
    (void)state;
    wl_dataset ds;
    WL_OK_OR_FAIL(wl_data_load_idx(corpus("idx/img_3x4.gz"), NULL, &ds));
    assert_int_equal(ds.n, 3);
    assert_int_equal(ds.d, 4);
    assert_true(ds.X[11] == 220.0 / 255.0);
    wl_dataset_free(&ds);
    unsigned char *b;
    int nd;
    size_t dims[8];
    WL_OK_OR_FAIL(wl_idx_read(corpus("idx/lab_3"), &b, &nd, dims));
    assert_int_equal(nd, 1);
    assert_int_equal(b[2], 2);
    free(b);
    char spec[1100];
    snprintf(spec, sizeof spec, "%s:label=label", corpus("csv/header_label.csv"));
    WL_OK_OR_FAIL(wl_data_load(spec, &ds));
    assert_int_equal(ds.n, 2);
    assert_true(ds.X[3] == -400.0);
    wl_dataset_free(&ds);
    snprintf(spec, sizeof spec, "%s:nonfinite=1", corpus("csv/nan.csv"));
    WL_OK_OR_FAIL(wl_data_load(spec, &ds));
    assert_true(isnan(ds.X[0]) && isinf(ds.X[3]) && ds.X[3] < 0);
    wl_dataset_free(&ds);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_npy_seeds),
                                       cmocka_unit_test(test_idx_and_csv_seeds)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
