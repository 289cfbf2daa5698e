/* MaSS on a kernel machine f = sum_j a_j K(., x_j) whose centers are the
 * training points, trained with the functional (RKHS) gradient -- a step
 * changes only the batch's coefficients, a_b -= eta (f(x_b) - y_b)/m -- and
 * with step sizes chosen from the kernel matrix (L = lambda_1(K)/n,
 * beta = max K_ii, L1 = beta, kappa~ = n). MaSS needs several times fewer
 * steps than SGD at its optimal step to interpolate.
 *
 * The model is written here on a precomputed Laplacian kernel: its input
 * rows are one-hot indices e_i (n x n), F = X K a, and its vjp is the
 * functional gradient X^T G. */
#include "wl_test.h"

typedef struct kmodel {
    wl_model base;
    wl_mat K; /* n x n, referenced */
} kmodel;

/* F = X (K a) */
static int km_forward(wl_model *m, const double *w, const wl_mat *X, wl_mat *F) {
    kmodel *k = (kmodel *)m;
    double *Ka = wl_dalloc(m->dim, "Ka");
    int rc = wl_gemv(0, 1.0, &k->K, w, 0.0, Ka);
    wl_mat A = wl_mat_view(Ka, m->dim, 1);
    if (!rc) rc = wl_gemm(0, 0, 1.0, X, &A, 0.0, F);
    free(Ka);
    return rc;
}

/* functional gradient: g = X^T G (row i adds G_i to a_i) */
static int km_vjp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G, double *gw) {
    (void)w;
    wl_mat g = wl_mat_view(gw, m->dim, 1);
    return wl_gemm(1, 0, 1.0, X, G, 0.0, &g);
}

static int km_jvp(wl_model *m, const double *w, const wl_mat *X, const double *v, wl_mat *JV) {
    (void)w;
    return km_forward(m, v, X, JV);
}

static int km_zero2(wl_model *m, const double *w, const wl_mat *X, const double *v, wl_mat *Q) {
    (void)m, (void)w, (void)X, (void)v;
    wl_mat_zero(Q);
    return WL_OK;
}

static int km_hvp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G, const double *v,
                  double *hv) {
    (void)w, (void)X, (void)G, (void)v;
    memset(hv, 0, m->dim * sizeof(double));
    return WL_OK;
}

static void km_free(wl_model *m) { free(m); }

static const wl_model_ops km_ops = {km_forward, km_vjp, km_jvp, km_zero2, km_hvp, NULL, NULL, NULL, km_free};

static wl_model *km_new(const wl_mat *K) {
    kmodel *k = calloc(1, sizeof *k);
    k->K = *K;
    k->base.ops = &km_ops;
    k->base.dim = k->base.n_in = K->rows;
    k->base.n_out = 1;
    k->base.kind = "kernel-test";
    return &k->base;
}

enum { N = 60, D = 3 };

typedef struct kprob {
    wl_mat X, Y, K, E;
    wl_model *m;
    wl_objective *o;
    wl_spectral sp;
} kprob;

static void make(kprob *p, uint64_t seed) {
    wl_rng r;
    wl_rng_seed(&r, seed);
    wl_mat_alloc(&p->X, N, D);
    wl_mat_alloc(&p->Y, N, 1);
    wl_mat_alloc(&p->K, N, N);
    wl_rng_normal_fill(&r, p->X.data, N * D, 0, 1);
    for (size_t i = 0; i < N; i++)
        WL_AT(&p->Y, i, 0) = sin(2 * WL_AT(&p->X, i, 0)) + WL_AT(&p->X, i, 1) * WL_AT(&p->X, i, 2);
    /* Laplacian kernel exp(-||x - z|| / 8) */
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++) {
            double s = 0;
            for (size_t c = 0; c < D; c++) {
                double t = WL_AT(&p->X, i, c) - WL_AT(&p->X, j, c);
                s += t * t;
            }
            WL_AT(&p->K, i, j) = exp(-sqrt(s) / 8.0);
        }
    wl_mat_alloc(&p->E, N, N);
    for (size_t i = 0; i < N; i++) WL_AT(&p->E, i, i) = 1.0;
    p->m = km_new(&p->K);
    WL_OK_OR_FAIL(wl_objective_new(p->m, WL_LOSS_MSE, &p->E, &p->Y, &p->o));
    WL_OK_OR_FAIL(wl_spectral_from_kernel(&p->K, &p->sp));
}

static void unmake(kprob *p) {
    wl_objective_free(p->o);
    wl_model_free(p->m);
    wl_mat_free(&p->X), wl_mat_free(&p->Y), wl_mat_free(&p->K), wl_mat_free(&p->E);
}

/* steps until the full loss is <= tol */
static size_t run(kprob *p, const wl_optim_config *cfg, uint64_t seed, double tol, size_t max_steps,
                  double *final) {
    wl_optim *opt;
    wl_batcher *b;
    wl_rng r;
    wl_rng_seed(&r, seed);
    WL_OK_OR_FAIL(wl_optim_new(cfg, p->m->dim, &opt));
    WL_OK_OR_FAIL(wl_batcher_new(N, cfg->batch, 0, &r, &b));
    double *w = wl_dalloc(p->m->dim, "w"), L = INFINITY;
    size_t t = 0;
    for (; t < max_steps; t++) {
        WL_OK_OR_FAIL(wl_optim_run(opt, p->o, b, w, 1, NULL));
        WL_OK_OR_FAIL(wl_objective_value(p->o, w, NULL, 0, &L));
        if (L <= tol) break;
    }
    *final = L;
    free(w);
    wl_optim_free(opt);
    wl_batcher_free(b);
    return t + 1;
}

static void test_kernel_mass(void **state) {
    (void)state;
    double it_mass = 0, it_sgd = 0;
    int seeds = 2;
    for (int s = 0; s < seeds; s++) {
        kprob p;
        make(&p, 40 + (uint64_t)s);
        /* full-rank kernel: L1 = beta = 1 (Laplacian), kappa~ = n */
        assert_int_equal(p.sp.rank, N);
        WL_ASSERT_CLOSE(p.sp.L1, 1.0, 1e-12);
        WL_ASSERT_CLOSE(p.sp.kappa_tilde, (double)N, 1e-12);
        WL_OK_OR_FAIL(wl_spectral_choose(&p.sp, 2));
        wl_optim_config mc = wl_optim_defaults(WL_OPT_MASS), sc = wl_optim_defaults(WL_OPT_SGD);
        WL_OK_OR_FAIL(wl_spectral_configure(&p.sp, &mc));
        WL_OK_OR_FAIL(wl_spectral_configure(&p.sp, &sc));
        double fm, fs;
        it_mass += (double)run(&p, &mc, 3 + (uint64_t)s, 1e-8, 300000, &fm) / seeds;
        it_sgd += (double)run(&p, &sc, 3 + (uint64_t)s, 1e-8, 300000, &fs) / seeds;
        assert_true(fm <= 1e-8 && fs <= 1e-8);
        if (s == 0) {
            char buf[1024];
            print_message("%s", wl_spectral_format(&p.sp, buf, sizeof buf));
        }
        unmake(&p);
    }
    print_message("kernel machine, batch 2: steps to loss 1e-8: MaSS %.0f, SGD at eta*(m) %.0f (ratio %.1f)\n",
                  it_mass, it_sgd, it_sgd / it_mass);
    assert_true(it_sgd >= 3.0 * it_mass);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_kernel_mass)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
