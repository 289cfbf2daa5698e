/* Divergences: grad phi and phi'' against central differences, D against its
 * definition, input checks, ARI. */
#include "wl_test.h"

/* custom phi = sum x^4 / 4 + x^2 (strictly convex), grad = x^3 + 2x */
static double quart_phi(const double *x, size_t d, void *ctx) {
    double s = 0.0;
    for (size_t j = 0; j < d; j++) s += 0.25 * x[j] * x[j] * x[j] * x[j] + x[j] * x[j];
    return s;
}
static void quart_grad(const double *x, size_t d, double *g, void *ctx) {
    for (size_t j = 0; j < d; j++) g[j] = x[j] * x[j] * x[j] + 2.0 * x[j];
}

static double burg_phi(const double *x, size_t d, void *ctx) {
    double s = 0.0;
    for (size_t j = 0; j < d; j++) s -= log(x[j]);
    return s;
}
static void burg_grad(const double *x, size_t d, double *g, void *ctx) {
    for (size_t j = 0; j < d; j++) g[j] = -1.0 / x[j];
}

static wl_div *make_div(int which) {
    wl_div *v = NULL;
    const char *names[] = {"sqeuclid", "kl", "is", "logistic", "exp"};
    if (which < 5) assert_int_equal(wl_div_from_name(names[which], &v), WL_OK);
    else if (which == 5) {
        double a[9] = {2.0, 0.5, 0.1, 0.5, 1.5, -0.3, 0.1, -0.3, 1.0};
        wl_mat A = wl_mat_view(a, 3, 3);
        WL_OK_OR_FAIL(wl_div_new_mahalanobis(&A, &v));
    } else WL_OK_OR_FAIL(wl_div_new_custom(quart_phi, quart_grad, NULL, "quartic", &v));
    return v;
}

/* A point inside every domain: entries in (0.1, 0.9). */
static void inside(wl_rng *r, double *x, size_t d) {
    for (size_t j = 0; j < d; j++) x[j] = 0.1 + 0.8 * wl_rng_uniform(r);
}

static void test_grad_fd(void **state) {
    wl_rng r;
    wl_rng_seed(&r, 3);
    for (int w = 0; w < 7; w++) {
        wl_div *v = make_div(w);
        double x[3], g[3], xp[3], xm[3];
        inside(&r, x, 3);
        wl_div_grad(v, x, 3, g);
        for (size_t j = 0; j < 3; j++) {
            double h = 1e-6;
            memcpy(xp, x, sizeof x);
            memcpy(xm, x, sizeof x);
            xp[j] += h;
            xm[j] -= h;
            double fd = (wl_div_phi(v, xp, 3) - wl_div_phi(v, xm, 3)) / (2 * h);
            WL_ASSERT_CLOSE(g[j], fd, 1e-7);
        }
        wl_div_free(v);
    }
}

static void test_phi2_fd(void **state) {
    for (int w = 0; w < 7; w++) {
        if (w == 5) continue; /* 3 x 3 Mahalanobis: 1-D only below */
        wl_div *v = make_div(w);
        for (double x = 0.15; x < 0.9; x += 0.2) {
            double h = 1e-5, xp = x + h, xm = x - h, gp, gm;
            wl_div_grad(v, &xp, 1, &gp);
            wl_div_grad(v, &xm, 1, &gm);
            WL_ASSERT_CLOSE(wl_div_phi2_1d(v, x), (gp - gm) / (2 * h), 1e-6);
        }
        wl_div_free(v);
    }
    double a = 3.0;
    wl_mat A = wl_mat_view(&a, 1, 1);
    wl_div *m;
    WL_OK_OR_FAIL(wl_div_new_mahalanobis(&A, &m));
    WL_ASSERT_CLOSE(wl_div_phi2_1d(m, 0.4), 6.0, 1e-15);
    wl_div_free(m);
}

/* D(x, y) = phi(x) - phi(y) - <grad phi(y), x - y> >= 0, D(x, x) = 0 */
static void test_eval_definition(void **state) {
    wl_rng r;
    wl_rng_seed(&r, 5);
    for (int w = 0; w < 7; w++) {
        wl_div *v = make_div(w);
        for (int t = 0; t < 20; t++) {
            double x[3], y[3], g[3];
            inside(&r, x, 3);
            inside(&r, y, 3);
            wl_div_grad(v, y, 3, g);
            double def = wl_div_phi(v, x, 3) - wl_div_phi(v, y, 3);
            for (int j = 0; j < 3; j++) def -= g[j] * (x[j] - y[j]);
            double dv = wl_div_eval(v, x, y, 3);
            WL_ASSERT_CLOSE(dv, def, 1e-12);
            assert_true(dv > 0.0);
            assert_true(fabs(wl_div_eval(v, x, x, 3)) < 1e-14);
        }
        wl_div_free(v);
    }
}

/* Closed forms: KL(2 || 1) = 2 log 2 - 1, IS(2, 1) = 1 - log 2. */
static void test_closed_forms(void **state) {
    wl_div *kl = make_div(1), *is = make_div(2), *sq = make_div(0);
    double x = 2.0, y = 1.0, a[2] = {1, 2}, b[2] = {4, -2};
    WL_ASSERT_CLOSE(wl_div_eval(kl, &x, &y, 1), 2 * log(2.0) - 1.0, 1e-15);
    WL_ASSERT_CLOSE(wl_div_eval(is, &x, &y, 1), 1.0 - log(2.0), 1e-15);
    WL_ASSERT_CLOSE(wl_div_eval(sq, a, b, 2), 25.0, 1e-15);
    wl_div_free(kl);
    wl_div_free(is);
    wl_div_free(sq);
}

static void test_input_errors(void **state) {
    wl_div *v = NULL;
    assert_int_equal(wl_div_from_name("nope", &v), WL_EINVAL);
    assert_null(v);
    assert_non_null(strstr(wl_errmsg(), "nope"));
    assert_int_equal(wl_div_from_name("mahalanobis", &v), WL_EINVAL);
    double x[6] = {1, 2, 3, 4, -0.5, 6};
    wl_mat X = wl_mat_view(x, 3, 2);
    v = make_div(1);
    assert_int_equal(wl_div_check(v, &X), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "row 2, column 0"));
    assert_non_null(strstr(wl_errmsg(), "-0.5"));
    assert_non_null(strstr(wl_errmsg(), "x > 0"));
    wl_div_free(v);
    v = make_div(3); /* logistic: 1.0 is outside (0, 1) */
    double p[2] = {0.5, 1.0};
    wl_mat P = wl_mat_view(p, 1, 2);
    assert_int_equal(wl_div_check(v, &P), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "column 1"));
    wl_div_free(v);
    v = make_div(0);
    x[3] = NAN;
    assert_int_equal(wl_div_check(v, &X), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "row 1, column 1"));
    wl_div_free(v);
    double ns[4] = {1, 2, 2, 1}, asym[4] = {2, 1, 0, 2};
    wl_mat N = wl_mat_view(ns, 2, 2), As = wl_mat_view(asym, 2, 2);
    assert_int_equal(wl_div_new_mahalanobis(&N, &v), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "positive definite"));
    assert_int_equal(wl_div_new_mahalanobis(&As, &v), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "symmetric"));
    /* custom phi = -sum log x is NaN off its domain: the row is named */
    WL_OK_OR_FAIL(wl_div_new_custom(burg_phi, burg_grad, NULL, "burg", &v));
    x[3] = 4.0;
    assert_int_equal(wl_div_check(v, &X), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "row 2"));
    wl_div_free(v);
}

static void test_ari(void **state) {
    int a[4] = {0, 0, 1, 1}, b[4] = {0, 0, 1, 2}, c[4] = {1, 1, 0, 0};
    /* sum C(n_ij,2) = 1, sum_a = 2, sum_b = 1, E = 2/6: (1 - 1/3)/(3/2 - 1/3) = 4/7 */
    WL_ASSERT_CLOSE(wl_cluster_ari(a, b, 4), 4.0 / 7.0, 1e-14);
    WL_ASSERT_CLOSE(wl_cluster_ari(a, c, 4), 1.0, 1e-14);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grad_fd),         cmocka_unit_test(test_phi2_fd),
        cmocka_unit_test(test_eval_definition), cmocka_unit_test(test_closed_forms),
        cmocka_unit_test(test_input_errors),    cmocka_unit_test(test_ari),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
