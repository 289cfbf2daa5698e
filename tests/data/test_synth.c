/* Synthetic sets: shapes, seeds, the formulas they promise, their statistics. */
#include "wl_test.h"

#include <lapacke.h>

/* Eigenvalues (ascending) of the empirical covariance (1/n) X^T X. */
static void cov_eigs(const wl_dataset *ds, double *w) {
    wl_mat X = wl_dataset_X(ds), C;
    WL_OK_OR_FAIL(wl_mat_alloc(&C, ds->d, ds->d));
    WL_OK_OR_FAIL(wl_syrk(1, 1.0 / (double)ds->n, &X, 0.0, &C));
    WL_OK_OR_FAIL(wl_eigh(&C, w, 0));
    wl_mat_free(&C);
}

static int cmp_desc(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

static void test_linreg_spectrum(void **state) {
    (void)state;
    double eigs[5] = {0.25, 4, 1, 0.5, 2}, w[5], ws[5];
    wl_rng r;
    wl_rng_seed(&r, 11);
    wl_dataset ds;
    WL_OK_OR_FAIL(wl_synth_linreg(&r, 40000, 5, eigs, 0, 1, 0.0, &ds, ws));
    assert_int_equal(ds.n, 40000);
    assert_int_equal(ds.d, 5);
    assert_int_equal(ds.k, 1);
    cov_eigs(&ds, w);
    qsort(eigs, 5, sizeof(double), cmp_desc);
    for (int j = 0; j < 5; j++) WL_ASSERT_CLOSE(w[4 - j], eigs[j], 0.04 * eigs[j]);
    /* the covariance is rotated: the diagonal is not the spectrum */
    double off = 0;
    for (size_t i = 0; i < ds.n; i++) off += ds.X[i * 5] * ds.X[i * 5 + 1];
    assert_true(fabs(off / (double)ds.n) > 0.01);
    /* noise 0: y = X w* exactly */
    for (size_t i = 0; i < ds.n; i++) WL_ASSERT_CLOSE(ds.Y[i], wl_dot(5, ds.X + 5 * i, ws), 1e-12);
    wl_dataset_free(&ds);
}

static void test_linreg_default_spectrum_and_noise(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 5);
    wl_dataset ds;
    double ws[4];
    WL_OK_OR_FAIL(wl_synth_linreg(&r, 50000, 4, NULL, 3.0, 0, 0.5, &ds, ws));
    /* eigs_j = 10^(-3 j / 3) on the diagonal */
    for (size_t j = 0; j < 4; j++) {
        double v = 0;
        for (size_t i = 0; i < ds.n; i++) v += ds.X[i * 4 + j] * ds.X[i * 4 + j];
        WL_ASSERT_CLOSE(v / (double)ds.n, pow(10.0, -(double)j), 0.03 * pow(10.0, -(double)j));
    }
    double s2 = 0;
    for (size_t i = 0; i < ds.n; i++) {
        double e = ds.Y[i] - wl_dot(4, ds.X + 4 * i, ws);
        s2 += e * e;
    }
    WL_ASSERT_CLOSE(sqrt(s2 / (double)ds.n), 0.5, 0.01);
    wl_dataset_free(&ds);
}

/* y = (1/sqrt(m)) A act(W x / sqrt(d) + b), drawn in the documented order */
static void test_teacher_formula(void **state) {
    (void)state;
    size_t n = 30, d = 4, m = 16, k = 2;
    for (int act = 0; act <= 1; act++) {
        wl_rng r, q;
        wl_rng_seed(&r, 77);
        q = r;
        wl_dataset ds;
        WL_OK_OR_FAIL(wl_synth_teacher(&r, n, d, m, k, act, 0.0, &ds));
        assert_int_equal(ds.k, k);
        double W[64], b[16], A[32], X[120];
        wl_rng_normal_fill(&q, W, m * d, 0, 1);
        wl_rng_normal_fill(&q, b, m, 0, 1);
        wl_rng_normal_fill(&q, A, k * m, 0, 1);
        wl_rng_normal_fill(&q, X, n * d, 0, 1);
        assert_memory_equal(X, ds.X, sizeof X);
        for (size_t i = 0; i < n; i++)
            for (size_t c = 0; c < k; c++) {
                double y = 0;
                for (size_t j = 0; j < m; j++) {
                    double z = b[j];
                    for (size_t t = 0; t < d; t++) z += W[j * d + t] * X[i * d + t] / 2.0;
                    y += A[c * m + j] * (act == WL_SYNTH_RELU ? fmax(z, 0) : tanh(z));
                }
                WL_ASSERT_CLOSE(ds.Y[i * k + c], y / 4.0, 1e-12);
            }
        wl_dataset_free(&ds);
    }
}

static void test_gauss1d_sphere_mixture(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 1);
    wl_dataset g, s, m;
    WL_OK_OR_FAIL(wl_synth_two_gauss(&r, 40000, 2.0, 0.5, &g));
    double mean[2] = {0, 0}, var[2] = {0, 0};
    for (size_t i = 0; i < g.n; i++) {
        assert_int_equal(g.labels[i], (int)(i % 2));
        assert_true(g.Y[i] == (i % 2 ? 1.0 : -1.0));
        mean[i % 2] += g.X[i] / 20000.0;
    }
    for (size_t i = 0; i < g.n; i++) var[i % 2] += pow(g.X[i] - mean[i % 2], 2) / 20000.0;
    WL_ASSERT_CLOSE(mean[0], -2.0, 0.01);
    WL_ASSERT_CLOSE(mean[1], 2.0, 0.01);
    WL_ASSERT_CLOSE(sqrt(var[0]), 0.5, 0.01);
    assert_int_equal(g.n_classes, 2);
    WL_OK_OR_FAIL(wl_synth_sphere(&r, 20000, 5, &s));
    double e11 = 0;
    for (size_t i = 0; i < s.n; i++) {
        WL_ASSERT_CLOSE(wl_nrm2(5, s.X + 5 * i), 1.0, 1e-14);
        assert_true(s.Y[i] == s.X[5 * i] * s.X[5 * i + 1]);
        e11 += s.X[5 * i] * s.X[5 * i] / 20000.0;
    }
    WL_ASSERT_CLOSE(e11, 0.2, 0.01); /* E x1^2 = 1/d */
    WL_OK_OR_FAIL(wl_synth_mixture(&r, 20000, 3, 4.0, 1.0, &m));
    size_t ones = 0;
    double m0[2] = {0, 0}, m1 = 0;
    for (size_t i = 0; i < m.n; i++) {
        int c = m.labels[i];
        ones += (size_t)c;
        m0[c] += m.X[3 * i];
        m1 += m.X[3 * i + 1];
        assert_true(m.Y[i] == (c ? 1.0 : -1.0));
    }
    WL_ASSERT_CLOSE((double)ones / 20000.0, 0.5, 0.02);
    WL_ASSERT_CLOSE(m0[1] / (double)ones, 2.0, 0.05);
    WL_ASSERT_CLOSE(m0[0] / (double)(20000 - ones), -2.0, 0.05);
    WL_ASSERT_CLOSE(m1 / 20000.0, 0.0, 0.03);
    wl_dataset_free(&g);
    wl_dataset_free(&s);
    wl_dataset_free(&m);
}

static void test_specs_and_seeds(void **state) {
    (void)state;
    const char *specs[] = {"synth:linreg:n=50,d=6,noise=0.1,rotate=1", "synth:teacher:n=40,d=3,width=8,k=2,act=tanh",
                           "synth:gauss1d:n=20,mu=3", "synth:sphere:n=30,d=4", "synth:mixture:n=25,d=2,sep=1"};
    size_t want_d[] = {6, 3, 1, 4, 2}, want_n[] = {50, 40, 20, 30, 25};
    for (int i = 0; i < 5; i++) {
        wl_dataset a, b, c;
        char spec[200];
        snprintf(spec, sizeof spec, "%s,seed=4", specs[i]);
        WL_OK_OR_FAIL(wl_data_load(spec, &a));
        WL_OK_OR_FAIL(wl_data_load(spec, &b));
        assert_int_equal(a.n, want_n[i]);
        assert_int_equal(a.d, want_d[i]);
        assert_memory_equal(a.X, b.X, a.n * a.d * sizeof(double));
        assert_memory_equal(a.Y, b.Y, a.n * a.k * sizeof(double));
        /* no seed in the spec: the caller's rng decides */
        wl_rng r;
        wl_rng_seed(&r, 4);
        WL_OK_OR_FAIL(wl_data_load_rng(specs[i], &r, &c));
        assert_memory_equal(a.X, c.X, a.n * a.d * sizeof(double));
        wl_dataset_free(&c);
        wl_rng_seed(&r, 5);
        WL_OK_OR_FAIL(wl_data_load_rng(specs[i], &r, &c));
        assert_memory_not_equal(a.X, c.X, a.n * a.d * sizeof(double));
        wl_dataset_free(&a);
        wl_dataset_free(&b);
        wl_dataset_free(&c);
    }
    wl_dataset ds;
    WL_OK_OR_FAIL(wl_data_load("synth:linreg:n=20000,eigs=9/1/0.01", &ds));
    assert_int_equal(ds.d, 3);
    double w[3];
    cov_eigs(&ds, w);
    WL_ASSERT_CLOSE(w[2], 9.0, 0.3);
    WL_ASSERT_CLOSE(w[0], 0.01, 0.001);
    wl_dataset_free(&ds);
    struct { const char *spec, *needle; } bad[] = {
        {"synth:linreg:n=10,colour=3", "unknown key 'colour'"},
        {"synth:linreg:n=ten", "n=ten"},
        {"synth:linreg:d=3,eigs=1/2", "2 eigenvalues given for d=3"},
        {"synth:linreg:eigs=1/-2", "eigs=1/-2"},
        {"synth:teacher:act=gelu", "act=gelu"},
        {"synth:sphere:d=1", "d >= 2"},
        {"synth:nothing", "unknown synthetic set 'nothing'"},
        {"synth:linreg:n", "expected key=value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(wl_data_load(bad[i].spec, &ds), WL_EINVAL);
        if (!strstr(wl_errmsg(), bad[i].needle)) fail_msg("%s: %s", bad[i].spec, wl_errmsg());
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linreg_spectrum),  cmocka_unit_test(test_linreg_default_spectrum_and_noise),
        cmocka_unit_test(test_teacher_formula), cmocka_unit_test(test_gauss1d_sphere_mixture),
        cmocka_unit_test(test_specs_and_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
