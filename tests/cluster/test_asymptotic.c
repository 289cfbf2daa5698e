/* 1-D asymptotics: predicted constant against closed forms, 1-D Lloyd against
 * brute force, measured k^2 E_k against the prediction, densities. */
#include "wl_test.h"

#include <unistd.h>

static wl_div *div_named(const char *name) {
    wl_div *v;
    WL_OK_OR_FAIL(wl_div_from_name(name, &v));
    return v;
}

static double predicted(const char *div, const char *dens) {
    wl_div *v = div_named(div);
    wl_density p;
    WL_OK_OR_FAIL(wl_density_parse(dens, &p));
    double c;
    WL_OK_OR_FAIL(wl_cluster_asym_constant(v, &p, &c, NULL));
    wl_div_free(v);
    return c;
}

static double cube(double x) { return x * x * x; }

/* (1/24) (int (p phi'')^{1/3})^3 in closed form */
static void test_constant_closed_forms(void **state) {
    /* phi = x^2, uniform(0, 1): (1/24) 2 = 1/12, Panter-Dite's constant */
    WL_ASSERT_CLOSE(predicted("sqeuclid", "uniform"), 1.0 / 12.0, 1e-13);
    /* KL, uniform(0.5, 1.5): int x^{-1/3} = (3/2)(1.5^{2/3} - 0.5^{2/3}) */
    WL_ASSERT_CLOSE(predicted("kl", "uniform:0.5,1.5"),
                    cube(1.5 * (pow(1.5, 2.0 / 3) - pow(0.5, 2.0 / 3))) / 24, 1e-13);
    /* IS, uniform(0.5, 1.5): int x^{-2/3} = 3 (1.5^{1/3} - 0.5^{1/3}) */
    WL_ASSERT_CLOSE(predicted("is", "uniform:0.5,1.5"),
                    cube(3 * (cbrt(1.5) - cbrt(0.5))) / 24, 1e-13);
    /* phi = x^2, beta(a, b): int p^{1/3} = B(1 + (a-1)/3, 1 + (b-1)/3) / B(a, b)^{1/3} */
    double a = 0.5, b = 2.0;
    double lB = lgamma(a) + lgamma(b) - lgamma(a + b);
    double a3 = 1 + (a - 1) / 3, b3 = 1 + (b - 1) / 3;
    double I = exp(lgamma(a3) + lgamma(b3) - lgamma(a3 + b3) - lB / 3);
    WL_ASSERT_CLOSE(predicted("sqeuclid", "beta:0.5,2"), 2 * cube(I) / 24, 1e-10);
    /* phi = x^2, exp(rate 2): int (4 e^{-2x})^{1/3} = 4^{1/3} 3/2 */
    WL_ASSERT_CLOSE(predicted("sqeuclid", "exp:2"), 4 * cube(1.5) / 24, 1e-11);
    /* KL, exp(1): int x^{-1/3} e^{-x/3} = Gamma(2/3) 3^{2/3} (singular end + infinite range) */
    WL_ASSERT_CLOSE(predicted("kl", "exp"), cube(tgamma(2.0 / 3) * pow(3, 2.0 / 3)) / 24, 1e-10);
    /* exp divergence on exp(1): (p phi'')^{1/3} = 1, the integral diverges */
    wl_div *v = div_named("exp");
    wl_density p;
    WL_OK_OR_FAIL(wl_density_parse("exp", &p));
    double c;
    assert_int_equal(wl_cluster_asym_constant(v, &p, &c, NULL), WL_ENUMERIC);
    assert_non_null(strstr(wl_errmsg(), "diverges"));
    wl_div_free(v);
    /* KL needs positive support */
    v = div_named("kl");
    WL_OK_OR_FAIL(wl_density_parse("uniform:-1,1", &p));
    assert_int_equal(wl_cluster_asym_constant(v, &p, &c, NULL), WL_EINVAL);
    wl_div_free(v);
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* 1-D Lloyd: reported error equals a brute-force nearest-centre pass, each
 * centre is the mean of its cell up to the O(1/n) smoothing of the sample. */
static void test_lloyd_1d(void **state) {
    const char *divs[] = {"sqeuclid", "kl", "is", "logistic", "exp"};
    wl_density p;
    WL_OK_OR_FAIL(wl_density_parse("beta:2,3", &p));
    const size_t n = 20000, k = 12;
    double *x = malloc(n * sizeof *x), c[12];
    wl_rng r;
    wl_rng_seed(&r, 8);
    for (size_t i = 0; i < n; i++) x[i] = wl_density_sample(&p, &r);
    qsort(x, n, sizeof *x, cmpd);
    for (int w = 0; w < 5; w++) {
        wl_div *v = div_named(divs[w]);
        double e;
        size_t it;
        int conv;
        WL_OK_OR_FAIL(wl_cluster_lloyd_1d(v, x, n, k, 0, c, 100000, 1e-12, &e, &it, &conv));
        assert_true(conv);
        double s = 0.0, sum[12] = {0}, cnt[12] = {0};
        for (size_t i = 0; i < n; i++) {
            size_t best = 0;
            double bd = INFINITY;
            for (size_t j = 0; j < k; j++) {
                double dv = wl_div_eval(v, &x[i], &c[j], 1);
                if (dv < bd) bd = dv, best = j;
            }
            s += bd;
            sum[best] += x[i];
            cnt[best] += 1;
        }
        WL_ASSERT_CLOSE(e, s / (double)n, 1e-12);
        for (size_t j = 0; j < k; j++) {
            assert_true(j == 0 || c[j] > c[j - 1]);
            assert_true(fabs(c[j] - sum[j] / cnt[j]) < 2e-3 * (x[n - 1] - x[0]));
        }
        wl_div_free(v);
    }
    free(x);
}

static void sweep_close(const char *div, const char *dens, double tol) {
    wl_div *v = div_named(div);
    wl_density p;
    WL_OK_OR_FAIL(wl_density_parse(dens, &p));
    size_t ks[] = {4, 16, 64};
    wl_asym_row rows[3];
    double c[64];
    wl_rng r;
    wl_rng_seed(&r, 2026);
    WL_OK_OR_FAIL(wl_cluster_asym_sweep(v, &p, 100000, ks, 3, &r, rows, c));
    double rel = fabs(rows[2].measured / rows[2].predicted - 1);
    if (rel > tol)
        fail_msg("%s on %s: k^2 E_64 = %.6g vs predicted %.6g (%.2f%%)", div, dens,
                 rows[2].measured, rows[2].predicted, 100 * rel);
    for (int t = 0; t < 3; t++) assert_true(rows[t].converged);
    for (int j = 1; j < 64; j++) assert_true(c[j] > c[j - 1]);
    wl_div_free(v);
}

static void test_sweep_uniform(void **state) {
    sweep_close("sqeuclid", "uniform", 0.02);
    sweep_close("kl", "uniform:0.5,1.5", 0.02);
    sweep_close("is", "uniform:0.5,1.5", 0.02);
}

/* Itakura-Saito on uniform(0.5, 1.5): optimal spacing grows like x^{2/3}, so
 * the centres are denser on the left: (1.5/0.5)^{2/3} ~ 2.08 times at the ends. */
static void test_centre_density_shape(void **state) {
    wl_div *v = div_named("is");
    wl_density p;
    WL_OK_OR_FAIL(wl_density_parse("uniform:0.5,1.5", &p));
    size_t ks[] = {8, 32};
    wl_asym_row rows[2];
    double c[32];
    wl_rng r;
    wl_rng_seed(&r, 5);
    WL_OK_OR_FAIL(wl_cluster_asym_sweep(v, &p, 100000, ks, 2, &r, rows, c));
    double left = (c[4] - c[0]) / 4, right = (c[31] - c[27]) / 4;
    double want = pow((c[29] + c[30]) / 2 / ((c[1] + c[2]) / 2), 2.0 / 3);
    WL_ASSERT_CLOSE(right / left, want, 0.1);
    wl_div_free(v);
}

static void test_densities(void **state) {
    wl_density p;
    assert_int_equal(wl_density_parse("gauss", &p), WL_EINVAL);
    assert_int_equal(wl_density_parse("beta:1", &p), WL_EINVAL);
    assert_int_equal(wl_density_parse("uniform:2,1", &p), WL_EINVAL);
    assert_int_equal(wl_density_parse("exp:-1", &p), WL_EINVAL);
    assert_int_equal(wl_density_parse("beta:2,x", &p), WL_EINVAL);
    const char *specs[] = {"uniform:0.5,1.5", "beta:2,5", "exp:2,1"};
    const double means[] = {1.0, 2.0 / 7.0, 1.5};
    for (int s = 0; s < 3; s++) {
        WL_OK_OR_FAIL(wl_density_parse(specs[s], &p));
        wl_rng r;
        wl_rng_seed(&r, 3);
        double m = 0.0, lo, hi;
        wl_density_support(&p, &lo, &hi);
        for (int i = 0; i < 200000; i++) {
            double x = wl_density_sample(&p, &r);
            assert_true(x > lo && x < hi);
            m += x / 200000;
        }
        WL_ASSERT_CLOSE(m, means[s], 0.01);
        /* pdf integrates to 1 (midpoint rule on the support, exp cut at 20 / rate) */
        double top = isfinite(hi) ? hi : lo + 20.0, sum = 0.0;
        for (int i = 0; i < 100000; i++) sum += wl_density_pdf(&p, lo + (top - lo) * (i + 0.5) / 1e5);
        WL_ASSERT_CLOSE(sum * (top - lo) / 1e5, 1.0, 1e-6);
    }
}

static void test_svg(void **state) {
    wl_div *v = div_named("kl");
    wl_density p;
    WL_OK_OR_FAIL(wl_density_parse("exp", &p));
    size_t ks[] = {4, 8};
    wl_asym_row rows[2];
    double c[8];
    wl_rng r;
    wl_rng_seed(&r, 1);
    WL_OK_OR_FAIL(wl_cluster_asym_sweep(v, &p, 20000, ks, 2, &r, rows, c));
    char dir[256], path[300];
    assert_non_null(wl_test_tmpdir(dir, sizeof dir));
    snprintf(path, sizeof path, "%s/a.svg", dir);
    WL_OK_OR_FAIL(wl_cluster_asym_svg(path, v, &p, rows, 2, c, 8));
    size_t len;
    char *s = wl_test_slurp(path, &len);
    assert_non_null(s);
    assert_non_null(strstr(s, "<svg"));
    assert_non_null(strstr(s, "</svg>"));
    assert_null(strstr(s, "nan"));
    free(s);
    remove(path);
    rmdir(dir);
    wl_div_free(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constant_closed_forms), cmocka_unit_test(test_lloyd_1d),
        cmocka_unit_test(test_sweep_uniform),         cmocka_unit_test(test_centre_density_shape),
        cmocka_unit_test(test_densities),             cmocka_unit_test(test_svg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
