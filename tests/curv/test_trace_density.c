/* Power iteration, Hutchinson trace and stochastic Lanczos quadrature against
 * known spectra and closed forms. */
#include "dense_op.h"

static void make(wl_mat *A, const double *lam, size_t p, uint64_t seed) {
    wl_rng r;
    wl_rng_seed(&r, seed);
    wl_mat_alloc(A, p, p);
    known_spectrum(&r, lam, p, A);
}

static void test_power_psd_and_indefinite(void **state) {
    (void)state;
    const size_t p = 100;
    double lam[100];
    for (size_t i = 0; i < p; i++) lam[i] = 0.5 * pow(0.8, (double)i) + 0.01;
    wl_mat A;
    make(&A, lam, p, 1);
    wl_linop H = {dense_mv, &A, p};
    wl_power_opts o;
    wl_power_opts_default(&o);
    o.tol = 1e-10;
    wl_rng r;
    wl_rng_seed(&r, 2);
    wl_power_result res;
    double *v = malloc(p * sizeof(double)), *y = malloc(p * sizeof(double));
    WL_OK_OR_FAIL(wl_power(&H, &o, &r, v, &res));
    assert_true(res.converged);
    WL_ASSERT_CLOSE(res.value, lam[0], 1e-12);
    wl_gemv(0, 1.0, &A, v, 0.0, y);
    wl_axpy(p, -res.value, v, y);
    assert_true(wl_nrm2(p, y) <= 1e-9 * lam[0]);
    assert_int_equal(res.matvecs, res.iterations);
    wl_mat_free(&A);
    /* indefinite: |lambda_min| = 3 > lambda_max = 2, and +-2.9 nearby */
    for (size_t i = 0; i < p; i++) lam[i] = -1.0 + 2.0 * (double)i / (double)p;
    lam[0] = -3.0;
    lam[1] = 2.0;
    lam[2] = 2.5;
    make(&A, lam, p, 3);
    H.ctx = &A;
    o.squared = 1;
    WL_OK_OR_FAIL(wl_power(&H, &o, &r, v, &res));
    assert_true(res.converged);
    WL_ASSERT_CLOSE(res.value, 3.0, 1e-10);
    assert_int_equal(res.matvecs, 2 * res.iterations);
    /* the cap stops it unconverged */
    o.max_iter = 2;
    WL_OK_OR_FAIL(wl_power(&H, &o, &r, NULL, &res));
    assert_false(res.converged);
    assert_int_equal(res.iterations, 2);
    o.max_iter = 0;
    assert_int_equal(wl_power(&H, &o, &r, NULL, &res), WL_EINVAL);
    free(v);
    free(y);
    wl_mat_free(&A);
}

static void test_hutchinson(void **state) {
    (void)state;
    const size_t p = 80;
    double lam[80], tr = 0;
    for (size_t i = 0; i < p; i++) tr += lam[i] = sin((double)i) + 0.3;
    wl_mat A;
    make(&A, lam, p, 4);
    wl_linop H = {dense_mv, &A, p};
    wl_rng r;
    wl_rng_seed(&r, 5);
    wl_trace_result res;
    WL_OK_OR_FAIL(wl_hutchinson(&H, 400, 0.0, &r, &res));
    assert_int_equal(res.probes, 400);
    assert_true(res.converged);
    assert_true(res.std_err > 0);
    /* within 4 standard errors, and the standard error is of the right size:
     * Var(z^T A z) = 2 sum_{i != j} A_ij^2 for Rademacher z */
    assert_true(fabs(res.trace - tr) <= 4 * res.std_err);
    double off = 0;
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < p; j++)
            if (i != j) off += WL_AT(&A, i, j) * WL_AT(&A, i, j);
    double se = sqrt(2 * off / 400.0);
    assert_true(res.std_err > 0.7 * se && res.std_err < 1.3 * se);
    /* a diagonal matrix: z^T D z = tr D exactly, standard error 0, early stop */
    wl_mat_zero(&A);
    for (size_t i = 0; i < p; i++) WL_AT(&A, i, i) = lam[i];
    WL_OK_OR_FAIL(wl_hutchinson(&H, 400, 1e-6, &r, &res));
    WL_ASSERT_CLOSE(res.trace, tr, 1e-12);
    assert_true(res.std_err < 1e-12);
    assert_int_equal(res.probes, 4);
    assert_true(res.converged);
    assert_int_equal(wl_hutchinson(&H, 0, 0.0, &r, &res), WL_EINVAL);
    wl_mat_free(&A);
}

/* trapezoid rule on the grid */
static double integrate(const wl_slq_result *s, int power, double shift) {
    double acc = 0;
    for (size_t g = 1; g < s->n_grid; g++) {
        double t0 = s->grid[g - 1] - shift, t1 = s->grid[g] - shift;
        acc += 0.5 * (s->grid[g] - s->grid[g - 1]) *
               (pow(t0, power) * s->density[g - 1] + pow(t1, power) * s->density[g]);
    }
    return acc;
}

/* In the eigenbasis of a diagonal matrix v^T A^q v = tr(A^q)/p exactly for
 * v = z/sqrt(p), so the quadrature (exact to degree 2m-1) gives the exact
 * moments: this pins the weights to tau^2 and the 1/p normalization. */
static void test_slq_exact_moments_diagonal(void **state) {
    (void)state;
    const size_t p = 300;
    wl_mat A;
    wl_mat_alloc(&A, p, p);
    double m1 = 0, m2 = 0;
    for (size_t i = 0; i < p; i++) {
        double l = (i % 7 == 0) ? 5.0 + 0.01 * (double)i : cos((double)i);
        WL_AT(&A, i, i) = l;
        m1 += l / (double)p;
        m2 += l * l / (double)p;
    }
    wl_linop H = {dense_mv, &A, p};
    wl_slq_opts o;
    wl_slq_opts_default(&o);
    o.n_vectors = 3;
    o.steps = 20;
    o.n_grid = 4000;
    wl_rng r;
    wl_rng_seed(&r, 6);
    wl_slq_result s;
    WL_OK_OR_FAIL(wl_slq(&H, &o, &r, &s));
    WL_ASSERT_CLOSE(s.moment1, m1, 1e-12);
    WL_ASSERT_CLOSE(s.moment2, m2, 1e-12);
    for (size_t l = 0; l < s.n_vectors; l++) {
        double sw = 0;
        for (size_t j = 0; j < s.steps; j++) sw += s.weights[l * s.steps + j];
        WL_ASSERT_CLOSE(sw, 1.0, 1e-12);
    }
    assert_int_equal(s.matvecs, 3 * 20);
    /* the density integrates to 1; its mean is the first moment and its
     * variance adds sigma^2 (Gaussian broadening) */
    WL_ASSERT_CLOSE(integrate(&s, 0, 0), 1.0, 1e-6);
    WL_ASSERT_CLOSE(integrate(&s, 1, 0), m1, 1e-6);
    WL_ASSERT_CLOSE(integrate(&s, 2, 0), m2 + s.sigma * s.sigma, 1e-6);
    /* Ritz values lie inside [lambda_min, lambda_max] and the extreme ones
     * approach the ends (43 eigenvalues 0.07 apart at the top, 20 steps) */
    assert_true(s.lambda_max <= 5.0 + 0.01 * 294 + 1e-12 && s.lambda_max > 7.8);
    assert_true(s.lambda_min >= -1.0 - 1e-12 && s.lambda_min < -0.9);
    wl_slq_result_free(&s);
    wl_mat_free(&A);
}

/* A rotated matrix: moments unbiased, within a few standard errors; with
 * steps = p the nodes are the eigenvalues themselves. */
static void test_slq_rotated(void **state) {
    (void)state;
    const size_t p = 60;
    double lam[60], m1 = 0, m2 = 0;
    for (size_t i = 0; i < p; i++) {
        lam[i] = i < 6 ? 10.0 + (double)i : 0.1 * (double)(i % 10) - 0.3;
        m1 += lam[i] / (double)p;
        m2 += lam[i] * lam[i] / (double)p;
    }
    wl_mat A;
    make(&A, lam, p, 7);
    wl_linop H = {dense_mv, &A, p};
    wl_slq_opts o;
    wl_slq_opts_default(&o);
    o.n_vectors = 200;
    o.steps = 12;
    wl_rng r;
    wl_rng_seed(&r, 8);
    wl_slq_result s;
    WL_OK_OR_FAIL(wl_slq(&H, &o, &r, &s));
    /* per-start estimates vary with sd ~ sqrt(2 sum_{i!=j} A_ij^2)/p; take 5 sd / sqrt(200) */
    double off = 0;
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < p; j++)
            if (i != j) off += WL_AT(&A, i, j) * WL_AT(&A, i, j);
    double se1 = sqrt(2 * off) / (double)p / sqrt(200.0);
    assert_true(fabs(s.moment1 - m1) <= 5 * se1);
    assert_true(fabs(s.moment2 - m2) <= 0.1 * m2);
    WL_ASSERT_CLOSE(s.lambda_max, 15.0, 1e-8);
    WL_ASSERT_CLOSE(integrate(&s, 0, 0), 1.0, 1e-6);
    wl_slq_result_free(&s);
    /* steps = p: a full Lanczos run; every node is an eigenvalue */
    o.n_vectors = 1;
    o.steps = 100; /* capped at p */
    WL_OK_OR_FAIL(wl_slq(&H, &o, &r, &s));
    assert_int_equal(s.steps, p);
    for (size_t j = 0; j < s.steps; j++) {
        if (s.weights[j] == 0) continue;
        double best = INFINITY;
        for (size_t i = 0; i < p; i++) best = fmin(best, fabs(s.nodes[j] - lam[i]));
        assert_true(best < 1e-8);
    }
    wl_slq_result_free(&s);
    o.steps = 0;
    assert_int_equal(wl_slq(&H, &o, &r, &s), WL_EINVAL);
    wl_mat_free(&A);
}

static void test_slq_svg(void **state) {
    (void)state;
    const size_t p = 30;
    wl_mat A;
    wl_mat_alloc(&A, p, p);
    for (size_t i = 0; i < p; i++) WL_AT(&A, i, i) = (double)i;
    wl_linop H = {dense_mv, &A, p};
    wl_rng r;
    wl_rng_seed(&r, 9);
    wl_slq_result s;
    WL_OK_OR_FAIL(wl_slq(&H, NULL, &r, &s));
    char dir[256], path[512];
    assert_non_null(wl_test_tmpdir(dir, sizeof dir));
    snprintf(path, sizeof path, "%s/density.svg", dir);
    WL_OK_OR_FAIL(wl_slq_svg(&s, "test density", path));
    char *svg = wl_test_slurp(path, NULL);
    assert_non_null(svg);
    assert_non_null(strstr(svg, "<svg"));
    assert_non_null(strstr(svg, "test density"));
    free(svg);
    remove(path);
    remove(dir);
    wl_slq_result_free(&s);
    wl_mat_free(&A);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_power_psd_and_indefinite),
        cmocka_unit_test(test_hutchinson),
        cmocka_unit_test(test_slq_exact_moments_diagonal),
        cmocka_unit_test(test_slq_rotated),
        cmocka_unit_test(test_slq_svg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
