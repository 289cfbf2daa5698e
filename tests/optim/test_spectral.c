/* Spectral constants against dense brute force: H, H^-1/2, M1, M2 formed
 * explicitly; kernel formulas against the quadratic ones on the features
 * (K = Phi Phi^T), including L1 = beta and kappa~ = n for full-rank K. */
#include "wl_test.h"

static void fill(wl_rng *r, wl_mat *A) { wl_rng_normal_fill(r, A->data, A->rows * A->cols, 0, 1); }

/* dense reference: L, mu, beta, L1, kappa~ of data X (n x d) by explicit
 * matrices, H^-1/2 and H^+ on the range of H */
static void brute(const wl_mat *X, double out[5]) {
    size_t n = X->rows, d = X->cols;
    wl_mat H, Hm, Hp, M, A, T;
    wl_mat_alloc(&H, d, d), wl_mat_alloc(&Hm, d, d), wl_mat_alloc(&Hp, d, d);
    wl_mat_alloc(&M, d, d), wl_mat_alloc(&A, d, d), wl_mat_alloc(&T, d, d);
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b < d; b++) WL_AT(&H, a, b) += WL_AT(X, i, a) * WL_AT(X, i, b) / (double)n;
    wl_mat V;
    wl_mat_alloc(&V, d, d);
    wl_mat_copy(&V, &H);
    double ev[64];
    WL_OK_OR_FAIL(wl_eigh(&V, ev, 1));
    double tol = 1e-10 * ev[d - 1], mu = 0;
    for (size_t j = 0; j < d; j++) {
        if (ev[j] <= tol) continue;
        if (mu == 0) mu = ev[j];
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b < d; b++) {
                WL_AT(&Hm, a, b) += WL_AT(&V, a, j) * WL_AT(&V, b, j) / sqrt(ev[j]);
                WL_AT(&Hp, a, b) += WL_AT(&V, a, j) * WL_AT(&V, b, j) / ev[j];
            }
    }
    out[0] = ev[d - 1];
    out[1] = mu;
    out[2] = 0;
    for (int which = 0; which < 2; which++) {
        wl_mat_zero(&M);
        for (size_t i = 0; i < n; i++) {
            const double *x = &WL_AT(X, i, 0);
            double c = 0;
            if (which == 0) {
                for (size_t a = 0; a < d; a++) c += x[a] * x[a];
                if (c > out[2]) out[2] = c;
            } else {
                for (size_t a = 0; a < d; a++)
                    for (size_t b = 0; b < d; b++) c += x[a] * WL_AT(&Hp, a, b) * x[b];
            }
            for (size_t a = 0; a < d; a++)
                for (size_t b = 0; b < d; b++) WL_AT(&M, a, b) += c * x[a] * x[b] / (double)n;
        }
        WL_OK_OR_FAIL(wl_gemm(0, 0, 1.0, &Hm, &M, 0.0, &T));
        WL_OK_OR_FAIL(wl_gemm(0, 0, 1.0, &T, &Hm, 0.0, &A));
        WL_OK_OR_FAIL(wl_eigh(&A, ev, 0));
        out[3 + which] = ev[d - 1];
    }
    wl_mat *ms[] = {&H, &Hm, &Hp, &M, &A, &T, &V};
    for (size_t i = 0; i < 7; i++) wl_mat_free(ms[i]);
}

static void check_against_brute(const wl_mat *X, const wl_spectral *s) {
    double ref[5];
    brute(X, ref);
    WL_ASSERT_CLOSE(s->L, ref[0], 1e-10);
    WL_ASSERT_CLOSE(s->mu, ref[1], 1e-8);
    WL_ASSERT_CLOSE(s->beta, ref[2], 1e-12);
    WL_ASSERT_CLOSE(s->L1, ref[3], 1e-8);
    WL_ASSERT_CLOSE(s->kappa_tilde, ref[4], 1e-8);
}

static void test_data_constants(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 21);
    /* full rank, anisotropic */
    wl_mat X;
    wl_mat_alloc(&X, 40, 6);
    fill(&r, &X);
    for (size_t i = 0; i < 40; i++)
        for (size_t j = 0; j < 6; j++) WL_AT(&X, i, j) *= pow(0.5, (double)j);
    wl_spectral s;
    WL_OK_OR_FAIL(wl_spectral_from_data(&X, &s));
    assert_int_equal(s.rank, 6);
    check_against_brute(&X, &s);
    /* general bounds: L <= L1 <= beta, kappa~ >= 1, mu <= L */
    assert_true(s.L <= s.L1 * (1 + 1e-12) && s.L1 <= s.beta * (1 + 1e-12));
    assert_true(s.kappa_tilde >= 1.0 - 1e-12 && s.mu <= s.L);
    /* rank deficient: last column duplicates the first (pseudo-inverse on the range) */
    for (size_t i = 0; i < 40; i++) WL_AT(&X, i, 5) = WL_AT(&X, i, 0);
    WL_OK_OR_FAIL(wl_spectral_from_data(&X, &s));
    assert_int_equal(s.rank, 5);
    check_against_brute(&X, &s);
    /* fewer samples than features: kappa~ = n (every x_i^T H^+ x_i = n) */
    wl_mat Xw;
    wl_mat_alloc(&Xw, 5, 9);
    fill(&r, &Xw);
    WL_OK_OR_FAIL(wl_spectral_from_data(&Xw, &s));
    assert_int_equal(s.rank, 5);
    check_against_brute(&Xw, &s);
    WL_ASSERT_CLOSE(s.kappa_tilde, 5.0, 1e-10);
    WL_ASSERT_CLOSE(s.L1, s.beta, 1e-10);
    wl_mat_free(&X);
    wl_mat_free(&Xw);
}

/* K = Phi Phi^T: kernel constants equal the quadratic ones on Phi */
static void kernel_vs_features(size_t n, size_t p, uint64_t seed) {
    wl_rng r;
    wl_rng_seed(&r, seed);
    wl_mat Phi, K;
    wl_mat_alloc(&Phi, n, p);
    wl_mat_alloc(&K, n, n);
    fill(&r, &Phi);
    for (size_t i = 0; i < n; i++) WL_AT(&Phi, i, 0) *= 3.0; /* unequal norms */
    WL_OK_OR_FAIL(wl_syrk(0, 1.0, &Phi, 0.0, &K));
    wl_spectral sk, sf;
    WL_OK_OR_FAIL(wl_spectral_from_kernel(&K, &sk));
    WL_OK_OR_FAIL(wl_spectral_from_data(&Phi, &sf));
    assert_int_equal(sk.rank, sf.rank);
    WL_ASSERT_CLOSE(sk.L, sf.L, 1e-10);
    WL_ASSERT_CLOSE(sk.mu, sf.mu, 1e-8);
    WL_ASSERT_CLOSE(sk.beta, sf.beta, 1e-12);
    WL_ASSERT_CLOSE(sk.L1, sf.L1, 1e-8);
    WL_ASSERT_CLOSE(sk.kappa_tilde, sf.kappa_tilde, 1e-8);
    if (p >= n) { /* full-rank K: L1 = beta, kappa~ = n */
        assert_int_equal(sk.rank, n);
        WL_ASSERT_CLOSE(sk.L1, sk.beta, 1e-10);
        WL_ASSERT_CLOSE(sk.kappa_tilde, (double)n, 1e-10);
    } else {
        assert_true(sk.kappa_tilde < (double)n - 1e-6);
    }
    wl_mat_free(&Phi);
    wl_mat_free(&K);
}

static void test_kernel_constants(void **state) {
    (void)state;
    kernel_vs_features(12, 30, 1); /* full rank */
    kernel_vs_features(30, 7, 2);  /* rank 7 */
}

static void test_choose(void **state) {
    (void)state;
    wl_spectral s;
    memset(&s, 0, sizeof s);
    s.L = 2.0, s.mu = 0.01, s.beta = 20.0, s.L1 = 10.0, s.kappa_tilde = 50.0;
    WL_OK_OR_FAIL(wl_spectral_choose(&s, 1));
    WL_ASSERT_CLOSE(s.L_m, 10.0, 1e-15);
    WL_ASSERT_CLOSE(s.kappa_tilde_m, 50.0, 1e-15);
    WL_ASSERT_CLOSE(s.sgd_lr, 1.0 / 20.0, 1e-15);
    WL_ASSERT_CLOSE(s.m_star, 11.0, 1e-15);
    WL_OK_OR_FAIL(wl_spectral_choose(&s, 5));
    WL_ASSERT_CLOSE(s.L_m, 10.0 / 5 + 4 * 2.0 / 5, 1e-15);
    WL_ASSERT_CLOSE(s.kappa_m, s.L_m / 0.01, 1e-15);
    WL_ASSERT_CLOSE(s.kappa_tilde_m, 50.0 / 5 + 4.0 / 5, 1e-15);
    double sq = sqrt(s.kappa_m * s.kappa_tilde_m);
    WL_ASSERT_CLOSE(s.mass_eta1, 1.0 / s.L_m, 1e-15);
    WL_ASSERT_CLOSE(s.mass_gamma, (sq - 1) / (sq + 1), 1e-15);
    WL_ASSERT_CLOSE(s.mass_eta2, s.mass_eta1 * (1 - 1 / s.kappa_tilde_m) / (1 + 1 / sq), 1e-15);
    WL_ASSERT_CLOSE(s.sgd_lr, 5.0 / (20.0 + 4 * 2.0), 1e-15);
    /* MaSS eta2 from (eta1, gamma, kappa~_m) as the optimizer derives it */
    WL_ASSERT_CLOSE(s.mass_eta2, s.mass_eta1 * (1 - 1 / s.kappa_tilde_m) * (1 + s.mass_gamma) / 2, 1e-12);
    /* large batches: L_m -> L, eta*(m) saturates near 1/L */
    WL_OK_OR_FAIL(wl_spectral_choose(&s, 100000));
    WL_ASSERT_CLOSE(s.L_m, 2.0, 1e-4);
    WL_ASSERT_CLOSE(s.sgd_lr, 0.5, 1e-3);
    /* configure */
    wl_optim_config c = wl_optim_defaults(WL_OPT_MASS);
    WL_OK_OR_FAIL(wl_spectral_choose(&s, 5));
    WL_OK_OR_FAIL(wl_spectral_configure(&s, &c));
    WL_ASSERT_CLOSE(c.lr, s.mass_eta1, 0);
    WL_ASSERT_CLOSE(c.momentum, s.mass_gamma, 0);
    WL_ASSERT_CLOSE(c.mass_eta2, s.mass_eta2, 0);
    assert_int_equal(c.batch, 5);
    c = wl_optim_defaults(WL_OPT_ADAM);
    assert_int_equal(wl_spectral_configure(&s, &c), WL_EUNSUP);
    char buf[1024];
    assert_non_null(strstr(wl_spectral_format(&s, buf, sizeof buf), "eta1"));
    assert_int_equal(wl_spectral_choose(&s, 0), WL_EINVAL);
}

static void test_bad_input(void **state) {
    (void)state;
    wl_mat K;
    wl_mat_alloc(&K, 3, 3);
    wl_spectral s;
    assert_int_equal(wl_spectral_from_kernel(&K, &s), WL_ENUMERIC); /* zero */
    WL_AT(&K, 0, 0) = WL_AT(&K, 1, 1) = WL_AT(&K, 2, 2) = 1;
    WL_AT(&K, 0, 1) = 0.5;
    assert_int_equal(wl_spectral_from_kernel(&K, &s), WL_EINVAL); /* not symmetric */
    assert_non_null(strstr(wl_errmsg(), "symmetric"));
    WL_AT(&K, 1, 0) = 0.5;
    WL_AT(&K, 0, 2) = WL_AT(&K, 2, 0) = 3.0;
    assert_int_equal(wl_spectral_from_kernel(&K, &s), WL_ENUMERIC); /* indefinite */
    WL_AT(&K, 1, 2) = NAN;
    assert_int_equal(wl_spectral_from_data(&K, &s), WL_ENUMERIC);
    assert_non_null(strstr(wl_errmsg(), "row 1"));
    wl_mat_free(&K);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_constants),
        cmocka_unit_test(test_kernel_constants),
        cmocka_unit_test(test_choose),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
