/* Spec strings and the builder: shapes, state_dict names, the architectures'
 * maths against hand-written references, init statistics, c_sigma, errors. */
#include "wl_test.h"

static const wl_param_block *block(const wl_model *m, const char *name) {
    for (size_t b = 0; b < m->n_blocks; b++)
        if (!strcmp(m->blocks[b].name, name)) return &m->blocks[b];
    fail_msg("no parameter block %s", name);
    return NULL;
}

/* blocks cover w exactly, in order */
static void check_cover(const wl_model *m) {
    size_t off = 0;
    for (size_t b = 0; b < m->n_blocks; b++) {
        assert_int_equal(m->blocks[b].offset, off);
        off += m->blocks[b].rows * m->blocks[b].cols;
    }
    assert_int_equal(off, m->dim);
}

static void test_shapes_and_names(void **state) {
    (void)state;
    wl_model *m;
    WL_OK_OR_FAIL(wl_net_from_spec("mlp:784-1024x3-10:relu:ntk", &m));
    assert_int_equal(m->n_in, 784);
    assert_int_equal(m->n_out, 10);
    assert_int_equal(m->dim, 784 * 1024 + 2 * 1024 * 1024 + 1024 * 10);
    assert_int_equal(m->n_blocks, 4);
    const char *names[] = {"0.weight", "2.weight", "4.weight", "6.weight"};
    for (int b = 0; b < 4; b++) assert_string_equal(m->blocks[b].name, names[b]);
    assert_true(m->blocks[0].rows == 1024 && m->blocks[0].cols == 784 && m->blocks[0].ndim == 2);
    assert_string_equal(m->kind, "net");
    check_cover(m);
    wl_model_free(m);

    WL_OK_OR_FAIL(wl_net_from_spec("mlp:10-50-20-1:tanh:std:bias", &m));
    const char *bn[] = {"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"};
    assert_int_equal(m->n_blocks, 6);
    for (int b = 0; b < 6; b++) assert_string_equal(m->blocks[b].name, bn[b]);
    assert_true(m->blocks[1].ndim == 1 && m->blocks[1].rows == 50 && m->blocks[1].cols == 1);
    assert_int_equal(m->dim, 10 * 50 + 50 + 50 * 20 + 20 + 20 + 1);
    check_cover(m);
    wl_model_free(m);

    WL_OK_OR_FAIL(wl_net_from_spec("mlp:5-7:outact=tanh", &m)); /* no hidden layer */
    assert_int_equal(m->dim, 35);
    wl_model_free(m);
    WL_OK_OR_FAIL(wl_net_from_spec("densemlp:3-4-5-2:concat", &m)); /* 3->4, [3,4]->5, [3,4,5]->2 */
    assert_int_equal(m->dim, 3 * 4 + 7 * 5 + 12 * 2);
    wl_model_free(m);
    WL_OK_OR_FAIL(wl_net_from_spec("linear:6-2:bias", &m));
    assert_int_equal(m->dim, 14);
    wl_model_free(m);
}

/* y = s W x, W block of m */
static void matvec(const wl_model *m, const double *w, const char *name, const double *x,
                   double *y) {
    const wl_param_block *b = block(m, name);
    double s = 1.0 / sqrt((double)b->cols);
    for (size_t r = 0; r < b->rows; r++) {
        double acc = 0;
        for (size_t c = 0; c < b->cols; c++) acc += w[b->offset + r * b->cols + c] * x[c];
        y[r] = s * acc;
    }
}

static double *fwd_one(wl_model *m, const double *w, const double *x) {
    static double f[8];
    wl_mat X = wl_mat_view((double *)x, 1, m->n_in), F = wl_mat_view(f, 1, m->n_out);
    WL_OK_OR_FAIL(wl_model_forward(m, w, &X, &F));
    return f;
}

static double *init_w(wl_model *m, uint64_t seed) {
    wl_rng r;
    wl_rng_seed(&r, seed);
    double *w = wl_dalloc(m->dim, "w");
    WL_OK_OR_FAIL(wl_model_init(m, &r, w));
    return w;
}

static void test_architectures_by_hand(void **state) {
    (void)state;
    double x[3] = {0.7, -1.1, 0.4}, h[4], a[4], r[4], y[2], f[2];
    wl_model *m;
    /* resmlp: h = W0 x/sqrt3; h <- (h + W tanh(h)/2)/sqrt2 twice; f = Wout tanh(h)/2 */
    WL_OK_OR_FAIL(wl_net_from_spec("resmlp:3-4x2-2:tanh:ntk", &m));
    double *w = init_w(m, 1);
    matvec(m, w, "0.weight", x, h);
    const char *blk[2] = {"2.weight", "5.weight"};
    for (int b = 0; b < 2; b++) {
        for (int i = 0; i < 4; i++) a[i] = tanh(h[i]);
        matvec(m, w, blk[b], a, r);
        for (int i = 0; i < 4; i++) h[i] = (h[i] + r[i]) / sqrt(2.0);
    }
    for (int i = 0; i < 4; i++) a[i] = tanh(h[i]);
    matvec(m, w, "8.weight", a, y);
    double *F = fwd_one(m, w, x);
    for (int c = 0; c < 2; c++) WL_ASSERT_CLOSE(F[c], y[c], 1e-14);
    free(w);
    wl_model_free(m);

    /* assembly: f = (1/sqrt3) sum_j W2j relu(W1j x/sqrt3)/2; modules 0,2 | 3,5 | 6,8 */
    WL_OK_OR_FAIL(wl_net_from_spec("assembly:3-4-2:3:relu", &m));
    w = init_w(m, 2);
    f[0] = f[1] = 0;
    for (int j = 0; j < 3; j++) {
        char n1[16], n2[16];
        snprintf(n1, sizeof n1, "%d.weight", 3 * j);
        snprintf(n2, sizeof n2, "%d.weight", 3 * j + 2);
        matvec(m, w, n1, x, h);
        for (int i = 0; i < 4; i++) a[i] = h[i] > 0 ? h[i] : 0;
        matvec(m, w, n2, a, y);
        for (int c = 0; c < 2; c++) f[c] += y[c] / sqrt(3.0);
    }
    F = fwd_one(m, w, x);
    for (int c = 0; c < 2; c++) WL_ASSERT_CLOSE(F[c], f[c], 1e-14);
    free(w);
    wl_model_free(m);

    /* densemlp: h1 = tanh(W x/sqrt3), h2 = tanh(W h1/2), h3 = tanh(W (h1+h2)/sqrt2/2),
     * f = W (h1+h2+h3)/sqrt3/2 */
    WL_OK_OR_FAIL(wl_net_from_spec("densemlp:3-4x3-2:tanh", &m));
    w = init_w(m, 3);
    double h1[4], h2[4], h3[4], s[4];
    const wl_param_block *bl = m->blocks;
    assert_int_equal(m->n_blocks, 4);
    matvec(m, w, bl[0].name, x, h1);
    for (int i = 0; i < 4; i++) h1[i] = tanh(h1[i]);
    matvec(m, w, bl[1].name, h1, h2);
    for (int i = 0; i < 4; i++) h2[i] = tanh(h2[i]);
    for (int i = 0; i < 4; i++) s[i] = (h1[i] + h2[i]) / sqrt(2.0);
    matvec(m, w, bl[2].name, s, h3);
    for (int i = 0; i < 4; i++) h3[i] = tanh(h3[i]);
    for (int i = 0; i < 4; i++) s[i] = (h1[i] + h2[i] + h3[i]) / sqrt(3.0);
    matvec(m, w, bl[3].name, s, y);
    F = fwd_one(m, w, x);
    for (int c = 0; c < 2; c++) WL_ASSERT_CLOSE(F[c], y[c], 1e-14);
    free(w);
    wl_model_free(m);

    /* c_sigma and an output activation: f = tanh(W sqrt2 relu(W x/sqrt3)/2) */
    WL_OK_OR_FAIL(wl_net_from_spec("mlp:3-4-2:relu:csigma:outact=tanh", &m));
    w = init_w(m, 4);
    matvec(m, w, "0.weight", x, h);
    for (int i = 0; i < 4; i++) a[i] = sqrt(2.0) * (h[i] > 0 ? h[i] : 0);
    matvec(m, w, "2.weight", a, y);
    F = fwd_one(m, w, x);
    for (int c = 0; c < 2; c++) WL_ASSERT_CLOSE(F[c], tanh(y[c]), 1e-14);
    free(w);
    wl_model_free(m);
}

/* An assembly of NUM 2-layer nets of width m (no bias) is, as a function, the
 * 2-layer net of width NUM m: (1/sqrt NUM) sum_j W2_j a_j / sqrt m =
 * [W2_1 ... W2_NUM] [a_1; ...; a_NUM] / sqrt(NUM m). */
static void test_assembly_is_wide_mlp(void **state) {
    (void)state;
    const size_t d = 3, m_ = 4, k = 2, N = 5;
    wl_model *as, *mlp;
    WL_OK_OR_FAIL(wl_net_from_spec("assembly:3-4-2:5:tanh", &as));
    WL_OK_OR_FAIL(wl_net_from_spec("mlp:3-20-2:tanh", &mlp));
    assert_int_equal(as->dim, mlp->dim);
    double *w = init_w(as, 6), *v = wl_dalloc(mlp->dim, "v");
    double *W1 = v, *W2 = v + N * m_ * d;
    for (size_t j = 0; j < N; j++) {
        const double *a1 = w + as->blocks[2 * j].offset, *a2 = w + as->blocks[2 * j + 1].offset;
        memcpy(W1 + j * m_ * d, a1, m_ * d * sizeof *w); /* rows j m .. (j+1) m */
        for (size_t c = 0; c < k; c++)
            for (size_t i = 0; i < m_; i++) W2[c * N * m_ + j * m_ + i] = a2[c * m_ + i];
    }
    double x[6] = {0.3, -1.2, 0.8, 1.1, 0.1, -0.4}, f1[4], f2[4];
    wl_mat X = wl_mat_view(x, 2, 3), F1 = wl_mat_view(f1, 2, 2), F2 = wl_mat_view(f2, 2, 2);
    WL_OK_OR_FAIL(wl_model_forward(as, w, &X, &F1));
    WL_OK_OR_FAIL(wl_model_forward(mlp, v, &X, &F2));
    for (int i = 0; i < 4; i++) WL_ASSERT_CLOSE(f1[i], f2[i], 1e-14);
    free(w);
    free(v);
    wl_model_free(as);
    wl_model_free(mlp);
}

static void moments(const double *x, size_t n, double *mean, double *var) {
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    *mean = s / (double)n;
    for (size_t i = 0; i < n; i++) s2 += (x[i] - *mean) * (x[i] - *mean);
    *var = s2 / (double)(n - 1);
}

static void test_init_statistics(void **state) {
    (void)state;
    wl_model *m;
    double mean, var;
    WL_OK_OR_FAIL(wl_net_from_spec("mlp:100-200-50:relu:ntk:bias", &m));
    double *w = init_w(m, 7), *w2 = init_w(m, 7);
    assert_memory_equal(w, w2, m->dim * sizeof *w); /* same seed, same bits */
    moments(w, m->dim, &mean, &var);
    double N = (double)m->dim;
    assert_true(fabs(mean) < 5 / sqrt(N));
    assert_true(fabs(var - 1) < 5 * sqrt(2 / N));
    free(w);
    free(w2);
    wl_model_free(m);

    /* STD: LeCun 1/fan_in on the input layer, He 2/fan_in after a relu */
    WL_OK_OR_FAIL(wl_net_from_spec("mlp:100-300-200:relu:std", &m));
    w = init_w(m, 8);
    const wl_param_block *b0 = &m->blocks[0], *b1 = &m->blocks[1];
    moments(w + b0->offset, b0->rows * b0->cols, &mean, &var);
    assert_true(fabs(var * 100 - 1) < 5 * sqrt(2.0 / 30000));
    moments(w + b1->offset, b1->rows * b1->cols, &mean, &var);
    assert_true(fabs(var * 300 / 2 - 1) < 5 * sqrt(2.0 / 60000));
    free(w);
    wl_model_free(m);

    /* NTK forward at init: E[f^2] = E[relu(g)^2] * 2 = 1 with csigma, for unit-norm-per-coordinate x */
    WL_OK_OR_FAIL(wl_net_from_spec("mlp:50-2000-1:relu:ntk:csigma", &m));
    double x[50], s2 = 0;
    for (int i = 0; i < 50; i++) x[i] = (i % 2 ? 1.0 : -1.0);
    for (uint64_t t = 0; t < 40; t++) {
        w = init_w(m, 100 + t);
        double f = fwd_one(m, w, x)[0];
        s2 += f * f;
        free(w);
    }
    assert_true(fabs(s2 / 40 - 1) < 0.6); /* chi^2_40 / 40: sd 0.22 */
    wl_model_free(m);
}

static double g4(double z, void *p) { (void)p; return z * z * z * z; }
static double cosz(double z, void *p) { (void)p; return cos(z); }

/* E[sigma(g)^2] by the trapezoid rule on [-12, 12] */
static double trapezoid_sq(int act) {
    const int N = 200000;
    double h = 24.0 / N, acc = 0;
    for (int i = 0; i <= N; i++) {
        double z = -12 + i * h, f;
        wl_act_eval(act, 0, z, &f, NULL, NULL);
        acc += (i == 0 || i == N ? 0.5 : 1.0) * f * f * exp(-0.5 * z * z);
    }
    return acc * h / sqrt(2 * M_PI);
}

static void test_csigma(void **state) {
    (void)state;
    double e;
    WL_OK_OR_FAIL(wl_gauss_hermite_mean(g4, NULL, 20, &e));
    WL_ASSERT_CLOSE(e, 3.0, 1e-12);
    WL_OK_OR_FAIL(wl_gauss_hermite_mean(cosz, NULL, 40, &e));
    WL_ASSERT_CLOSE(e, exp(-0.5), 1e-13);
    assert_int_equal(wl_gauss_hermite_mean(cosz, NULL, 0, &e), WL_EINVAL);
    WL_ASSERT_CLOSE(wl_act_csigma(WL_ACT_RELU, 0), 2.0, 0);
    WL_ASSERT_CLOSE(wl_act_csigma(WL_ACT_LEAKY, 0.5), 1.6, 1e-15);
    /* erf: E[erf(g)^2] = (2/pi) asin(2/3) */
    WL_ASSERT_CLOSE(wl_act_csigma(WL_ACT_ERF, 0), 1.0 / (2 / M_PI * asin(2.0 / 3.0)), 1e-12);
    int acts[] = {WL_ACT_TANH, WL_ACT_SIGMOID, WL_ACT_SOFTPLUS, WL_ACT_GELU};
    for (int a = 0; a < 4; a++)
        WL_ASSERT_CLOSE(wl_act_csigma(acts[a], 0), 1.0 / trapezoid_sq(acts[a]), 1e-9);
    int act;
    WL_OK_OR_FAIL(wl_act_from_name("gelu", &act));
    assert_int_equal(act, WL_ACT_GELU);
    assert_string_equal(wl_act_name(WL_ACT_SOFTPLUS), "softplus");
}

static void expect_error(const char *spec, const char *part) {
    wl_model *m = (wl_model *)1;
    int rc = wl_net_from_spec(spec, &m);
    if (rc != WL_EINVAL) fail_msg("spec \"%s\" gave %s, expected WL_EINVAL", spec, wl_strerror(rc));
    assert_null(m);
    if (!strstr(wl_errmsg(), spec)) fail_msg("message for %s does not name the spec: %s", spec, wl_errmsg());
    if (!strstr(wl_errmsg(), part)) fail_msg("message for %s does not name \"%s\": %s", spec, part, wl_errmsg());
}

static void test_spec_errors(void **state) {
    (void)state;
    expect_error("mlp", "mlp");
    expect_error("mlp:784", "784");
    expect_error("mlp:78a-10", "78a");
    expect_error("mlp:10-0-1", "0");
    expect_error("mlp:10-5x-1", "5x");
    expect_error("foo:3-4", "foo");
    expect_error("mlp:3-4:relux", "relux");
    expect_error("mlp:3-4:bias=-1", "bias=-1");
    expect_error("mlp:3-4:outact=foo", "outact=foo");
    expect_error("mlp:3-4:leaky=abc", "leaky=abc");
    expect_error("mlp:3-4:depth=3", "depth=3");
    expect_error("mlp:3-4::relu", "mlp:3-4::relu");
    expect_error("resmlp:3-4-5-2", "resmlp");
    expect_error("resmlp:3-2", "resmlp");
    expect_error("assembly:3-4-1", "assembly");
    expect_error("assembly:3-4-1:x", "x");
    expect_error("assembly:3-4-5-1:2", "assembly");
    expect_error("linear:3-4-1", "linear");
    expect_error("mlp:3-4-1:concat", "concat");
    expect_error("mlp:3-4-1:tanh:leaky=0.1", "tanh");
    expect_error("assembly:3-4-1:100000", "100000");
    expect_error("mlp:4294967296-4294967296-1", "overflow");
    wl_model *m;
    assert_int_equal(wl_net_from_spec("", &m), WL_EINVAL);
}

static void test_builder_errors(void **state) {
    (void)state;
    wl_net *net;
    size_t x, h, h2, y;
    assert_int_equal(wl_net_new(7, &net), WL_EINVAL);
    WL_OK_OR_FAIL(wl_net_new(WL_PARAM_NTK, &net));
    assert_int_equal(wl_net_add_dense(net, 0, 3, 0, 0, &h), WL_EINVAL); /* no such node */
    WL_OK_OR_FAIL(wl_net_add_input(net, 3, &x));
    assert_int_equal(wl_net_add_input(net, 3, &x), WL_EINVAL);       /* second input */
    assert_int_equal(wl_net_add_dense(net, x, 0, 0, 0, &h), WL_EINVAL);
    assert_int_equal(wl_net_add_dense(net, x, 2, 1, -0.1, &h), WL_EINVAL);
    assert_int_equal(wl_net_add_act(net, x, 99, 0, 0, &h), WL_EINVAL);
    WL_OK_OR_FAIL(wl_net_add_dense(net, x, 4, 0, 0, &h));
    WL_OK_OR_FAIL(wl_net_add_dense(net, x, 5, 0, 0, &h2));
    size_t ins[2] = {h, h2};
    assert_int_equal(wl_net_add_add(net, ins, 2, 0, &y), WL_EINVAL); /* widths 4 and 5 */
    assert_non_null(strstr(wl_errmsg(), "width"));
    WL_OK_OR_FAIL(wl_net_add_concat(net, ins, 2, &y));
    WL_OK_OR_FAIL(wl_net_set_output(net, h));
    wl_model *m;
    WL_OK_OR_FAIL(wl_net_finish(net, &m));
    assert_int_equal(m->n_out, 4); /* the output set, not the last node */
    /* the unused layers get zero gradient */
    double *w = init_w(m, 3), *g = wl_dalloc(m->dim, "g"), xv[3] = {1, 2, 3}, G[4] = {1, 1, 1, 1};
    wl_mat X = wl_mat_view(xv, 1, 3), Gm = wl_mat_view(G, 1, 4);
    for (size_t i = 0; i < m->dim; i++) g[i] = NAN;
    WL_OK_OR_FAIL(wl_model_vjp(m, w, &X, &Gm, g));
    for (size_t i = 12; i < m->dim; i++) assert_true(g[i] == 0.0);
    for (size_t i = 0; i < 12; i++) assert_true(isfinite(g[i]));
    free(w);
    free(g);
    assert_int_equal(wl_net_dense_count(m), 2);
    wl_model_free(m);
    WL_OK_OR_FAIL(wl_net_new(WL_PARAM_STD, &net));
    assert_int_equal(wl_net_finish(net, &m), WL_EINVAL); /* no input; net consumed */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes_and_names), cmocka_unit_test(test_architectures_by_hand),
        cmocka_unit_test(test_assembly_is_wide_mlp),
        cmocka_unit_test(test_init_statistics),  cmocka_unit_test(test_csigma),
        cmocka_unit_test(test_spec_errors),      cmocka_unit_test(test_builder_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
