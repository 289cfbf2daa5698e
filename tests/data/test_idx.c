/* IDX (MNIST format): plain and gzip files, scaling, and every way to be bad. */
#include "wl_test.h"

#include <zlib.h>

static char dir[256];

static const char *tmp(const char *name) {
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

/* IDX header (type 0x08) + body; gz selects gzip output. */
static void write_idx(const char *path, int gz, int ndim, const unsigned *dims,
                      const unsigned char *body, size_t nbody) {
    unsigned char h[4 + 32] = {0, 0, 8, (unsigned char)ndim};
    for (int i = 0; i < ndim; i++) {
        h[4 + 4 * i] = (unsigned char)(dims[i] >> 24);
        h[5 + 4 * i] = (unsigned char)(dims[i] >> 16);
        h[6 + 4 * i] = (unsigned char)(dims[i] >> 8);
        h[7 + 4 * i] = (unsigned char)dims[i];
    }
    size_t nh = 4 + 4 * (size_t)ndim;
    if (gz) {
        gzFile g = gzopen(path, "wb");
        assert_non_null(g);
        gzwrite(g, h, (unsigned)nh);
        if (nbody) gzwrite(g, body, (unsigned)nbody);
        gzclose(g);
    } else {
        FILE *f = fopen(path, "wb");
        fwrite(h, 1, nh, f);
        if (nbody) fwrite(body, 1, nbody, f);
        fclose(f);
    }
}

static unsigned char px[5 * 2 * 3], lab[5] = {3, 0, 1, 3, 2};

static void make_pair(int gz) {
    for (size_t i = 0; i < sizeof px; i++) px[i] = (unsigned char)(i * 37 % 256);
    px[0] = 255;
    unsigned di[3] = {5, 2, 3}, dl[1] = {5};
    write_idx(tmp(gz ? "img.gz" : "img"), gz, 3, di, px, sizeof px);
    write_idx(tmp(gz ? "lab.gz" : "lab"), gz, 1, dl, lab, 5);
}

static void check_error(int rc, int code, const char *n1, const char *n2) {
    if (rc != code) fail_msg("got %s (%s), expected %s", wl_strerror(rc), wl_errmsg(), wl_strerror(code));
    if (n1 && !strstr(wl_errmsg(), n1)) fail_msg("message lacks '%s': %s", n1, wl_errmsg());
    if (n2 && !strstr(wl_errmsg(), n2)) fail_msg("message lacks '%s': %s", n2, wl_errmsg());
}

static void test_load_plain_and_gz(void **state) {
    (void)state;
    for (int gz = 0; gz <= 1; gz++) {
        make_pair(gz);
        wl_dataset ds;
        WL_OK_OR_FAIL(wl_data_load_idx(tmp(gz ? "img.gz" : "img"), tmp(gz ? "lab.gz" : "lab"), &ds));
        assert_int_equal(ds.n, 5);
        assert_int_equal(ds.d, 6);
        assert_int_equal(ds.n_classes, 4);
        assert_int_equal(ds.k, 0);
        for (size_t i = 0; i < sizeof px; i++) assert_true(ds.X[i] == px[i] / 255.0);
        assert_true(ds.X[0] == 1.0);
        for (int i = 0; i < 5; i++) assert_int_equal(ds.labels[i], lab[i]);
        wl_dataset_free(&ds);
    }
    /* the spec path finds no sibling here; labels= names it */
    char spec[1200];
    snprintf(spec, sizeof spec, "%s:labels=%s", tmp("img.gz"), tmp("lab.gz"));
    wl_dataset ds;
    WL_OK_OR_FAIL(wl_data_load(spec, &ds));
    assert_int_equal(ds.n_classes, 4);
    wl_dataset_free(&ds);
}

static void test_mnist_dir_spec(void **state) {
    (void)state;
    char sub[600], spec[700];
    snprintf(sub, sizeof sub, "%s/mn", dir);
    WL_OK_OR_FAIL(wl_mkdirs(sub));
    make_pair(1);
    unsigned di[3] = {5, 2, 3}, dl[1] = {5}, dt[3] = {2, 2, 3}, dtl[1] = {2};
    snprintf(spec, sizeof spec, "%s/train-images-idx3-ubyte", sub);
    write_idx(spec, 0, 3, di, px, sizeof px);
    snprintf(spec, sizeof spec, "%s/train-labels-idx1-ubyte", sub);
    write_idx(spec, 0, 1, dl, lab, 5);
    snprintf(spec, sizeof spec, "%s/t10k-images-idx3-ubyte.gz", sub);
    write_idx(spec, 1, 3, dt, px, 12);
    snprintf(spec, sizeof spec, "%s/t10k-labels-idx1-ubyte.gz", sub);
    write_idx(spec, 1, 1, dtl, lab, 2);
    wl_dataset a, b;
    snprintf(spec, sizeof spec, "mnist:%s", sub);
    WL_OK_OR_FAIL(wl_data_load(spec, &a));
    assert_int_equal(a.n, 5);
    assert_true(wl_data_spec_has_test(spec));
    snprintf(spec, sizeof spec, "mnist:%s:test", sub);
    assert_false(wl_data_spec_has_test(spec));
    WL_OK_OR_FAIL(wl_data_load(spec, &b));
    assert_int_equal(b.n, 2);
    assert_string_equal(b.name, "mnist:test");
    /* the sibling labels file is found from the images path */
    snprintf(spec, sizeof spec, "%s/train-images-idx3-ubyte", sub);
    wl_dataset c;
    WL_OK_OR_FAIL(wl_data_load(spec, &c));
    assert_non_null(c.labels);
    assert_int_equal(c.labels[3], 3);
    wl_dataset_free(&a);
    wl_dataset_free(&b);
    wl_dataset_free(&c);
    snprintf(spec, sizeof spec, "mnist:%s/nothing", dir);
    check_error(wl_data_load(spec, &a), WL_EIO, "nothing", "train-images");
}

static void test_bad_idx(void **state) {
    (void)state;
    wl_dataset ds;
    unsigned di[3] = {5, 2, 3}, dl[1] = {4};
    make_pair(0);
    /* wrong magic */
    FILE *f = fopen(tmp("magic"), "wb");
    fwrite("\x01\x02\x08\x03rest of it", 1, 14, f);
    fclose(f);
    check_error(wl_data_load_idx(tmp("magic"), NULL, &ds), WL_EFORMAT, "magic", "0x01020803");
    assert_non_null(strstr(wl_errmsg(), tmp("magic")));
    /* element type not bytes */
    f = fopen(tmp("type"), "wb");
    fwrite("\x00\x00\x0d\x01\x00\x00\x00\x01" "abcd", 1, 12, f);
    fclose(f);
    check_error(wl_data_load_idx(tmp("type"), NULL, &ds), WL_EFORMAT, "0x0d", "byte 2");
    /* truncated body, plain and gzip */
    for (int gz = 0; gz <= 1; gz++) {
        write_idx(tmp("trunc"), gz, 3, di, px, sizeof px - 7);
        check_error(wl_data_load_idx(tmp("trunc"), NULL, &ds), WL_EFORMAT, "truncated", "byte 16");
        assert_non_null(strstr(wl_errmsg(), "ends at byte 39"));
    }
    /* a header promising far more than the file holds is refused before
     * anything that size is allocated */
    unsigned dh[3] = {100000, 1000, 1000};
    write_idx(tmp("huge.gz"), 1, 3, dh, px, sizeof px);
    check_error(wl_data_load_idx(tmp("huge.gz"), NULL, &ds), WL_EFORMAT, "gzip file can hold",
                "100000000000 bytes");
    write_idx(tmp("huge"), 0, 3, dh, px, sizeof px);
    check_error(wl_data_load_idx(tmp("huge"), NULL, &ds), WL_EFORMAT, "truncated", "ends at byte 46");
    /* truncated header */
    f = fopen(tmp("th"), "wb");
    fwrite("\x00\x00\x08\x03\x00\x00", 1, 6, f);
    fclose(f);
    check_error(wl_data_load_idx(tmp("th"), NULL, &ds), WL_EFORMAT, "truncated IDX header", "byte 4");
    /* extra bytes */
    unsigned char more[40] = {0};
    write_idx(tmp("extra"), 0, 3, di, more, 40);
    check_error(wl_data_load_idx(tmp("extra"), NULL, &ds), WL_EFORMAT, "extra bytes", "byte 46");
    /* images and labels disagree */
    write_idx(tmp("lab4"), 0, 1, dl, lab, 4);
    check_error(wl_data_load_idx(tmp("img"), tmp("lab4"), &ds), WL_EFORMAT, "mismatch", "5 images");
    assert_non_null(strstr(wl_errmsg(), "4 labels"));
    assert_non_null(strstr(wl_errmsg(), "byte 4"));
    assert_non_null(strstr(wl_errmsg(), tmp("lab4")));
    /* a 1-D file is not an image file */
    check_error(wl_data_load_idx(tmp("lab4"), NULL, &ds), WL_EFORMAT, ">= 2 dimensions", NULL);
    check_error(wl_data_load_idx(tmp("none"), NULL, &ds), WL_EIO, "cannot open", "none");
}

static void test_corrupt_gzip(void **state) {
    (void)state;
    /* a big enough image file that the deflate stream has a body to damage */
    size_t n = 200, nb = n * 28 * 28;
    unsigned char *body = malloc(nb);
    wl_rng r;
    wl_rng_seed(&r, 1);
    for (size_t i = 0; i < nb; i++) body[i] = (unsigned char)(wl_rng_below(&r, 16) * (i % 3));
    unsigned di[3] = {(unsigned)n, 28, 28};
    write_idx(tmp("c.gz"), 1, 3, di, body, nb);
    free(body);
    size_t len;
    char *raw = wl_test_slurp(tmp("c.gz"), &len);
    assert_true(len > 200);
    for (size_t i = len / 3; i < len / 3 + 32; i++) raw[i] ^= 0x5a;
    FILE *f = fopen(tmp("c.gz"), "wb");
    fwrite(raw, 1, len, f);
    fclose(f);
    free(raw);
    wl_dataset ds;
    int rc = wl_data_load_idx(tmp("c.gz"), NULL, &ds);
    if (rc != WL_EFORMAT) fail_msg("got %s: %s", wl_strerror(rc), wl_errmsg());
    assert_non_null(strstr(wl_errmsg(), tmp("c.gz")));
    assert_non_null(strstr(wl_errmsg(), "byte"));
    /* cut the gzip stream short */
    raw = wl_test_slurp(tmp("img.gz"), &len);
    if (!raw) {
        make_pair(1);
        raw = wl_test_slurp(tmp("img.gz"), &len);
    }
    f = fopen(tmp("cut.gz"), "wb");
    fwrite(raw, 1, len - 12, f);
    fclose(f);
    free(raw);
    rc = wl_data_load_idx(tmp("cut.gz"), NULL, &ds);
    if (rc != WL_EFORMAT) fail_msg("got %s: %s", wl_strerror(rc), wl_errmsg());
    assert_non_null(strstr(wl_errmsg(), tmp("cut.gz")));
}

int main(void) {
    if (!wl_test_tmpdir(dir, sizeof dir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_plain_and_gz), cmocka_unit_test(test_mnist_dir_spec),
        cmocka_unit_test(test_bad_idx),           cmocka_unit_test(test_corrupt_gzip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
