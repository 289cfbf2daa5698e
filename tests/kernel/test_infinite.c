/* Infinite-width NTK/NNGP: closed forms against quadrature, the identity
 * network in closed form, THEORY.md's unit-norm ReLU recursion, Monte Carlo
 * over random weights, positive semi-definiteness, spec strings. */
#include "wl_test.h"

static void rand_mat(wl_rng *r, wl_mat *m, double sd) {
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++) WL_AT(m, i, j) = sd * wl_rng_normal(r);
}

static double max_abs_diff(const wl_mat *A, const wl_mat *B) {
    double m = 0;
    for (size_t i = 0; i < A->rows; i++)
        for (size_t j = 0; j < A->cols; j++) m = fmax(m, fabs(WL_AT(A, i, j) - WL_AT(B, i, j)));
    return m;
}

static double max_abs(const wl_mat *A) {
    double m = 0;
    for (size_t i = 0; i < A->rows; i++)
        for (size_t j = 0; j < A->cols; j++) m = fmax(m, fabs(WL_AT(A, i, j)));
    return m;
}

/* Closed form and quadrature of the same activation agree (whole recursion). */
static void closed_vs_quad(wl_inf_act act, int csigma, double bias, size_t depth, double sd,
                           double tol) {
    wl_rng r;
    wl_rng_seed(&r, 11 + (uint64_t)act);
    wl_mat X, Y, T1, S1, T2, S2;
    wl_mat_alloc(&X, 7, 5);
    wl_mat_alloc(&Y, 4, 5);
    rand_mat(&r, &X, sd);
    rand_mat(&r, &Y, 1.3 * sd);
    WL_AT(&Y, 0, 0) = 0; /* one row equal to a row of X: angle 0 */
    for (size_t j = 0; j < 5; j++) WL_AT(&Y, 1, j) = -WL_AT(&X, 2, j); /* angle pi */
    for (size_t j = 0; j < 5; j++) WL_AT(&Y, 2, j) = 2 * WL_AT(&X, 3, j);
    wl_mat_alloc(&T1, 7, 4);
    wl_mat_alloc(&S1, 7, 4);
    wl_mat_alloc(&T2, 7, 4);
    wl_mat_alloc(&S2, 7, 4);
    wl_inf_arch a;
    wl_inf_arch_init(&a);
    a.act = act;
    a.leaky = 0.2;
    a.csigma = csigma;
    a.bias = bias;
    a.depth = depth;
    WL_OK_OR_FAIL(wl_ntk_infinite(&a, &X, &Y, &T1, &S1));
    a.force_quadrature = 1;
    WL_OK_OR_FAIL(wl_ntk_infinite(&a, &X, &Y, &T2, &S2));
    double et = max_abs_diff(&T1, &T2) / max_abs(&T1), es = max_abs_diff(&S1, &S2) / max_abs(&S1);
    if (!(et < tol && es < tol))
        fail_msg("%s: closed form vs quadrature: ntk %.3g, nngp %.3g (tol %g)",
                 wl_inf_act_name(act), et, es, tol);
    wl_mat_free(&X);
    wl_mat_free(&Y);
    wl_mat_free(&T1);
    wl_mat_free(&S1);
    wl_mat_free(&T2);
    wl_mat_free(&S2);
}

static void test_relu_closed_vs_quadrature(void **state) {
    (void)state;
    closed_vs_quad(WL_INF_RELU, 0, 0.0, 3, 3.0, 1e-8);
    closed_vs_quad(WL_INF_RELU, 1, 0.3, 4, 1.0, 1e-8);
    closed_vs_quad(WL_INF_LEAKY_RELU, 1, 0.1, 3, 1.0, 1e-8);
    closed_vs_quad(WL_INF_IDENTITY, 0, 0.2, 2, 1.0, 1e-8);
    closed_vs_quad(WL_INF_SQUARE, 0, 0.0, 2, 0.7, 1e-8);
    /* erf is smooth but saturating: moderate variances at the default order */
    closed_vs_quad(WL_INF_ERF, 0, 0.1, 3, 0.6, 1e-8);
}


/* Identity network: S_l = x.z/d + l beta^2, T = sum_{l=1}^{L+1} S_l. */
static void test_identity_closed_form(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 3);
    const size_t n = 6, d = 4, L = 3;
    const double beta = 0.4;
    wl_mat X, T, S;
    wl_mat_alloc(&X, n, d);
    wl_mat_alloc(&T, n, n);
    wl_mat_alloc(&S, n, n);
    rand_mat(&r, &X, 1.0);
    wl_inf_arch a;
    wl_inf_arch_init(&a);
    a.act = WL_INF_IDENTITY;
    a.depth = L;
    a.bias = beta;
    WL_OK_OR_FAIL(wl_ntk_infinite(&a, &X, NULL, &T, &S));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double xz = wl_dot(d, &WL_AT(&X, i, 0), &WL_AT(&X, j, 0)) / (double)d, t = 0;
            for (size_t l = 1; l <= L + 1; l++) t += xz + (double)l * beta * beta;
            WL_ASSERT_CLOSE(WL_AT(&S, i, j), xz + (double)(L + 1) * beta * beta, 1e-13);
            WL_ASSERT_CLOSE(WL_AT(&T, i, j), t, 1e-13);
        }
    /* residual identity network without bias: T = S (2 + B/2) after B blocks */
    a.topology = WL_INF_RESMLP;
    a.bias = 0;
    WL_OK_OR_FAIL(wl_ntk_infinite(&a, &X, NULL, &T, &S));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double xz = wl_dot(d, &WL_AT(&X, i, 0), &WL_AT(&X, j, 0)) / (double)d;
            WL_ASSERT_CLOSE(WL_AT(&S, i, j), xz, 1e-13);
            WL_ASSERT_CLOSE(WL_AT(&T, i, j), xz * (2.0 + (double)L / 2.0), 1e-13);
        }
    wl_mat_free(&X);
    wl_mat_free(&T);
    wl_mat_free(&S);
}

/* THEORY.md's unit-norm recursion (c_sigma = 2, Sigma_0 = x.z) equals ours
 * with csigma and inputs scaled by sqrt(d). */
static void test_theory_unit_norm_relu(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 4);
    const size_t n = 5, d = 3, L = 4;
    wl_mat X, T;
    wl_mat_alloc(&X, n, d);
    wl_mat_alloc(&T, n, n);
    rand_mat(&r, &X, 1.0);
    for (size_t i = 0; i < n; i++) {
        double nr = wl_nrm2(d, &WL_AT(&X, i, 0));
        for (size_t j = 0; j < d; j++) WL_AT(&X, i, j) *= sqrt((double)d) / nr;
    }
    wl_inf_arch a;
    wl_inf_arch_init(&a);
    a.depth = L;
    a.csigma = 1;
    WL_OK_OR_FAIL(wl_ntk_infinite(&a, &X, NULL, &T, NULL));
    const double pi = acos(-1.0);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            /* unit norm: the diagonal is 1 exactly (arccos is ill-conditioned there) */
            double sig = i == j ? 1.0 : wl_dot(d, &WL_AT(&X, i, 0), &WL_AT(&X, j, 0)) / (double)d;
            double th = sig;
            for (size_t l = 0; l < L; l++) {
                double t = acos(fmin(1.0, fmax(-1.0, sig)));
                sig = (sin(t) + (pi - t) * cos(t)) / pi;
                th = sig + th * (pi - t) / pi;
            }
            WL_ASSERT_CLOSE(WL_AT(&T, i, j), th, 1e-12);
        }
    wl_mat_free(&X);
    wl_mat_free(&T);
}

/* One hidden layer, m units, exact expectation of the per-unit terms:
 *   NNGP:  E[f(x) f(z)] = E[act(u) act(u')] + beta^2
 *   NTK:   E over units of act(u) act(u') + v^2 act'(u) act'(u') (x.z/d + beta^2), + beta^2
 * (NTK parametrization); |mean - kernel| within 5 standard errors. */
static void mc_one_layer(wl_inf_act act, double beta, uint64_t seed) {
    wl_rng r;
    wl_rng_seed(&r, seed);
    const size_t d = 3, m = 100000;
    double x[3] = {0.9, -1.2, 0.4}, z[3] = {0.3, -0.8, 1.5};
    wl_mat X = wl_mat_view(x, 1, d), Z = wl_mat_view(z, 1, d);
    double tk, sk;
    wl_mat Tm = wl_mat_view(&tk, 1, 1), Sm = wl_mat_view(&sk, 1, 1);
    wl_inf_arch a;
    wl_inf_arch_init(&a);
    a.act = act;
    a.bias = beta;
    WL_OK_OR_FAIL(wl_ntk_infinite(&a, &X, &Z, &Tm, &Sm));
    double xz = wl_dot(d, x, z) / (double)d;
    double ms = 0, ss = 0, mt = 0, st = 0;
    for (size_t j = 0; j < m; j++) {
        double u = 0, up = 0;
        for (size_t k = 0; k < d; k++) {
            double w = wl_rng_normal(&r);
            u += w * x[k];
            up += w * z[k];
        }
        double b = wl_rng_normal(&r), v = wl_rng_normal(&r);
        u = u / sqrt((double)d) + beta * b;
        up = up / sqrt((double)d) + beta * b;
        double f, df, fp, dfp;
        /* activation by its definition (independent of the library's tables) */
        switch (act) {
        case WL_INF_TANH: f = tanh(u); df = 1 - f * f; fp = tanh(up); dfp = 1 - fp * fp; break;
        case WL_INF_RELU: f = fmax(u, 0); df = u > 0; fp = fmax(up, 0); dfp = up > 0; break;
        default: f = u * 0.5 * erfc(-u / sqrt(2)); fp = up * 0.5 * erfc(-up / sqrt(2));
            df = 0.5 * erfc(-u / sqrt(2)) + u * exp(-u * u / 2) / sqrt(2 * acos(-1));
            dfp = 0.5 * erfc(-up / sqrt(2)) + up * exp(-up * up / 2) / sqrt(2 * acos(-1));
        }
        double s = f * fp, t = f * fp + v * v * df * dfp * (xz + beta * beta);
        ms += s;
        ss += s * s;
        mt += t;
        st += t * t;
    }
    ms /= (double)m;
    mt /= (double)m;
    double se_s = sqrt((ss / (double)m - ms * ms) / (double)m);
    double se_t = sqrt((st / (double)m - mt * mt) / (double)m);
    double es = fabs(ms + beta * beta - sk), et = fabs(mt + beta * beta - tk);
    if (!(es < 5 * se_s && et < 5 * se_t))
        fail_msg("%s: MC nngp %.6f vs %.6f (se %.2g), ntk %.6f vs %.6f (se %.2g)",
                 wl_inf_act_name(act), ms + beta * beta, sk, se_s, mt + beta * beta, tk, se_t);
}

static void test_monte_carlo_one_layer(void **state) {
    (void)state;
    mc_one_layer(WL_INF_TANH, 0.3, 21);
    mc_one_layer(WL_INF_RELU, 0.0, 22);
    mc_one_layer(WL_INF_GELU, 0.5, 23);
}

/* PSD on random points, several activations (dense eigensolver). */
static void test_psd(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 9);
    const size_t n = 14, d = 6;
    wl_mat X, T, S;
    wl_mat_alloc(&X, n, d);
    wl_mat_alloc(&T, n, n);
    wl_mat_alloc(&S, n, n);
    rand_mat(&r, &X, 1.0);
    wl_inf_act acts[] = {WL_INF_RELU, WL_INF_TANH, WL_INF_ERF, WL_INF_SIGMOID, WL_INF_SOFTPLUS};
    double ev[14];
    for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++)
        for (int topo = 0; topo < 2; topo++) {
            wl_inf_arch a;
            wl_inf_arch_init(&a);
            a.act = acts[k];
            a.depth = 3;
            a.bias = 0.2;
            a.topology = topo ? WL_INF_RESMLP : WL_INF_MLP;
            a.quad_order = 32;
            WL_OK_OR_FAIL(wl_ntk_infinite(&a, &X, NULL, &T, &S));
            for (int which = 0; which < 2; which++) {
                wl_mat *M = which ? &S : &T;
                for (size_t i = 0; i < n; i++)
                    for (size_t j = 0; j < n; j++) assert_true(WL_AT(M, i, j) == WL_AT(M, j, i));
                WL_OK_OR_FAIL(wl_eigh(M, ev, 0));
                if (!(ev[0] > -1e-12 * ev[n - 1] && ev[n - 1] > 0))
                    fail_msg("%s %s: eigenvalues [%g, %g]", wl_inf_act_name(acts[k]),
                             which ? "nngp" : "ntk", ev[0], ev[n - 1]);
            }
        }
    wl_mat_free(&X);
    wl_mat_free(&T);
    wl_mat_free(&S);
}

/* Quadrature converges: order 64 (default) against order 160 for smooth
 * activations; c_sigma of relu is 2, of identity 1. */
static void test_quadrature_convergence(void **state) {
    (void)state;
    wl_inf_act acts[] = {WL_INF_TANH, WL_INF_SIGMOID, WL_INF_SOFTPLUS, WL_INF_GELU};
    double cases[][3] = {{1, 1, 0.5}, {1, 1, 1}, {2, 0.5, -0.7}, {0.3, 0.2, 0.1}};
    for (size_t k = 0; k < 4; k++)
        for (size_t c = 0; c < 4; c++) {
            wl_inf_arch a;
            wl_inf_arch_init(&a);
            a.act = acts[k];
            double e1, d1, e2, d2;
            WL_OK_OR_FAIL(wl_inf_dual(&a, cases[c][0], cases[c][1], cases[c][2], &e1, &d1));
            a.quad_order = 160;
            WL_OK_OR_FAIL(wl_inf_dual(&a, cases[c][0], cases[c][1], cases[c][2], &e2, &d2));
            WL_ASSERT_CLOSE(e1, e2, 1e-9);
            WL_ASSERT_CLOSE(d1, d2, 1e-8);
        }
    wl_inf_arch a;
    wl_inf_arch_init(&a);
    double c;
    WL_OK_OR_FAIL(wl_inf_csigma(&a, &c));
    WL_ASSERT_CLOSE(c, 2.0, 1e-14);
    a.act = WL_INF_TANH;
    WL_OK_OR_FAIL(wl_inf_csigma(&a, &c));
    assert_true(c > 2.5 && c < 2.6); /* 1 / E[tanh(g)^2] = 1/0.3943 */
    a.act = WL_INF_IDENTITY;
    a.force_quadrature = 1;
    WL_OK_OR_FAIL(wl_inf_csigma(&a, &c));
    WL_ASSERT_CLOSE(c, 1.0, 1e-13);
    /* a custom activation equal to tanh gives tanh's kernel */
    assert_int_equal(wl_inf_dual(&a, 1.0, 1.0, 2.0, &c, NULL), WL_EINVAL);
}

static double my_tanh(double z, void *ctx) { (void)ctx; return tanh(z); }
static double my_dtanh(double z, void *ctx) { (void)ctx; return 1 - tanh(z) * tanh(z); }

static void test_custom_and_spec(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 5);
    wl_mat X, T1, T2;
    wl_mat_alloc(&X, 5, 3);
    wl_mat_alloc(&T1, 5, 5);
    wl_mat_alloc(&T2, 5, 5);
    rand_mat(&r, &X, 1.0);
    wl_inf_arch a, b;
    size_t nin = 0, nout = 0;
    WL_OK_OR_FAIL(wl_inf_arch_from_spec("mlp:3-64x2-1:tanh:ntk:bias=0.2", &a, &nin, &nout));
    assert_int_equal(nin, 3);
    assert_int_equal(nout, 1);
    assert_int_equal(a.depth, 2);
    assert_int_equal(a.act, WL_INF_TANH);
    WL_ASSERT_CLOSE(a.bias, 0.2, 0);
    b = a;
    b.act = WL_INF_CUSTOM;
    b.fn = my_tanh;
    b.dfn = my_dtanh;
    WL_OK_OR_FAIL(wl_ntk_infinite(&a, &X, NULL, &T1, NULL));
    WL_OK_OR_FAIL(wl_ntk_infinite(&b, &X, NULL, &T2, NULL));
    /* tanh by Gauss-Hermite, the custom function by the polar rule */
    assert_true(max_abs_diff(&T1, &T2) < 1e-8 * max_abs(&T1));
    WL_OK_OR_FAIL(wl_inf_arch_from_spec("resmlp:3-16x4-2:relu:ntk:csigma", &a, NULL, NULL));
    assert_int_equal(a.topology, WL_INF_RESMLP);
    assert_int_equal(a.csigma, 1);
    WL_OK_OR_FAIL(wl_inf_arch_from_spec("mlp:3-8-1:leaky=0.1", &a, NULL, NULL));
    assert_int_equal(a.act, WL_INF_LEAKY_RELU);
    assert_int_equal(wl_inf_arch_from_spec("mlp:3-8-1:relu:ntk:outact=tanh", &a, NULL, NULL), WL_EUNSUP);
    assert_int_equal(wl_inf_arch_from_spec("mlp:3-8x-1:relu", &a, NULL, NULL), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "8x-1"));
    assert_int_equal(wl_inf_arch_from_spec("mlp:3-8-1:swish", &a, NULL, NULL), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "swish"));
    assert_int_equal(wl_inf_arch_from_spec("conv:3-8-1:relu", &a, NULL, NULL), WL_EUNSUP);
    /* shape errors */
    wl_mat bad;
    wl_mat_alloc(&bad, 4, 5);
    wl_inf_arch_init(&a);
    assert_int_equal(wl_ntk_infinite(&a, &X, NULL, &bad, NULL), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "ntk"));
    a.param = WL_INF_STANDARD;
    assert_int_equal(wl_ntk_infinite(&a, &X, NULL, &T1, NULL), WL_EINVAL);
    wl_mat none = wl_mat_view(X.data, 0, 3);
    assert_int_equal(wl_ntk_infinite(&a, &none, NULL, NULL, NULL), WL_EINVAL);
    WL_AT(&X, 1, 1) = NAN;
    wl_inf_arch_init(&a);
    assert_int_equal(wl_ntk_infinite(&a, &X, NULL, &T1, NULL), WL_EINVAL);
    wl_mat_free(&bad);
    wl_mat_free(&X);
    wl_mat_free(&T1);
    wl_mat_free(&T2);
}

/* Standard parametrization (the network module's: W_1 ~ N(0, 1/d) (LeCun),
 * v ~ N(0, 2/m) (He, after relu), biases ~ N(0, beta^2) with gradient 1),
 * one hidden layer of width m: the expectation of the empirical NTK
 *   Theta = sum_j relu(u_j) relu(u'_j) + v_j^2 step(u_j) step(u'_j) (x.z + 1) + 1
 * against the kernel at that width. */
static void test_standard_param_monte_carlo(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 31);
    const size_t d = 3, m = 50000;
    const double beta = 0.2;
    double x[3] = {0.9, -1.2, 0.4}, z[3] = {0.3, -0.8, 1.5};
    wl_mat X = wl_mat_view(x, 1, d), Z = wl_mat_view(z, 1, d);
    double tk;
    wl_mat Tm = wl_mat_view(&tk, 1, 1);
    wl_inf_arch a;
    WL_OK_OR_FAIL(wl_inf_arch_from_spec("mlp:3-50000-1:relu:std:bias=0.2", &a, NULL, NULL));
    assert_int_equal(a.width, m);
    WL_OK_OR_FAIL(wl_ntk_infinite(&a, &X, &Z, &Tm, NULL));
    double sum = 0, sq = 0;
    for (size_t j = 0; j < m; j++) {
        double u = 0, up = 0;
        for (size_t k = 0; k < d; k++) {
            double w = sqrt(1.0 / (double)d) * wl_rng_normal(&r);
            u += w * x[k];
            up += w * z[k];
        }
        double b = beta * wl_rng_normal(&r), v = sqrt(2.0 / (double)m) * wl_rng_normal(&r);
        u += b;
        up += b;
        double t = fmax(u, 0) * fmax(up, 0) + v * v * (u > 0) * (up > 0) * (wl_dot(d, x, z) + 1);
        sum += t;
        sq += t * t;
    }
    double se = sqrt(sq - sum * sum / (double)m); /* std error of the sum */
    double est = sum + 1.0;
    if (!(fabs(est - tk) < 5 * se)) fail_msg("standard NTK: MC %.4f vs %.4f (se %.3g)", est, tk, se);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relu_closed_vs_quadrature),
        cmocka_unit_test(test_identity_closed_form),
        cmocka_unit_test(test_theory_unit_norm_relu),
        cmocka_unit_test(test_monte_carlo_one_layer),
        cmocka_unit_test(test_psd),
        cmocka_unit_test(test_quadrature_convergence),
        cmocka_unit_test(test_custom_and_spec),
        cmocka_unit_test(test_standard_param_monte_carlo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
