/* Empirical tangent kernel, generic methods: the Jacobian and NTK-vector
 * product methods against a kernel built from a finite-difference Jacobian,
 * against each other in every mode, tile size and thread layout, and the
 * linear model's closed form. */
#include "wl_test.h"
#include "ntk_testmodel.h"

enum { D = 5, M = 7, K = 3 };

/* J (n k x p), row i k + c = d f_c(x_i)/dw by central differences of forward */
static void fd_jacobian(wl_model *m, const double *w, const wl_mat *X, double *J) {
    size_t n = X->rows, k = m->n_out, p = m->dim;
    double *wp = malloc(p * sizeof *wp);
    wl_mat Fp, Fm;
    wl_mat_alloc(&Fp, n, k);
    wl_mat_alloc(&Fm, n, k);
    memcpy(wp, w, p * sizeof *wp);
    for (size_t q = 0; q < p; q++) {
        double h = 1e-5 * fmax(1.0, fabs(w[q]));
        wp[q] = w[q] + h;
        wl_model_forward(m, wp, X, &Fp);
        wp[q] = w[q] - h;
        wl_model_forward(m, wp, X, &Fm);
        wp[q] = w[q];
        for (size_t i = 0; i < n * k; i++) J[i * p + q] = (Fp.data[i] - Fm.data[i]) / (2 * h);
    }
    free(wp);
    wl_mat_free(&Fp);
    wl_mat_free(&Fm);
}

/* reference kernel in the given mode from two FD Jacobians */
static void fd_kernel(wl_model *m, const double *w, const wl_mat *X1, const wl_mat *X2,
                      wl_ntk_mode mode, wl_mat *R) {
    size_t k = m->n_out, p = m->dim, n1 = X1->rows, n2 = X2->rows;
    double *J1 = malloc(n1 * k * p * sizeof *J1), *J2 = malloc(n2 * k * p * sizeof *J2);
    fd_jacobian(m, w, X1, J1);
    fd_jacobian(m, w, X2, J2);
    size_t rows = mode == WL_NTK_FULL ? n1 * k : n1;
    size_t cols = mode == WL_NTK_FULL ? n2 * k : mode == WL_NTK_DIAG ? k : n2;
    wl_mat_alloc(R, rows, cols);
    for (size_t i = 0; i < n1; i++)
        for (size_t c = 0; c < k; c++) {
            const double *a = J1 + (i * k + c) * p;
            if (mode == WL_NTK_DIAG) {
                WL_AT(R, i, c) = wl_dot(p, a, a);
                continue;
            }
            for (size_t j = 0; j < n2; j++)
                for (size_t c2 = 0; c2 < k; c2++) {
                    double v = wl_dot(p, a, J2 + (j * k + c2) * p);
                    if (mode == WL_NTK_FULL) WL_AT(R, i * k + c, j * k + c2) = v;
                    else if (c == c2) WL_AT(R, i, j) += v;
                }
        }
    free(J1);
    free(J2);
}

typedef struct fixture {
    wl_model *m;
    double *w;
    wl_mat X1, X2;
} fixture;

static void fixture_make(fixture *f, int linear, size_t n1, size_t n2) {
    wl_rng r;
    wl_rng_seed(&r, 7);
    f->m = tm_new(D, M, K, linear);
    f->w = malloc(f->m->dim * sizeof *f->w);
    tm_fill(&r, f->w, f->m->dim, 1.0);
    wl_mat_alloc(&f->X1, n1, D);
    wl_mat_alloc(&f->X2, n2, D);
    tm_fill(&r, f->X1.data, n1 * D, 1.0);
    tm_fill(&r, f->X2.data, n2 * D, 1.0);
}

static void fixture_free(fixture *f) {
    wl_model_free(f->m);
    free(f->w);
    wl_mat_free(&f->X1);
    wl_mat_free(&f->X2);
}

static double rel(const wl_mat *A, const wl_mat *B) {
    assert_int_equal(A->rows, B->rows);
    assert_int_equal(A->cols, B->cols);
    return wl_test_rel_err(A->rows * A->cols, A->data, B->data, 1e-300);
}

/* the test model's vjp and jvp are right (against the FD Jacobian) */
static void test_model_derivatives(void **st) {
    (void)st;
    fixture f;
    fixture_make(&f, 0, 4, 1);
    size_t n = 4, k = K, p = f.m->dim;
    double *J = malloc(n * k * p * sizeof *J), *gw = malloc(p * sizeof *gw);
    fd_jacobian(f.m, f.w, &f.X1, J);
    wl_mat G;
    wl_mat_alloc(&G, n, k);
    wl_rng r;
    wl_rng_seed(&r, 3);
    tm_fill(&r, G.data, n * k, 1.0);
    WL_OK_OR_FAIL(wl_model_vjp(f.m, f.w, &f.X1, &G, gw));
    double *ref = calloc(p, sizeof *ref);
    for (size_t i = 0; i < n * k; i++) wl_axpy(p, G.data[i], J + i * p, ref);
    assert_true(wl_test_rel_err(p, gw, ref, 1e-12) < 1e-7);
    wl_mat JV;
    wl_mat_alloc(&JV, n, k);
    WL_OK_OR_FAIL(wl_model_jvp(f.m, f.w, &f.X1, gw, &JV));
    for (size_t i = 0; i < n * k; i++) WL_ASSERT_CLOSE(JV.data[i], wl_dot(p, J + i * p, gw), 1e-7);
    free(J);
    free(gw);
    free(ref);
    wl_mat_free(&G);
    wl_mat_free(&JV);
    fixture_free(&f);
}

static void check_method(fixture *f, wl_ntk_method meth, wl_ntk_mode mode, int two_sets,
                         size_t tile, wl_ntk_par par, int threads) {
    wl_mat R = {0}, Kk = {0};
    fd_kernel(f->m, f->w, &f->X1, two_sets ? &f->X2 : &f->X1, mode, &R);
    wl_ntk_opts o;
    wl_ntk_opts_default(&o);
    o.mode = mode;
    o.method = meth;
    o.tile = tile;
    o.parallel = par;
    o.threads = threads;
    WL_OK_OR_FAIL(wl_ntk_empirical(f->m, f->w, &f->X1, two_sets ? &f->X2 : NULL, &o, &Kk));
    double e = rel(&Kk, &R);
    if (!(e < 1e-7))
        fail_msg("%s %s two=%d tile=%zu par=%d: rel err %g", wl_ntk_method_name(meth),
                 wl_ntk_mode_name(mode), two_sets, tile, (int)par, e);
    wl_mat_free(&R);
    wl_mat_free(&Kk);
}

/* both generic methods match the FD kernel in every mode and layout */
static void test_methods_vs_fd(void **st) {
    (void)st;
    fixture f;
    fixture_make(&f, 0, 7, 5);
    wl_ntk_method meths[] = {WL_NTK_JACOBIAN, WL_NTK_NTKVP};
    size_t tiles[] = {0, 1, 3, 100};
    for (int a = 0; a < 2; a++)
        for (int mode = 0; mode < 3; mode++)
            for (int two = 0; two < (mode == WL_NTK_DIAG ? 1 : 2); two++)
                for (int t = 0; t < 4; t++) {
                    check_method(&f, meths[a], (wl_ntk_mode)mode, two, tiles[t],
                                 WL_NTK_PAR_TILES, 2);
                    if (t == 2)
                        check_method(&f, meths[a], (wl_ntk_mode)mode, two, tiles[t],
                                     WL_NTK_PAR_BLAS, 1);
                }
    fixture_free(&f);
}

/* Jacobian and NTKVP agree to 1e-10 relative (both exact, unlike FD) */
static void test_methods_agree(void **st) {
    (void)st;
    fixture f;
    fixture_make(&f, 0, 9, 6);
    for (int mode = 0; mode < 3; mode++)
        for (int two = 0; two < (mode == WL_NTK_DIAG ? 1 : 2); two++) {
            wl_mat A = {0}, B = {0};
            wl_ntk_opts o;
            wl_ntk_opts_default(&o);
            o.mode = (wl_ntk_mode)mode;
            o.tile = 4;
            o.method = WL_NTK_JACOBIAN;
            WL_OK_OR_FAIL(wl_ntk_empirical(f.m, f.w, &f.X1, two ? &f.X2 : NULL, &o, &A));
            o.method = WL_NTK_NTKVP;
            o.tile = 2;
            WL_OK_OR_FAIL(wl_ntk_empirical(f.m, f.w, &f.X1, two ? &f.X2 : NULL, &o, &B));
            assert_true(rel(&A, &B) < 1e-10);
            /* symmetric when X2 = X1 */
            if (!two && mode != WL_NTK_DIAG)
                for (size_t i = 0; i < A.rows; i++)
                    for (size_t j = 0; j < i; j++)
                        assert_true(WL_AT(&A, i, j) == WL_AT(&A, j, i));
            /* diag mode = diagonal of the full kernel */
            if (mode == WL_NTK_DIAG) {
                wl_mat F = {0};
                o.mode = WL_NTK_FULL;
                WL_OK_OR_FAIL(wl_ntk_empirical(f.m, f.w, &f.X1, NULL, &o, &F));
                for (size_t i = 0; i < f.X1.rows; i++)
                    for (size_t c = 0; c < K; c++)
                        WL_ASSERT_CLOSE(WL_AT(&A, i, c), WL_AT(&F, i * K + c, i * K + c), 1e-12);
                wl_mat_free(&F);
            }
            wl_mat_free(&A);
            wl_mat_free(&B);
        }
    fixture_free(&f);
}

/* linear model f = W x: K_trace = k X1 X2^T, K_full = (X1 X2^T) (x) I_k */
static void test_linear_closed_form(void **st) {
    (void)st;
    fixture f;
    fixture_make(&f, 1, 6, 4);
    wl_mat G;
    wl_mat_alloc(&G, 6, 4);
    wl_gemm(0, 1, 1.0, &f.X1, &f.X2, 0.0, &G);
    for (int meth = WL_NTK_JACOBIAN; meth <= WL_NTK_NTKVP; meth++) {
        wl_mat T = {0}, F = {0};
        wl_ntk_opts o;
        wl_ntk_opts_default(&o);
        o.method = (wl_ntk_method)meth;
        WL_OK_OR_FAIL(wl_ntk_empirical(f.m, f.w, &f.X1, &f.X2, &o, &T));
        o.mode = WL_NTK_FULL;
        WL_OK_OR_FAIL(wl_ntk_empirical(f.m, f.w, &f.X1, &f.X2, &o, &F));
        for (size_t i = 0; i < 6; i++)
            for (size_t j = 0; j < 4; j++) {
                WL_ASSERT_CLOSE(WL_AT(&T, i, j), K * WL_AT(&G, i, j), 1e-12);
                for (size_t c = 0; c < K; c++)
                    for (size_t c2 = 0; c2 < K; c2++)
                        WL_ASSERT_CLOSE(WL_AT(&F, i * K + c, j * K + c2),
                                        c == c2 ? WL_AT(&G, i, j) : 0.0, 1e-12);
            }
        wl_mat_free(&T);
        wl_mat_free(&F);
    }
    wl_mat_free(&G);
    fixture_free(&f);
}

/* a caller-allocated K is filled in place; wrong shapes and inputs refused */
static void test_bad_input(void **st) {
    (void)st;
    fixture f;
    fixture_make(&f, 0, 5, 3);
    wl_mat Kk;
    wl_mat_alloc(&Kk, 5, 5);
    WL_OK_OR_FAIL(wl_ntk_empirical(f.m, f.w, &f.X1, NULL, NULL, &Kk));
    assert_true(WL_AT(&Kk, 2, 2) > 0);
    wl_mat bad;
    wl_mat_alloc(&bad, 5, 4);
    assert_int_equal(wl_ntk_empirical(f.m, f.w, &f.X1, NULL, NULL, &bad), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "5 x 4"));
    wl_mat Xb, Z = {0};
    wl_mat_alloc(&Xb, 3, D + 1);
    assert_int_equal(wl_ntk_empirical(f.m, f.w, &Xb, NULL, NULL, &Z), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "features"));
    wl_ntk_opts o;
    wl_ntk_opts_default(&o);
    o.mode = WL_NTK_DIAG;
    assert_int_equal(wl_ntk_empirical(f.m, f.w, &f.X1, &f.X2, &o, &Z), WL_EINVAL);
    o.mode = WL_NTK_TRACE;
    o.method = WL_NTK_STRUCTURED;
    assert_int_equal(wl_ntk_empirical(f.m, f.w, &f.X1, NULL, &o, &Z), WL_EUNSUP);
    assert_non_null(strstr(wl_errmsg(), "structured"));
    assert_null(Z.data);
    wl_ntk_mode md;
    wl_ntk_method mt;
    assert_int_equal(wl_ntk_mode_parse("fulll", &md), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "fulll"));
    WL_OK_OR_FAIL(wl_ntk_mode_parse("diag", &md));
    assert_int_equal(md, WL_NTK_DIAG);
    WL_OK_OR_FAIL(wl_ntk_method_parse("ntkvp", &mt));
    assert_int_equal(mt, WL_NTK_NTKVP);
    assert_int_equal(wl_ntk_method_parse("fast", &mt), WL_EINVAL);
    wl_mat_free(&Kk);
    wl_mat_free(&bad);
    wl_mat_free(&Xb);
    fixture_free(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_derivatives),  cmocka_unit_test(test_methods_vs_fd),
        cmocka_unit_test(test_methods_agree),      cmocka_unit_test(test_linear_closed_form),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
