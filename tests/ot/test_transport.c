/* Transport solvers: closed forms on 2 x 2, brute force on small problems,
 * LP duality certificates, eps -> 0 limit, underflow handling. */
#include "wl_test.h"

static void fill(wl_rng *r, wl_mat *m, double sd) {
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++) WL_AT(m, i, j) = sd * wl_rng_normal(r);
}

static void rand_marginal(wl_rng *r, double *w, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (w[i] = 0.2 + wl_rng_uniform(r));
    for (size_t i = 0; i < n; i++) w[i] /= s;
}

/* min over injective maps i -> p[i] of sum_i C_{i,p[i]} (n <= m), by recursion. */
static double brute(const wl_mat *C, size_t i, unsigned used) {
    if (i == C->rows) return 0.0;
    double best = INFINITY;
    for (size_t j = 0; j < C->cols; j++)
        if (!(used & (1u << j))) {
            double v = WL_AT(C, i, j) + brute(C, i + 1, used | (1u << j));
            best = v < best ? v : best;
        }
    return best;
}

static double dotpc(const wl_mat *P, const wl_mat *C) {
    double s = 0;
    for (size_t i = 0; i < P->rows; i++)
        for (size_t j = 0; j < P->cols; j++) s += WL_AT(P, i, j) * WL_AT(C, i, j);
    return s;
}

static void check_marginals(const wl_mat *P, const double *a, const double *b, double tol) {
    for (size_t i = 0; i < P->rows; i++) {
        double s = 0;
        for (size_t j = 0; j < P->cols; j++) {
            assert_true(WL_AT(P, i, j) >= 0.0);
            s += WL_AT(P, i, j);
        }
        WL_ASSERT_CLOSE(s, a ? a[i] : 1.0 / (double)P->rows, tol);
    }
    for (size_t j = 0; j < P->cols; j++) {
        double s = 0;
        for (size_t i = 0; i < P->rows; i++) s += WL_AT(P, i, j);
        WL_ASSERT_CLOSE(s, b ? b[j] : 1.0 / (double)P->cols, tol);
    }
}

static void test_cost_matrix(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 1);
    wl_mat X, Y, C, E;
    wl_mat_alloc(&X, 700, 5);
    wl_mat_alloc(&Y, 9, 5);
    wl_mat_alloc(&C, 700, 9);
    wl_mat_alloc(&E, 700, 9);
    fill(&r, &X, 1.0);
    fill(&r, &Y, 1.0);
    WL_OK_OR_FAIL(wl_ot_cost(&X, &Y, WL_OT_SQEUCLIDEAN, &C));
    WL_OK_OR_FAIL(wl_ot_cost(&X, &Y, WL_OT_EUCLIDEAN, &E));
    for (size_t i = 0; i < 700; i++)
        for (size_t j = 0; j < 9; j++) {
            double s = 0;
            for (size_t k = 0; k < 5; k++) s += pow(WL_AT(&X, i, k) - WL_AT(&Y, j, k), 2);
            WL_ASSERT_CLOSE(WL_AT(&C, i, j), s, 1e-12);
            WL_ASSERT_CLOSE(WL_AT(&E, i, j), sqrt(s), 1e-12);
        }
    wl_mat bad;
    wl_mat_alloc(&bad, 9, 4);
    assert_int_equal(wl_ot_cost(&X, &bad, WL_OT_SQEUCLIDEAN, &C), WL_EINVAL);
    assert_int_equal(wl_ot_cost(&X, &Y, 7, &C), WL_EINVAL);
    wl_mat_free(&bad);
    wl_mat_free(&X);
    wl_mat_free(&Y);
    wl_mat_free(&C);
    wl_mat_free(&E);
}

/* 2 x 2 entropic plan: x = P11 solves x (a2 - b1 + x) = r (a1 - x)(b1 - x),
 * r = exp(-(C11 + C22 - C12 - C21) / eps). */
static void test_sinkhorn_2x2_closed_form(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 2);
    for (int trial = 0; trial < 6; trial++) {
        double cd[4], a[2], b[2], pd[4];
        for (int k = 0; k < 4; k++) cd[k] = wl_rng_uniform(&r);
        rand_marginal(&r, a, 2);
        rand_marginal(&r, b, 2);
        wl_mat C = wl_mat_view(cd, 2, 2), P = wl_mat_view(pd, 2, 2);
        double eps = trial < 3 ? 0.3 : 0.02;
        double rr = exp(-(cd[0] + cd[3] - cd[1] - cd[2]) / eps);
        double qa = 1.0 - rr, qb = a[1] - b[0] + rr * (a[0] + b[0]), qc = -rr * a[0] * b[0];
        double x = fabs(qa) < 1e-14 ? -qc / qb : (-qb + sqrt(qb * qb - 4 * qa * qc)) / (2 * qa);
        if (x < 0 || x > a[0] || x > b[0]) x = (-qb - sqrt(qb * qb - 4 * qa * qc)) / (2 * qa);
        double want[4] = {x, a[0] - x, b[0] - x, a[1] - b[0] + x};
        for (int mode = 0; mode < 2; mode++) {
            wl_sinkhorn_opts o;
            wl_sinkhorn_opts_default(&o);
            o.eps = eps;
            o.tol = 1e-14;
            o.check_every = 1;
            o.max_iter = 100000;
            o.mode = mode ? WL_SK_LOG : WL_SK_SCALING;
            wl_ot_result res;
            WL_OK_OR_FAIL(wl_sinkhorn(&C, a, b, &o, &P, NULL, NULL, &res));
            assert_true(res.converged);
            for (int k = 0; k < 4; k++) WL_ASSERT_CLOSE(pd[k], want[k], 1e-10);
            double cost = 0;
            for (int k = 0; k < 4; k++) cost += want[k] * cd[k];
            WL_ASSERT_CLOSE(res.cost, cost, 1e-10);
        }
    }
}

static void test_sinkhorn_marginals_and_forms_agree(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 3);
    size_t n = 40, m = 25;
    wl_mat X, Y, C, P1, P2;
    wl_mat_alloc(&X, n, 3);
    wl_mat_alloc(&Y, m, 3);
    wl_mat_alloc(&C, n, m);
    wl_mat_alloc(&P1, n, m);
    wl_mat_alloc(&P2, n, m);
    fill(&r, &X, 1.0);
    fill(&r, &Y, 1.0);
    WL_OK_OR_FAIL(wl_ot_cost(&X, &Y, WL_OT_SQEUCLIDEAN, &C));
    double a[40], b[25], f[40], g[25];
    rand_marginal(&r, a, n);
    rand_marginal(&r, b, m);
    wl_sinkhorn_opts o;
    wl_sinkhorn_opts_default(&o);
    o.eps = 0.1;
    o.tol = 1e-12;
    o.max_iter = 20000;
    wl_ot_result r1, r2;
    o.mode = WL_SK_SCALING;
    WL_OK_OR_FAIL(wl_sinkhorn(&C, a, b, &o, &P1, f, g, &r1));
    o.mode = WL_SK_LOG;
    WL_OK_OR_FAIL(wl_sinkhorn(&C, a, b, &o, &P2, NULL, NULL, &r2));
    assert_true(r1.converged && r2.converged);
    assert_true(r1.err <= 1e-12 && r2.err <= 1e-12);
    check_marginals(&P1, a, b, 1e-11);
    check_marginals(&P2, a, b, 1e-11);
    assert_true(wl_test_rel_err(n * m, P1.data, P2.data, 1e-300) < 1e-8);
    WL_ASSERT_CLOSE(r1.cost, r2.cost, 1e-10);
    /* dual potentials reproduce the plan: P_ij = exp((f_i + g_j - C_ij) / eps) */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++)
            WL_ASSERT_CLOSE(WL_AT(&P1, i, j), exp((f[i] + g[j] - WL_AT(&C, i, j)) / o.eps), 1e-10);
    wl_mat_free(&X);
    wl_mat_free(&Y);
    wl_mat_free(&C);
    wl_mat_free(&P1);
    wl_mat_free(&P2);
}

/* Exact OT on 2 x 2: the plan is a vertex picked by the sign of
 * C11 + C22 - C12 - C21. */
static void test_emd_2x2(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 4);
    for (int trial = 0; trial < 20; trial++) {
        double cd[4], a[2], b[2], pd[4];
        for (int k = 0; k < 4; k++) cd[k] = wl_rng_uniform(&r);
        rand_marginal(&r, a, 2);
        rand_marginal(&r, b, 2);
        double lo = fmax(0.0, b[0] - a[1]), hi = fmin(a[0], b[0]);
        double x = cd[0] + cd[3] - cd[1] - cd[2] < 0 ? hi : lo;
        double want[4] = {x, a[0] - x, b[0] - x, a[1] - b[0] + x}, cost = 0;
        for (int k = 0; k < 4; k++) cost += want[k] * cd[k];
        wl_mat C = wl_mat_view(cd, 2, 2), P = wl_mat_view(pd, 2, 2);
        wl_ot_result res;
        WL_OK_OR_FAIL(wl_emd(&C, a, b, 0, &P, NULL, NULL, &res));
        for (int k = 0; k < 4; k++) WL_ASSERT_CLOSE(pd[k], want[k], 1e-14);
        WL_ASSERT_CLOSE(res.cost, cost, 1e-14);
    }
}

static void test_emd_and_assign_brute_force(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 5);
    for (int trial = 0; trial < 10; trial++) {
        size_t n = 6 + (size_t)(trial % 2), m = trial < 5 ? n : n + 2;
        double cd[7 * 9], pd[7 * 9];
        size_t match[7];
        wl_mat C = wl_mat_view(cd, n, m), P = wl_mat_view(pd, n, n);
        fill(&r, &C, 1.0);
        double best = brute(&C, 0, 0), tot;
        WL_OK_OR_FAIL(wl_assign(&C, match, &tot));
        WL_ASSERT_CLOSE(tot, best, 1e-12);
        double s = 0;
        for (size_t i = 0; i < n; i++) {
            s += WL_AT(&C, i, match[i]);
            for (size_t k = 0; k < i; k++) assert_true(match[k] != match[i]);
        }
        WL_ASSERT_CLOSE(s, best, 1e-12);
        if (m == n) {
            wl_ot_result res;
            WL_OK_OR_FAIL(wl_emd(&C, NULL, NULL, 0, &P, NULL, NULL, &res));
            WL_ASSERT_CLOSE(res.cost, best / (double)n, 1e-12);
            check_marginals(&P, NULL, NULL, 1e-14);
        }
    }
}

/* LP optimality certificate: f_i + g_j <= C_ij, equality where P_ij > 0, and
 * <P, C> = sum a f + sum b g. */
static void check_emd_certificate(size_t n, size_t m, uint64_t seed, int integer_costs) {
    wl_rng r;
    wl_rng_seed(&r, seed);
    wl_mat C, P;
    wl_mat_alloc(&C, n, m);
    wl_mat_alloc(&P, n, m);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++)
            WL_AT(&C, i, j) = integer_costs ? (double)wl_rng_below(&r, 4) : wl_rng_uniform(&r);
    double *a = malloc(n * sizeof *a), *b = malloc(m * sizeof *b);
    double *f = malloc(n * sizeof *f), *g = malloc(m * sizeof *g);
    rand_marginal(&r, a, n);
    rand_marginal(&r, b, m);
    wl_ot_result res;
    WL_OK_OR_FAIL(wl_emd(&C, a, b, 0, &P, f, g, &res));
    assert_true(res.converged);
    check_marginals(&P, a, b, 1e-12);
    double dual = 0;
    for (size_t i = 0; i < n; i++) dual += a[i] * f[i];
    for (size_t j = 0; j < m; j++) dual += b[j] * g[j];
    WL_ASSERT_CLOSE(res.cost, dual, 1e-10);
    WL_ASSERT_CLOSE(res.cost, dotpc(&P, &C), 1e-12);
    size_t support = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) {
            double red = WL_AT(&C, i, j) - f[i] - g[j];
            assert_true(red >= -1e-9);
            if (WL_AT(&P, i, j) > 0) {
                assert_true(fabs(red) <= 1e-9);
                support++;
            }
        }
    assert_true(support <= n + m - 1); /* a vertex of the transport polytope */
    free(a);
    free(b);
    free(f);
    free(g);
    wl_mat_free(&C);
    wl_mat_free(&P);
}

static void test_emd_duality_certificate(void **state) {
    (void)state;
    check_emd_certificate(7, 5, 6, 0);
    check_emd_certificate(300, 200, 7, 0);
    check_emd_certificate(120, 150, 8, 1); /* heavy degeneracy: ties everywhere */
}

/* <P, C> - OT <= eps log(n m) and it shrinks as eps -> 0; at eps = 1e-3 the
 * scaling form underflows (reported, no NaN) while the log form converges. */
static void test_sinkhorn_small_eps(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 9);
    size_t n = 30, m = 30;
    wl_mat X, Y, C, P;
    wl_mat_alloc(&X, n, 2);
    wl_mat_alloc(&Y, m, 2);
    wl_mat_alloc(&C, n, m);
    wl_mat_alloc(&P, n, m);
    fill(&r, &X, 0.3);
    fill(&r, &Y, 0.3);
    for (size_t j = 0; j < m; j++) WL_AT(&Y, j, 0) += 2.0; /* costs in ~[1, 8] */
    WL_OK_OR_FAIL(wl_ot_cost(&X, &Y, WL_OT_SQEUCLIDEAN, &C));
    wl_ot_result ex, res;
    WL_OK_OR_FAIL(wl_emd(&C, NULL, NULL, 0, NULL, NULL, NULL, &ex));
    double eps_list[4] = {1.0, 0.1, 0.01, 0.001}, prev = INFINITY;
    for (int k = 0; k < 4; k++) {
        wl_sinkhorn_opts o;
        wl_sinkhorn_opts_default(&o);
        o.eps = eps_list[k];
        o.tol = eps_list[k] < 0.005 ? 1e-6 : 1e-8;
        o.max_iter = 200000;
        o.mode = WL_SK_LOG;
        WL_OK_OR_FAIL(wl_sinkhorn(&C, NULL, NULL, &o, &P, NULL, NULL, &res));
        assert_true(res.converged);
        double gap = res.cost - ex.cost;
        assert_true(gap >= -1e-9);
        assert_true(gap <= o.eps * log((double)(n * m)));
        assert_true(gap < prev);
        prev = gap;
    }
    assert_true(prev < 1e-3 * ex.cost);
    check_marginals(&P, NULL, NULL, 1e-6);
    wl_sinkhorn_opts o;
    wl_sinkhorn_opts_default(&o);
    o.eps = 1e-3;
    o.mode = WL_SK_SCALING;
    for (size_t k = 0; k < n * m; k++) P.data[k] = 0.0;
    int rc = wl_sinkhorn(&C, NULL, NULL, &o, &P, NULL, NULL, &res);
    assert_int_equal(rc, WL_ENUMERIC);
    assert_false(res.converged);
    assert_non_null(strstr(wl_errmsg(), "log-domain"));
    assert_true(wl_all_finite(n * m, P.data));
    o.mode = WL_SK_AUTO; /* picks the log form by itself */
    WL_OK_OR_FAIL(wl_sinkhorn(&C, NULL, NULL, &o, &P, NULL, NULL, &res));
    wl_mat_free(&X);
    wl_mat_free(&Y);
    wl_mat_free(&C);
    wl_mat_free(&P);
}

/* Sinkhorn gives the same bits for 1 and 2 threads (fixed row blocks, ordered
 * sums). (The cost matrix comes from BLAS, whose GEMM bits may depend on its
 * thread count, so it is built once.) */
static void test_thread_count_independent(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 10);
    size_t n = 300, m = 310;
    wl_mat X, Y, C, P1, P2;
    wl_mat_alloc(&X, n, 4);
    wl_mat_alloc(&Y, m, 4);
    wl_mat_alloc(&C, n, m);
    wl_mat_alloc(&P1, n, m);
    wl_mat_alloc(&P2, n, m);
    fill(&r, &X, 1.0);
    fill(&r, &Y, 1.0);
    int saved = wl_get_threads();
    WL_OK_OR_FAIL(wl_ot_cost(&X, &Y, WL_OT_SQEUCLIDEAN, &C));
    for (int mode = 0; mode < 2; mode++) {
        wl_ot_result r1, r2;
        wl_sinkhorn_opts o;
        wl_sinkhorn_opts_default(&o);
        o.eps = 0.5;
        o.mode = mode ? WL_SK_LOG : WL_SK_SCALING;
        wl_set_threads(1);
        WL_OK_OR_FAIL(wl_sinkhorn(&C, NULL, NULL, &o, &P1, NULL, NULL, &r1));
        wl_set_threads(2);
        WL_OK_OR_FAIL(wl_sinkhorn(&C, NULL, NULL, &o, &P2, NULL, NULL, &r2));
        assert_true(r1.converged && r1.iters == r2.iters);
        assert_memory_equal(&r1.cost, &r2.cost, sizeof(double));
        assert_memory_equal(P1.data, P2.data, n * m * sizeof(double));
    }
    wl_set_threads(saved);
    wl_mat_free(&X);
    wl_mat_free(&Y);
    wl_mat_free(&C);
    wl_mat_free(&P1);
    wl_mat_free(&P2);
}

/* A zero entry in a marginal: that row carries no mass, in both forms. */
static void test_sinkhorn_zero_mass(void **state) {
    (void)state;
    double cd[12] = {0.3, 1.0, 0.2, 0.8, 0.1, 0.9, 0.5, 0.5, 0.7, 0.2, 0.4, 0.6}, pd[12];
    double a[3] = {0.5, 0.0, 0.5}, b[4] = {0.25, 0.25, 0.25, 0.25};
    wl_mat C = wl_mat_view(cd, 3, 4), P = wl_mat_view(pd, 3, 4);
    for (int mode = 0; mode < 2; mode++) {
        wl_sinkhorn_opts o;
        wl_sinkhorn_opts_default(&o);
        o.eps = 0.1;
        o.mode = mode ? WL_SK_LOG : WL_SK_SCALING;
        wl_ot_result res;
        WL_OK_OR_FAIL(wl_sinkhorn(&C, a, b, &o, &P, NULL, NULL, &res));
        assert_true(res.converged);
        for (int j = 0; j < 4; j++) assert_true(pd[4 + j] == 0.0);
        check_marginals(&P, a, b, 1e-8);
    }
}

static void test_bad_inputs(void **state) {
    (void)state;
    double cd[4] = {0, 1, 1, 0}, a[2] = {0.5, 0.5}, b[2] = {0.5, 0.6}, neg[2] = {1.5, -0.5};
    wl_mat C = wl_mat_view(cd, 2, 2);
    wl_ot_result res;
    wl_sinkhorn_opts o;
    wl_sinkhorn_opts_default(&o);
    assert_int_equal(wl_emd(&C, a, b, 0, NULL, NULL, NULL, &res), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "different masses"));
    assert_int_equal(wl_sinkhorn(&C, a, b, &o, NULL, NULL, NULL, &res), WL_EINVAL);
    assert_int_equal(wl_emd(&C, neg, a, 0, NULL, NULL, NULL, &res), WL_EINVAL);
    o.eps = 0.0;
    assert_int_equal(wl_sinkhorn(&C, a, a, &o, NULL, NULL, NULL, &res), WL_EINVAL);
    cd[1] = NAN;
    assert_int_equal(wl_emd(&C, a, a, 0, NULL, NULL, NULL, &res), WL_ENUMERIC);
    size_t match[2];
    assert_int_equal(wl_assign(&C, match, NULL), WL_ENUMERIC);
    wl_mat tall = wl_mat_view(cd, 2, 1);
    assert_int_equal(wl_assign(&tall, match, NULL), WL_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cost_matrix),
        cmocka_unit_test(test_sinkhorn_2x2_closed_form),
        cmocka_unit_test(test_sinkhorn_marginals_and_forms_agree),
        cmocka_unit_test(test_emd_2x2),
        cmocka_unit_test(test_emd_and_assign_brute_force),
        cmocka_unit_test(test_emd_duality_certificate),
        cmocka_unit_test(test_sinkhorn_small_eps),
        cmocka_unit_test(test_thread_count_independent),
        cmocka_unit_test(test_sinkhorn_zero_mass),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
