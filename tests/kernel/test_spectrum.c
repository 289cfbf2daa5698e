/* Kernel spectra and summaries: condition number, effective ranks, warnings,
 * gradient angles, kernel change, matrix-free products and Lanczos against a
 * dense LAPACK eigensolver. */
#include "wl_test.h"
#include "ntk_testmodel.h"

/* closed forms on a known spectrum */
static void test_summary_closed_form(void **st) {
    (void)st;
    double e[4] = {1, 2, 3, 4};
    wl_ntk_summary s;
    WL_OK_OR_FAIL(wl_ntk_summary_from_eigs(e, 4, &s));
    WL_ASSERT_CLOSE(s.cond, 4.0, 1e-15);
    WL_ASSERT_CLOSE(s.trace, 10.0, 1e-15);
    WL_ASSERT_CLOSE(s.eff_rank, 2.5, 1e-15);
    double H = 0;
    for (int i = 0; i < 4; i++) H -= e[i] / 10 * log(e[i] / 10);
    WL_ASSERT_CLOSE(s.eff_rank_entropy, exp(H), 1e-14);
    assert_int_equal(s.flags, 0);
    /* a flat spectrum has both effective ranks = n */
    double f[5] = {2, 2, 2, 2, 2};
    WL_OK_OR_FAIL(wl_ntk_summary_from_eigs(f, 5, &s));
    WL_ASSERT_CLOSE(s.eff_rank, 5.0, 1e-15);
    WL_ASSERT_CLOSE(s.eff_rank_entropy, 5.0, 1e-13);
    /* singular and numerically singular kernels are flagged */
    double g[3] = {-1e-17, 1, 3};
    WL_OK_OR_FAIL(wl_ntk_summary_from_eigs(g, 3, &s));
    assert_true(s.flags & WL_NTK_WARN_NONPOS);
    assert_true(isinf(s.cond));
    double h[3] = {1e-17, 1, 3};
    WL_OK_OR_FAIL(wl_ntk_summary_from_eigs(h, 3, &s));
    assert_true(s.flags == WL_NTK_WARN_ILLCOND);
    WL_ASSERT_CLOSE(s.cond, 3e17, 1e-12);
}

/* angles of a Gram matrix of vectors at known angles */
static void test_angles(void **st) {
    (void)st;
    /* unit vectors at 0, 30 and 100 degrees, scaled by 1, 2, 3 */
    double deg = atan(1.0) / 45.0, a[3] = {0, 30 * deg, 100 * deg}, r[3] = {1, 2, 3};
    wl_mat Kk;
    wl_mat_alloc(&Kk, 3, 3);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) WL_AT(&Kk, i, j) = r[i] * r[j] * cos(a[i] - a[j]);
    double mn, mean;
    WL_OK_OR_FAIL(wl_ntk_angles(&Kk, &mn, &mean));
    WL_ASSERT_CLOSE(mn, 30 * deg, 1e-12);
    WL_ASSERT_CLOSE(mean, (30 + 100 + 70) * deg / 3, 1e-12);
    wl_ntk_summary s;
    double eig[3];
    WL_OK_OR_FAIL(wl_ntk_summarize(&Kk, eig, &s));
    WL_ASSERT_CLOSE(s.angle_min, 30 * deg, 1e-12);
    assert_true(s.flags & (WL_NTK_WARN_NONPOS | WL_NTK_WARN_ILLCOND)); /* rank 2 */
    WL_ASSERT_CLOSE(s.trace, 14.0, 1e-12);
    /* a zero gradient has no angle */
    WL_AT(&Kk, 1, 1) = 0;
    assert_int_equal(wl_ntk_angles(&Kk, &mn, &mean), WL_ENUMERIC);
    assert_non_null(strstr(wl_errmsg(), "x_1"));
    wl_mat_free(&Kk);
}

typedef struct fx {
    wl_model *m;
    double *w;
    wl_mat X;
} fx;

static void fx_make(fx *f, size_t n, size_t k, int linear, uint64_t seed) {
    wl_rng r;
    wl_rng_seed(&r, seed);
    f->m = tm_new(4, 12, k, linear);
    f->w = malloc(f->m->dim * sizeof *f->w);
    tm_fill(&r, f->w, f->m->dim, 1.0);
    wl_mat_alloc(&f->X, n, 4);
    tm_fill(&r, f->X.data, n * 4, 1.0);
}

static void fx_free(fx *f) {
    wl_model_free(f->m);
    free(f->w);
    wl_mat_free(&f->X);
}

/* K v through vjp/jvp equals the dense kernel times v, both modes */
static void test_matvec(void **st) {
    (void)st;
    fx f;
    fx_make(&f, 9, 3, 0, 5);
    for (int mode = 0; mode < 2; mode++) {
        wl_ntk_opts o;
        wl_ntk_opts_default(&o);
        o.mode = (wl_ntk_mode)mode;
        wl_mat Kk = {0};
        WL_OK_OR_FAIL(wl_ntk_empirical(f.m, f.w, &f.X, NULL, &o, &Kk));
        size_t n = Kk.rows;
        double *v = malloc(n * sizeof *v), *y = malloc(n * sizeof *y), *ref = malloc(n * sizeof *ref);
        wl_rng r;
        wl_rng_seed(&r, 1);
        tm_fill(&r, v, n, 1.0);
        WL_OK_OR_FAIL(wl_ntk_matvec(f.m, f.w, &f.X, (wl_ntk_mode)mode, v, y));
        wl_gemv(0, 1.0, &Kk, v, 0.0, ref);
        assert_true(wl_test_rel_err(n, y, ref, 1e-300) < 1e-12);
        free(v);
        free(y);
        free(ref);
        wl_mat_free(&Kk);
    }
    assert_int_equal(wl_ntk_matvec(f.m, f.w, &f.X, WL_NTK_DIAG, f.w, f.w), WL_EINVAL);
    fx_free(&f);
}

/* Lanczos top and bottom eigenvalues against LAPACK on the dense kernel */
static void test_lanczos_vs_lapack(void **st) {
    (void)st;
    fx f;
    fx_make(&f, 30, 2, 0, 9);
    for (int mode = 0; mode < 2; mode++) {
        wl_ntk_opts o;
        wl_ntk_opts_default(&o);
        o.mode = (wl_ntk_mode)mode;
        wl_mat Kk = {0};
        WL_OK_OR_FAIL(wl_ntk_empirical(f.m, f.w, &f.X, NULL, &o, &Kk));
        size_t n = Kk.rows;
        double *eig = malloc(n * sizeof *eig), top[3], bot[2];
        WL_OK_OR_FAIL(wl_ntk_eigvals(&Kk, eig));
        wl_rng r;
        wl_rng_seed(&r, 2);
        wl_ntk_lanczos_info info;
        WL_OK_OR_FAIL(wl_ntk_lanczos(f.m, f.w, &f.X, (wl_ntk_mode)mode, 3, +1, 1e-10, 0, &r,
                                     top, &info));
        assert_true(info.converged);
        assert_true(info.iters > 0);
        for (int i = 0; i < 3; i++) WL_ASSERT_CLOSE(top[i], eig[n - 1 - i], 1e-9 * eig[n - 1]);
        WL_OK_OR_FAIL(wl_ntk_lanczos(f.m, f.w, &f.X, (wl_ntk_mode)mode, 2, -1, 1e-10, 0, &r,
                                     bot, &info));
        assert_true(info.converged);
        for (int i = 0; i < 2; i++)
            assert_true(fabs(bot[i] - eig[i]) <= 1e-9 * eig[n - 1]);
        free(eig);
        wl_mat_free(&Kk);
    }
    fx_free(&f);
}

/* the linear model's kernel does not move; the tanh network's does */
static void test_rel_change(void **st) {
    (void)st;
    fx f;
    fx_make(&f, 8, 2, 1, 3);
    double *w1 = malloc(f.m->dim * sizeof *w1), ch;
    wl_rng r;
    wl_rng_seed(&r, 8);
    for (size_t i = 0; i < f.m->dim; i++) w1[i] = f.w[i] + wl_rng_normal(&r);
    WL_OK_OR_FAIL(wl_ntk_rel_change(f.m, f.w, w1, &f.X, NULL, &ch));
    assert_true(ch < 1e-14);
    free(w1);
    fx_free(&f);
    fx_make(&f, 8, 2, 0, 3);
    w1 = malloc(f.m->dim * sizeof *w1);
    for (size_t i = 0; i < f.m->dim; i++) w1[i] = f.w[i] + 0.3 * wl_rng_normal(&r);
    WL_OK_OR_FAIL(wl_ntk_rel_change(f.m, f.w, w1, &f.X, NULL, &ch));
    wl_mat K0 = {0}, K1 = {0};
    WL_OK_OR_FAIL(wl_ntk_empirical(f.m, f.w, &f.X, NULL, NULL, &K0));
    WL_OK_OR_FAIL(wl_ntk_empirical(f.m, w1, &f.X, NULL, NULL, &K1));
    double num = 0, den = 0;
    for (size_t i = 0; i < 64; i++) {
        num += (K1.data[i] - K0.data[i]) * (K1.data[i] - K0.data[i]);
        den += K0.data[i] * K0.data[i];
    }
    assert_true(ch > 1e-3);
    WL_ASSERT_CLOSE(ch, sqrt(num / den), 1e-14);
    wl_mat bad;
    wl_mat_alloc(&bad, 8, 7);
    assert_int_equal(wl_ntk_rel_diff(&K0, &bad, &ch), WL_EINVAL);
    wl_mat_free(&bad);
    wl_mat_free(&K0);
    wl_mat_free(&K1);
    free(w1);
    fx_free(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_closed_form), cmocka_unit_test(test_angles),
        cmocka_unit_test(test_matvec),              cmocka_unit_test(test_lanczos_vs_lapack),
        cmocka_unit_test(test_rel_change),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
