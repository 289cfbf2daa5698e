/* Lanczos against known spectra and dense LAPACK eigendecompositions. */
#include "dense_op.h"

/* Runs Lanczos on A and checks the k values against the sorted reference
 * (sorted in the order of `which`), the reported residuals against the true
 * ||A y - theta y||, and the orthonormality of the vectors. */
static void check_lanczos(const wl_mat *A, const double *ref, size_t k, wl_eig_which which,
                          size_t max_basis, double tol, int expect_restart) {
    size_t p = A->rows;
    wl_linop H = {dense_mv, (void *)A, p};
    wl_lanczos_opts o;
    wl_lanczos_opts_default(&o);
    o.k = k;
    o.which = which;
    o.tol = tol;
    o.max_basis = max_basis;
    wl_rng r;
    wl_rng_seed(&r, 77);
    wl_eig_result res;
    WL_OK_OR_FAIL(wl_lanczos(&H, &o, &r, 1, &res));
    assert_true(res.converged);
    assert_int_equal(res.k, k);
    if (expect_restart) assert_true(res.restarts > 0);
    double norm = fmax(1e-300, fmax(fabs(ref[0]), fabs(ref[p - 1])));
    if (norm == 1e-300) norm = 1.0;
    double *y = malloc(p * sizeof(double));
    for (size_t j = 0; j < k; j++) {
        /* eigenvalue error <= residual^2 / gap; tol^2-level here */
        WL_ASSERT_CLOSE(res.values[j] / norm, ref[j] / norm, 1e-9);
        const double *v = res.vectors + j * p;
        WL_ASSERT_CLOSE(wl_nrm2(p, v), 1.0, 1e-10);
        for (size_t i = 0; i < j; i++)
            assert_true(fabs(wl_dot(p, v, res.vectors + i * p)) < 1e-8);
        wl_gemv(0, 1.0, A, v, 0.0, y);
        wl_axpy(p, -res.values[j], v, y);
        double true_res = wl_nrm2(p, y);
        assert_true(true_res <= tol * norm * 10 + 1e-12 * norm);
        assert_true(fabs(true_res - res.residuals[j]) <= 1e-9 * norm);
    }
    free(y);
    wl_eig_result_free(&res);
}

/* reference eigenvalues of A by dense LAPACK, ordered for `which` */
static void reference(const wl_mat *A, wl_eig_which which, double *ref) {
    size_t p = A->rows;
    wl_mat B;
    wl_mat_alloc(&B, p, p);
    wl_mat_copy(&B, A);
    double *w = malloc(p * sizeof(double));
    WL_OK_OR_FAIL(wl_eigh(&B, w, 0));
    size_t lo = 0, hi = p;
    for (size_t i = 0; i < p; i++) {
        if (which == WL_EIG_SA) ref[i] = w[i];
        else if (which == WL_EIG_LA) ref[i] = w[p - 1 - i];
        else ref[i] = fabs(w[lo]) > fabs(w[hi - 1]) ? w[lo++] : w[--hi];
    }
    free(w);
    wl_mat_free(&B);
}

static void test_top_k_spread(void **state) {
    (void)state;
    const size_t p = 200;
    double lam[200], ref[200];
    wl_rng r;
    wl_rng_seed(&r, 1);
    for (size_t i = 0; i < p; i++) lam[i] = pow(0.9, (double)i) * 10.0;
    wl_mat A;
    wl_mat_alloc(&A, p, p);
    known_spectrum(&r, lam, p, &A);
    reference(&A, WL_EIG_LA, ref);
    qsort(lam, p, sizeof(double), cmp_desc);
    for (size_t i = 0; i < 10; i++) WL_ASSERT_CLOSE(ref[i], lam[i], 1e-12); /* LAPACK agrees */
    check_lanczos(&A, ref, 5, WL_EIG_LA, 0, 1e-10, 0);
    check_lanczos(&A, ref, 10, WL_EIG_LA, 16, 1e-10, 1); /* forced thick restarts */
    wl_mat_free(&A);
}

/* indefinite: the largest magnitudes sit at both ends */
static void test_indefinite_lm_sa(void **state) {
    (void)state;
    const size_t p = 150;
    double lam[150], ref[150];
    wl_rng r;
    wl_rng_seed(&r, 2);
    for (size_t i = 0; i < p; i++) lam[i] = -3.0 + 5.0 * wl_rng_uniform(&r);
    lam[0] = -6.0;
    lam[1] = 5.5;
    lam[2] = -5.2;
    wl_mat A;
    wl_mat_alloc(&A, p, p);
    known_spectrum(&r, lam, p, &A);
    reference(&A, WL_EIG_LM, ref);
    WL_ASSERT_CLOSE(ref[0], -6.0, 1e-12);
    WL_ASSERT_CLOSE(ref[1], 5.5, 1e-12);
    check_lanczos(&A, ref, 3, WL_EIG_LM, 0, 1e-10, 0);
    reference(&A, WL_EIG_SA, ref);
    check_lanczos(&A, ref, 4, WL_EIG_SA, 20, 1e-10, 0);
    reference(&A, WL_EIG_LA, ref);
    check_lanczos(&A, ref, 2, WL_EIG_LA, 0, 1e-10, 0);
    wl_mat_free(&A);
}

/* clustered top eigenvalues 1e-4 apart above a dense bulk */
static void test_clustered(void **state) {
    (void)state;
    const size_t p = 300;
    double lam[300], ref[300];
    wl_rng r;
    wl_rng_seed(&r, 3);
    for (size_t i = 0; i < p; i++) lam[i] = wl_rng_uniform(&r);
    for (size_t i = 0; i < 4; i++) lam[i] = 2.0 - 1e-4 * (double)i;
    wl_mat A;
    wl_mat_alloc(&A, p, p);
    known_spectrum(&r, lam, p, &A);
    reference(&A, WL_EIG_LA, ref);
    check_lanczos(&A, ref, 4, WL_EIG_LA, 24, 1e-11, 1);
    wl_mat_free(&A);
}

/* few distinct eigenvalues: the Krylov space becomes invariant after 3 steps
 * and fresh directions recover the multiplicity */
static void test_repeated_multiplicity(void **state) {
    (void)state;
    const size_t p = 50;
    double lam[50], ref[50];
    for (size_t i = 0; i < p; i++) lam[i] = i < 5 ? 3.0 : i < 25 ? 1.0 : -2.0;
    wl_rng r;
    wl_rng_seed(&r, 4);
    wl_mat A;
    wl_mat_alloc(&A, p, p);
    known_spectrum(&r, lam, p, &A);
    reference(&A, WL_EIG_LA, ref);
    check_lanczos(&A, ref, 6, WL_EIG_LA, 0, 1e-10, 0); /* 3 x5 then 1 */
    reference(&A, WL_EIG_SA, ref);
    check_lanczos(&A, ref, 3, WL_EIG_SA, 0, 1e-10, 0);
    wl_mat_free(&A);
}

/* tiny operators: p = 1, p = k, the zero operator */
static void test_small_and_zero(void **state) {
    (void)state;
    wl_mat A;
    wl_mat_alloc(&A, 1, 1);
    A.data[0] = -2.5;
    double ref[4] = {-2.5};
    check_lanczos(&A, ref, 1, WL_EIG_LM, 0, 1e-10, 0);
    wl_mat_free(&A);
    wl_mat_alloc(&A, 3, 3);
    WL_AT(&A, 0, 0) = 1;
    WL_AT(&A, 1, 1) = 4;
    WL_AT(&A, 2, 2) = 2;
    double ref3[3] = {4, 2, 1};
    check_lanczos(&A, ref3, 3, WL_EIG_LA, 0, 1e-10, 0);
    wl_mat_zero(&A);
    double z3[3] = {0, 0, 0};
    check_lanczos(&A, z3, 2, WL_EIG_LM, 0, 1e-10, 0);
    wl_mat_free(&A);
}

static int failing_mv(void *ctx, const double *x, double *y) {
    (void)ctx;
    (void)x;
    (void)y;
    return wl_seterr(WL_EIO, "disk went away");
}

static int nan_mv(void *ctx, const double *x, double *y) {
    (void)x;
    for (size_t i = 0; i < *(size_t *)ctx; i++) y[i] = NAN;
    return WL_OK;
}

static void test_bad_input(void **state) {
    (void)state;
    wl_mat A;
    wl_mat_alloc(&A, 4, 4);
    wl_linop H = {dense_mv, &A, 4};
    wl_lanczos_opts o;
    wl_lanczos_opts_default(&o);
    wl_rng r;
    wl_rng_seed(&r, 5);
    wl_eig_result res;
    o.k = 0;
    assert_int_equal(wl_lanczos(&H, &o, &r, 0, &res), WL_EINVAL);
    o.k = 5;
    assert_int_equal(wl_lanczos(&H, &o, &r, 0, &res), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "k = 5"));
    o.k = 1;
    o.tol = -1;
    assert_int_equal(wl_lanczos(&H, &o, &r, 0, &res), WL_EINVAL);
    o.tol = 1e-8;
    wl_linop F = {failing_mv, NULL, 4};
    assert_int_equal(wl_lanczos(&F, &o, &r, 0, &res), WL_EIO);
    assert_non_null(strstr(wl_errmsg(), "disk went away"));
    size_t p = 4;
    wl_linop N = {nan_mv, &p, 4};
    assert_int_equal(wl_lanczos(&N, &o, &r, 0, &res), WL_ENUMERIC);
    wl_mat_free(&A);
}

/* same seed, same bits; a matvec cap stops it unconverged but with results */
static void test_reproducible_and_cap(void **state) {
    (void)state;
    const size_t p = 120;
    double lam[120];
    wl_rng r;
    wl_rng_seed(&r, 6);
    for (size_t i = 0; i < p; i++) lam[i] = 1.0 + 1e-3 * (double)i;
    wl_mat A;
    wl_mat_alloc(&A, p, p);
    known_spectrum(&r, lam, p, &A);
    wl_linop H = {dense_mv, &A, p};
    wl_lanczos_opts o;
    wl_lanczos_opts_default(&o);
    o.k = 3;
    o.tol = 1e-12;
    o.max_basis = 10;
    wl_eig_result a, b;
    wl_rng r1, r2;
    wl_rng_seed(&r1, 9);
    wl_rng_seed(&r2, 9);
    WL_OK_OR_FAIL(wl_lanczos(&H, &o, &r1, 0, &a));
    WL_OK_OR_FAIL(wl_lanczos(&H, &o, &r2, 0, &b));
    assert_memory_equal(a.values, b.values, 3 * sizeof(double));
    assert_int_equal(a.matvecs, b.matvecs);
    wl_eig_result_free(&a);
    wl_eig_result_free(&b);
    o.max_matvecs = 12;
    WL_OK_OR_FAIL(wl_lanczos(&H, &o, &r1, 0, &a));
    assert_false(a.converged);
    assert_true(a.matvecs <= 12);
    assert_true(a.max_residual > 1e-12 * a.scale);
    wl_eig_result_free(&a);
    wl_mat_free(&A);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_top_k_spread),       cmocka_unit_test(test_indefinite_lm_sa),
        cmocka_unit_test(test_clustered),          cmocka_unit_test(test_repeated_multiplicity),
        cmocka_unit_test(test_small_and_zero),     cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_reproducible_and_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
