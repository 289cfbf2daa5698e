/* .npy: bit-exact round trips, every dtype and version, streaming, bad files. */
#include "wl_test.h"

#include <stdint.h>

static char dir[256];

static const char *tmp(const char *name) {
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

/* Writes magic, version, header dict (padded to 64) and raw data bytes. */
static void write_raw(const char *path, int major, const char *dict, const void *data,
                      size_t nbytes) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    size_t pre = major == 1 ? 10 : 12, len = strlen(dict);
    size_t total = pre + len + 1, pad = (64 - total % 64) % 64, hlen = len + pad + 1;
    unsigned char p[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', (unsigned char)major, 0,
                           (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8 & 0xff), 0, 0};
    fwrite(p, 1, pre, f);
    fwrite(dict, 1, len, f);
    for (size_t i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    if (nbytes) fwrite(data, 1, nbytes, f);
    fclose(f);
}

static void expect_error(const char *path, int code, const char *needle1, const char *needle2) {
    double *a = NULL;
    int nd;
    size_t sh[8];
    int rc = wl_npy_read(path, &a, &nd, sh);
    if (rc != code)
        fail_msg("%s: got %s (%s), expected %s", path, wl_strerror(rc), wl_errmsg(),
                 wl_strerror(code));
    assert_null(a);
    if (!strstr(wl_errmsg(), path)) fail_msg("message lacks the file: %s", wl_errmsg());
    if (needle1 && !strstr(wl_errmsg(), needle1)) fail_msg("message lacks '%s': %s", needle1, wl_errmsg());
    if (needle2 && !strstr(wl_errmsg(), needle2)) fail_msg("message lacks '%s': %s", needle2, wl_errmsg());
}

static void test_roundtrip_bits(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 3);
    size_t shape[3] = {7, 3, 5}, n = 105;
    double *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = wl_rng_normal(&r) * pow(10.0, (double)(i % 40) - 20);
    x[0] = -0.0;
    x[1] = NAN;
    x[2] = INFINITY;
    x[3] = 4.9e-324; /* denormal */
    x[4] = 1.7976931348623157e308;
    for (int nd = 1; nd <= 3; nd++) {
        size_t sh[3] = {nd == 1 ? n : 7, nd == 2 ? 15 : 3, 5};
        if (nd == 3) memcpy(sh, shape, sizeof sh);
        WL_OK_OR_FAIL(wl_npy_write(tmp("a.npy"), x, nd, sh));
        double *y;
        int ndim;
        size_t got[8];
        WL_OK_OR_FAIL(wl_npy_read(tmp("a.npy"), &y, &ndim, got));
        assert_int_equal(ndim, nd);
        for (int i = 0; i < nd; i++) assert_int_equal(got[i], sh[i]);
        assert_memory_equal(x, y, n * sizeof *x);
        free(y);
    }
    /* header is padded so data starts at a multiple of 64 */
    size_t len;
    char *raw = wl_test_slurp(tmp("a.npy"), &len);
    assert_int_equal((len - n * 8) % 64, 0);
    assert_int_equal(raw[len - n * 8 - 1], '\n');
    free(raw);
    free(x);
}

static void test_zero_and_empty(void **state) {
    (void)state;
    double v = 2.5, *y;
    int nd;
    size_t sh[8], zero[2] = {0, 4};
    WL_OK_OR_FAIL(wl_npy_write(tmp("s.npy"), &v, 0, NULL));
    WL_OK_OR_FAIL(wl_npy_read(tmp("s.npy"), &y, &nd, sh));
    assert_int_equal(nd, 0);
    assert_true(y[0] == 2.5);
    free(y);
    WL_OK_OR_FAIL(wl_npy_write(tmp("e.npy"), NULL, 2, zero));
    WL_OK_OR_FAIL(wl_npy_read(tmp("e.npy"), &y, &nd, sh));
    assert_int_equal(nd, 2);
    assert_int_equal(sh[0], 0);
    assert_int_equal(sh[1], 4);
    free(y);
}

static void test_dtypes_and_versions(void **state) {
    (void)state;
    float f4[4] = {1.5f, -2.25f, 3e10f, 0.0f};
    unsigned char u1[4] = {0, 1, 200, 255};
    int64_t i8[4] = {-5, 0, 7, 1LL << 40};
    int32_t i4[4] = {-1, 2, -2147483647 - 1, 2147483647};
    struct { const char *descr; const void *data; size_t isz; double want[4]; } cases[] = {
        {"<f4", f4, 4, {1.5, -2.25, (double)3e10f, 0.0}},
        {"|u1", u1, 1, {0, 1, 200, 255}},
        {"<i8", i8, 8, {-5, 0, 7, 1099511627776.0}},
        {"<i4", i4, 4, {-1, 2, -2147483648.0, 2147483647.0}},
    };
    for (int major = 1; major <= 3; major++)
        for (size_t c = 0; c < 4; c++) {
            char dict[128];
            /* keys in a different order and double quotes, as other writers do */
            snprintf(dict, sizeof dict, "{\"shape\": (2, 2), 'fortran_order': False, 'descr': '%s'}",
                     cases[c].descr);
            write_raw(tmp("t.npy"), major, dict, cases[c].data, 4 * cases[c].isz);
            double *y;
            int nd;
            size_t sh[8];
            WL_OK_OR_FAIL(wl_npy_read(tmp("t.npy"), &y, &nd, sh));
            assert_int_equal(nd, 2);
            for (int i = 0; i < 4; i++) assert_true(y[i] == cases[c].want[i]);
            free(y);
        }
}

static void test_int_and_u8_writers(void **state) {
    (void)state;
    int lab[5] = {0, 3, -2, 9, 2147483647};
    unsigned char m[5] = {0, 1, 1, 0, 255};
    size_t n = 5;
    double *y;
    int nd;
    size_t sh[8];
    WL_OK_OR_FAIL(wl_npy_write_int(tmp("l.npy"), lab, 1, &n));
    WL_OK_OR_FAIL(wl_npy_read(tmp("l.npy"), &y, &nd, sh));
    for (int i = 0; i < 5; i++) assert_true(y[i] == lab[i]);
    free(y);
    WL_OK_OR_FAIL(wl_npy_write_u8(tmp("m.npy"), m, 1, &n));
    WL_OK_OR_FAIL(wl_npy_read(tmp("m.npy"), &y, &nd, sh));
    for (int i = 0; i < 5; i++) assert_true(y[i] == m[i]);
    free(y);
}

static void test_stream(void **state) {
    (void)state;
    size_t shape[2] = {10, 3};
    double x[30];
    for (int i = 0; i < 30; i++) x[i] = i * 0.1 - 1.0;
    wl_npy_stream s;
    WL_OK_OR_FAIL(wl_npy_stream_open(&s, tmp("k.npy"), 2, shape));
    assert_false(wl_test_exists(tmp("k.npy"))); /* invisible until commit */
    WL_OK_OR_FAIL(wl_npy_stream_write(&s, x, 4));
    WL_OK_OR_FAIL(wl_npy_stream_write(&s, x + 12, 6));
    assert_int_equal(wl_npy_stream_write(&s, x, 1), WL_EINVAL); /* past the end */
    WL_OK_OR_FAIL(wl_npy_stream_commit(&s));
    double *y;
    int nd;
    size_t sh[8];
    WL_OK_OR_FAIL(wl_npy_read(tmp("k.npy"), &y, &nd, sh));
    assert_memory_equal(x, y, sizeof x);
    free(y);
    /* short stream: commit refuses and leaves nothing behind */
    WL_OK_OR_FAIL(wl_npy_stream_open(&s, tmp("short.npy"), 2, shape));
    WL_OK_OR_FAIL(wl_npy_stream_write(&s, x, 3));
    assert_int_equal(wl_npy_stream_commit(&s), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "3 of 10 rows"));
    assert_false(wl_test_exists(tmp("short.npy")));
    WL_OK_OR_FAIL(wl_npy_stream_open(&s, tmp("ab.npy"), 2, shape));
    wl_npy_stream_abort(&s);
    assert_false(wl_test_exists(tmp("ab.npy")));
}

static void test_bad_files(void **state) {
    (void)state;
    double d[6] = {1, 2, 3, 4, 5, 6};
    const char *p = tmp("bad.npy");
    FILE *f = fopen(p, "wb");
    fputs("NOTNUMPY and some more bytes", f);
    fclose(f);
    expect_error(p, WL_EFORMAT, "magic", "byte 0");
    write_raw(p, 1, "{'descr': '>f8', 'fortran_order': False, 'shape': (6,), }", d, 48);
    expect_error(p, WL_EFORMAT, "'>f8'", "byte 20");
    write_raw(p, 1, "{'descr': '<c16', 'fortran_order': False, 'shape': (3,), }", d, 48);
    expect_error(p, WL_EFORMAT, "'<c16'", NULL);
    write_raw(p, 1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", d, 48);
    expect_error(p, WL_EFORMAT, "Fortran", "True at byte 44");
    write_raw(p, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 4), }", d, 48);
    expect_error(p, WL_EFORMAT, "truncated", "8 elements");
    write_raw(p, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", d, 48);
    expect_error(p, WL_EFORMAT, "extra bytes", NULL);
    write_raw(p, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, x), }", d, 48);
    expect_error(p, WL_EFORMAT, "byte 64", "'x)");
    write_raw(p, 1, "{'descr': '<f8', 'fortran_order': Maybe, 'shape': (6,), }", d, 48);
    expect_error(p, WL_EFORMAT, "True or False", "'Maybe");
    write_raw(p, 1, "{'descr': '<f8', 'shape': (6,), }", d, 48);
    expect_error(p, WL_EFORMAT, "fortran_order", NULL);
    write_raw(p, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (6,), 'extra': 1}", d, 48);
    expect_error(p, WL_EFORMAT, "'extra'", NULL);
    write_raw(p, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (6,), } junk", d, 48);
    expect_error(p, WL_EFORMAT, "end of header", "junk");
    write_raw(p, 4, "{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }", d, 48);
    expect_error(p, WL_EFORMAT, "version 4.0", NULL);
    /* header length pointing past the end of the file */
    f = fopen(p, "wb");
    fwrite("\x93NUMPY\x01\x00\xff\x00{'descr'", 1, 18, f);
    fclose(f);
    expect_error(p, WL_EFORMAT, "truncated .npy header", NULL);
    expect_error(tmp("missing.npy"), WL_EIO, "cannot open", NULL);
}

static void test_dataset_from_npy(void **state) {
    (void)state;
    double X[12], lab5[5] = {0, 1, 2, 1, 0}, labf[4] = {0, 1, 1.5, 0}, T[8];
    for (int i = 0; i < 12; i++) X[i] = i;
    for (int i = 0; i < 8; i++) T[i] = -i;
    size_t sx[3] = {4, 3, 1}, s5 = 5, s4 = 4, st[2] = {4, 2};
    WL_OK_OR_FAIL(wl_npy_write(tmp("X.npy"), X, 3, sx));
    WL_OK_OR_FAIL(wl_npy_write(tmp("l5.npy"), lab5, 1, &s5));
    WL_OK_OR_FAIL(wl_npy_write(tmp("lf.npy"), labf, 1, &s4));
    WL_OK_OR_FAIL(wl_npy_write(tmp("l4.npy"), lab5, 1, &s4));
    WL_OK_OR_FAIL(wl_npy_write(tmp("T.npy"), T, 2, st));
    wl_dataset ds;
    WL_OK_OR_FAIL(wl_data_load_npy(tmp("X.npy"), tmp("l4.npy"), tmp("T.npy"), &ds));
    assert_int_equal(ds.n, 4);
    assert_int_equal(ds.d, 3);
    assert_int_equal(ds.k, 2);
    assert_int_equal(ds.n_classes, 3);
    assert_memory_equal(ds.X, X, sizeof X);
    assert_memory_equal(ds.Y, T, sizeof T);
    assert_int_equal(ds.target_kind, WL_TARGETS_RAW);
    wl_dataset_free(&ds);
    assert_int_equal(wl_data_load_npy(tmp("X.npy"), tmp("l5.npy"), NULL, &ds), WL_EFORMAT);
    assert_non_null(strstr(wl_errmsg(), "dimension mismatch"));
    assert_non_null(strstr(wl_errmsg(), tmp("l5.npy")));
    assert_int_equal(wl_data_load_npy(tmp("X.npy"), tmp("lf.npy"), NULL, &ds), WL_EFORMAT);
    assert_non_null(strstr(wl_errmsg(), "label 2 is 1.5"));
    assert_non_null(strstr(wl_errmsg(), tmp("lf.npy")));
    assert_null(ds.X);
    double v = 1;
    WL_OK_OR_FAIL(wl_npy_write(tmp("scalar.npy"), &v, 0, NULL));
    assert_int_equal(wl_data_load_npy(tmp("scalar.npy"), NULL, NULL, &ds), WL_EFORMAT);
    assert_non_null(strstr(wl_errmsg(), "0-d"));
    char spec[1200];
    snprintf(spec, sizeof spec, "%s:label=3", tmp("X.npy"));
    assert_int_equal(wl_data_load(spec, &ds), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "CSV files only"));
}

int main(void) {
    if (!wl_test_tmpdir(dir, sizeof dir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_bits),     cmocka_unit_test(test_zero_and_empty),
        cmocka_unit_test(test_dtypes_and_versions), cmocka_unit_test(test_int_and_u8_writers),
        cmocka_unit_test(test_stream),              cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_dataset_from_npy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
