/* Matrix wrappers against naive loops and known decompositions. */
#include "wl_test.h"

static void fill(wl_rng *r, wl_mat *m) {
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++) WL_AT(m, i, j) = wl_rng_normal(r);
}

static void test_gemm_all_transposes(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 5);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            wl_mat A, B, C;
            wl_mat_alloc(&A, ta ? 4 : 3, ta ? 3 : 4);
            wl_mat_alloc(&B, tb ? 5 : 4, tb ? 4 : 5);
            wl_mat_alloc(&C, 3, 5);
            fill(&r, &A);
            fill(&r, &B);
            WL_OK_OR_FAIL(wl_gemm(ta, tb, 2.0, &A, &B, 0.0, &C));
            for (size_t i = 0; i < 3; i++)
                for (size_t j = 0; j < 5; j++) {
                    double s = 0;
                    for (size_t k = 0; k < 4; k++)
                        s += (ta ? WL_AT(&A, k, i) : WL_AT(&A, i, k)) *
                             (tb ? WL_AT(&B, j, k) : WL_AT(&B, k, j));
                    WL_ASSERT_CLOSE(WL_AT(&C, i, j), 2.0 * s, 1e-14);
                }
            wl_mat_free(&A);
            wl_mat_free(&B);
            wl_mat_free(&C);
        }
}

static void test_gemm_shape_error(void **state) {
    (void)state;
    wl_mat A, B, C;
    wl_mat_alloc(&A, 3, 4);
    wl_mat_alloc(&B, 3, 4);
    wl_mat_alloc(&C, 3, 4);
    assert_int_equal(wl_gemm(0, 0, 1.0, &A, &B, 0.0, &C), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "gemm"));
    wl_mat_free(&A);
    wl_mat_free(&B);
    wl_mat_free(&C);
}

static void test_syrk_and_views(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 6);
    wl_mat A, C, D;
    wl_mat_alloc(&A, 6, 4);
    fill(&r, &A);
    wl_mat_alloc(&C, 4, 4);
    wl_mat_alloc(&D, 4, 4);
    WL_OK_OR_FAIL(wl_syrk(1, 1.0, &A, 0.0, &C));
    WL_OK_OR_FAIL(wl_gemm(1, 0, 1.0, &A, &A, 0.0, &D));
    assert_true(wl_test_rel_err(16, C.data, D.data, 1e-300) < 1e-14);
    wl_mat top = wl_mat_rows(&A, 2, 3);
    assert_int_equal(top.rows, 3);
    assert_true(&WL_AT(&top, 0, 0) == &WL_AT(&A, 2, 0));
    wl_mat_free(&A);
    wl_mat_free(&C);
    wl_mat_free(&D);
}

/* A = Q diag(lam) Q^T with a random orthogonal Q: eigh recovers lam and A. */
static void test_eigh_known_spectrum(void **state) {
    (void)state;
    const size_t n = 8;
    wl_rng r;
    wl_rng_seed(&r, 9);
    wl_mat G, U, Vt, A, T;
    double s[8], lam[8], w[8];
    wl_mat_alloc(&G, n, n);
    wl_mat_alloc(&U, n, n);
    wl_mat_alloc(&Vt, n, n);
    wl_mat_alloc(&A, n, n);
    wl_mat_alloc(&T, n, n);
    fill(&r, &G);
    WL_OK_OR_FAIL(wl_svd(&G, &U, s, &Vt)); /* U orthogonal */
    for (size_t i = 0; i < n; i++) lam[i] = (double)i - 3.5;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) WL_AT(&T, i, j) = WL_AT(&U, i, j) * lam[j];
    WL_OK_OR_FAIL(wl_gemm(0, 1, 1.0, &T, &U, 0.0, &A));
    wl_mat A0;
    wl_mat_alloc(&A0, n, n);
    wl_mat_copy(&A0, &A);
    WL_OK_OR_FAIL(wl_eigh(&A, w, 1));
    for (size_t i = 0; i < n; i++) WL_ASSERT_CLOSE(w[i], lam[i], 1e-12);
    /* A0 v_j = w_j v_j */
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < n; i++) {
            double s2 = 0;
            for (size_t k = 0; k < n; k++) s2 += WL_AT(&A0, i, k) * WL_AT(&A, k, j);
            WL_ASSERT_CLOSE(s2, w[j] * WL_AT(&A, i, j), 1e-12);
        }
    wl_mat_free(&G);
    wl_mat_free(&U);
    wl_mat_free(&Vt);
    wl_mat_free(&A);
    wl_mat_free(&T);
    wl_mat_free(&A0);
}

static void test_cholesky_solve(void **state) {
    (void)state;
    const size_t n = 5;
    wl_rng r;
    wl_rng_seed(&r, 11);
    wl_mat G, A, A0, B, X;
    wl_mat_alloc(&G, n, n);
    fill(&r, &G);
    wl_mat_alloc(&A, n, n);
    WL_OK_OR_FAIL(wl_syrk(0, 1.0, &G, 0.0, &A));
    for (size_t i = 0; i < n; i++) WL_AT(&A, i, i) += 1.0;
    wl_mat_alloc(&A0, n, n);
    wl_mat_copy(&A0, &A);
    wl_mat_alloc(&B, n, 2);
    fill(&r, &B);
    wl_mat_alloc(&X, n, 2);
    wl_mat_copy(&X, &B);
    WL_OK_OR_FAIL(wl_cholesky(&A));
    WL_OK_OR_FAIL(wl_chol_solve(&A, &X));
    wl_mat AX;
    wl_mat_alloc(&AX, n, 2);
    wl_gemm(0, 0, 1.0, &A0, &X, 0.0, &AX);
    assert_true(wl_test_rel_err(n * 2, AX.data, B.data, 1e-300) < 1e-12);
    /* not positive definite */
    wl_mat_zero(&A0);
    WL_AT(&A0, 0, 0) = -1.0;
    assert_int_equal(wl_cholesky(&A0), WL_ENUMERIC);
    assert_non_null(strstr(wl_errmsg(), "positive definite"));
    wl_mat_free(&G);
    wl_mat_free(&A);
    wl_mat_free(&A0);
    wl_mat_free(&B);
    wl_mat_free(&X);
    wl_mat_free(&AX);
}

static void test_svd_reconstructs(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 12);
    wl_mat A, A0, U, Vt, US, R;
    double s[3];
    wl_mat_alloc(&A, 5, 3);
    fill(&r, &A);
    wl_mat_alloc(&A0, 5, 3);
    wl_mat_copy(&A0, &A);
    wl_mat_alloc(&U, 5, 3);
    wl_mat_alloc(&Vt, 3, 3);
    WL_OK_OR_FAIL(wl_svd(&A, &U, s, &Vt));
    assert_true(s[0] >= s[1] && s[1] >= s[2] && s[2] >= 0);
    wl_mat_alloc(&US, 5, 3);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 3; j++) WL_AT(&US, i, j) = WL_AT(&U, i, j) * s[j];
    wl_mat_alloc(&R, 5, 3);
    wl_gemm(0, 0, 1.0, &US, &Vt, 0.0, &R);
    assert_true(wl_test_rel_err(15, R.data, A0.data, 1e-300) < 1e-13);
    /* singular values alone, of a non-vector shape */
    double s2[3];
    wl_mat_copy(&A, &A0);
    WL_OK_OR_FAIL(wl_svd(&A, NULL, s2, NULL));
    for (int i = 0; i < 3; i++) WL_ASSERT_CLOSE(s2[i], s[i], 1e-12);
    double nanv[4] = {1, NAN, 0, 1};
    wl_mat Nm = wl_mat_view(nanv, 2, 2);
    double w[2];
    assert_int_equal(wl_eigh(&Nm, w, 0), WL_ENUMERIC);
    wl_mat_free(&A);
    wl_mat_free(&A0);
    wl_mat_free(&U);
    wl_mat_free(&Vt);
    wl_mat_free(&US);
    wl_mat_free(&R);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm_all_transposes), cmocka_unit_test(test_gemm_shape_error),
        cmocka_unit_test(test_syrk_and_views),      cmocka_unit_test(test_eigh_known_spectrum),
        cmocka_unit_test(test_cholesky_solve),      cmocka_unit_test(test_svd_reconstructs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
