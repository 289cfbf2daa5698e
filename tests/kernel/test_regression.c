/* Kernel regression / gradient flow in closed form: t = 0, t = inf against a
 * direct (Cholesky) solve, small-step gradient descent, ridge, rank-deficient
 * kernels, kernel functions, bad input. */
#include "wl_test.h"

static void rand_mat(wl_rng *r, wl_mat *m, double sd) {
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++) WL_AT(m, i, j) = sd * wl_rng_normal(r);
}

typedef struct prob {
    size_t n, m, k, d;
    wl_mat X, Xs, K, Ks, Y, F0, F0s;
} prob;

/* Gaussian-kernel problem: n train, m test points, k outputs. */
static void make(prob *p, size_t n, size_t m, size_t k, uint64_t seed) {
    wl_rng r;
    wl_rng_seed(&r, seed);
    p->n = n;
    p->m = m;
    p->k = k;
    p->d = 3;
    wl_mat_alloc(&p->X, n, p->d);
    wl_mat_alloc(&p->Xs, m, p->d);
    wl_mat_alloc(&p->K, n, n);
    wl_mat_alloc(&p->Ks, m, n);
    wl_mat_alloc(&p->Y, n, k);
    wl_mat_alloc(&p->F0, n, k);
    wl_mat_alloc(&p->F0s, m, k);
    rand_mat(&r, &p->X, 1.0);
    rand_mat(&r, &p->Xs, 1.0);
    rand_mat(&r, &p->Y, 1.0);
    rand_mat(&r, &p->F0, 0.3);
    rand_mat(&r, &p->F0s, 0.3);
    wl_kfun kf = {.kind = WL_KFUN_GAUSSIAN, .bandwidth = 1.0};
    WL_OK_OR_FAIL(wl_kfun_eval(&kf, &p->X, NULL, &p->K));
    WL_OK_OR_FAIL(wl_kfun_eval(&kf, &p->Xs, &p->X, &p->Ks));
}

static void unmake(prob *p) {
    wl_mat *ms[] = {&p->X, &p->Xs, &p->K, &p->Ks, &p->Y, &p->F0, &p->F0s};
    for (size_t i = 0; i < 7; i++) wl_mat_free(ms[i]);
}

static void assert_mat_close(const wl_mat *A, const wl_mat *B, double tol) {
    double e = 0, s = 0;
    for (size_t i = 0; i < A->rows; i++)
        for (size_t j = 0; j < A->cols; j++) {
            e = fmax(e, fabs(WL_AT(A, i, j) - WL_AT(B, i, j)));
            s = fmax(s, fabs(WL_AT(B, i, j)));
        }
    if (!(e <= tol * fmax(s, 1e-300))) fail_msg("max difference %.3g (scale %.3g, tol %g)", e, s, tol);
}

/* X (n x k) = (K + ridge I)^{-1} R by Cholesky */
static void chol_solve(const wl_mat *K, double ridge, const wl_mat *R, wl_mat *X) {
    wl_mat L;
    wl_mat_alloc(&L, K->rows, K->rows);
    wl_mat_copy(&L, K);
    for (size_t i = 0; i < K->rows; i++) WL_AT(&L, i, i) += ridge;
    WL_OK_OR_FAIL(wl_cholesky(&L));
    wl_mat_copy(X, R);
    WL_OK_OR_FAIL(wl_chol_solve(&L, X));
    wl_mat_free(&L);
}

static void test_t0_and_infinity(void **state) {
    (void)state;
    prob p;
    make(&p, 12, 5, 2, 1);
    wl_kreg *r;
    WL_OK_OR_FAIL(wl_kreg_new(&p.K, &p.Y, &p.F0, 0.0, 0.0, &r));
    wl_kreg_info in;
    wl_kreg_get_info(r, &in);
    assert_int_equal(in.ill_conditioned, 0);
    assert_true(in.cond > 1 && isfinite(in.cond));
    wl_mat F, Fs, R, A;
    wl_mat_alloc(&F, 12, 2);
    wl_mat_alloc(&Fs, 5, 2);
    wl_mat_alloc(&R, 12, 2);
    wl_mat_alloc(&A, 12, 2);
    /* t = 0: f_0 */
    WL_OK_OR_FAIL(wl_kreg_predict(r, NULL, NULL, 1.0, 0.0, &F));
    assert_mat_close(&F, &p.F0, 1e-15);
    WL_OK_OR_FAIL(wl_kreg_predict(r, &p.Ks, &p.F0s, 1.0, 0.0, &Fs));
    assert_mat_close(&Fs, &p.F0s, 1e-15);
    /* t = inf: interpolation, and K* K^{-1} (Y - F0) + F0* */
    WL_OK_OR_FAIL(wl_kreg_predict(r, NULL, NULL, 1.0, INFINITY, &F));
    assert_mat_close(&F, &p.Y, 1e-8);
    for (size_t i = 0; i < 12; i++)
        for (size_t c = 0; c < 2; c++) WL_AT(&R, i, c) = WL_AT(&p.Y, i, c) - WL_AT(&p.F0, i, c);
    chol_solve(&p.K, 0.0, &R, &A);
    wl_mat Fd;
    wl_mat_alloc(&Fd, 5, 2);
    wl_mat_copy(&Fd, &p.F0s);
    WL_OK_OR_FAIL(wl_gemm(0, 0, 1.0, &p.Ks, &A, 1.0, &Fd));
    WL_OK_OR_FAIL(wl_kreg_predict(r, &p.Ks, &p.F0s, 1.0, INFINITY, &Fs));
    assert_mat_close(&Fs, &Fd, 1e-8);
    wl_mat Ac;
    wl_mat_alloc(&Ac, 12, 2);
    WL_OK_OR_FAIL(wl_kreg_coef(r, 1.0, INFINITY, &Ac));
    assert_mat_close(&Ac, &A, 1e-8);
    /* training predictions through K* = K agree with the Ks = NULL path */
    WL_OK_OR_FAIL(wl_kreg_predict(r, NULL, NULL, 0.7, 3.0, &F));
    WL_OK_OR_FAIL(wl_kreg_predict(r, &p.K, &p.F0, 0.7, 3.0, &R));
    assert_mat_close(&F, &R, 1e-12);
    /* several times at once */
    double times[3] = {0.0, 2.0, INFINITY};
    wl_mat Ft;
    wl_mat_alloc(&Ft, 15, 2);
    WL_OK_OR_FAIL(wl_kreg_predict_times(r, &p.Ks, &p.F0s, 0.5, times, 3, &Ft));
    wl_mat last = wl_mat_rows(&Ft, 10, 5), first = wl_mat_rows(&Ft, 0, 5);
    assert_mat_close(&last, &Fd, 1e-8);
    assert_mat_close(&first, &p.F0s, 1e-15);
    wl_mat_free(&Ft);
    wl_mat_free(&Ac);
    wl_mat_free(&Fd);
    wl_mat_free(&F);
    wl_mat_free(&Fs);
    wl_mat_free(&R);
    wl_mat_free(&A);
    wl_kreg_free(r);
    unmake(&p);
}

/* Explicit gradient descent in function space with a small step h:
 *   A <- A - h (F0 + K A - Y) / n,  f(x*) = F0* + K* A,
 * the Euler scheme of the flow; at time t = s steps of eta = h it matches the
 * closed form to O(h lambda_max / n). */
static void test_matches_gradient_descent(void **state) {
    (void)state;
    prob p;
    make(&p, 10, 4, 2, 2);
    const size_t n = 10, steps = 2000;
    const double eta = 0.01;
    wl_mat A, F, Fs, Fc, Fcs;
    wl_mat_alloc(&A, n, 2);
    wl_mat_alloc(&F, n, 2);
    wl_mat_alloc(&Fs, 4, 2);
    wl_mat_alloc(&Fc, n, 2);
    wl_mat_alloc(&Fcs, 4, 2);
    for (size_t s = 0; s < steps; s++) {
        wl_mat_copy(&F, &p.F0);
        WL_OK_OR_FAIL(wl_gemm(0, 0, 1.0, &p.K, &A, 1.0, &F));
        for (size_t i = 0; i < n; i++)
            for (size_t c = 0; c < 2; c++)
                WL_AT(&A, i, c) -= eta * (WL_AT(&F, i, c) - WL_AT(&p.Y, i, c)) / (double)n;
    }
    wl_mat_copy(&F, &p.F0);
    WL_OK_OR_FAIL(wl_gemm(0, 0, 1.0, &p.K, &A, 1.0, &F));
    wl_mat_copy(&Fs, &p.F0s);
    WL_OK_OR_FAIL(wl_gemm(0, 0, 1.0, &p.Ks, &A, 1.0, &Fs));
    wl_kreg *r;
    WL_OK_OR_FAIL(wl_kreg_new(&p.K, &p.Y, &p.F0, 0.0, 0.0, &r));
    WL_OK_OR_FAIL(wl_kreg_predict(r, NULL, NULL, eta, (double)steps, &Fc));
    WL_OK_OR_FAIL(wl_kreg_predict(r, &p.Ks, &p.F0s, eta, (double)steps, &Fcs));
    assert_mat_close(&F, &Fc, 5e-3);
    assert_mat_close(&Fs, &Fcs, 5e-3);
    /* and it is not yet converged, so the time dependence was tested */
    double gap = 0;
    for (size_t i = 0; i < n; i++) gap = fmax(gap, fabs(WL_AT(&Fc, i, 0) - WL_AT(&p.Y, i, 0)));
    assert_true(gap > 0.05);
    wl_kreg_free(r);
    wl_mat_free(&A);
    wl_mat_free(&F);
    wl_mat_free(&Fs);
    wl_mat_free(&Fc);
    wl_mat_free(&Fcs);
    unmake(&p);
}

static void test_ridge(void **state) {
    (void)state;
    prob p;
    make(&p, 9, 3, 1, 3);
    const double lam = 0.3;
    wl_kreg *r;
    WL_OK_OR_FAIL(wl_kreg_new(&p.K, &p.Y, NULL, lam, 0.0, &r));
    wl_mat A, Ad, F, Fd;
    wl_mat_alloc(&A, 9, 1);
    wl_mat_alloc(&Ad, 9, 1);
    wl_mat_alloc(&F, 9, 1);
    wl_mat_alloc(&Fd, 9, 1);
    WL_OK_OR_FAIL(wl_kreg_coef(r, 1.0, INFINITY, &A));
    chol_solve(&p.K, lam, &p.Y, &Ad); /* (K + lambda I)^{-1} y */
    assert_mat_close(&A, &Ad, 1e-10);
    WL_OK_OR_FAIL(wl_kreg_predict(r, NULL, NULL, 1.0, INFINITY, &F));
    WL_OK_OR_FAIL(wl_gemm(0, 0, 1.0, &p.K, &Ad, 0.0, &Fd));
    assert_mat_close(&F, &Fd, 1e-10);
    wl_kreg_free(r);
    wl_mat_free(&A);
    wl_mat_free(&Ad);
    wl_mat_free(&F);
    wl_mat_free(&Fd);
    unmake(&p);
}

/* K = Phi Phi^T of rank 4 < n = 10: flagged, finite, and at t = inf the
 * training predictions are the projection of Y onto range(Phi). */
static void test_singular(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 8);
    const size_t n = 10, p = 4;
    wl_mat Phi, K, Y, F, P, G, Gi;
    wl_mat_alloc(&Phi, n, p);
    wl_mat_alloc(&K, n, n);
    wl_mat_alloc(&Y, n, 1);
    wl_mat_alloc(&F, n, 1);
    wl_mat_alloc(&P, n, 1);
    wl_mat_alloc(&G, p, p);
    wl_mat_alloc(&Gi, p, 1);
    rand_mat(&r, &Phi, 1.0);
    rand_mat(&r, &Y, 1.0);
    WL_OK_OR_FAIL(wl_syrk(0, 1.0, &Phi, 0.0, &K));
    wl_kreg *kr;
    WL_OK_OR_FAIL(wl_kreg_new(&K, &Y, NULL, 0.0, 0.0, &kr));
    wl_kreg_info in;
    wl_kreg_get_info(kr, &in);
    assert_int_equal(in.ill_conditioned, 1);
    assert_int_equal(in.n_dropped, n - p);
    assert_non_null(strstr(in.message, "condition number"));
    double times[2] = {5.0, INFINITY};
    for (int k = 0; k < 2; k++) {
        WL_OK_OR_FAIL(wl_kreg_predict(kr, NULL, NULL, 1.0, times[k], &F));
        assert_true(wl_all_finite(n, F.data));
    }
    /* projection: Phi (Phi^T Phi)^{-1} Phi^T y */
    WL_OK_OR_FAIL(wl_syrk(1, 1.0, &Phi, 0.0, &G));
    WL_OK_OR_FAIL(wl_gemm(1, 0, 1.0, &Phi, &Y, 0.0, &Gi));
    WL_OK_OR_FAIL(wl_cholesky(&G));
    WL_OK_OR_FAIL(wl_chol_solve(&G, &Gi));
    WL_OK_OR_FAIL(wl_gemm(0, 0, 1.0, &Phi, &Gi, 0.0, &P));
    assert_mat_close(&F, &P, 1e-8);
    wl_kreg_free(kr);
    wl_mat *ms[] = {&Phi, &K, &Y, &F, &P, &G, &Gi};
    for (int i = 0; i < 7; i++) wl_mat_free(ms[i]);
}

static void test_bad_input(void **state) {
    (void)state;
    prob p;
    make(&p, 6, 2, 1, 4);
    wl_kreg *r = NULL;
    assert_int_equal(wl_kreg_new(&p.Ks, &p.Y, NULL, 0, 0, &r), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "square"));
    assert_int_equal(wl_kreg_new(&p.K, &p.F0s, NULL, 0, 0, &r), WL_EINVAL);
    assert_int_equal(wl_kreg_new(&p.K, &p.Y, NULL, -1.0, 0, &r), WL_EINVAL);
    WL_AT(&p.K, 1, 2) += 0.5;
    assert_int_equal(wl_kreg_new(&p.K, &p.Y, NULL, 0, 0, &r), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "symmetric"));
    WL_AT(&p.K, 1, 2) = NAN;
    assert_int_equal(wl_kreg_new(&p.K, &p.Y, NULL, 0, 0, &r), WL_EINVAL);
    wl_mat_zero(&p.K);
    assert_int_equal(wl_kreg_new(&p.K, &p.Y, NULL, 0, 0, &r), WL_ENUMERIC);
    assert_null(r);
    wl_kfun kf = {.kind = WL_KFUN_GAUSSIAN, .bandwidth = 0.0};
    assert_int_equal(wl_kfun_eval(&kf, &p.X, NULL, &p.K), WL_EINVAL);
    wl_kfun_kind kind;
    assert_int_equal(wl_kfun_from_name("cosine", &kind), WL_EINVAL);
    WL_OK_OR_FAIL(wl_kfun_from_name("laplacian", &kind));
    assert_int_equal(kind, WL_KFUN_LAPLACIAN);
    /* bad times */
    wl_kfun ok = {.kind = WL_KFUN_LAPLACIAN, .bandwidth = 2.0};
    WL_OK_OR_FAIL(wl_kfun_eval(&ok, &p.X, NULL, &p.K));
    WL_OK_OR_FAIL(wl_kreg_new(&p.K, &p.Y, NULL, 0, 0, &r));
    wl_mat F;
    wl_mat_alloc(&F, 6, 1);
    assert_int_equal(wl_kreg_predict(r, NULL, NULL, 1.0, -1.0, &F), WL_EINVAL);
    assert_int_equal(wl_kreg_predict(r, NULL, NULL, 0.0, 1.0, &F), WL_EINVAL);
    assert_int_equal(wl_kreg_predict(r, &p.X, NULL, 1.0, 1.0, &F), WL_EINVAL);
    wl_mat_free(&F);
    wl_kreg_free(r);
    unmake(&p);
}

/* Gaussian and Laplacian kernels entry by entry. */
static void test_kernel_functions(void **state) {
    (void)state;
    prob p;
    make(&p, 5, 3, 1, 5);
    wl_kfun g = {.kind = WL_KFUN_GAUSSIAN, .bandwidth = 1.7};
    wl_kfun l = {.kind = WL_KFUN_LAPLACIAN, .bandwidth = 0.8};
    wl_mat Kg, Kl;
    wl_mat_alloc(&Kg, 3, 5);
    wl_mat_alloc(&Kl, 3, 5);
    WL_OK_OR_FAIL(wl_kfun_eval(&g, &p.Xs, &p.X, &Kg));
    WL_OK_OR_FAIL(wl_kfun_eval(&l, &p.Xs, &p.X, &Kl));
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 5; j++) {
            double d2 = 0;
            for (size_t c = 0; c < 3; c++) {
                double t = WL_AT(&p.Xs, i, c) - WL_AT(&p.X, j, c);
                d2 += t * t;
            }
            WL_ASSERT_CLOSE(WL_AT(&Kg, i, j), exp(-d2 / (2 * 1.7 * 1.7)), 1e-13);
            WL_ASSERT_CLOSE(WL_AT(&Kl, i, j), exp(-sqrt(d2) / 0.8), 1e-12);
        }
    wl_mat_free(&Kg);
    wl_mat_free(&Kl);
    unmake(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_t0_and_infinity),
        cmocka_unit_test(test_matches_gradient_descent),
        cmocka_unit_test(test_ridge),
        cmocka_unit_test(test_singular),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_kernel_functions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
