/* Layer-wise tangent-kernel factors against the Jacobian: the trace kernel
 * sum_l (A_l A_l^T) o (sum_j B_lj B_lj^T) + beta_l^2 sum_j B_lj B_lj^T must equal
 * sum_{c in outs} J_c J_c^T with J_c (n x p) built row by row from vjp. */
#include "wl_test.h"

/* K (n x n) = sum_{c in outs} J_c J_c^T, J_c rows from vjp with G = e_ic */
static void jacobian_kernel(wl_model *m, const double *w, const wl_mat *X, const size_t *outs,
                            size_t n_outs, wl_mat *K) {
    size_t n = X->rows, p = m->dim;
    wl_mat J, G;
    WL_OK_OR_FAIL(wl_mat_alloc(&J, n, p));
    WL_OK_OR_FAIL(wl_mat_alloc(&G, n, m->n_out));
    wl_mat_zero(K);
    for (size_t j = 0; j < n_outs; j++) {
        for (size_t i = 0; i < n; i++) {
            wl_mat_zero(&G);
            WL_AT(&G, i, outs[j]) = 1.0;
            WL_OK_OR_FAIL(wl_model_vjp(m, w, X, &G, J.data + i * p));
        }
        WL_OK_OR_FAIL(wl_syrk(0, 1.0, &J, 1.0, K));
    }
    wl_mat_free(&J);
    wl_mat_free(&G);
}

static void check_factors(const char *spec, size_t n, const size_t *outs, size_t n_outs) {
    wl_model *m;
    WL_OK_OR_FAIL(wl_net_from_spec(spec, &m));
    size_t L = wl_net_dense_count(m), d = m->n_in;
    assert_true(L > 0);
    wl_rng r;
    wl_rng_seed(&r, 5);
    double *w = wl_dalloc(m->dim, "w"), *x = wl_dalloc(n * d, "x");
    WL_OK_OR_FAIL(wl_model_init(m, &r, w));
    wl_rng_normal_fill(&r, x, n * d, 0, 1);
    wl_mat X = wl_mat_view(x, n, d), K, Kf, T;
    wl_mat *A = calloc(L, sizeof *A), *B = calloc(L * n_outs, sizeof *B);
    for (size_t l = 0; l < L; l++) {
        size_t fi, fo;
        double beta;
        WL_OK_OR_FAIL(wl_net_dense_info(m, l, &fi, &fo, &beta));
        WL_OK_OR_FAIL(wl_mat_alloc(&A[l], n, fi));
        for (size_t j = 0; j < n_outs; j++) WL_OK_OR_FAIL(wl_mat_alloc(&B[l * n_outs + j], n, fo));
    }
    WL_OK_OR_FAIL(wl_net_ntk_factors(m, w, &X, outs, n_outs, A, B));
    WL_OK_OR_FAIL(wl_mat_alloc(&K, n, n));
    WL_OK_OR_FAIL(wl_mat_alloc(&Kf, n, n));
    WL_OK_OR_FAIL(wl_mat_alloc(&T, n, n));
    jacobian_kernel(m, w, &X, outs, n_outs, &K);
    wl_mat Ga, Gb;
    WL_OK_OR_FAIL(wl_mat_alloc(&Ga, n, n));
    WL_OK_OR_FAIL(wl_mat_alloc(&Gb, n, n));
    for (size_t l = 0; l < L; l++) {
        double beta;
        WL_OK_OR_FAIL(wl_net_dense_info(m, l, NULL, NULL, &beta));
        WL_OK_OR_FAIL(wl_syrk(0, 1.0, &A[l], 0.0, &Ga));
        wl_mat_zero(&Gb);
        for (size_t j = 0; j < n_outs; j++) WL_OK_OR_FAIL(wl_syrk(0, 1.0, &B[l * n_outs + j], 1.0, &Gb));
        for (size_t i = 0; i < n * n; i++) Kf.data[i] += (Ga.data[i] + beta * beta) * Gb.data[i];
    }
    double e = wl_test_rel_err(n * n, Kf.data, K.data, 1e-12);
    if (!(e < 1e-10)) fail_msg("%s: factor kernel vs J J^T relative error %.3g", spec, e);
    for (size_t l = 0; l < L; l++) {
        wl_mat_free(&A[l]);
        for (size_t j = 0; j < n_outs; j++) wl_mat_free(&B[l * n_outs + j]);
    }
    free(A);
    free(B);
    wl_mat_free(&K);
    wl_mat_free(&Kf);
    wl_mat_free(&T);
    wl_mat_free(&Ga);
    wl_mat_free(&Gb);
    free(w);
    free(x);
    wl_model_free(m);
}

static void test_factors_match_jacobian(void **state) {
    (void)state;
    size_t one = 0, two[2] = {0, 2};
    check_factors("mlp:4-6x3-1:relu:ntk", 5, &one, 1);
    check_factors("mlp:4-6-5-3:tanh:std:bias", 5, two, 2);
    check_factors("mlp:4-6-5-3:erf:ntk:bias=0.4:csigma", 6, two, 2);
    check_factors("resmlp:3-5x2-3:relu:ntk:bias", 4, two, 2);
    check_factors("densemlp:3-4x3-3:gelu:ntk", 4, two, 2);
    check_factors("densemlp:3-4-5-3:tanh:concat:bias", 4, two, 2);
    check_factors("assembly:3-4-3:3:tanh:bias", 4, two, 2);
}

static void test_factor_errors(void **state) {
    (void)state;
    wl_model *m;
    WL_OK_OR_FAIL(wl_net_from_spec("mlp:3-4-2:relu", &m));
    assert_int_equal(wl_net_dense_count(m), 2);
    size_t fi, fo;
    double beta = -1;
    WL_OK_OR_FAIL(wl_net_dense_info(m, 1, &fi, &fo, &beta));
    assert_true(fi == 4 && fo == 2 && beta == 0.0);
    assert_int_equal(wl_net_dense_info(m, 2, &fi, &fo, &beta), WL_EINVAL);
    double w[14] = {0}, x[3] = {0};
    wl_mat X = wl_mat_view(x, 1, 3), A[2], B[2];
    WL_OK_OR_FAIL(wl_mat_alloc(&A[0], 1, 3));
    WL_OK_OR_FAIL(wl_mat_alloc(&A[1], 1, 5)); /* wrong: fan_in is 4 */
    WL_OK_OR_FAIL(wl_mat_alloc(&B[0], 1, 4));
    WL_OK_OR_FAIL(wl_mat_alloc(&B[1], 1, 2));
    size_t out = 0, bad = 2;
    assert_int_equal(wl_net_ntk_factors(m, w, &X, &out, 1, A, B), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "A[1]"));
    assert_int_equal(wl_net_ntk_factors(m, w, &X, &bad, 1, A, B), WL_EINVAL);
    for (int i = 0; i < 2; i++) {
        wl_mat_free(&A[i]);
        wl_mat_free(&B[i]);
    }
    wl_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_factors_match_jacobian),
        cmocka_unit_test(test_factor_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
