/* The model Hessian built column by column from hvp: the 2-layer ReLU
 * network f = (1/sqrt m) sum_i v_i relu(u_i.x / sqrt d) has spectral norm
 * ||H_f(x)|| = ||x|| / sqrt(m d) exactly (THEORY.md section 2); the dense
 * Hessian is symmetric and reproduces jvp2. */
#include "wl_test.h"

/* H (p x p): column j = hvp(G = 1 at the single point, v = e_j) */
static void dense_hessian(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G,
                          wl_mat *H) {
    size_t p = m->dim;
    double *e = wl_dalloc(p, "e"), *col = wl_dalloc(p, "col");
    for (size_t j = 0; j < p; j++) {
        e[j] = 1.0;
        WL_OK_OR_FAIL(wl_model_hvp(m, w, X, G, e, col));
        e[j] = 0.0;
        for (size_t i = 0; i < p; i++) WL_AT(H, i, j) = col[i];
    }
    free(e);
    free(col);
}

static void test_two_layer_relu_norm(void **state) {
    (void)state;
    const size_t d = 5, widths[3] = {4, 16, 64};
    for (int t = 0; t < 3; t++) {
        size_t m_ = widths[t];
        char spec[64];
        snprintf(spec, sizeof spec, "mlp:%zu-%zu-1:relu:ntk", d, m_);
        wl_model *m;
        WL_OK_OR_FAIL(wl_net_from_spec(spec, &m));
        wl_rng r;
        wl_rng_seed(&r, 40 + (uint64_t)t);
        double *w = wl_dalloc(m->dim, "w"), x[5], one = 1.0;
        WL_OK_OR_FAIL(wl_model_init(m, &r, w));
        wl_rng_normal_fill(&r, x, d, 0, 1);
        wl_mat X = wl_mat_view(x, 1, d), G = wl_mat_view(&one, 1, 1), H, Ht;
        size_t p = m->dim;
        WL_OK_OR_FAIL(wl_mat_alloc(&H, p, p));
        dense_hessian(m, w, &X, &G, &H);
        for (size_t i = 0; i < p; i++)
            for (size_t j = 0; j < i; j++) WL_ASSERT_CLOSE(WL_AT(&H, i, j), WL_AT(&H, j, i), 1e-14);
        /* jvp2 = v^T H v */
        double *v = wl_dalloc(p, "v"), *Hv = wl_dalloc(p, "Hv"), q;
        wl_rng_normal_fill(&r, v, p, 0, 1);
        wl_mat Q = wl_mat_view(&q, 1, 1);
        WL_OK_OR_FAIL(wl_model_jvp2(m, w, &X, v, &Q));
        WL_OK_OR_FAIL(wl_gemv(0, 1.0, &H, v, 0.0, Hv));
        WL_ASSERT_CLOSE(q, wl_dot(p, v, Hv), 1e-12);
        /* spectral norm against the closed form */
        WL_OK_OR_FAIL(wl_mat_alloc(&Ht, p, p));
        WL_OK_OR_FAIL(wl_mat_copy(&Ht, &H));
        double *ev = wl_dalloc(p, "eig");
        WL_OK_OR_FAIL(wl_eigh(&Ht, ev, 0));
        double norm = fmax(fabs(ev[0]), fabs(ev[p - 1]));
        double expect = wl_nrm2(d, x) / sqrt((double)(m_ * d));
        if (!(fabs(norm - expect) <= 1e-12 * expect))
            fail_msg("%s: ||H_f|| = %.17g, ||x||/sqrt(md) = %.17g", spec, norm, expect);
        WL_ASSERT_CLOSE(ev[0], -ev[p - 1], 1e-12); /* spectrum symmetric: indefinite */
        free(w);
        free(v);
        free(Hv);
        free(ev);
        wl_mat_free(&H);
        wl_mat_free(&Ht);
        wl_model_free(m);
    }
}

/* A linear network (identity activations) of depth 1 has H_f = 0. */
static void test_linear_output_zero_hessian(void **state) {
    (void)state;
    wl_model *m;
    WL_OK_OR_FAIL(wl_net_from_spec("mlp:3-2:ntk:bias", &m));
    double w[8] = {1, 2, 3, 4, 5, 6, 7, 8}, v[8] = {1, -1, 2, 0, 3, 1, 1, 2}, hv[8], x[3] = {1, 2, 3};
    double G[2] = {0.5, -2};
    wl_mat X = wl_mat_view(x, 1, 3), Gm = wl_mat_view(G, 1, 2);
    WL_OK_OR_FAIL(wl_model_hvp(m, w, &X, &Gm, v, hv));
    for (int i = 0; i < 8; i++) assert_true(hv[i] == 0.0);
    wl_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_layer_relu_norm),
        cmocka_unit_test(test_linear_output_zero_hessian),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
