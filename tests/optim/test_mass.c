/* MaSS against SGD on noise-free Gaussian linear regression (interpolation):
 * d = 10, covariance eigenvalues 10^(-3i/9), planted solution. With the
 * spectral auto settings MaSS reaches a loss of 1e-10 in far fewer steps than
 * SGD at its optimal step eta*(m); Nesterov SGD with eta = 1/L1 and
 * gamma = 0.9 diverges where SGD with the same step converges. */
#include "wl_test.h"

enum { D = 10, N = 200 };

typedef struct problem {
    wl_mat X, Y;
    wl_model *m;
    wl_objective *o;
    wl_spectral sp;
} problem;

/* x_j = sqrt(lam_j) g_j,  y = <x, w*>,  w* ~ N(0, I) */
static void make(problem *p, uint64_t seed) {
    wl_rng r;
    wl_rng_seed(&r, seed);
    wl_mat_alloc(&p->X, N, D);
    wl_mat_alloc(&p->Y, N, 1);
    double ws[D];
    wl_rng_normal_fill(&r, ws, D, 0, 1);
    for (size_t i = 0; i < N; i++) {
        double y = 0;
        for (size_t j = 0; j < D; j++) {
            double x = sqrt(pow(10.0, -3.0 * (double)j / 9.0)) * wl_rng_normal(&r);
            WL_AT(&p->X, i, j) = x;
            y += x * ws[j];
        }
        WL_AT(&p->Y, i, 0) = y;
    }
    WL_OK_OR_FAIL(wl_linear_new(D, 1, 0, &p->m));
    WL_OK_OR_FAIL(wl_objective_new(p->m, WL_LOSS_MSE, &p->X, &p->Y, &p->o));
    WL_OK_OR_FAIL(wl_spectral_from_data(&p->X, &p->sp));
}

static void unmake(problem *p) {
    wl_objective_free(p->o);
    wl_model_free(p->m);
    wl_mat_free(&p->X);
    wl_mat_free(&p->Y);
}

/* steps until the full loss is <= tol (max_steps if never); *grew = 1 if the
 * loss ever exceeded its initial value */
static size_t run(problem *p, const wl_optim_config *cfg, uint64_t seed, double tol,
                  size_t max_steps, double *final, int *grew) {
    wl_optim *opt;
    wl_batcher *b;
    wl_rng r;
    wl_rng_seed(&r, seed);
    WL_OK_OR_FAIL(wl_optim_new(cfg, D, &opt));
    WL_OK_OR_FAIL(wl_batcher_new(N, cfg->batch, 0, &r, &b));
    double w[D] = {0}, L0, L = 0;
    WL_OK_OR_FAIL(wl_objective_value(p->o, w, NULL, 0, &L0));
    size_t t = 0;
    if (grew) *grew = 0;
    for (; t < max_steps; t++) {
        if (wl_optim_run(opt, p->o, b, w, 1, NULL)) { /* overflow: diverged */
            L = INFINITY;
            if (grew) *grew = 1;
            break;
        }
        WL_OK_OR_FAIL(wl_objective_value(p->o, w, NULL, 0, &L));
        if (grew && L > L0) *grew = 1;
        if (L <= tol) break;
    }
    if (final) *final = L;
    wl_optim_free(opt);
    wl_batcher_free(b);
    return t + 1;
}

static void test_mass_beats_sgd(void **state) {
    (void)state;
    const size_t batches[] = {1, 4};
    for (size_t bi = 0; bi < 2; bi++) {
        size_t m = batches[bi];
        double it_mass = 0, it_sgd = 0, it_sgd_lm = 0;
        int seeds = 3;
        for (int s = 0; s < seeds; s++) {
            problem p;
            make(&p, 1000 + (uint64_t)s);
            WL_OK_OR_FAIL(wl_spectral_choose(&p.sp, m));
            wl_optim_config mc = wl_optim_defaults(WL_OPT_MASS), sc = wl_optim_defaults(WL_OPT_SGD);
            WL_OK_OR_FAIL(wl_spectral_configure(&p.sp, &mc));
            WL_OK_OR_FAIL(wl_spectral_configure(&p.sp, &sc));
            assert_int_equal(mc.batch, m);
            double fm, fs, fl;
            it_mass += (double)run(&p, &mc, 7 + (uint64_t)s, 1e-10, 400000, &fm, NULL);
            it_sgd += (double)run(&p, &sc, 7 + (uint64_t)s, 1e-10, 400000, &fs, NULL);
            /* SGD also at MaSS's own step 1/L_m, larger than eta*(m) */
            sc.lr = p.sp.mass_eta1;
            it_sgd_lm += (double)run(&p, &sc, 7 + (uint64_t)s, 1e-10, 400000, &fl, NULL);
            assert_true(fm <= 1e-10);
            assert_true(fs <= 1e-10);
            assert_true(fl <= 1e-10);
            if (s == 0) {
                char buf[1024];
                print_message("%s", wl_spectral_format(&p.sp, buf, sizeof buf));
            }
            unmake(&p);
        }
        it_mass /= seeds;
        it_sgd /= seeds;
        it_sgd_lm /= seeds;
        print_message("batch %zu: iterations to loss 1e-10: MaSS %.0f, SGD at eta*(m) %.0f (ratio %.1f), "
                      "SGD at 1/L_m %.0f (ratio %.1f)\n",
                      m, it_mass, it_sgd, it_sgd / it_mass, it_sgd_lm, it_sgd_lm / it_mass);
        assert_true(it_sgd >= 5.0 * it_mass);
        assert_true(it_sgd_lm >= 5.0 * it_mass);
    }
}

static void test_nesterov_diverges(void **state) {
    (void)state;
    int seeds = 3, nest_grew = 0;
    double log_nest = 0, log_sgd = 0, log_mass = 0;
    for (int s = 0; s < seeds; s++) {
        problem p;
        make(&p, 2000 + (uint64_t)s);
        wl_optim_config nc = wl_optim_defaults(WL_OPT_NESTEROV), sc = wl_optim_defaults(WL_OPT_SGD);
        nc.lr = sc.lr = 1.0 / p.sp.L1;
        nc.momentum = 0.9;
        nc.batch = sc.batch = 1;
        double L0, fn, fs;
        double w0[D] = {0};
        WL_OK_OR_FAIL(wl_objective_value(p.o, w0, NULL, 0, &L0));
        int g1, g2;
        run(&p, &nc, 5 + (uint64_t)s, 0.0, 3000, &fn, &g1);
        run(&p, &sc, 5 + (uint64_t)s, 0.0, 3000, &fs, &g2);
        /* MaSS with the same eta1 and gamma, eta2 from kappa~ of the data */
        wl_optim_config mc = nc;
        mc.kind = WL_OPT_MASS;
        mc.mass_eta2 = -1;
        mc.mass_kappa_tilde = p.sp.kappa_tilde;
        double fmass;
        run(&p, &mc, 5 + (uint64_t)s, 0.0, 3000, &fmass, NULL);
        log_mass += log10(fmass / L0) / seeds;
        nest_grew += g1;
        log_nest += log10(fn / L0) / seeds;
        log_sgd += log10(fs / L0) / seeds;
        unmake(&p);
    }
    print_message("after 3000 steps at eta = 1/L1, mean log10(L/L0): Nesterov (gamma 0.9) %.1f, "
                  "SGD %.1f, MaSS (gamma 0.9) %.1f; Nesterov grew past L0 in %d of %d runs\n",
                  log_nest, log_sgd, log_mass, nest_grew, seeds);
    assert_true(log_nest > 0.0);
    assert_true(log_sgd < -1.0);
    assert_true(log_mass < -1.0);
}

/* SGD at eta*(m): linear scaling below the critical batch m* = beta/L + 1,
 * saturation above it (Ma, Bassily, Belkin 2018) */
static void test_batch_regimes(void **state) {
    (void)state;
    problem p;
    make(&p, 3000);
    const size_t ms[] = {1, 3, 0, 0};
    size_t mstar = (size_t)(p.sp.beta / p.sp.L + 1.0);
    size_t m4[4] = {ms[0], ms[1], 2 * mstar, 8 * mstar};
    double it[4];
    for (int j = 0; j < 4; j++) {
        WL_OK_OR_FAIL(wl_spectral_choose(&p.sp, m4[j]));
        wl_optim_config c = wl_optim_defaults(WL_OPT_SGD);
        WL_OK_OR_FAIL(wl_spectral_configure(&p.sp, &c));
        double f;
        it[j] = (double)run(&p, &c, 11, 1e-10, 400000, &f, NULL);
        assert_true(f <= 1e-10);
    }
    print_message("SGD at eta*(m), m* = %.2f: iterations to 1e-10 for m = 1, 3, %zu, %zu: %.0f %.0f %.0f %.0f\n",
                  p.sp.beta / p.sp.L + 1, m4[2], m4[3], it[0], it[1], it[2], it[3]);
    assert_true(it[0] / it[1] > 2.0);  /* nearly linear scaling: 3x the batch, ~3x fewer steps */
    assert_true(it[2] / it[3] < 1.5);  /* saturation: 4x the batch, about as many steps */
    unmake(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mass_beats_sgd),
        cmocka_unit_test(test_nesterov_diverges),
        cmocka_unit_test(test_batch_regimes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
