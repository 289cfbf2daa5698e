/* The linear model f = W x + b: every derivative against central finite
 * differences, zero second derivatives, init statistics, clone, blocks. */
#include "wl_test.h"

static void fill(wl_rng *r, double *x, size_t n) { wl_rng_normal_fill(r, x, n, 0.0, 1.0); }

/* F(w) for a copy of w moved by h v */
static void forward_at(wl_model *m, const double *w, const double *v, double h, const wl_mat *X,
                       wl_mat *F) {
    double *wp = wl_dalloc(m->dim, "wp");
    for (size_t j = 0; j < m->dim; j++) wp[j] = w[j] + h * v[j];
    WL_OK_OR_FAIL(wl_model_forward(m, wp, X, F));
    free(wp);
}

static void check_model(size_t d, size_t k, int bias) {
    wl_rng r;
    wl_rng_seed(&r, 11 + d + k + (size_t)bias);
    wl_model *m;
    WL_OK_OR_FAIL(wl_linear_new(d, k, bias, &m));
    assert_int_equal(m->dim, k * d + (bias ? k : 0));
    assert_string_equal(m->kind, "linear");
    size_t n = 7, p = m->dim;
    wl_mat X, F, Fp, Fm, JV, G, Q, GX;
    wl_mat_alloc(&X, n, d);
    wl_mat_alloc(&F, n, k);
    wl_mat_alloc(&Fp, n, k);
    wl_mat_alloc(&Fm, n, k);
    wl_mat_alloc(&JV, n, k);
    wl_mat_alloc(&G, n, k);
    wl_mat_alloc(&Q, n, k);
    wl_mat_alloc(&GX, n, d);
    fill(&r, X.data, n * d);
    fill(&r, G.data, n * k);
    double *w = wl_dalloc(p, "w"), *v = wl_dalloc(p, "v"), *gw = wl_dalloc(p, "gw");
    fill(&r, w, p);
    fill(&r, v, p);

    /* forward against the formula */
    WL_OK_OR_FAIL(wl_model_forward(m, w, &X, &F));
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < k; c++) {
            double s = bias ? w[k * d + c] : 0.0;
            for (size_t j = 0; j < d; j++) s += w[c * d + j] * WL_AT(&X, i, j);
            WL_ASSERT_CLOSE(WL_AT(&F, i, c), s, 1e-13);
        }

    /* jvp against central differences of forward */
    double h = 1e-5;
    WL_OK_OR_FAIL(wl_model_jvp(m, w, &X, v, &JV));
    forward_at(m, w, v, h, &X, &Fp);
    forward_at(m, w, v, -h, &X, &Fm);
    for (size_t i = 0; i < n * k; i++) {
        double fd = (Fp.data[i] - Fm.data[i]) / (2 * h);
        WL_ASSERT_CLOSE(JV.data[i], fd, 1e-8);
    }

    /* vjp: d/dw <G, F(w)> along every coordinate */
    WL_OK_OR_FAIL(wl_model_vjp(m, w, &X, &G, gw));
    double *e = wl_dalloc(p, "e");
    for (size_t j = 0; j < p; j++) {
        e[j] = 1.0;
        forward_at(m, w, e, h, &X, &Fp);
        forward_at(m, w, e, -h, &X, &Fm);
        double fd = 0.0;
        for (size_t i = 0; i < n * k; i++) fd += G.data[i] * (Fp.data[i] - Fm.data[i]) / (2 * h);
        WL_ASSERT_CLOSE(gw[j], fd, 1e-8);
        e[j] = 0.0;
    }

    /* jvp2 and hvp are zero (and overwrite what was there) */
    for (size_t i = 0; i < n * k; i++) Q.data[i] = 1.0;
    WL_OK_OR_FAIL(wl_model_jvp2(m, w, &X, v, &Q));
    for (size_t i = 0; i < n * k; i++) assert_true(Q.data[i] == 0.0);
    for (size_t j = 0; j < p; j++) gw[j] = 1.0;
    WL_OK_OR_FAIL(wl_model_hvp(m, w, &X, &G, v, gw));
    for (size_t j = 0; j < p; j++) assert_true(gw[j] == 0.0);

    /* xvjp: d/dx_ij <G, F(X)> by central differences on the input */
    WL_OK_OR_FAIL(wl_model_xvjp(m, w, &X, &G, &GX));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            double x0 = WL_AT(&X, i, j), sp = 0, sm = 0;
            WL_AT(&X, i, j) = x0 + h;
            WL_OK_OR_FAIL(wl_model_forward(m, w, &X, &Fp));
            WL_AT(&X, i, j) = x0 - h;
            WL_OK_OR_FAIL(wl_model_forward(m, w, &X, &Fm));
            WL_AT(&X, i, j) = x0;
            for (size_t c = 0; c < k; c++) {
                sp += WL_AT(&G, i, c) * WL_AT(&Fp, i, c);
                sm += WL_AT(&G, i, c) * WL_AT(&Fm, i, c);
            }
            WL_ASSERT_CLOSE(WL_AT(&GX, i, j), (sp - sm) / (2 * h), 1e-8);
        }

    /* clone computes the same thing */
    wl_model *c = wl_model_clone(m);
    assert_non_null(c);
    assert_int_equal(c->dim, m->dim);
    WL_OK_OR_FAIL(wl_model_forward(c, w, &X, &Fp));
    WL_OK_OR_FAIL(wl_model_forward(m, w, &X, &F));
    assert_memory_equal(Fp.data, F.data, n * k * sizeof(double));
    wl_model_free(c);

    /* parameter blocks */
    assert_int_equal(m->n_blocks, bias ? 2u : 1u);
    assert_string_equal(m->blocks[0].name, "weight");
    assert_int_equal(m->blocks[0].rows, k);
    assert_int_equal(m->blocks[0].cols, d);
    if (bias) {
        assert_string_equal(m->blocks[1].name, "bias");
        assert_int_equal(m->blocks[1].offset, k * d);
        assert_int_equal(m->blocks[1].ndim, 1);
    }

    free(e);
    free(w);
    free(v);
    free(gw);
    wl_mat *ms[] = {&X, &F, &Fp, &Fm, &JV, &G, &Q, &GX};
    for (size_t i = 0; i < 8; i++) wl_mat_free(ms[i]);
    wl_model_free(m);
}

static void test_derivatives(void **state) {
    (void)state;
    check_model(5, 3, 1);
    check_model(4, 1, 0);
    check_model(1, 2, 1);
}

/* init: W ~ N(0, 1/d), b = 0 */
static void test_init(void **state) {
    (void)state;
    size_t d = 200, k = 50;
    wl_model *m;
    WL_OK_OR_FAIL(wl_linear_new(d, k, 1, &m));
    double *w = wl_dalloc(m->dim, "w");
    wl_rng r;
    wl_rng_seed(&r, 3);
    for (size_t j = 0; j < m->dim; j++) w[j] = 7.0;
    WL_OK_OR_FAIL(wl_model_init(m, &r, w));
    double s = 0, s2 = 0;
    for (size_t j = 0; j < k * d; j++) s += w[j], s2 += w[j] * w[j];
    double N = (double)(k * d);
    assert_true(fabs(s / N) < 4.0 / sqrt(N * d));
    WL_ASSERT_CLOSE(s2 / N * (double)d, 1.0, 0.05);
    for (size_t c = 0; c < k; c++) assert_true(w[k * d + c] == 0.0);
    /* same seed, same draw */
    double *w2 = wl_dalloc(m->dim, "w2");
    wl_rng_seed(&r, 3);
    WL_OK_OR_FAIL(wl_model_init(m, &r, w2));
    assert_memory_equal(w, w2, m->dim * sizeof(double));
    free(w);
    free(w2);
    wl_model_free(m);
}

static void test_bad_input(void **state) {
    (void)state;
    wl_model *m = NULL;
    assert_int_equal(wl_linear_new(0, 3, 1, &m), WL_EINVAL);
    assert_null(m);
    WL_OK_OR_FAIL(wl_linear_new(3, 2, 1, &m));
    wl_mat X, F;
    wl_mat_alloc(&X, 4, 5);
    wl_mat_alloc(&F, 4, 2);
    double w[8] = {0};
    assert_int_equal(wl_model_forward(m, w, &X, &F), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "5 features"));
    wl_mat_free(&X);
    wl_mat_free(&F);
    wl_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_derivatives),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
