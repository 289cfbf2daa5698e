/* Batches processed in row chunks give the numbers of one pass: every mode,
 * the tangent-kernel factors and vjp_last, with chunks of 3 rows against the
 * default on 10 rows. */
#include "wl_test.h"

typedef struct outs {
    double *F, *JV, *Q, *gw, *hv, *GX, *A0, *B1, *gl;
} outs;

static void eval_all(wl_model *m, const double *w, const double *v, const wl_mat *X,
                     const wl_mat *G, outs *o) {
    size_t n = X->rows, k = m->n_out, p = m->dim;
    wl_mat F = wl_mat_view(o->F, n, k), JV = wl_mat_view(o->JV, n, k), Q = wl_mat_view(o->Q, n, k);
    wl_mat GX = wl_mat_view(o->GX, n, m->n_in);
    WL_OK_OR_FAIL(wl_model_jvp(m, w, X, v, &JV));
    WL_OK_OR_FAIL(wl_model_jvp2(m, w, X, v, &Q));
    WL_OK_OR_FAIL(wl_model_vjp(m, w, X, G, o->gw));
    WL_OK_OR_FAIL(wl_model_hvp(m, w, X, G, v, o->hv));
    WL_OK_OR_FAIL(wl_model_xvjp(m, w, X, G, &GX));
    size_t L = wl_net_dense_count(m), out = k - 1;
    wl_mat *A = calloc(L, sizeof *A), *B = calloc(L, sizeof *B);
    for (size_t l = 0; l < L; l++) {
        size_t fi, fo;
        WL_OK_OR_FAIL(wl_net_dense_info(m, l, &fi, &fo, NULL));
        A[l] = wl_mat_view(l == 0 ? o->A0 : wl_dalloc(n * fi, "A"), n, fi);
        B[l] = wl_mat_view(l == 1 ? o->B1 : wl_dalloc(n * fo, "B"), n, fo);
    }
    WL_OK_OR_FAIL(wl_net_ntk_factors(m, w, X, &out, 1, A, B));
    for (size_t l = 0; l < L; l++) {
        if (l != 0) free(A[l].data);
        if (l != 1) free(B[l].data);
    }
    free(A);
    free(B);
    WL_OK_OR_FAIL(wl_model_forward(m, w, X, &F));
    WL_OK_OR_FAIL(wl_net_vjp_last(m, G, o->gl));
    (void)p;
}

static void compare(const char *spec) {
    wl_model *m;
    WL_OK_OR_FAIL(wl_net_from_spec(spec, &m));
    size_t n = 10, d = m->n_in, k = m->n_out, p = m->dim;
    wl_rng r;
    wl_rng_seed(&r, 17);
    double *w = wl_dalloc(p, "w"), *v = wl_dalloc(p, "v"), *x = wl_dalloc(n * d, "x"),
           *g = wl_dalloc(n * k, "g");
    WL_OK_OR_FAIL(wl_model_init(m, &r, w));
    wl_rng_normal_fill(&r, v, p, 0, 1);
    wl_rng_normal_fill(&r, x, n * d, 0, 1);
    wl_rng_normal_fill(&r, g, n * k, 0, 1);
    wl_mat X = wl_mat_view(x, n, d), G = wl_mat_view(g, n, k);
    size_t fi0, fo1;
    WL_OK_OR_FAIL(wl_net_dense_info(m, 0, &fi0, NULL, NULL));
    WL_OK_OR_FAIL(wl_net_dense_info(m, 1, NULL, &fo1, NULL));
    outs o[2];
    for (int t = 0; t < 2; t++) {
        o[t].F = wl_dalloc(n * k, "F");
        o[t].JV = wl_dalloc(n * k, "JV");
        o[t].Q = wl_dalloc(n * k, "Q");
        o[t].gw = wl_dalloc(p, "gw");
        o[t].hv = wl_dalloc(p, "hv");
        o[t].gl = wl_dalloc(p, "gl");
        o[t].GX = wl_dalloc(n * d, "GX");
        o[t].A0 = wl_dalloc(n * fi0, "A0");
        o[t].B1 = wl_dalloc(n * fo1, "B1");
        WL_OK_OR_FAIL(wl_net_set_chunk_rows(m, t == 0 ? 0 : 3));
        eval_all(m, w, v, &X, &G, &o[t]);
    }
    const char *names[] = {"F", "JV", "Q", "gw", "hv", "GX", "A0", "B1", "vjp_last"};
    double *a[9] = {o[0].F, o[0].JV, o[0].Q, o[0].gw, o[0].hv, o[0].GX, o[0].A0, o[0].B1, o[0].gl};
    double *b[9] = {o[1].F, o[1].JV, o[1].Q, o[1].gw, o[1].hv, o[1].GX, o[1].A0, o[1].B1, o[1].gl};
    size_t len[9] = {n * k, n * k, n * k, p, p, n * d, n * fi0, n * fo1, p};
    for (int i = 0; i < 9; i++) {
        double e = wl_test_rel_err(len[i], b[i], a[i], 1e-12);
        if (!(e < 1e-13)) fail_msg("%s: %s in chunks differs by %.3g", spec, names[i], e);
        free(a[i]);
        free(b[i]);
    }
    free(w);
    free(v);
    free(x);
    free(g);
    wl_model_free(m);
}

static void test_chunks_match(void **state) {
    (void)state;
    compare("mlp:4-6x2-3:tanh:ntk:bias");
    compare("resmlp:3-5x2-2:gelu:std:bias");
    compare("assembly:3-4-2:3:softplus");
}

static void test_chunked_empty_batch(void **state) {
    (void)state;
    wl_model *m;
    WL_OK_OR_FAIL(wl_net_from_spec("mlp:3-4-2:relu:bias", &m));
    WL_OK_OR_FAIL(wl_net_set_chunk_rows(m, 3));
    double w[26], gw[26], x[3] = {0}, g[2] = {0};
    for (int i = 0; i < 26; i++) w[i] = 1.0, gw[i] = NAN;
    wl_mat X = wl_mat_view(x, 0, 3), G = wl_mat_view(g, 0, 2);
    WL_OK_OR_FAIL(wl_model_vjp(m, w, &X, &G, gw));
    for (int i = 0; i < 26; i++) assert_true(gw[i] == 0.0);
    wl_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunks_match),
        cmocka_unit_test(test_chunked_empty_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
