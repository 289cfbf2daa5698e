/* CIFAR-10 binary batches: records, scaling, labels, bad files. */
#include "wl_test.h"

#include <unistd.h>

static char dir[256];

/* m records: label (r + b) % 10, pixels (r * 7 + j + b) % 256 */
static void write_batch(const char *name, int b, size_t m, size_t cut, int bad_label) {
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    for (size_t r = 0; r < m; r++) {
        fputc(bad_label && r == 1 ? 10 : (int)((r + (size_t)b) % 10), f);
        for (size_t j = 0; j < 3072; j++) fputc((int)((r * 7 + j + (size_t)b) % 256), f);
    }
    fclose(f);
    if (cut) {
        FILE *g = fopen(p, "r+b");
        fseek(g, 0, SEEK_END);
        long sz = ftell(g);
        fclose(g);
        assert_int_equal(truncate(p, sz - (long)cut), 0);
    }
}

static void test_cifar_load(void **state) {
    (void)state;
    char name[64], spec[600];
    for (int b = 1; b <= 5; b++) {
        snprintf(name, sizeof name, "data_batch_%d.bin", b);
        write_batch(name, b, 2, 0, 0);
    }
    write_batch("test_batch.bin", 0, 3, 0, 0);
    wl_dataset tr, te;
    snprintf(spec, sizeof spec, "cifar10:%s", dir);
    WL_OK_OR_FAIL(wl_data_load(spec, &tr));
    assert_int_equal(tr.n, 10);
    assert_int_equal(tr.d, 3072);
    assert_int_equal(tr.n_classes, 10);
    for (int b = 1; b <= 5; b++)
        for (size_t r = 0; r < 2; r++) {
            size_t i = (size_t)(b - 1) * 2 + r;
            assert_int_equal(tr.labels[i], (int)((r + (size_t)b) % 10));
            for (size_t j = 0; j < 3072; j += 511)
                assert_true(tr.X[i * 3072 + j] == (double)((r * 7 + j + (size_t)b) % 256) / 255.0);
        }
    snprintf(spec, sizeof spec, "cifar10:%s:test", dir);
    WL_OK_OR_FAIL(wl_data_load(spec, &te));
    assert_int_equal(te.n, 3);
    assert_string_equal(te.name, "cifar10:test");
    wl_dataset_free(&tr);
    wl_dataset_free(&te);
    /* a truncated record and a bad label */
    write_batch("data_batch_3.bin", 3, 2, 100, 0);
    snprintf(spec, sizeof spec, "cifar10:%s", dir);
    assert_int_equal(wl_data_load(spec, &tr), WL_EFORMAT);
    assert_non_null(strstr(wl_errmsg(), "data_batch_3.bin"));
    assert_non_null(strstr(wl_errmsg(), "from byte 3073"));
    write_batch("data_batch_3.bin", 3, 2, 0, 1);
    assert_int_equal(wl_data_load(spec, &tr), WL_EFORMAT);
    assert_non_null(strstr(wl_errmsg(), "label 10 at byte 3073"));
    snprintf(spec, sizeof spec, "cifar10:%s/none", dir);
    assert_int_equal(wl_data_load(spec, &tr), WL_EIO);
    assert_non_null(strstr(wl_errmsg(), "data_batch_1.bin"));
    assert_int_equal(wl_data_load("cifar10", &tr), WL_EINVAL);
}

int main(void) {
    if (!wl_test_tmpdir(dir, sizeof dir)) return 1;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_cifar_load)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
