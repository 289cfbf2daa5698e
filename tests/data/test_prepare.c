/* wl_data_prepare: the documented order of steps, seeds, and bad options. */
#include "wl_test.h"

static char dir[256];

/* A labelled set on disk: n rows, d features, labels i mod C, as .npy pair. */
static void write_set(const char *name, size_t n, size_t d, int C, double shift, char *spec,
                      size_t cap) {
    wl_dataset ds;
    WL_OK_OR_FAIL(wl_dataset_alloc(&ds, n, d, 0, 1));
    wl_rng r;
    wl_rng_seed(&r, n);
    for (size_t i = 0; i < n * d; i++) ds.X[i] = shift + wl_rng_normal(&r) * (1.0 + (double)(i % d));
    for (size_t i = 0; i < n; i++) ds.labels[i] = (int)(i % (size_t)C);
    ds.n_classes = (size_t)C;
    char p[600];
    snprintf(p, sizeof p, "%s/%s.npy", dir, name);
    WL_OK_OR_FAIL(wl_data_write(&ds, p));
    snprintf(spec, cap, "%s/%s.npy:labels=%s/%s_labels.npy", dir, name, dir, name);
    wl_dataset_free(&ds);
}

static void test_order_and_statistics(void **state) {
    (void)state;
    char trs[1300], tes[1300];
    write_set("tr", 600, 3, 4, 5.0, trs, sizeof trs);
    write_set("te", 300, 3, 3, -5.0, tes, sizeof tes); /* no class 3 in test */
    wl_data_opts o;
    wl_data_opts_default(&o);
    o.data = trs;
    o.test_data = tes;
    o.classes = "2,0";
    o.n_train = 200;
    o.n_test = 100;
    o.stratify = 1;
    o.normalize = "standardize";
    o.label_noise = 0.1;
    o.seed = 3;
    wl_dataset tr, te, tr2, te2;
    WL_OK_OR_FAIL(wl_data_prepare(&o, &tr, &te));
    assert_int_equal(tr.n, 200);
    assert_int_equal(te.n, 100);
    assert_int_equal(tr.n_classes, 2);
    assert_int_equal(te.n_classes, 2);
    /* stratified after class selection: 100 / 100 before noise */
    size_t c[2];
    for (size_t i = 0, k = 0; i < 2; i++, k = 0) {
        for (size_t j = 0; j < tr.n; j++) k += tr.true_labels[j] == (int)i;
        c[i] = k;
    }
    assert_int_equal(c[0], 100);
    assert_int_equal(c[1], 100);
    assert_int_equal(wl_dataset_n_corrupted(&tr), 20);
    assert_null(te.true_labels); /* noise on train only */
    /* standardized with train statistics: train mean 0 sd 1, test far off */
    double m[3], s[3];
    WL_OK_OR_FAIL(wl_data_feature_stats(&tr, m, s));
    for (int j = 0; j < 3; j++) {
        WL_ASSERT_CLOSE(m[j], 0.0, 1e-12);
        WL_ASSERT_CLOSE(s[j], 1.0, 1e-12);
    }
    WL_OK_OR_FAIL(wl_data_feature_stats(&te, m, s));
    assert_true(m[0] < -5.0);
    /* auto targets: one-hot over the selected classes, following noisy labels */
    assert_int_equal(tr.k, 2);
    for (size_t i = 0; i < tr.n; i++) assert_true(tr.Y[2 * i + (size_t)tr.labels[i]] == 1.0);
    /* reproducible from the seed */
    WL_OK_OR_FAIL(wl_data_prepare(&o, &tr2, &te2));
    assert_memory_equal(tr.X, tr2.X, tr.n * tr.d * sizeof(double));
    assert_memory_equal(tr.labels, tr2.labels, tr.n * sizeof(int));
    assert_memory_equal(te.X, te2.X, te.n * te.d * sizeof(double));
    wl_dataset_free(&tr2);
    wl_dataset_free(&te2);
    o.seed = 4;
    WL_OK_OR_FAIL(wl_data_prepare(&o, &tr2, &te2));
    assert_memory_not_equal(tr.labels, tr2.labels, tr.n * sizeof(int));
    wl_dataset_free(&tr2);
    wl_dataset_free(&te2);
    wl_dataset_free(&tr);
    wl_dataset_free(&te);
}

static void test_split_sphere_pm1(void **state) {
    (void)state;
    wl_data_opts o;
    wl_data_opts_default(&o);
    o.data = "synth:mixture:n=100,d=4";
    o.n_test = 30;
    o.sphere = 1;
    o.targets = "pm1";
    o.normalize = "sym";
    wl_dataset tr, te;
    WL_OK_OR_FAIL(wl_data_prepare(&o, &tr, &te));
    assert_int_equal(tr.n, 70);
    assert_int_equal(te.n, 30);
    for (size_t i = 0; i < tr.n; i++) {
        WL_ASSERT_CLOSE(wl_nrm2(4, tr.X + 4 * i), 1.0, 1e-14);
        assert_true(tr.Y[i] == (tr.labels[i] ? 1.0 : -1.0));
    }
    for (size_t i = 0; i < te.n; i++) WL_ASSERT_CLOSE(wl_nrm2(4, te.X + 4 * i), 1.0, 1e-14);
    wl_dataset_free(&tr);
    wl_dataset_free(&te);
    /* without a test pointer nothing is split off */
    WL_OK_OR_FAIL(wl_data_prepare(&o, &tr, NULL));
    assert_int_equal(tr.n, 100);
    wl_dataset_free(&tr);
    /* regression: raw targets kept, label-based options refused */
    o.data = "synth:linreg:n=50,d=3";
    o.targets = "raw";
    o.sphere = 0;
    WL_OK_OR_FAIL(wl_data_prepare(&o, &tr, &te));
    assert_int_equal(tr.k, 1);
    assert_int_equal(tr.target_kind, WL_TARGETS_RAW);
    wl_dataset_free(&tr);
    wl_dataset_free(&te);
}

static void test_bad_options(void **state) {
    (void)state;
    struct { const char *data, *classes, *normalize, *targets; size_t n_train; double noise; int strat;
             int code; const char *needle; } bad[] = {
        {NULL, NULL, NULL, NULL, 0, 0, 0, WL_EINVAL, "no data set"},
        {"synth:gauss1d:n=10", NULL, "zscore", NULL, 0, 0, 0, WL_EINVAL, "normalize 'zscore'"},
        {"synth:gauss1d:n=10", NULL, NULL, "probs", 0, 0, 0, WL_EINVAL, "targets 'probs'"},
        {"synth:gauss1d:n=10", "0,x", NULL, NULL, 0, 0, 0, WL_EINVAL, "classes '0,x'"},
        {"synth:gauss1d:n=10", "0,2", NULL, NULL, 0, 0, 0, WL_EINVAL, "class 2 is out of range"},
        {"synth:gauss1d:n=10", NULL, NULL, NULL, 11, 0, 0, WL_EINVAL, "--n-train 11"},
        {"synth:linreg:n=10", NULL, NULL, NULL, 5, 0, 1, WL_EINVAL, "no class labels"},
        {"synth:linreg:n=10", NULL, NULL, NULL, 0, 0.1, 0, WL_EINVAL, "no class labels"},
        {"synth:linreg:n=10", NULL, NULL, "onehot", 0, 0, 0, WL_EINVAL, "no class labels"},
        {"synth:teacher:n=10", NULL, NULL, "pm1", 0, 0, 0, WL_EINVAL, "no class labels"},
        {"synth:gauss1d:n=10", NULL, NULL, NULL, 0, -0.5, 0, WL_EINVAL, "negative"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wl_data_opts o;
        wl_data_opts_default(&o);
        o.data = bad[i].data;
        o.classes = bad[i].classes;
        if (bad[i].normalize) o.normalize = bad[i].normalize;
        if (bad[i].targets) o.targets = bad[i].targets;
        o.n_train = bad[i].n_train;
        o.label_noise = bad[i].noise;
        o.stratify = bad[i].strat;
        wl_dataset tr, te;
        int rc = wl_data_prepare(&o, &tr, &te);
        if (rc != bad[i].code || !strstr(wl_errmsg(), bad[i].needle))
            fail_msg("case %zu: %s %s", i, wl_strerror(rc), wl_errmsg());
        assert_null(tr.X);
        assert_null(te.X);
    }
}

int main(void) {
    if (!wl_test_tmpdir(dir, sizeof dir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_statistics),
        cmocka_unit_test(test_split_sphere_pm1),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
