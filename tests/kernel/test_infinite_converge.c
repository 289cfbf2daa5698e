/* The empirical tangent kernel of wide networks (wl_net_from_spec +
 * wl_ntk_empirical) converges to wl_ntk_infinite: error falling like
 * 1/sqrt(width), and agreement of the conventions for every topology,
 * parametrization, bias, c_sigma and output count. */
#include "wl_test.h"

static void rand_mat(wl_rng *r, wl_mat *m, double sd) {
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++) WL_AT(m, i, j) = sd * wl_rng_normal(r);
}

/* Squared relative Frobenius error ||Ke - k_out Ki||^2 / ||k_out Ki||^2 of one
 * network draw; Kmean (if not NULL) accumulates Ke. */
static double draw_err2(const char *spec, const wl_mat *X, const wl_mat *Ki, double k_out,
                        uint64_t seed, wl_mat *Kmean) {
    wl_model *m = NULL;
    WL_OK_OR_FAIL(wl_net_from_spec(spec, &m));
    double *w = wl_dalloc(m->dim, "params");
    assert_non_null(w);
    wl_rng r;
    wl_rng_seed(&r, seed);
    WL_OK_OR_FAIL(wl_model_init(m, &r, w));
    wl_mat K = {0};
    WL_OK_OR_FAIL(wl_ntk_empirical(m, w, X, NULL, NULL, &K));
    double num = 0, den = 0;
    for (size_t i = 0; i < K.rows; i++)
        for (size_t j = 0; j < K.cols; j++) {
            double ki = k_out * WL_AT(Ki, i, j), e = WL_AT(&K, i, j) - ki;
            num += e * e;
            den += ki * ki;
            if (Kmean) WL_AT(Kmean, i, j) += WL_AT(&K, i, j);
        }
    wl_mat_free(&K);
    free(w);
    wl_model_free(m);
    return num / den;
}

/* log-log slope of the error against the width: about -1/2. */
static void test_convergence_rate(void **state) {
    (void)state;
    const size_t n = 6, d = 8, nw = 6;
    const size_t widths[6] = {128, 256, 512, 1024, 2048, 4096};
    const size_t seeds[6] = {12, 12, 12, 8, 6, 4}; /* fewer draws of the costly widths */
    wl_rng r;
    wl_rng_seed(&r, 2024);
    wl_mat X, Ki;
    wl_mat_alloc(&X, n, d);
    wl_mat_alloc(&Ki, n, n);
    rand_mat(&r, &X, 1.0);
    wl_inf_arch a;
    WL_OK_OR_FAIL(wl_inf_arch_from_spec("mlp:8-256x2-1:relu:ntk:bias=0.2", &a, NULL, NULL));
    WL_OK_OR_FAIL(wl_ntk_infinite(&a, &X, NULL, &Ki, NULL));
    double lx[6], ly[6];
    for (size_t k = 0; k < nw; k++) {
        char spec[128];
        snprintf(spec, sizeof spec, "mlp:8-%zux2-1:relu:ntk:bias=0.2", widths[k]);
        double e2 = 0;
        for (size_t s = 0; s < seeds[k]; s++) e2 += draw_err2(spec, &X, &Ki, 1.0, 100 * k + s, NULL);
        lx[k] = log((double)widths[k]);
        ly[k] = 0.5 * log(e2 / (double)seeds[k]);
        print_message("width %5zu: rms relative error %.4f\n", widths[k], exp(ly[k]));
    }
    double mx = 0, my = 0, sxy = 0, sxx = 0;
    for (size_t k = 0; k < nw; k++) {
        mx += lx[k] / (double)nw;
        my += ly[k] / (double)nw;
    }
    for (size_t k = 0; k < nw; k++) {
        sxy += (lx[k] - mx) * (ly[k] - my);
        sxx += (lx[k] - mx) * (lx[k] - mx);
    }
    double slope = sxy / sxx;
    print_message("log-log slope %.3f (expected -0.5)\n", slope);
    if (!(slope > -0.75 && slope < -0.3)) fail_msg("slope %.3f not near -1/2", slope);
    assert_true(exp(ly[nw - 1]) < 0.1);
    wl_mat_free(&X);
    wl_mat_free(&Ki);
}

/* The mean empirical kernel over a few wide draws matches the infinite one
 * for each convention; the tolerance is far below the change any convention
 * slip would make (factor-2 gains, bias terms of 0.25, missing layers). */
static void agree(const char *spec, double tol) {
    const size_t n = 5, seeds = 3;
    wl_rng r;
    wl_rng_seed(&r, 77);
    wl_inf_arch a;
    size_t d = 0, k = 0;
    WL_OK_OR_FAIL(wl_inf_arch_from_spec(spec, &a, &d, &k));
    wl_mat X, Ki, Km;
    wl_mat_alloc(&X, n, d);
    wl_mat_alloc(&Ki, n, n);
    wl_mat_alloc(&Km, n, n);
    rand_mat(&r, &X, 1.0);
    WL_OK_OR_FAIL(wl_ntk_infinite(&a, &X, NULL, &Ki, NULL));
    for (size_t s = 0; s < seeds; s++) draw_err2(spec, &X, &Ki, (double)k, 7 + s, &Km);
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double ki = (double)k * WL_AT(&Ki, i, j), e = WL_AT(&Km, i, j) / (double)seeds - ki;
            num += e * e;
            den += ki * ki;
        }
    double err = sqrt(num / den);
    print_message("%-45s mean-kernel relative error %.4f\n", spec, err);
    if (!(err < tol)) fail_msg("%s: relative error %.4f >= %g", spec, err, tol);
    wl_mat_free(&X);
    wl_mat_free(&Ki);
    wl_mat_free(&Km);
}

static void test_conventions(void **state) {
    (void)state;
    agree("mlp:6-2048x3-1:relu:ntk:bias=0.5", 0.05);
    agree("mlp:6-2048x2-3:tanh:ntk:csigma:bias=0.3", 0.05);
    agree("mlp:6-2048x2-1:erf:std:bias=0.5", 0.05);
    agree("mlp:6-2048x2-1:relu:std", 0.05);
    agree("resmlp:6-1024x3-1:relu:ntk:bias=0.5", 0.05);
    agree("resmlp:6-1024x2-2:gelu:std", 0.1);
    agree("densemlp:6-1024x3-1:relu:ntk:bias=0.3", 0.05);
    agree("densemlp:6-1024x3-1:relu:std", 0.05);
    agree("assembly:6-64-1:256:relu:bias=0.5", 0.05);
    agree("mlp:6-2048x2-1:leaky=0.2:ntk", 0.05);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_convergence_rate),
        cmocka_unit_test(test_conventions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
