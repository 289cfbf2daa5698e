/* The real Fashion-MNIST (Debian dataset-fashion-mnist): shapes, classes,
 * pixel range and load time. Skipped when the files are not installed. */
#include "wl_test.h"

static int have_fashion(void) {
    return wl_test_exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") &&
           wl_test_exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
}

static void check_set(const wl_dataset *ds, size_t n, size_t per_class) {
    assert_int_equal(ds->n, n);
    assert_int_equal(ds->d, 784);
    assert_int_equal(ds->n_classes, 10);
    size_t counts[10];
    WL_OK_OR_FAIL(wl_dataset_class_counts(ds, counts));
    for (int c = 0; c < 10; c++) assert_int_equal(counts[c], per_class);
    double lo = 1, hi = 0;
    for (size_t i = 0; i < ds->n * ds->d; i++) {
        lo = fmin(lo, ds->X[i]);
        hi = fmax(hi, ds->X[i]);
    }
    assert_true(lo == 0.0);
    assert_true(hi == 1.0);
}

static void test_fashion_train(void **state) {
    (void)state;
    if (!have_fashion()) skip();
    wl_dataset ds;
    double t = wl_time();
    WL_OK_OR_FAIL(wl_data_load("fashion-mnist:train", &ds));
    t = wl_time() - t;
    print_message("fashion-mnist train loaded in %.3f s\n", t);
    check_set(&ds, 60000, 6000);
    assert_string_equal(ds.name, "fashion-mnist:train");
    /* first training image is an ankle boot (class 9) */
    assert_int_equal(ds.labels[0], 9);
    wl_dataset_free(&ds);
}

static void test_fashion_test(void **state) {
    (void)state;
    if (!have_fashion()) skip();
    wl_dataset ds;
    WL_OK_OR_FAIL(wl_data_load("fashion-mnist:test", &ds));
    check_set(&ds, 10000, 1000);
    wl_dataset_free(&ds);
}

static void test_fashion_missing(void **state) {
    (void)state;
    char dir[256];
    assert_non_null(wl_test_tmpdir(dir, sizeof dir));
    setenv("WL_FASHION_MNIST_DIR", dir, 1);
    wl_dataset ds;
    assert_int_equal(wl_data_load("fashion-mnist", &ds), WL_EIO);
    assert_non_null(strstr(wl_errmsg(), "dataset-fashion-mnist"));
    assert_non_null(strstr(wl_errmsg(), "apt-get install dataset-fashion-mnist"));
    assert_non_null(strstr(wl_errmsg(), dir));
    unsetenv("WL_FASHION_MNIST_DIR");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fashion_train),
        cmocka_unit_test(test_fashion_test),
        cmocka_unit_test(test_fashion_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
