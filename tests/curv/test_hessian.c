/* Hessians of objectives and models as operators: dense Hessians built column
 * by column against finite differences, Gauss-Newton and model parts, block
 * restrictions, Lanczos against LAPACK, and the closed form of the 2-layer
 * ReLU model-Hessian norm ||H_f(x)|| = ||x|| / sqrt(m d). */
#include "wl_test.h"

typedef struct prob {
    wl_model *m;
    wl_objective *obj;
    wl_mat X, Y;
    double *w;
    size_t n, p;
} prob;

static void prob_new(prob *P, const char *spec, size_t n, wl_loss_kind loss, uint64_t seed) {
    wl_rng r;
    wl_rng_seed(&r, seed);
    WL_OK_OR_FAIL(wl_net_from_spec(spec, &P->m));
    P->n = n;
    P->p = P->m->dim;
    P->w = malloc(P->p * sizeof(double));
    WL_OK_OR_FAIL(wl_model_init(P->m, &r, P->w));
    wl_mat_alloc(&P->X, n, P->m->n_in);
    wl_mat_alloc(&P->Y, n, P->m->n_out);
    wl_rng_normal_fill(&r, P->X.data, n * P->m->n_in, 0, 1);
    for (size_t i = 0; i < n; i++) {
        if (loss == WL_LOSS_XENT) WL_AT(&P->Y, i, wl_rng_below(&r, P->m->n_out)) = 1.0;
        else
            for (size_t c = 0; c < P->m->n_out; c++) WL_AT(&P->Y, i, c) = wl_rng_normal(&r);
    }
    WL_OK_OR_FAIL(wl_objective_new(P->m, loss, &P->X, &P->Y, &P->obj));
}

static void prob_free(prob *P) {
    wl_objective_free(P->obj);
    wl_model_free(P->m);
    wl_mat_free(&P->X);
    wl_mat_free(&P->Y);
    free(P->w);
}

static void dense_of(wl_hessian *h, wl_mat *H) {
    wl_linop op = wl_hessian_op(h);
    wl_mat_alloc(H, op.p, op.p);
    WL_OK_OR_FAIL(wl_linop_dense(&op, H));
}

/* Column j of the loss Hessian against (grad(w + h e_j) - grad(w - h e_j)) / 2h;
 * the dense Hessian is symmetric. */
static void check_loss_hessian_fd(prob *P, const wl_mat *H) {
    size_t p = P->p;
    double *wp = malloc(p * sizeof(double)), *gp = malloc(p * sizeof(double)),
           *gm = malloc(p * sizeof(double)), *fd = malloc(p * sizeof(double)),
           *col = malloc(p * sizeof(double));
    const double h = 1e-5;
    double scale = wl_mat_fro(H);
    for (size_t j = 0; j < p; j++) {
        memcpy(wp, P->w, p * sizeof(double));
        wp[j] += h;
        WL_OK_OR_FAIL(wl_objective_grad(P->obj, wp, NULL, 0, NULL, gp));
        wp[j] -= 2 * h;
        WL_OK_OR_FAIL(wl_objective_grad(P->obj, wp, NULL, 0, NULL, gm));
        for (size_t i = 0; i < p; i++) {
            fd[i] = (gp[i] - gm[i]) / (2 * h);
            col[i] = WL_AT(H, i, j);
            assert_true(fabs(WL_AT(H, i, j) - WL_AT(H, j, i)) <= 1e-12 * scale);
        }
        assert_true(wl_test_rel_err(p, col, fd, scale / (double)p) < 1e-6);
    }
    free(wp), free(gp), free(gm), free(fd), free(col);
}

/* Lanczos top/bottom eigenvalues of the operator against LAPACK on the dense matrix. */
static void check_lanczos_vs_dense(wl_hessian *h, const wl_mat *H, size_t k) {
    size_t p = H->rows;
    wl_mat B;
    wl_mat_alloc(&B, p, p);
    wl_mat_copy(&B, H);
    double *ev = malloc(p * sizeof(double));
    WL_OK_OR_FAIL(wl_eigh(&B, ev, 0));
    wl_linop op = wl_hessian_op(h);
    wl_lanczos_opts o;
    wl_lanczos_opts_default(&o);
    o.k = k;
    o.tol = 1e-10;
    wl_rng r;
    wl_rng_seed(&r, 3);
    double norm = fmax(fabs(ev[0]), fabs(ev[p - 1]));
    for (int which = WL_EIG_LA; which <= WL_EIG_SA; which++) {
        o.which = (wl_eig_which)which;
        wl_eig_result res;
        WL_OK_OR_FAIL(wl_lanczos(&op, &o, &r, 0, &res));
        assert_true(res.converged);
        for (size_t j = 0; j < k; j++)
            WL_ASSERT_CLOSE(res.values[j] / norm,
                            (which == WL_EIG_LA ? ev[p - 1 - j] : ev[j]) / norm, 1e-9);
        wl_eig_result_free(&res);
    }
    free(ev);
    wl_mat_free(&B);
}

static void test_loss_hessian_dense(void **state) {
    (void)state;
    const char *specs[] = {"mlp:3-6-5-2:tanh:ntk:bias", "mlp:4-7-3:softplus:std:bias"};
    wl_loss_kind losses[] = {WL_LOSS_MSE, WL_LOSS_XENT};
    for (int s = 0; s < 2; s++) {
        prob P;
        prob_new(&P, specs[s], 7, losses[s], 10 + (uint64_t)s);
        wl_hessian *hl, *hg;
        WL_OK_OR_FAIL(wl_hessian_loss_new(P.obj, P.w, NULL, 0, WL_HESS_LOSS, &hl));
        WL_OK_OR_FAIL(wl_hessian_loss_new(P.obj, P.w, NULL, 0, WL_HESS_GN, &hg));
        wl_mat H, GN;
        dense_of(hl, &H);
        dense_of(hg, &GN);
        assert_int_equal(wl_hessian_matvecs(hl), P.p);
        check_loss_hessian_fd(&P, &H);
        check_lanczos_vs_dense(hl, &H, 3);
        /* Gauss-Newton part is PSD; H - GN is the model part with G = l'(F):
         * for MSE l'(F) = (F - Y)/n */
        wl_mat B;
        wl_mat_alloc(&B, P.p, P.p);
        wl_mat_copy(&B, &GN);
        double *ev = malloc(P.p * sizeof(double));
        WL_OK_OR_FAIL(wl_eigh(&B, ev, 0));
        assert_true(ev[0] > -1e-12 * ev[P.p - 1]);
        if (losses[s] == WL_LOSS_MSE) {
            wl_mat F, G, HM;
            wl_mat_alloc(&F, P.n, P.m->n_out);
            wl_mat_alloc(&G, P.n, P.m->n_out);
            WL_OK_OR_FAIL(wl_model_forward(P.m, P.w, &P.X, &F));
            for (size_t i = 0; i < P.n * P.m->n_out; i++)
                G.data[i] = (F.data[i] - P.Y.data[i]) / (double)P.n;
            wl_hessian *hm;
            WL_OK_OR_FAIL(wl_hessian_model_new(P.m, P.w, &P.X, &G, &hm));
            dense_of(hm, &HM);
            for (size_t i = 0; i < P.p * P.p; i++)
                assert_true(fabs(H.data[i] - GN.data[i] - HM.data[i]) <= 1e-12 * wl_mat_fro(&H));
            wl_hessian_free(hm);
            wl_mat_free(&F), wl_mat_free(&G), wl_mat_free(&HM);
        }
        /* LOSS = GN + MODEL part, for either loss */
        wl_hessian *hmp;
        wl_mat MP;
        WL_OK_OR_FAIL(wl_hessian_loss_new(P.obj, P.w, NULL, 0, WL_HESS_MODEL, &hmp));
        dense_of(hmp, &MP);
        for (size_t i = 0; i < P.p * P.p; i++)
            assert_true(fabs(H.data[i] - GN.data[i] - MP.data[i]) <= 1e-12 * wl_mat_fro(&H));
        wl_hessian_free(hmp);
        wl_mat_free(&MP);
        free(ev);
        wl_mat_free(&B), wl_mat_free(&H), wl_mat_free(&GN);
        wl_hessian_free(hl);
        wl_hessian_free(hg);
        prob_free(&P);
    }
}

/* A subset of samples and a block restriction give the matching sub-Hessian. */
static void test_subset_and_blocks(void **state) {
    (void)state;
    prob P;
    prob_new(&P, "mlp:3-5-4-2:tanh:ntk:bias", 6, WL_LOSS_MSE, 20);
    size_t idx[3] = {4, 1, 2};
    wl_hessian *hs, *hb;
    WL_OK_OR_FAIL(wl_hessian_loss_new(P.obj, P.w, idx, 3, WL_HESS_LOSS, &hs));
    wl_mat H, Hb;
    dense_of(hs, &H);
    /* against a fresh objective on those rows only */
    wl_mat X3, Y3;
    wl_mat_alloc(&X3, 3, 3);
    wl_mat_alloc(&Y3, 3, 2);
    for (size_t i = 0; i < 3; i++) {
        memcpy(&WL_AT(&X3, i, 0), &WL_AT(&P.X, idx[i], 0), 3 * sizeof(double));
        memcpy(&WL_AT(&Y3, i, 0), &WL_AT(&P.Y, idx[i], 0), 2 * sizeof(double));
    }
    wl_objective *o3;
    WL_OK_OR_FAIL(wl_objective_new(P.m, WL_LOSS_MSE, &X3, &Y3, &o3));
    WL_OK_OR_FAIL(wl_hessian_loss_new(o3, P.w, NULL, 0, WL_HESS_LOSS, &hb));
    wl_mat H3;
    dense_of(hb, &H3);
    assert_true(wl_test_rel_err(P.p * P.p, H.data, H3.data, 1e-300) < 1e-12);
    wl_hessian_free(hb);
    /* the operators equal the objective's own products on the subset */
    wl_rng r;
    wl_rng_seed(&r, 21);
    double *v = malloc(P.p * sizeof(double)), *a = malloc(P.p * sizeof(double)),
           *b = malloc(P.p * sizeof(double));
    wl_rng_normal_fill(&r, v, P.p, 0, 1);
    for (int kind = WL_HESS_LOSS; kind <= WL_HESS_GN; kind++) {
        wl_hessian *hk;
        WL_OK_OR_FAIL(wl_hessian_loss_new(P.obj, P.w, idx, 3, (wl_hess_kind)kind, &hk));
        wl_linop op = wl_hessian_op(hk);
        WL_OK_OR_FAIL(op.mv(op.ctx, v, a));
        if (kind == WL_HESS_LOSS) WL_OK_OR_FAIL(wl_objective_hvp(P.obj, P.w, idx, 3, v, b));
        else WL_OK_OR_FAIL(wl_objective_gnvp(P.obj, P.w, idx, 3, v, b));
        assert_true(wl_test_rel_err(P.p, a, b, 1e-300) < 1e-13);
        wl_hessian_free(hk);
    }
    free(v), free(a), free(b);
    /* block "2.weight" (4 x 5) of the subset Hessian */
    WL_OK_OR_FAIL(wl_hessian_restrict_block(hs, "2.weight"));
    dense_of(hs, &Hb);
    const wl_param_block *blk = NULL;
    for (size_t q = 0; q < P.m->n_blocks; q++)
        if (!strcmp(P.m->blocks[q].name, "2.weight")) blk = &P.m->blocks[q];
    assert_non_null(blk);
    assert_int_equal(Hb.rows, 20);
    for (size_t i = 0; i < 20; i++)
        for (size_t j = 0; j < 20; j++)
            assert_true(WL_AT(&Hb, i, j) == WL_AT(&H, blk->offset + i, blk->offset + j));
    assert_int_equal(wl_hessian_restrict_block(hs, "9.weight"), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "9.weight"));
    assert_int_equal(wl_hessian_restrict(hs, P.p - 2, 5), WL_EINVAL);
    WL_OK_OR_FAIL(wl_hessian_restrict(hs, 0, P.p)); /* back to the whole Hessian */
    assert_int_equal(wl_hessian_op(hs).p, P.p);
    size_t bad_idx[1] = {6};
    wl_hessian *hx;
    assert_int_equal(wl_hessian_loss_new(P.obj, P.w, bad_idx, 1, WL_HESS_LOSS, &hx), WL_EINVAL);
    assert_int_equal(wl_hessian_loss_new(P.obj, P.w, NULL, 0, (wl_hess_kind)7, &hx), WL_EINVAL);
    wl_objective_free(o3);
    wl_mat_free(&X3), wl_mat_free(&Y3), wl_mat_free(&H3);
    wl_mat_free(&H), wl_mat_free(&Hb);
    wl_hessian_free(hs);
    prob_free(&P);
}

/* The model Hessian is linear in G: the sum of per-point, per-output
 * Hessians weighted by G_ic equals the Hessian built with G. */
static void test_model_hessian_per_point(void **state) {
    (void)state;
    prob P;
    prob_new(&P, "mlp:3-4-4-2:gelu:ntk", 3, WL_LOSS_MSE, 30);
    wl_mat G, H, Hi, Sum, E;
    wl_mat_alloc(&G, 3, 2);
    wl_rng r;
    wl_rng_seed(&r, 31);
    wl_rng_normal_fill(&r, G.data, 6, 0, 1);
    wl_hessian *h;
    WL_OK_OR_FAIL(wl_hessian_model_new(P.m, P.w, &P.X, &G, &h));
    dense_of(h, &H);
    wl_hessian_free(h);
    wl_mat_alloc(&Sum, P.p, P.p);
    wl_mat_alloc(&E, 1, 2);
    for (size_t i = 0; i < 3; i++)
        for (size_t c = 0; c < 2; c++) {
            wl_mat Xi = wl_mat_rows(&P.X, i, 1);
            wl_mat_zero(&E);
            WL_AT(&E, 0, c) = 1.0;
            WL_OK_OR_FAIL(wl_hessian_model_new(P.m, P.w, &Xi, &E, &h));
            dense_of(h, &Hi);
            wl_hessian_free(h);
            for (size_t q = 0; q < P.p * P.p; q++) Sum.data[q] += WL_AT(&G, i, c) * Hi.data[q];
            wl_mat_free(&Hi);
        }
    assert_true(wl_test_rel_err(P.p * P.p, Sum.data, H.data, 1e-300) < 1e-11);
    wl_mat Gbad;
    wl_mat_alloc(&Gbad, 2, 2);
    assert_int_equal(wl_hessian_model_new(P.m, P.w, &P.X, &Gbad, &h), WL_EINVAL);
    wl_mat_free(&Gbad), wl_mat_free(&G), wl_mat_free(&H), wl_mat_free(&Sum), wl_mat_free(&E);
    prob_free(&P);
}

/* f = (1/sqrt m) sum_i v_i relu(u_i.x / sqrt d): the Hessian is [[0, B], [B^T, 0]]
 * with rows of B = relu'(z_i) x^T / sqrt(m d) on disjoint supports, so
 * ||H_f(x)|| = ||x|| / sqrt(m d) whenever a unit is active. */
static void test_relu_closed_form(void **state) {
    (void)state;
    const size_t d = 5, widths[] = {10, 100, 1000};
    wl_rng r;
    wl_rng_seed(&r, 40);
    for (int t = 0; t < 3; t++) {
        size_t m = widths[t];
        char spec[64];
        snprintf(spec, sizeof spec, "mlp:%zu-%zu-1:relu:ntk", d, m);
        wl_model *mod;
        WL_OK_OR_FAIL(wl_net_from_spec(spec, &mod));
        double *w = malloc(mod->dim * sizeof(double));
        WL_OK_OR_FAIL(wl_model_init(mod, &r, w));
        wl_mat X;
        wl_mat_alloc(&X, 3, d);
        wl_rng_normal_fill(&r, X.data, 3 * d, 0, 2.0);
        wl_hf_norms hn;
        WL_OK_OR_FAIL(wl_model_hessian_norms(mod, w, &X, 1e-12, &r, &hn));
        assert_true(hn.converged);
        double mx = 0, mean = 0;
        for (size_t i = 0; i < 3; i++) {
            double nx = wl_nrm2(d, &WL_AT(&X, i, 0)), ref = nx / sqrt((double)(m * d));
            WL_ASSERT_CLOSE(hn.norms[i] / ref, 1.0, 1e-8);
            mx = fmax(mx, ref);
            mean += ref / 3;
        }
        WL_ASSERT_CLOSE(hn.max[0] / mx, 1.0, 1e-8);
        WL_ASSERT_CLOSE(hn.mean[0] / mean, 1.0, 1e-8);
        WL_ASSERT_CLOSE(hn.max_all / mx, 1.0, 1e-8);
        wl_hf_norms_free(&hn);
        wl_mat_free(&X);
        free(w);
        wl_model_free(mod);
    }
}

/* Multi-output tanh net: per-output norms match dense LAPACK norms. */
static void test_norms_multi_output(void **state) {
    (void)state;
    prob P;
    prob_new(&P, "mlp:3-5-5-2:tanh:ntk:bias", 2, WL_LOSS_MSE, 50);
    wl_rng r;
    wl_rng_seed(&r, 51);
    wl_hf_norms hn;
    WL_OK_OR_FAIL(wl_model_hessian_norms(P.m, P.w, &P.X, 1e-11, &r, &hn));
    assert_int_equal(hn.n, 2);
    assert_int_equal(hn.k, 2);
    wl_mat E, H;
    wl_mat_alloc(&E, 1, 2);
    double *ev = malloc(P.p * sizeof(double));
    for (size_t i = 0; i < 2; i++)
        for (size_t c = 0; c < 2; c++) {
            wl_mat Xi = wl_mat_rows(&P.X, i, 1);
            wl_mat_zero(&E);
            WL_AT(&E, 0, c) = 1.0;
            wl_hessian *h;
            WL_OK_OR_FAIL(wl_hessian_model_new(P.m, P.w, &Xi, &E, &h));
            dense_of(h, &H);
            WL_OK_OR_FAIL(wl_eigh(&H, ev, 0));
            WL_ASSERT_CLOSE(hn.norms[i * 2 + c], fmax(fabs(ev[0]), fabs(ev[P.p - 1])), 1e-9);
            wl_mat_free(&H);
            wl_hessian_free(h);
        }
    free(ev);
    wl_mat_free(&E);
    wl_hf_norms_free(&hn);
    prob_free(&P);
}

/* MSE with the mean: GN = J^T J / n has the non-zero eigenvalues of K / n, K
 * the full (n k x n k) empirical tangent kernel (THEORY.md section 3). The GN
 * operator has rank n k, so Lanczos meets an invariant Krylov space. */
static void test_gauss_newton_is_ntk_over_n(void **state) {
    (void)state;
    prob P;
    prob_new(&P, "mlp:3-8-8-2:relu:ntk:bias", 5, WL_LOSS_MSE, 60);
    wl_ntk_opts no;
    wl_ntk_opts_default(&no);
    no.mode = WL_NTK_FULL;
    wl_mat K;
    wl_mat_alloc(&K, 10, 10);
    WL_OK_OR_FAIL(wl_ntk_empirical(P.m, P.w, &P.X, NULL, &no, &K));
    double ev[10];
    WL_OK_OR_FAIL(wl_eigh(&K, ev, 0));
    wl_hessian *h;
    WL_OK_OR_FAIL(wl_hessian_loss_new(P.obj, P.w, NULL, 0, WL_HESS_GN, &h));
    wl_linop op = wl_hessian_op(h);
    wl_lanczos_opts o;
    wl_lanczos_opts_default(&o);
    o.k = 12; /* all 10 non-zero ones and two zeros */
    o.which = WL_EIG_LA;
    o.tol = 1e-11;
    wl_rng r;
    wl_rng_seed(&r, 61);
    wl_eig_result res;
    WL_OK_OR_FAIL(wl_lanczos(&op, &o, &r, 0, &res));
    assert_true(res.converged);
    for (size_t j = 0; j < 10; j++) WL_ASSERT_CLOSE(res.values[j], ev[9 - j] / 5.0, 1e-9);
    assert_true(fabs(res.values[10]) < 1e-9 * res.values[0]);
    assert_true(fabs(res.values[11]) < 1e-9 * res.values[0]);
    wl_eig_result_free(&res);
    wl_hessian_free(h);
    wl_mat_free(&K);
    prob_free(&P);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loss_hessian_dense),  cmocka_unit_test(test_subset_and_blocks),
        cmocka_unit_test(test_model_hessian_per_point), cmocka_unit_test(test_relu_closed_form),
        cmocka_unit_test(test_norms_multi_output),
        cmocka_unit_test(test_gauss_newton_is_ntk_over_n),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
