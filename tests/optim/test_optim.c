/* Optimizers: update formulas against hand-written steps, GD's predicted
 * rate on a quadratic, loss decrease for every kind, schedules, the MaSS
 * restart on a drop, the batcher, and bit-identical resumption from saved
 * state. */
#include "wl_test.h"

#define BHEAD_TEST 15 /* first permutation entry in a batcher state */

typedef struct prob {
    wl_mat X, Y;
    wl_model *m;
    wl_objective *o;
} prob;

/* n x d Gaussian inputs with decaying scales, k outputs; MSE targets from a
 * planted linear map, or one-hot argmax labels for cross-entropy */
static void make(prob *p, size_t n, size_t d, size_t k, wl_loss_kind loss, uint64_t seed) {
    wl_rng r;
    wl_rng_seed(&r, seed);
    wl_mat_alloc(&p->X, n, d);
    wl_mat_alloc(&p->Y, n, k);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) WL_AT(&p->X, i, j) = pow(0.7, (double)j) * wl_rng_normal(&r);
    double *ws = wl_dalloc(k * d, "w*");
    wl_rng_normal_fill(&r, ws, k * d, 0, 1);
    for (size_t i = 0; i < n; i++) {
        size_t best = 0;
        double f[16];
        for (size_t c = 0; c < k; c++) {
            f[c] = wl_dot(d, ws + c * d, &WL_AT(&p->X, i, 0));
            if (f[c] > f[best]) best = c;
        }
        for (size_t c = 0; c < k; c++)
            WL_AT(&p->Y, i, c) = loss == WL_LOSS_MSE ? f[c] : (double)(c == best);
    }
    free(ws);
    WL_OK_OR_FAIL(wl_linear_new(d, k, loss == WL_LOSS_XENT, &p->m));
    WL_OK_OR_FAIL(wl_objective_new(p->m, loss, &p->X, &p->Y, &p->o));
}

static void unmake(prob *p) {
    wl_objective_free(p->o);
    wl_model_free(p->m);
    wl_mat_free(&p->X);
    wl_mat_free(&p->Y);
}

/* ---- update formulas, two steps by hand ---------------------------------------- */

static void test_update_formulas(void **state) {
    (void)state;
    prob p;
    make(&p, 12, 3, 1, WL_LOSS_MSE, 1);
    size_t D = 3, idx[2][3] = {{0, 5, 7}, {2, 3, 11}};
    double w0[3] = {0.5, -0.2, 0.1};
    wl_optim_kind kinds[] = {WL_OPT_SGD, WL_OPT_HEAVYBALL, WL_OPT_NESTEROV, WL_OPT_MASS, WL_OPT_ADAM};
    for (size_t ki = 0; ki < 5; ki++) {
        wl_optim_config c = wl_optim_defaults(kinds[ki]);
        c.lr = 0.3;
        c.momentum = 0.6;
        c.weight_decay = 0.05;
        c.mass_eta2 = 0.07;
        wl_optim *opt;
        WL_OK_OR_FAIL(wl_optim_new(&c, D, &opt));
        double w[3], ref[3], u[3], v[3] = {0}, m1[3] = {0}, m2[3] = {0}, g[3], wprev[3];
        memcpy(w, w0, sizeof w), memcpy(ref, w0, sizeof w), memcpy(u, w0, sizeof u);
        for (int t = 0; t < 2; t++) {
            double L, Lref;
            WL_OK_OR_FAIL(wl_optim_step(opt, p.o, w, idx[t], 3, &L));
            const double *at = (kinds[ki] == WL_OPT_NESTEROV || kinds[ki] == WL_OPT_MASS) ? u : ref;
            WL_OK_OR_FAIL(wl_objective_grad(p.o, at, idx[t], 3, &Lref, g));
            WL_ASSERT_CLOSE(L, Lref, 1e-15);
            for (size_t j = 0; j < D; j++) g[j] += c.weight_decay * at[j];
            memcpy(wprev, ref, sizeof ref);
            for (size_t j = 0; j < D; j++) {
                switch (kinds[ki]) {
                case WL_OPT_SGD: ref[j] -= c.lr * g[j]; break;
                case WL_OPT_HEAVYBALL:
                    v[j] = c.momentum * v[j] - c.lr * g[j];
                    ref[j] += v[j];
                    break;
                case WL_OPT_NESTEROV:
                case WL_OPT_MASS: {
                    double eta2 = kinds[ki] == WL_OPT_MASS ? c.mass_eta2 : 0.0;
                    ref[j] = u[j] - c.lr * g[j];
                    u[j] = (1 + c.momentum) * ref[j] - c.momentum * wprev[j] + eta2 * g[j];
                    break;
                }
                case WL_OPT_ADAM: {
                    m1[j] = 0.9 * m1[j] + 0.1 * g[j];
                    m2[j] = 0.999 * m2[j] + 0.001 * g[j] * g[j];
                    double mh = m1[j] / (1 - pow(0.9, t + 1)), vh = m2[j] / (1 - pow(0.999, t + 1));
                    ref[j] -= c.lr * mh / (sqrt(vh) + 1e-8);
                    break;
                }
                default: break;
                }
            }
            for (size_t j = 0; j < D; j++) WL_ASSERT_CLOSE(w[j], ref[j], 1e-14);
        }
        assert_int_equal(wl_optim_steps(opt), 2);
        wl_optim_free(opt);
    }
    unmake(&p);
}

/* GD with eta = 1/L on a quadratic: L_t <= (1 - eta mu)^t L_0 (THEORY.md,
 * PL*), the sharper (1 - eta mu)^(2t) of a quadratic, and the late ratio
 * L_{t+1}/L_t equal to (1 - eta mu)^2 */
static void test_gd_rate(void **state) {
    (void)state;
    prob p;
    make(&p, 60, 5, 1, WL_LOSS_MSE, 2);
    wl_spectral s;
    WL_OK_OR_FAIL(wl_spectral_from_data(&p.X, &s));
    wl_optim_config c = wl_optim_defaults(WL_OPT_GD);
    WL_OK_OR_FAIL(wl_spectral_choose(&s, 1));
    WL_OK_OR_FAIL(wl_spectral_configure(&s, &c));
    WL_ASSERT_CLOSE(c.lr, 1.0 / s.L, 1e-15);
    wl_optim *opt;
    WL_OK_OR_FAIL(wl_optim_new(&c, 5, &opt));
    double w[5] = {0}, L0, L, Lprev = 0, q = 1 - c.lr * s.mu;
    WL_OK_OR_FAIL(wl_objective_value(p.o, w, NULL, 0, &L0));
    size_t T = 400;
    for (size_t t = 1; t <= T; t++) {
        WL_OK_OR_FAIL(wl_optim_step(opt, p.o, w, NULL, 0, NULL));
        WL_OK_OR_FAIL(wl_objective_value(p.o, w, NULL, 0, &L));
        assert_true(L <= pow(q, (double)t) * L0 * (1 + 1e-12));
        assert_true(L <= pow(q, 2.0 * (double)t) * L0 * (1 + 1e-9));
        if (t == T) WL_ASSERT_CLOSE(L / Lprev, q * q, 1e-3);
        Lprev = L;
    }
    wl_optim_free(opt);
    unmake(&p);
}

/* every optimizer decreases the loss on small MSE and cross-entropy problems */
static void test_all_decrease(void **state) {
    (void)state;
    for (int loss = 0; loss < 2; loss++) {
        prob p;
        make(&p, 80, 6, loss ? 3 : 2, (wl_loss_kind)loss, 3);
        for (int k = 0; k <= WL_OPT_MASS; k++) {
            wl_optim_config c = wl_optim_defaults((wl_optim_kind)k);
            c.lr = (k == WL_OPT_ADAM || !loss) ? 0.05 : 0.5;
            c.batch = k == WL_OPT_GD ? 0 : 8;
            wl_optim *opt;
            wl_batcher *b;
            wl_rng r;
            wl_rng_seed(&r, 4);
            WL_OK_OR_FAIL(wl_optim_new(&c, p.m->dim, &opt));
            WL_OK_OR_FAIL(wl_batcher_new(80, c.batch, 0, &r, &b));
            double *w = wl_dalloc(p.m->dim, "w"), L0, L;
            WL_OK_OR_FAIL(wl_objective_value(p.o, w, NULL, 0, &L0));
            WL_OK_OR_FAIL(wl_optim_run(opt, p.o, b, w, 300, NULL));
            WL_OK_OR_FAIL(wl_objective_value(p.o, w, NULL, 0, &L));
            print_message("%-9s %-4s: loss %.4g -> %.4g\n", wl_optim_name((wl_optim_kind)k), loss ? "xent" : "mse", L0, L);
            if (L > 0.2 * L0)
                fail_msg("%s on %s: loss %g -> %g", wl_optim_name((wl_optim_kind)k), loss ? "xent" : "mse", L0, L);
            free(w);
            wl_optim_free(opt);
            wl_batcher_free(b);
        }
        unmake(&p);
    }
}

/* ---- schedules ------------------------------------------------------------------ */

static void test_schedules(void **state) {
    (void)state;
    wl_schedule s;
    memset(&s, 0, sizeof s);
    WL_OK_OR_FAIL(wl_schedule_parse("const", &s));
    WL_ASSERT_CLOSE(wl_schedule_factor(&s, 12345), 1.0, 0);
    WL_OK_OR_FAIL(wl_schedule_parse("step:100,200:0.1", &s));
    WL_ASSERT_CLOSE(wl_schedule_factor(&s, 99), 1.0, 0);
    WL_ASSERT_CLOSE(wl_schedule_factor(&s, 100), 0.1, 1e-15);
    WL_ASSERT_CLOSE(wl_schedule_factor(&s, 199), 0.1, 1e-15);
    WL_ASSERT_CLOSE(wl_schedule_factor(&s, 200), 0.01, 1e-15);
    assert_true(wl_schedule_is_drop(&s, 100) && wl_schedule_is_drop(&s, 200));
    assert_false(wl_schedule_is_drop(&s, 150) || wl_schedule_is_drop(&s, 0));
    WL_OK_OR_FAIL(wl_schedule_parse("cosine:1000:0.1", &s));
    WL_ASSERT_CLOSE(wl_schedule_factor(&s, 0), 1.0, 1e-15);
    WL_ASSERT_CLOSE(wl_schedule_factor(&s, 500), 0.55, 1e-15);
    WL_ASSERT_CLOSE(wl_schedule_factor(&s, 1000), 0.1, 1e-15);
    WL_ASSERT_CLOSE(wl_schedule_factor(&s, 5000), 0.1, 1e-15);
    WL_ASSERT_CLOSE(wl_schedule_factor(&s, 250), 0.1 + 0.9 * 0.5 * (1 + cos(M_PI / 4)), 1e-15);
    /* warm-up: linear ramp to lr over 10 steps, then the cosine over the rest */
    s.warmup = 10;
    WL_OK_OR_FAIL(wl_schedule_parse("cosine:110", &s));
    assert_int_equal(s.warmup, 10);
    WL_ASSERT_CLOSE(wl_schedule_factor(&s, 0), 0.1, 1e-15);
    WL_ASSERT_CLOSE(wl_schedule_factor(&s, 4), 0.5, 1e-15);
    WL_ASSERT_CLOSE(wl_schedule_factor(&s, 10), 1.0, 1e-15);
    WL_ASSERT_CLOSE(wl_schedule_factor(&s, 60), 0.5, 1e-15);
    WL_ASSERT_CLOSE(wl_schedule_factor(&s, 110), 0.0, 1e-15);
    char buf[128];
    assert_string_equal(wl_schedule_format(&s, buf, sizeof buf), "cosine(110->0)+warmup(10)");
    /* errors name the bad piece */
    assert_int_equal(wl_schedule_parse("step:200,100", &s), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "increase"));
    assert_int_equal(wl_schedule_parse("step:x", &s), WL_EINVAL);
    assert_int_equal(wl_schedule_parse("cosine:0", &s), WL_EINVAL);
    assert_int_equal(wl_schedule_parse("linear", &s), WL_EINVAL);
    assert_int_equal(wl_schedule_parse("step:10:0.5junk", &s), WL_EINVAL);
}

/* the optimizer follows the schedule, and MaSS restarts (u = w) at a drop:
 * the step at the drop equals a fresh MaSS with the dropped rates from w */
static void test_schedule_in_optimizer(void **state) {
    (void)state;
    prob p;
    make(&p, 20, 4, 1, WL_LOSS_MSE, 5);
    wl_optim_config c = wl_optim_defaults(WL_OPT_MASS);
    c.lr = 0.2, c.momentum = 0.8, c.mass_eta2 = 0.05;
    WL_OK_OR_FAIL(wl_schedule_parse("step:3:0.25", &c.sched));
    wl_optim *a, *b;
    WL_OK_OR_FAIL(wl_optim_new(&c, 4, &a));
    double w[4] = {1, 1, 1, 1}, wb[4];
    for (int t = 0; t < 3; t++) {
        WL_ASSERT_CLOSE(wl_optim_lr(a), 0.2, 1e-15);
        WL_OK_OR_FAIL(wl_optim_step(a, p.o, w, NULL, 0, NULL));
    }
    WL_ASSERT_CLOSE(wl_optim_lr(a), 0.05, 1e-15);
    memcpy(wb, w, sizeof w);
    WL_OK_OR_FAIL(wl_optim_step(a, p.o, w, NULL, 0, NULL));
    wl_optim_config cb = c;
    cb.lr = 0.05, cb.mass_eta2 = 0.0125;
    cb.sched.kind = WL_SCHED_CONST;
    WL_OK_OR_FAIL(wl_optim_new(&cb, 4, &b));
    WL_OK_OR_FAIL(wl_optim_step(b, p.o, wb, NULL, 0, NULL));
    for (int j = 0; j < 4; j++) WL_ASSERT_CLOSE(w[j], wb[j], 1e-15);
    wl_optim_free(a);
    wl_optim_free(b);
    unmake(&p);
}

/* ---- batcher ------------------------------------------------------------------------ */

static void test_batcher(void **state) {
    (void)state;
    size_t n = 23, m = 5;
    wl_rng r;
    wl_rng_seed(&r, 8);
    wl_batcher *b, *c;
    WL_OK_OR_FAIL(wl_batcher_new(n, m, 0, &r, &b));
    WL_OK_OR_FAIL(wl_batcher_new(n, m, 0, &r, &c));
    size_t first[23], second[23];
    for (int e = 0; e < 2; e++) {
        int seen[23] = {0};
        size_t got = 0;
        for (int k = 0; k < 5; k++) {
            const size_t *idx, *idx2;
            size_t nb, nb2;
            WL_OK_OR_FAIL(wl_batcher_next(b, &idx, &nb));
            WL_OK_OR_FAIL(wl_batcher_next(c, &idx2, &nb2));
            assert_int_equal(nb, k < 4 ? 5 : 3);
            assert_int_equal(nb, nb2);
            assert_memory_equal(idx, idx2, nb * sizeof(size_t)); /* same seed, same batches */
            assert_int_equal(wl_batcher_epoch(b), (size_t)e);
            for (size_t j = 0; j < nb; j++) {
                seen[idx[j]]++;
                (e ? second : first)[got++] = idx[j];
            }
        }
        for (size_t i = 0; i < n; i++) assert_int_equal(seen[i], 1); /* a permutation */
    }
    assert_true(memcmp(first, second, sizeof first) != 0); /* reshuffled */
    wl_batcher_free(c);
    /* a different seed gives a different order */
    wl_rng_seed(&r, 9);
    WL_OK_OR_FAIL(wl_batcher_new(n, m, 0, &r, &c));
    const size_t *idx;
    size_t nb;
    WL_OK_OR_FAIL(wl_batcher_next(c, &idx, &nb));
    assert_true(memcmp(idx, first, 5 * sizeof(size_t)) != 0);
    wl_batcher_free(c);
    /* drop_last: 4 batches of 5 per epoch */
    wl_rng_seed(&r, 8);
    WL_OK_OR_FAIL(wl_batcher_new(n, m, 1, &r, &c));
    for (int k = 0; k < 9; k++) {
        WL_OK_OR_FAIL(wl_batcher_next(c, &idx, &nb));
        assert_int_equal(nb, 5);
    }
    assert_int_equal(wl_batcher_epoch(c), 2);
    wl_batcher_free(c);
    /* full batch: 0..n-1 in order */
    WL_OK_OR_FAIL(wl_batcher_new(n, 0, 0, &r, &c));
    WL_OK_OR_FAIL(wl_batcher_next(c, &idx, &nb));
    assert_int_equal(nb, n);
    for (size_t i = 0; i < n; i++) assert_int_equal(idx[i], i);
    wl_batcher_free(c);
    /* save mid-epoch, load into a batcher with another seed: same continuation */
    double *st = wl_dalloc(wl_batcher_state_size(b), "state");
    WL_OK_OR_FAIL(wl_batcher_next(b, &idx, &nb));
    WL_OK_OR_FAIL(wl_batcher_state_save(b, st));
    wl_rng_seed(&r, 99);
    WL_OK_OR_FAIL(wl_batcher_new(n, m, 0, &r, &c));
    WL_OK_OR_FAIL(wl_batcher_state_load(c, st, wl_batcher_state_size(b)));
    for (int k = 0; k < 12; k++) {
        const size_t *i1, *i2;
        size_t n1, n2;
        WL_OK_OR_FAIL(wl_batcher_next(b, &i1, &n1));
        WL_OK_OR_FAIL(wl_batcher_next(c, &i2, &n2));
        assert_int_equal(n1, n2);
        assert_memory_equal(i1, i2, n1 * sizeof(size_t));
    }
    st[BHEAD_TEST] = 1e300;
    assert_int_equal(wl_batcher_state_load(c, st, wl_batcher_state_size(b)), WL_EFORMAT);
    free(st);
    wl_batcher_free(b);
    wl_batcher_free(c);
}

/* ---- checkpoints: stop, save, reload into fresh objects, continue ---------------------- */

static void resume_kind(wl_optim_kind kind, prob *p) {
    wl_optim_config c = wl_optim_defaults(kind);
    c.lr = kind == WL_OPT_ADAM ? 0.01 : 0.05;
    c.batch = 7;
    c.weight_decay = 1e-3;
    c.sched.warmup = 5;
    WL_OK_OR_FAIL(wl_schedule_parse("step:30,60:0.5", &c.sched));
    size_t P = p->m->dim, n = p->X.rows;
    wl_rng r;
    wl_rng_seed(&r, 31);
    wl_optim *o1, *o2;
    wl_batcher *b1, *b2;
    WL_OK_OR_FAIL(wl_optim_new(&c, P, &o1));
    WL_OK_OR_FAIL(wl_batcher_new(n, c.batch, 0, &r, &b1));
    double *w1 = wl_dalloc(P, "w1"), *w2 = wl_dalloc(P, "w2");
    wl_rng_seed(&r, 32);
    WL_OK_OR_FAIL(wl_model_init(p->m, &r, w1));
    WL_OK_OR_FAIL(wl_optim_run(o1, p->o, b1, w1, 37, NULL));
    /* checkpoint */
    size_t so = wl_optim_state_size(o1), sb = wl_batcher_state_size(b1);
    double *so_buf = wl_dalloc(so, "optim state"), *sb_buf = wl_dalloc(sb, "batcher state");
    WL_OK_OR_FAIL(wl_optim_state_save(o1, so_buf));
    WL_OK_OR_FAIL(wl_batcher_state_save(b1, sb_buf));
    memcpy(w2, w1, P * sizeof(double));
    /* uninterrupted run continues */
    WL_OK_OR_FAIL(wl_optim_run(o1, p->o, b1, w1, 50, NULL));
    /* resumed run from fresh objects */
    wl_rng_seed(&r, 77);
    WL_OK_OR_FAIL(wl_optim_new(&c, P, &o2));
    WL_OK_OR_FAIL(wl_batcher_new(n, c.batch, 0, &r, &b2));
    WL_OK_OR_FAIL(wl_optim_state_load(o2, so_buf, so));
    WL_OK_OR_FAIL(wl_batcher_state_load(b2, sb_buf, sb));
    assert_int_equal(wl_optim_steps(o2), 37);
    WL_OK_OR_FAIL(wl_optim_run(o2, p->o, b2, w2, 50, NULL));
    if (memcmp(w1, w2, P * sizeof(double)) != 0) fail_msg("%s: resumed run differs", wl_optim_name(kind));
    /* a state of another kind or size is refused */
    wl_optim *o3;
    wl_optim_config c3 = wl_optim_defaults(kind == WL_OPT_ADAM ? WL_OPT_MASS : WL_OPT_ADAM);
    WL_OK_OR_FAIL(wl_optim_new(&c3, P, &o3));
    assert_int_not_equal(wl_optim_state_load(o3, so_buf, so), WL_OK);
    wl_optim_free(o3);
    free(w1), free(w2), free(so_buf), free(sb_buf);
    wl_optim_free(o1), wl_optim_free(o2);
    wl_batcher_free(b1), wl_batcher_free(b2);
}

static void test_resume_bit_identical(void **state) {
    (void)state;
    prob p;
    make(&p, 50, 5, 3, WL_LOSS_XENT, 6);
    for (int k = 0; k <= WL_OPT_MASS; k++) resume_kind((wl_optim_kind)k, &p);
    unmake(&p);
}

static void test_config_errors(void **state) {
    (void)state;
    wl_optim *o = NULL;
    wl_optim_config c = wl_optim_defaults(WL_OPT_SGD);
    c.lr = 0;
    assert_int_equal(wl_optim_new(&c, 3, &o), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "learning rate"));
    c = wl_optim_defaults(WL_OPT_MASS);
    c.momentum = 1.0;
    assert_int_equal(wl_optim_new(&c, 3, &o), WL_EINVAL);
    c.momentum = 0.5;
    c.mass_kappa_tilde = 0.5;
    assert_int_equal(wl_optim_new(&c, 3, &o), WL_EINVAL);
    assert_null(o);
    wl_optim_kind k;
    assert_int_equal(wl_optim_parse("lbfgs", &k), WL_EINVAL);
    WL_OK_OR_FAIL(wl_optim_parse("momentum", &k));
    assert_int_equal(k, WL_OPT_HEAVYBALL);
    /* describe names the settings; eta2 derived from kappa~ */
    c = wl_optim_defaults(WL_OPT_MASS);
    c.lr = 0.1, c.momentum = 0.5, c.mass_kappa_tilde = 4;
    WL_OK_OR_FAIL(wl_optim_new(&c, 3, &o));
    char buf[512];
    wl_optim_describe(o, buf, sizeof buf);
    assert_non_null(strstr(buf, "mass"));
    assert_non_null(strstr(buf, "eta2 0.05625")); /* 0.1 (1 - 1/4)(1 + 0.5)/2 */
    wl_optim_free(o);
    /* a model of another size is refused; a diverging loss stops with WL_ENUMERIC */
    prob p;
    make(&p, 10, 3, 1, WL_LOSS_MSE, 7);
    c = wl_optim_defaults(WL_OPT_GD);
    WL_OK_OR_FAIL(wl_optim_new(&c, 4, &o));
    double w[4] = {0};
    assert_int_equal(wl_optim_step(o, p.o, w, NULL, 0, NULL), WL_EINVAL);
    wl_optim_free(o);
    c.lr = 1e3;
    WL_OK_OR_FAIL(wl_optim_new(&c, 3, &o));
    int rc = WL_OK;
    for (int t = 0; t < 2000 && rc == WL_OK; t++) rc = wl_optim_step(o, p.o, w, NULL, 0, NULL);
    assert_int_equal(rc, WL_ENUMERIC);
    wl_optim_free(o);
    unmake(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_update_formulas),    cmocka_unit_test(test_gd_rate),
        cmocka_unit_test(test_all_decrease),       cmocka_unit_test(test_schedules),
        cmocka_unit_test(test_schedule_in_optimizer), cmocka_unit_test(test_batcher),
        cmocka_unit_test(test_resume_bit_identical), cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
