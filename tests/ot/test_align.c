/* Procrustes, Wasserstein Procrustes (one- and two-sided) and OTDA on
 * planted problems: the map and the matching are recovered. */
#include "wl_test.h"

static void fill(wl_rng *r, wl_mat *m, double sd) {
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++) WL_AT(m, i, j) = sd * wl_rng_normal(r);
}

/* ||A^T A - I||_max */
static double orth_err(const wl_mat *A) {
    double e = 0;
    for (size_t a = 0; a < A->cols; a++)
        for (size_t b = 0; b < A->cols; b++) {
            double s = 0;
            for (size_t i = 0; i < A->rows; i++) s += WL_AT(A, i, a) * WL_AT(A, i, b);
            e = fmax(e, fabs(s - (a == b)));
        }
    return e;
}

static double det3(const wl_mat *Q) {
    double (*a)[3] = (double (*)[3])Q->data;
    return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
           a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
           a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
}

static double fro_diff(const wl_mat *A, const wl_mat *B) {
    double s = 0;
    for (size_t i = 0; i < A->rows; i++)
        for (size_t j = 0; j < A->cols; j++) s += pow(WL_AT(A, i, j) - WL_AT(B, i, j), 2);
    return sqrt(s);
}

/* Y = X Q0 + noise (rows in the same order). */
static void planted(wl_rng *r, wl_mat *X, wl_mat *Y, wl_mat *Q0, double noise) {
    fill(r, X, 1.0);
    WL_OK_OR_FAIL(wl_random_orthogonal(r, Q0));
    WL_OK_OR_FAIL(wl_gemm(0, 0, 1.0, X, Q0, 0.0, Y));
    for (size_t i = 0; i < Y->rows * Y->cols; i++) Y->data[i] += noise * wl_rng_normal(r);
}

static void test_procrustes_recovers_map(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 11);
    wl_mat X, Y, Q0, Q, R;
    wl_mat_alloc(&X, 50, 6);
    wl_mat_alloc(&Y, 50, 6);
    wl_mat_alloc(&Q0, 6, 6);
    wl_mat_alloc(&Q, 6, 6);
    wl_mat_alloc(&R, 6, 6);
    planted(&r, &X, &Y, &Q0, 0.0);
    WL_OK_OR_FAIL(wl_procrustes(&X, &Y, 0, &Q));
    assert_true(fro_diff(&Q, &Q0) < 1e-12);
    planted(&r, &X, &Y, &Q0, 1e-3);
    WL_OK_OR_FAIL(wl_procrustes(&X, &Y, 0, &Q));
    assert_true(fro_diff(&Q, &Q0) < 1e-2);
    assert_true(orth_err(&Q) < 1e-12);
    /* optimality: no random orthogonal map does better */
    wl_mat XQ;
    wl_mat_alloc(&XQ, 50, 6);
    wl_gemm(0, 0, 1.0, &X, &Q, 0.0, &XQ);
    double best = fro_diff(&XQ, &Y);
    for (int t = 0; t < 50; t++) {
        WL_OK_OR_FAIL(wl_random_orthogonal(&r, &R));
        assert_true(orth_err(&R) < 1e-12);
        wl_gemm(0, 0, 1.0, &X, &R, 0.0, &XQ);
        assert_true(fro_diff(&XQ, &Y) >= best);
    }
    wl_mat_free(&XQ);
    wl_mat_free(&X);
    wl_mat_free(&Y);
    wl_mat_free(&Q0);
    wl_mat_free(&Q);
    wl_mat_free(&R);
}

/* A planted reflection: the unconstrained map has det -1, the rotation-only
 * map det +1 and a larger residual; a planted rotation is recovered. */
static void test_procrustes_rotation_only(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 12);
    wl_mat X, Y, Q0, Q, Qr, XQ;
    wl_mat_alloc(&X, 40, 3);
    wl_mat_alloc(&Y, 40, 3);
    wl_mat_alloc(&Q0, 3, 3);
    wl_mat_alloc(&Q, 3, 3);
    wl_mat_alloc(&Qr, 3, 3);
    wl_mat_alloc(&XQ, 40, 3);
    int seen_reflection = 0, seen_rotation = 0;
    for (int t = 0; t < 8; t++) {
        planted(&r, &X, &Y, &Q0, 0.01);
        WL_OK_OR_FAIL(wl_procrustes(&X, &Y, 0, &Q));
        WL_OK_OR_FAIL(wl_procrustes(&X, &Y, 1, &Qr));
        WL_ASSERT_CLOSE(det3(&Qr), 1.0, 1e-12);
        assert_true(orth_err(&Qr) < 1e-12);
        if (det3(&Q0) < 0) {
            seen_reflection = 1;
            WL_ASSERT_CLOSE(det3(&Q), -1.0, 1e-12);
            wl_gemm(0, 0, 1.0, &X, &Q, 0.0, &XQ);
            double e1 = fro_diff(&XQ, &Y);
            wl_gemm(0, 0, 1.0, &X, &Qr, 0.0, &XQ);
            assert_true(fro_diff(&XQ, &Y) > e1 + 1.0);
        } else {
            seen_rotation = 1;
            assert_true(fro_diff(&Qr, &Q0) < 1e-2);
        }
    }
    assert_true(seen_reflection && seen_rotation);
    wl_mat bad;
    wl_mat_alloc(&bad, 39, 3);
    assert_int_equal(wl_procrustes(&X, &bad, 0, &Q), WL_EINVAL);
    wl_mat_free(&bad);
    wl_mat_free(&X);
    wl_mat_free(&Y);
    wl_mat_free(&Q0);
    wl_mat_free(&Q);
    wl_mat_free(&Qr);
    wl_mat_free(&XQ);
}

/* Y = Pi (X Q0) + noise: shuffled rows. Returns the share of rows matched to
 * their planted partner; checks ||Q - Q0||. */
static double run_wproc(uint64_t seed, size_t n, size_t d, double noise, const wl_wproc_opts *o,
                        int clustered, double *map_err) {
    wl_rng r;
    wl_rng_seed(&r, seed);
    wl_mat X, Y0, Y, Q0, Q, P;
    wl_mat_alloc(&X, n, d);
    wl_mat_alloc(&Y0, n, d);
    wl_mat_alloc(&Y, n, d);
    wl_mat_alloc(&Q0, d, d);
    wl_mat_alloc(&Q, d, d);
    wl_mat_alloc(&P, n, n);
    planted(&r, &X, &Y0, &Q0, noise);
    if (clustered) { /* 4 clusters: an asymmetric cloud, as real embeddings are */
        double ctr[4][8];
        for (int k = 0; k < 4; k++)
            for (size_t j = 0; j < d; j++) ctr[k][j] = 2.0 * wl_rng_normal(&r);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < d; j++) WL_AT(&X, i, j) = ctr[i % 4][j] + 0.5 * wl_rng_normal(&r);
        WL_OK_OR_FAIL(wl_gemm(0, 0, 1.0, &X, &Q0, 0.0, &Y0));
        for (size_t i = 0; i < n * d; i++) Y0.data[i] += noise * wl_rng_normal(&r);
    }
    size_t *perm = malloc(n * sizeof *perm), *match = malloc(n * sizeof *match);
    wl_rng_permutation(&r, perm, n);
    for (size_t i = 0; i < n; i++) memcpy(Y.data + perm[i] * d, Y0.data + i * d, d * sizeof(double));
    wl_wproc_result res;
    WL_OK_OR_FAIL(wl_wproc(&X, &Y, o, &r, &Q, &P, &res));
    WL_OK_OR_FAIL(wl_plan_match(&P, match));
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) ok += match[i] == perm[i];
    *map_err = fro_diff(&Q, &Q0);
    assert_true(orth_err(&Q) < 1e-10);
    free(perm);
    free(match);
    wl_mat_free(&X);
    wl_mat_free(&Y0);
    wl_mat_free(&Y);
    wl_mat_free(&Q0);
    wl_mat_free(&Q);
    wl_mat_free(&P);
    return (double)ok / (double)n;
}

static void test_wproc_planted(void **state) {
    (void)state;
    wl_wproc_opts o;
    wl_wproc_opts_default(&o);
    double err, acc;
    /* relaxation start, exact transport: isotropic Gaussian, where the
     * population objective is flat in Q and only the sample's pairwise
     * structure identifies the map */
    acc = run_wproc(21, 80, 4, 0.01, &o, 0, &err);
    assert_true(acc == 1.0);
    assert_true(err < 0.02);
    acc = run_wproc(24, 80, 5, 0.01, &o, 1, &err);
    assert_true(acc == 1.0);
    assert_true(err < 0.02);
    o.relax = 0;
    o.restarts = 10;
    acc = run_wproc(22, 80, 4, 0.01, &o, 1, &err); /* random restarts only */
    print_message("restarts: acc %.3f err %.3g\n", acc, err);
    assert_true(acc == 1.0);
    assert_true(err < 0.02);
    o.eps = 0.01; /* Sinkhorn transport step */
    o.restarts = 4;
    o.iters = 30;
    o.sk.tol = 1e-7;
    acc = run_wproc(23, 60, 3, 0.01, &o, 1, &err);
    print_message("sinkhorn: acc %.3f err %.3g\n", acc, err);
    assert_true(acc == 1.0);
    assert_true(err < 0.05);
}

/* Two-sided: Y = Pi X A with A (d1 x d2) orthonormal rows: Y lives in a
 * larger space. X Q1 and Y Q2 must coincide after matching. */
static void test_wproc_two_sided(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 31);
    size_t n = 70, d1 = 3, d2 = 5;
    wl_mat X, Y0, Y, R, A, Q1, Q2, P, XQ, YQ;
    wl_mat_alloc(&X, n, d1);
    wl_mat_alloc(&Y0, n, d2);
    wl_mat_alloc(&Y, n, d2);
    wl_mat_alloc(&R, d2, d2);
    wl_mat_alloc(&Q1, d1, d1);
    wl_mat_alloc(&Q2, d2, d1);
    wl_mat_alloc(&P, n, n);
    wl_mat_alloc(&XQ, n, d1);
    wl_mat_alloc(&YQ, n, d1);
    fill(&r, &X, 1.0);
    WL_OK_OR_FAIL(wl_random_orthogonal(&r, &R));
    A = wl_mat_rows(&R, 0, d1); /* d1 x d2, orthonormal rows */
    WL_OK_OR_FAIL(wl_gemm(0, 0, 1.0, &X, &A, 0.0, &Y0));
    for (size_t i = 0; i < n * d2; i++) Y0.data[i] += 0.005 * wl_rng_normal(&r);
    size_t perm[70], match[70];
    wl_rng_permutation(&r, perm, n);
    for (size_t i = 0; i < n; i++) memcpy(Y.data + perm[i] * d2, Y0.data + i * d2, d2 * sizeof(double));
    wl_wproc_opts o;
    wl_wproc_opts_default(&o);
    o.restarts = 4;
    wl_wproc_result res;
    WL_OK_OR_FAIL(wl_wproc2(&X, &Y, &o, &r, &Q1, &Q2, &P, &res));
    assert_true(orth_err(&Q1) < 1e-10 && orth_err(&Q2) < 1e-10);
    WL_OK_OR_FAIL(wl_plan_match(&P, match));
    for (size_t i = 0; i < n; i++) assert_true(match[i] == perm[i]);
    /* residual of the matched, mapped points is at the noise level */
    wl_gemm(0, 0, 1.0, &X, &Q1, 0.0, &XQ);
    wl_gemm(0, 0, 1.0, &Y, &Q2, 0.0, &YQ);
    double s = 0, tot = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < d1; c++) {
            s += pow(WL_AT(&XQ, i, c) - WL_AT(&YQ, perm[i], c), 2);
            tot += pow(WL_AT(&XQ, i, c), 2);
        }
    assert_true(sqrt(s / tot) < 0.02);
    WL_ASSERT_CLOSE(res.cost, s / (double)n, 1e-9);
    /* one-sided refuses different dimensions */
    assert_int_equal(wl_wproc(&X, &Y, &o, &r, &Q1, &P, &res), WL_EINVAL);
    wl_mat *ms[] = {&X, &Y0, &Y, &R, &Q1, &Q2, &P, &XQ, &YQ};
    for (size_t i = 0; i < 9; i++) wl_mat_free(ms[i]);
}

/* Two-sided into a common k = 2 < min(d1, d2): the maps have orthonormal
 * columns and, at the returned plan, reach the maximum of tr(Q1^T M Q2) over
 * such maps, the sum of the top-k singular values of M = X^T P Y. */
static void test_wproc_two_sided_subspace(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 32);
    size_t n = 30, d1 = 3, d2 = 5, k = 2;
    wl_mat X, Y, Q1, Q2, P, PY, M, MQ2;
    wl_mat_alloc(&X, n, d1);
    wl_mat_alloc(&Y, n, d2);
    wl_mat_alloc(&Q1, d1, k);
    wl_mat_alloc(&Q2, d2, k);
    wl_mat_alloc(&P, n, n);
    wl_mat_alloc(&PY, n, d2);
    wl_mat_alloc(&M, d1, d2);
    wl_mat_alloc(&MQ2, d1, k);
    fill(&r, &X, 1.0);
    fill(&r, &Y, 1.0);
    wl_wproc_opts o;
    wl_wproc_opts_default(&o);
    o.k = k;
    o.restarts = 2;
    wl_wproc_result res;
    WL_OK_OR_FAIL(wl_wproc2(&X, &Y, &o, &r, &Q1, &Q2, &P, &res));
    assert_true(orth_err(&Q1) < 1e-10 && orth_err(&Q2) < 1e-10);
    wl_gemm(0, 0, 1.0, &P, &Y, 0.0, &PY);
    wl_gemm(1, 0, 1.0, &X, &PY, 0.0, &M);
    wl_gemm(0, 0, 1.0, &M, &Q2, 0.0, &MQ2);
    double tr = 0, sv[3];
    for (size_t c = 0; c < k; c++)
        for (size_t i = 0; i < d1; i++) tr += WL_AT(&Q1, i, c) * WL_AT(&MQ2, i, c);
    wl_mat U, Vt;
    wl_mat_alloc(&U, d1, d1);
    wl_mat_alloc(&Vt, d1, d2);
    WL_OK_OR_FAIL(wl_svd(&M, &U, sv, &Vt));
    wl_mat_free(&U);
    wl_mat_free(&Vt);
    WL_ASSERT_CLOSE(tr, sv[0] + sv[1], 1e-9);
    o.k = 4; /* > min(d1, d2) */
    assert_int_equal(wl_wproc2(&X, &Y, &o, &r, &Q1, &Q2, &P, &res), WL_EINVAL);
    wl_mat *ms[] = {&X, &Y, &Q1, &Q2, &P, &PY, &M, &MQ2};
    for (size_t i = 0; i < 8; i++) wl_mat_free(ms[i]);
}

/* Two elongated classes; the target is the source rotated by 35 degrees and
 * shifted. LDA trained on the source misreads the target; OTDA does not. */
static void test_otda_improves_accuracy(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 41);
    size_t n = 200, d = 3;
    wl_mat Xs, Xt;
    wl_mat_alloc(&Xs, n, d);
    wl_mat_alloc(&Xt, n, d);
    int ys[200], yt[200], pred[200];
    double th = 35.0 * 3.14159265358979 / 180.0, c = cos(th), s = sin(th);
    for (size_t i = 0; i < n; i++) {
        int k = (int)(i % 2);
        double x0 = (k ? 2.0 : -2.0) + 0.6 * wl_rng_normal(&r), x1 = 3.0 * wl_rng_normal(&r);
        double x2 = wl_rng_normal(&r);
        ys[i] = k;
        WL_AT(&Xs, i, 0) = x0;
        WL_AT(&Xs, i, 1) = x1;
        WL_AT(&Xs, i, 2) = x2;
        double t0 = (k ? 2.0 : -2.0) + 0.6 * wl_rng_normal(&r), t1 = 3.0 * wl_rng_normal(&r);
        yt[i] = k;
        WL_AT(&Xt, i, 0) = c * t0 - s * t1 + 2.5;
        WL_AT(&Xt, i, 1) = s * t0 + c * t1 + 1.0;
        WL_AT(&Xt, i, 2) = wl_rng_normal(&r);
    }
    WL_OK_OR_FAIL(wl_lda_predict(&Xs, ys, 2, &Xt, 0, 1e-3, pred));
    size_t base = 0, ada = 0;
    for (size_t i = 0; i < n; i++) base += pred[i] == yt[i];
    wl_otda_opts o;
    wl_otda_opts_default(&o);
    o.iters = 0; /* plain transport in the input metric, no LDA rounds */
    WL_OK_OR_FAIL(wl_otda(&Xs, ys, 2, &Xt, &o, pred));
    size_t plain = 0;
    for (size_t i = 0; i < n; i++) plain += pred[i] == yt[i];
    wl_otda_opts_default(&o);
    WL_OK_OR_FAIL(wl_otda(&Xs, ys, 2, &Xt, &o, pred));
    for (size_t i = 0; i < n; i++) ada += pred[i] == yt[i];
    double acc0 = (double)base / n, acc_ot = (double)plain / n, acc1 = (double)ada / n;
    print_message("target accuracy: LDA on source %.3f, plain OT %.3f, OTDA %.3f\n", acc0, acc_ot, acc1);
    assert_true(acc0 < 0.75);
    assert_true(acc1 > acc_ot + 0.05);
    assert_true(acc1 > 0.85);
    o.eps = 0.05; /* entropic transport */
    WL_OK_OR_FAIL(wl_otda(&Xs, ys, 2, &Xt, &o, pred));
    ada = 0;
    for (size_t i = 0; i < n; i++) ada += pred[i] == yt[i];
    print_message("OTDA (Sinkhorn) %.3f\n", (double)ada / n);
    assert_true((double)ada / n > 0.85);
    ys[0] = 5;
    assert_int_equal(wl_otda(&Xs, ys, 2, &Xt, &o, pred), WL_EINVAL);
    wl_mat_free(&Xs);
    wl_mat_free(&Xt);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_procrustes_recovers_map),
        cmocka_unit_test(test_procrustes_rotation_only),
        cmocka_unit_test(test_wproc_planted),
        cmocka_unit_test(test_wproc_two_sided),
        cmocka_unit_test(test_wproc_two_sided_subspace),
        cmocka_unit_test(test_otda_improves_accuracy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
