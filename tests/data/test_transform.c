/* Transforms: subsets (stratified), splits, classes, normalization, sphere,
 * targets, label noise, copies. */
#include "wl_test.h"

/* n samples, d features, labels i mod C except the first `extra` in class 0 */
static void make(wl_dataset *ds, size_t n, size_t d, size_t C, size_t extra) {
    WL_OK_OR_FAIL(wl_dataset_alloc(ds, n, d, 0, 1));
    wl_rng r;
    wl_rng_seed(&r, 2);
    for (size_t i = 0; i < n * d; i++) ds->X[i] = 3.0 + 2.0 * wl_rng_normal(&r) + (double)(i % d);
    for (size_t i = 0; i < n; i++) ds->labels[i] = i < extra ? 0 : (int)(i % C);
    ds->n_classes = C;
    snprintf(ds->name, sizeof ds->name, "made");
}

static void test_copy_and_select(void **state) {
    (void)state;
    wl_dataset a, b, s;
    make(&a, 10, 3, 2, 0);
    WL_OK_OR_FAIL(wl_data_targets(&a, WL_TARGETS_ONEHOT));
    WL_OK_OR_FAIL(wl_dataset_copy(&b, &a));
    assert_ptr_not_equal(a.X, b.X);
    assert_memory_equal(a.X, b.X, 30 * sizeof(double));
    assert_memory_equal(a.Y, b.Y, 20 * sizeof(double));
    assert_int_equal(b.target_kind, WL_TARGETS_ONEHOT);
    size_t idx[3] = {9, 0, 4};
    WL_OK_OR_FAIL(wl_data_select(&a, idx, 3, &s));
    for (int i = 0; i < 3; i++) {
        assert_memory_equal(s.X + 3 * i, a.X + 3 * idx[i], 3 * sizeof(double));
        assert_int_equal(s.labels[i], a.labels[idx[i]]);
        assert_true(s.Y[2 * i + (size_t)a.labels[idx[i]]] == 1.0);
    }
    wl_dataset_free(&s);
    wl_dataset_free(&s); /* twice is safe */
    idx[0] = 10;
    assert_int_equal(wl_data_select(&a, idx, 3, &s), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "index 10"));
    wl_dataset_free(&a);
    wl_dataset_free(&b);
}

static void test_stratified_subset(void **state) {
    (void)state;
    wl_dataset a, s, s2;
    /* classes: 0 has 100 + 150 = 250 ... with C = 3 on 1000 rows */
    make(&a, 1000, 2, 3, 400);
    size_t counts[3];
    WL_OK_OR_FAIL(wl_dataset_class_counts(&a, counts));
    wl_rng r, q;
    wl_rng_seed(&r, 4);
    q = r;
    size_t m = 101;
    WL_OK_OR_FAIL(wl_data_subset(&a, m, 1, &r, &s));
    WL_OK_OR_FAIL(wl_data_subset(&a, m, 1, &q, &s2));
    assert_memory_equal(s.X, s2.X, m * 2 * sizeof(double)); /* same seed, same subset */
    size_t got[3];
    WL_OK_OR_FAIL(wl_dataset_class_counts(&s, got));
    size_t total = 0;
    for (int c = 0; c < 3; c++) {
        double share = (double)m * (double)counts[c] / 1000.0;
        assert_true(fabs((double)got[c] - share) < 1.0); /* floor or ceil of the share */
        total += got[c];
    }
    assert_int_equal(total, m);
    /* rows are distinct and in original order: X rows strictly follow a */
    size_t pos = 0;
    for (size_t i = 0; i < m; i++) {
        while (pos < a.n && memcmp(a.X + 2 * pos, s.X + 2 * i, 2 * sizeof(double))) pos++;
        assert_true(pos < a.n);
        pos++;
    }
    wl_dataset_free(&s);
    wl_dataset_free(&s2);
    assert_int_equal(wl_data_subset(&a, 1001, 0, &r, &s), WL_EINVAL);
    /* split: disjoint, complete, stratified */
    wl_dataset tr, te;
    WL_OK_OR_FAIL(wl_data_split(&a, 300, 1, &r, &tr, &te));
    assert_int_equal(tr.n, 700);
    assert_int_equal(te.n, 300);
    WL_OK_OR_FAIL(wl_dataset_class_counts(&te, got));
    for (int c = 0; c < 3; c++) assert_true(fabs((double)got[c] - 0.3 * (double)counts[c]) < 1.0);
    double sum_a = 0, sum_s = 0;
    for (size_t i = 0; i < 2000; i++) sum_a += a.X[i];
    for (size_t i = 0; i < 1400; i++) sum_s += tr.X[i];
    for (size_t i = 0; i < 600; i++) sum_s += te.X[i];
    WL_ASSERT_CLOSE(sum_s, sum_a, 1e-12);
    wl_dataset_free(&tr);
    wl_dataset_free(&te);
    wl_dataset_free(&a);
}

static void test_classes_and_targets(void **state) {
    (void)state;
    wl_dataset a;
    make(&a, 30, 2, 5, 0);
    int keep[2] = {3, 1};
    WL_OK_OR_FAIL(wl_data_keep_classes(&a, keep, 2));
    assert_int_equal(a.n, 12);
    assert_int_equal(a.n_classes, 2);
    for (size_t i = 0; i < a.n; i++) assert_int_equal(a.labels[i], (i % 2) ? 0 : 1);
    WL_OK_OR_FAIL(wl_data_targets(&a, WL_TARGETS_PM1));
    assert_int_equal(a.k, 1);
    for (size_t i = 0; i < a.n; i++) assert_true(a.Y[i] == (a.labels[i] ? 1.0 : -1.0));
    WL_OK_OR_FAIL(wl_data_targets(&a, WL_TARGETS_ONEHOT));
    assert_int_equal(a.k, 2);
    for (size_t i = 0; i < a.n; i++) {
        assert_true(a.Y[2 * i + (size_t)a.labels[i]] == 1.0);
        assert_true(a.Y[2 * i + 1 - (size_t)a.labels[i]] == 0.0);
    }
    int bad[2] = {0, 0};
    assert_int_equal(wl_data_keep_classes(&a, bad, 2), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "given twice"));
    bad[1] = 7;
    assert_int_equal(wl_data_keep_classes(&a, bad, 2), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "out of range"));
    wl_dataset_free(&a);
    make(&a, 30, 2, 5, 0);
    assert_int_equal(wl_data_targets(&a, WL_TARGETS_PM1), WL_EINVAL);
    wl_dataset_free(&a);
}

static void test_normalize_and_sphere(void **state) {
    (void)state;
    wl_dataset a, b;
    make(&a, 500, 4, 2, 0);
    make(&b, 200, 4, 2, 0);
    for (size_t i = 0; i < 200; i++) b.X[4 * i + 3] = 42.0;
    for (size_t i = 0; i < 500; i++) a.X[4 * i + 2] = 7.0; /* constant feature */
    double mean[4], sd[4], m2[4], s2[4];
    WL_OK_OR_FAIL(wl_data_feature_stats(&a, mean, sd));
    wl_dataset bc;
    WL_OK_OR_FAIL(wl_dataset_copy(&bc, &b));
    WL_OK_OR_FAIL(wl_data_standardize(&b, &a)); /* test with train statistics */
    for (size_t i = 0; i < 200; i++)
        for (int j = 0; j < 4; j++) {
            double want = j == 2 ? bc.X[4 * i + j] - 7.0 : (bc.X[4 * i + j] - mean[j]) / sd[j];
            WL_ASSERT_CLOSE(b.X[4 * i + j], want, 1e-12);
        }
    WL_OK_OR_FAIL(wl_data_standardize(&a, NULL));
    WL_OK_OR_FAIL(wl_data_feature_stats(&a, m2, s2));
    for (int j = 0; j < 4; j++) {
        WL_ASSERT_CLOSE(m2[j], 0.0, 1e-12);
        WL_ASSERT_CLOSE(s2[j], j == 2 ? 0.0 : 1.0, 1e-12);
    }
    WL_OK_OR_FAIL(wl_data_scale(&a, NULL, -1, 1, 1));
    for (int j = 0; j < 4; j++) {
        double lo = 9, hi = -9;
        for (size_t i = 0; i < 500; i++) {
            lo = fmin(lo, a.X[4 * i + j]);
            hi = fmax(hi, a.X[4 * i + j]);
        }
        WL_ASSERT_CLOSE(lo, -1.0, 1e-15);
        WL_ASSERT_CLOSE(hi, j == 2 ? -1.0 : 1.0, 1e-15);
    }
    WL_OK_OR_FAIL(wl_data_scale(&bc, NULL, 0, 1, 0)); /* one range for all */
    double lo = 9, hi = -9;
    for (size_t i = 0; i < 800; i++) {
        lo = fmin(lo, bc.X[i]);
        hi = fmax(hi, bc.X[i]);
    }
    assert_true(lo == 0.0 && hi == 1.0);
    WL_OK_OR_FAIL(wl_data_sphere(&b));
    for (size_t i = 0; i < 200; i++) WL_ASSERT_CLOSE(wl_nrm2(4, b.X + 4 * i), 1.0, 1e-15);
    memset(b.X + 8, 0, 4 * sizeof(double));
    assert_int_equal(wl_data_sphere(&b), WL_ENUMERIC);
    assert_non_null(strstr(wl_errmsg(), "row 2"));
    wl_dataset_free(&a);
    wl_dataset_free(&b);
    wl_dataset_free(&bc);
}

static void test_label_noise(void **state) {
    (void)state;
    const double ps[] = {0.0, 0.1, 0.333, 0.5, 1.0};
    for (size_t t = 0; t < 5; t++) {
        wl_dataset a, b;
        make(&a, 257, 1, 4, 0);
        WL_OK_OR_FAIL(wl_data_targets(&a, WL_TARGETS_ONEHOT));
        WL_OK_OR_FAIL(wl_dataset_copy(&b, &a));
        wl_rng r, q;
        wl_rng_seed(&r, 8);
        q = r;
        WL_OK_OR_FAIL(wl_data_label_noise(&a, ps[t], &r));
        WL_OK_OR_FAIL(wl_data_label_noise(&b, ps[t], &q));
        assert_memory_equal(a.labels, b.labels, 257 * sizeof(int)); /* seeded */
        size_t flips = 0;
        for (size_t i = 0; i < 257; i++) {
            int diff = a.labels[i] != a.true_labels[i];
            assert_int_equal(diff, a.corrupted[i]);
            assert_int_equal(a.true_labels[i], (int)(i % 4));
            assert_true(a.labels[i] >= 0 && a.labels[i] < 4);
            assert_true(a.Y[4 * i + (size_t)a.labels[i]] == 1.0); /* targets follow */
            flips += (size_t)diff;
        }
        assert_int_equal(flips, (size_t)llround(ps[t] * 257));
        assert_int_equal(wl_dataset_n_corrupted(&a), flips);
        assert_int_equal(wl_data_label_noise(&a, 0.1, &r), WL_EINVAL); /* twice */
        wl_dataset_free(&a);
        wl_dataset_free(&b);
    }
    /* flips land on every other class, uniformly */
    wl_dataset a;
    make(&a, 30000, 1, 3, 30000);
    wl_rng r;
    wl_rng_seed(&r, 3);
    WL_OK_OR_FAIL(wl_data_label_noise(&a, 0.5, &r));
    size_t c[3] = {0, 0, 0};
    for (size_t i = 0; i < a.n; i++) c[a.labels[i]]++;
    assert_int_equal(c[0], 15000);
    WL_ASSERT_CLOSE((double)c[1] / 15000.0, 0.5, 0.02);
    assert_int_equal(wl_data_label_noise(&a, 1.5, &r), WL_EINVAL);
    wl_dataset_free(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_and_select),  cmocka_unit_test(test_stratified_subset),
        cmocka_unit_test(test_classes_and_targets), cmocka_unit_test(test_normalize_and_sphere),
        cmocka_unit_test(test_label_noise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
