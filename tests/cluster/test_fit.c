/* Hard and soft Bregman clustering: gemm assignment vs brute force, planted
 * recovery per divergence, monotone objectives, centre = mean, k-means++
 * reproducibility, empty clusters, input errors. */
#include "planted.h"
#include "cluster/internal.h"

static double quart_phi(const double *x, size_t d, void *ctx) {
    double s = 0.0;
    for (size_t j = 0; j < d; j++) s += 0.25 * x[j] * x[j] * x[j] * x[j] + x[j] * x[j];
    return s;
}
static void quart_grad(const double *x, size_t d, double *g, void *ctx) {
    for (size_t j = 0; j < d; j++) g[j] = x[j] * x[j] * x[j] + 2.0 * x[j];
}

enum { NDIV = 7 };
/* divergence w and the family its planted data comes from */
static wl_div *make_div(int w, size_t d, int *family) {
    wl_div *v = NULL;
    static const char *names[] = {"sqeuclid", "kl", "is", "logistic", "exp"};
    static const int fam[] = {0, 1, 2, 3, 4, 0, 0};
    *family = fam[w];
    if (w < 5) WL_OK_OR_FAIL(wl_div_from_name(names[w], &v));
    else if (w == 5) { /* A = diag(1, 2, ...) + 0.1 off-diagonal */
        wl_mat A;
        wl_mat_alloc(&A, d, d);
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++) WL_AT(&A, i, j) = i == j ? 1.0 + (double)i : 0.1;
        WL_OK_OR_FAIL(wl_div_new_mahalanobis(&A, &v));
        wl_mat_free(&A);
    } else WL_OK_OR_FAIL(wl_div_new_custom(quart_phi, quart_grad, NULL, "quartic", &v));
    return v;
}

static void test_assign_matches_brute_force(void **state) {
    const size_t k = 5, m = 40, d = 6, n = k * m;
    for (int w = 0; w < NDIV; w++) {
        int fam, truth[200], lab[200];
        wl_div *v = make_div(w, d, &fam);
        wl_mat X, C;
        pl_make(fam, k, m, d, 11 + (uint64_t)w, &X, truth);
        wl_mat_alloc(&C, k, d);
        for (size_t h = 0; h < k; h++) /* centres: rows 3h + 1 blended with row 3h + 2 */
            for (size_t j = 0; j < d; j++)
                WL_AT(&C, h, j) = 0.7 * WL_AT(&X, 3 * h + 1, j) + 0.3 * WL_AT(&X, 3 * h + 2, j);
        double dmin[200], obj, sum = 0.0;
        WL_OK_OR_FAIL(wl_cluster_assign(v, &X, &C, lab, dmin, &obj));
        for (size_t i = 0; i < n; i++) {
            size_t best = 0;
            double bd = INFINITY, dv[5];
            for (size_t h = 0; h < k; h++) {
                dv[h] = wl_div_eval(v, &WL_AT(&X, i, 0), &WL_AT(&C, h, 0), d);
                if (dv[h] < bd) bd = dv[h], best = h;
            }
            /* equal unless the two best are tied to rounding */
            if (lab[i] != (int)best) assert_true(fabs(dv[lab[i]] - bd) <= 1e-9 * fmax(1.0, bd));
            WL_ASSERT_CLOSE(dmin[i], bd, 1e-9);
            sum += bd;
        }
        WL_ASSERT_CLOSE(obj, sum / (double)n, 1e-9);
        wl_mat_free(&X);
        wl_mat_free(&C);
        wl_div_free(v);
    }
}

static void test_planted_recovery(void **state) {
    const size_t k = 4, m = 100, d = 6, n = k * m;
    for (int soft = 0; soft <= 1; soft++)
        for (int w = 0; w < NDIV; w++) {
            int fam, truth[400];
            wl_div *v = make_div(w, d, &fam);
            wl_mat X;
            pl_make(fam, k, m, d, 100 + (uint64_t)w, &X, truth);
            wl_cluster_opts o;
            wl_cluster_opts_default(&o);
            o.k = k;
            o.restarts = 3;
            o.soft = soft;
            /* the family's scale: exp(-beta D) ~ N(mu, 1) for beta = 1/2 with phi = |x|^2,
             * Poisson beta = 1, Gamma shape 100 beta = 100, Beta(60 m, 60 (1 - m)) ~ 60 */
            static const double betas[NDIV] = {0.5, 1, 100, 60, 20, 0.5, 0.5};
            o.beta = betas[w];
            wl_cluster_result res;
            wl_rng r;
            wl_rng_seed(&r, 7);
            WL_OK_OR_FAIL(wl_cluster_fit(v, &X, &o, &r, &res));
            double ari = wl_cluster_ari(res.labels, truth, n);
            if (ari < 0.99) fail_msg("%s soft=%d: ARI %.4f", wl_div_name(v), soft, ari);
            assert_true(res.converged);
            wl_cluster_result_free(&res);
            wl_mat_free(&X);
            wl_div_free(v);
        }
}

/* Hard objective never increases; at convergence on unchanged labels the
 * centres are exactly the cluster means. */
static void test_monotone_and_means(void **state) {
    const size_t k = 6, m = 50, d = 4, n = k * m;
    for (int w = 0; w < NDIV; w++) {
        int fam, truth[300];
        wl_div *v = make_div(w, d, &fam);
        wl_mat X;
        pl_make(fam, 3, 2 * m, d, 200 + (uint64_t)w, &X, truth); /* 3 groups, 6 clusters */
        wl_cluster_opts o;
        wl_cluster_opts_default(&o);
        o.k = k;
        o.tol = 0.0;
        o.max_iter = 500;
        wl_cluster_result res;
        wl_rng r;
        wl_rng_seed(&r, 9);
        WL_OK_OR_FAIL(wl_cluster_fit(v, &X, &o, &r, &res));
        assert_true(res.converged);
        assert_true(res.ntrace >= 2);
        for (size_t t = 1; t < res.ntrace; t++)
            assert_true(res.trace[t] <= res.trace[t - 1] * (1 + 1e-12));
        WL_ASSERT_CLOSE(res.objective, res.trace[res.ntrace - 1], 0);
        double *mean = calloc(k * d, sizeof *mean), cnt[6] = {0}, obj = 0.0;
        for (size_t i = 0; i < n; i++) {
            cnt[res.labels[i]] += 1;
            for (size_t j = 0; j < d; j++) mean[res.labels[i] * d + j] += WL_AT(&X, i, j);
            obj += wl_div_eval(v, &WL_AT(&X, i, 0), &res.centres[res.labels[i] * d], d);
        }
        for (size_t h = 0; h < k; h++) {
            assert_true(cnt[h] > 0);
            for (size_t j = 0; j < d; j++)
                WL_ASSERT_CLOSE(res.centres[h * d + j], mean[h * d + j] / cnt[h], 1e-12);
        }
        WL_ASSERT_CLOSE(res.objective, obj / (double)n, 1e-9);
        /* the mean minimizes sum_i D(x_i, c) over c: moving a centre costs */
        for (size_t h = 0; h < k; h++) {
            double *c = &res.centres[h * d], save = c[0], base = 0.0, moved = 0.0;
            for (size_t i = 0; i < n; i++)
                if (res.labels[i] == (int)h) base += wl_div_eval(v, &WL_AT(&X, i, 0), c, d);
            c[0] = save * (1 + 1e-3) + 1e-4;
            for (size_t i = 0; i < n; i++)
                if (res.labels[i] == (int)h) moved += wl_div_eval(v, &WL_AT(&X, i, 0), c, d);
            c[0] = save;
            assert_true(moved > base);
        }
        free(mean);
        wl_cluster_result_free(&res);
        wl_mat_free(&X);
        wl_div_free(v);
    }
}

static void test_soft_loglik_monotone(void **state) {
    const size_t k = 5, m = 60, d = 3;
    for (int w = 0; w < NDIV; w++) {
        int fam, truth[300];
        wl_div *v = make_div(w, d, &fam);
        wl_mat X;
        pl_make(fam, 3, m, d, 300 + (uint64_t)w, &X, truth); /* overlapping fit: 5 for 3 */
        wl_cluster_opts o;
        wl_cluster_opts_default(&o);
        o.k = k;
        o.soft = 1;
        o.tol = 1e-10;
        o.max_iter = 200;
        o.beta = w == 0 || w >= 5 ? 0.5 : 1.0; /* unit-variance Gaussians: beta = 1/2 */
        wl_cluster_result res;
        wl_rng r;
        wl_rng_seed(&r, 4);
        WL_OK_OR_FAIL(wl_cluster_fit(v, &X, &o, &r, &res));
        assert_true(res.ntrace >= 3);
        for (size_t t = 1; t < res.ntrace; t++)
            if (res.trace[t] < res.trace[t - 1] - 1e-12 * fabs(res.trace[t - 1]))
                fail_msg("%s: loglik fell %.17g -> %.17g at %zu", wl_div_name(v), res.trace[t - 1],
                         res.trace[t], t);
        double s = 0.0;
        for (size_t h = 0; h < k; h++) s += res.weights[h];
        WL_ASSERT_CLOSE(s, 1.0, 1e-12);
        wl_cluster_result_free(&res);
        wl_mat_free(&X);
        wl_div_free(v);
    }
}

static void test_soft_large_beta_is_hard(void **state) {
    int fam, truth[400];
    wl_div *v = make_div(1, 4, &fam);
    wl_mat X;
    pl_make(fam, 4, 100, 4, 77, &X, truth);
    wl_cluster_opts o;
    wl_cluster_opts_default(&o);
    o.k = 4;
    wl_cluster_result hard, soft;
    wl_rng r;
    wl_rng_seed(&r, 1);
    WL_OK_OR_FAIL(wl_cluster_fit(v, &X, &o, &r, &hard));
    o.soft = 1;
    o.beta = 1e4;
    wl_rng_seed(&r, 1);
    WL_OK_OR_FAIL(wl_cluster_fit(v, &X, &o, &r, &soft));
    WL_ASSERT_CLOSE(wl_cluster_ari(hard.labels, soft.labels, 400), 1.0, 0);
    WL_ASSERT_CLOSE(hard.objective, soft.objective, 1e-6);
    wl_cluster_result_free(&hard);
    wl_cluster_result_free(&soft);
    wl_mat_free(&X);
    wl_div_free(v);
}

static void test_reproducible(void **state) {
    int fam, truth[600];
    wl_div *v = make_div(2, 5, &fam);
    wl_mat X, C1, C2, C3;
    pl_make(fam, 6, 100, 5, 5, &X, truth);
    wl_mat_alloc(&C1, 6, 5);
    wl_mat_alloc(&C2, 6, 5);
    wl_mat_alloc(&C3, 6, 5);
    wl_rng r;
    wl_rng_seed(&r, 42);
    WL_OK_OR_FAIL(wl_cluster_seed(v, &X, 6, &r, &C1));
    wl_rng_seed(&r, 42);
    WL_OK_OR_FAIL(wl_cluster_seed(v, &X, 6, &r, &C2));
    wl_rng_seed(&r, 43);
    WL_OK_OR_FAIL(wl_cluster_seed(v, &X, 6, &r, &C3));
    assert_memory_equal(C1.data, C2.data, 30 * sizeof(double));
    assert_memory_not_equal(C1.data, C3.data, 30 * sizeof(double));
    /* every seed is a data row, no two alike */
    for (size_t h = 0; h < 6; h++) {
        int found = 0;
        for (size_t i = 0; i < 600 && !found; i++)
            found = memcmp(&WL_AT(&X, i, 0), &WL_AT(&C1, h, 0), 5 * sizeof(double)) == 0;
        assert_true(found);
        for (size_t l = 0; l < h; l++)
            assert_memory_not_equal(&WL_AT(&C1, h, 0), &WL_AT(&C1, l, 0), 5 * sizeof(double));
    }
    /* a whole fit is bit-identical from the seed, with 1 or 2 threads */
    wl_cluster_opts o;
    wl_cluster_opts_default(&o);
    o.k = 6;
    o.restarts = 2;
    wl_cluster_result a, b;
    int nt = wl_get_threads();
    wl_set_threads(1);
    wl_rng_seed(&r, 42);
    WL_OK_OR_FAIL(wl_cluster_fit(v, &X, &o, &r, &a));
    wl_set_threads(2);
    wl_rng_seed(&r, 42);
    WL_OK_OR_FAIL(wl_cluster_fit(v, &X, &o, &r, &b));
    wl_set_threads(nt);
    assert_memory_equal(a.labels, b.labels, 600 * sizeof(int));
    assert_memory_equal(a.centres, b.centres, 30 * sizeof(double));
    assert_memory_equal(&a.objective, &b.objective, sizeof(double));
    wl_cluster_result_free(&a);
    wl_cluster_result_free(&b);
    wl_mat_free(&X);
    wl_mat_free(&C1);
    wl_mat_free(&C2);
    wl_mat_free(&C3);
    wl_div_free(v);
}

/* Large enough for the parallel loops (several 256-row chunks): hard and
 * soft fits give the same bits on 1 and 2 threads. */
static void test_thread_count_independent(void **state) {
    int fam, *truth = malloc(4000 * sizeof *truth);
    wl_div *v = make_div(1, 24, &fam);
    wl_mat X;
    pl_make(fam, 8, 500, 24, 31, &X, truth);
    wl_cluster_opts o;
    wl_cluster_opts_default(&o);
    o.k = 8;
    o.max_iter = 15;
    int nt = wl_get_threads();
    for (int soft = 0; soft <= 1; soft++) {
        o.soft = soft;
        wl_cluster_result a, b;
        wl_rng r;
        wl_set_threads(1);
        wl_rng_seed(&r, 9);
        WL_OK_OR_FAIL(wl_cluster_fit(v, &X, &o, &r, &a));
        wl_set_threads(2);
        wl_rng_seed(&r, 9);
        WL_OK_OR_FAIL(wl_cluster_fit(v, &X, &o, &r, &b));
        assert_memory_equal(a.labels, b.labels, 4000 * sizeof(int));
        if (memcmp(a.centres, b.centres, 8 * 24 * sizeof(double)))
            fail_msg("soft=%d: centres differ between 1 and 2 threads", soft);
        assert_memory_equal(a.trace, b.trace, a.ntrace * sizeof(double));
        assert_int_equal(a.ntrace, b.ntrace);
        wl_cluster_result_free(&a);
        wl_cluster_result_free(&b);
    }
    wl_set_threads(nt);
    free(truth);
    wl_mat_free(&X);
    wl_div_free(v);
}

/* An empty cluster moves onto the row farthest from its centre. */
static void test_empty_cluster_reseed(void **state) {
    double x[8] = {0, 0, 1, 0, 0, 1, 9, 9}, c[4] = {0, 0, 5, 5};
    wl_mat X = wl_mat_view(x, 4, 2), C = wl_mat_view(c, 2, 2);
    int labels[4] = {0, 0, 0, 0};
    size_t counts[2];
    double dmin[4] = {0, 1, 1, 162};
    WL_OK_OR_FAIL(wl_cl_update_means(&X, labels, &C, counts));
    assert_int_equal(counts[1], 0);
    WL_ASSERT_CLOSE(c[0], 2.5, 1e-15);
    assert_int_equal(wl_cl_reseed_empty(&X, &C, counts, dmin), 1);
    WL_ASSERT_CLOSE(c[2], 9.0, 0);
    WL_ASSERT_CLOSE(c[3], 9.0, 0);
    assert_true(dmin[3] == 0.0);
}

static void test_fit_errors(void **state) {
    int fam, truth[20];
    wl_div *v = make_div(1, 2, &fam);
    wl_mat X;
    pl_make(1, 2, 10, 2, 1, &X, truth);
    wl_cluster_opts o;
    wl_cluster_opts_default(&o);
    wl_cluster_result res;
    wl_rng r;
    wl_rng_seed(&r, 1);
    o.k = 0;
    assert_int_equal(wl_cluster_fit(v, &X, &o, &r, &res), WL_EINVAL);
    o.k = 21;
    assert_int_equal(wl_cluster_fit(v, &X, &o, &r, &res), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "n = 20"));
    o.k = 2;
    o.tol = -1;
    assert_int_equal(wl_cluster_fit(v, &X, &o, &r, &res), WL_EINVAL);
    o.tol = 1e-6;
    WL_AT(&X, 7, 1) = 0.0;
    assert_int_equal(wl_cluster_fit(v, &X, &o, &r, &res), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "row 7, column 1"));
    assert_null(res.labels);
    wl_mat_free(&X);
    wl_div_free(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assign_matches_brute_force),
        cmocka_unit_test(test_planted_recovery),
        cmocka_unit_test(test_monotone_and_means),
        cmocka_unit_test(test_soft_loglik_monotone),
        cmocka_unit_test(test_soft_large_beta_is_hard),
        cmocka_unit_test(test_reproducible),
        cmocka_unit_test(test_thread_count_independent),
        cmocka_unit_test(test_empty_cluster_reseed),
        cmocka_unit_test(test_fit_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
