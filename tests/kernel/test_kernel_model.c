/* Kernel models: forward against the kernel matrix, vjp/jvp/xvjp against
 * finite differences, zero second order, clone, and the functional-gradient
 * SGD converging to the interpolating solution K^{-1} y (directly, through
 * the model's functional vjp, and through the MSE objective). */
#include "wl_test.h"

static void rand_fill(wl_rng *r, double *x, size_t n, double sd) {
    for (size_t i = 0; i < n; i++) x[i] = sd * wl_rng_normal(r);
}

/* k(x, z) = (1 + x.z)^2, as a user callback */
static int poly_cb(const wl_mat *X1, const wl_mat *X2, wl_mat *K, void *ctx) {
    (void)ctx;
    for (size_t i = 0; i < X1->rows; i++)
        for (size_t j = 0; j < X2->rows; j++) {
            double t = 1 + wl_dot(X1->cols, &WL_AT(X1, i, 0), &WL_AT(X2, j, 0));
            WL_AT(K, i, j) = t * t;
        }
    return WL_OK;
}

static wl_kfun kernel_of(int which) {
    wl_kfun k;
    memset(&k, 0, sizeof k);
    switch (which) {
    case 0: k.kind = WL_KFUN_GAUSSIAN; k.bandwidth = 1.3; break;
    case 1: k.kind = WL_KFUN_LAPLACIAN; k.bandwidth = 0.9; break;
    case 2: k.kind = WL_KFUN_NTK; wl_inf_arch_init(&k.arch); k.arch.depth = 2; break;
    case 3: k.kind = WL_KFUN_NNGP; wl_inf_arch_init(&k.arch); k.arch.act = WL_INF_ERF; break;
    default: k.kind = WL_KFUN_CALLBACK; k.cb = poly_cb; break;
    }
    return k;
}

static void test_derivatives(void **state) {
    (void)state;
    const size_t m = 6, d = 3, k = 2, n = 4;
    wl_rng r;
    wl_rng_seed(&r, 1);
    double z[18], x[12], w[12], v[12], u[8], g[12];
    rand_fill(&r, z, m * d, 1.0);
    rand_fill(&r, x, n * d, 1.0);
    rand_fill(&r, w, m * k, 1.0);
    rand_fill(&r, v, m * k, 1.0);
    rand_fill(&r, u, n * k, 1.0);
    wl_mat Z = wl_mat_view(z, m, d), X = wl_mat_view(x, n, d), U = wl_mat_view(u, n, k);
    for (int which = 0; which < 5; which++) {
        wl_kfun kf = kernel_of(which);
        wl_model *km;
        WL_OK_OR_FAIL(wl_kernel_model_new(&kf, &Z, k, 0, &km));
        assert_int_equal(km->dim, m * k);
        assert_string_equal(km->kind, "kernel");
        wl_mat F, JV, Q, Kx, Fp, Fm;
        wl_mat_alloc(&F, n, k);
        wl_mat_alloc(&JV, n, k);
        wl_mat_alloc(&Q, n, k);
        wl_mat_alloc(&Fp, n, k);
        wl_mat_alloc(&Fm, n, k);
        wl_mat_alloc(&Kx, n, m);
        /* forward = k(X, Z) A */
        WL_OK_OR_FAIL(wl_model_forward(km, w, &X, &F));
        WL_OK_OR_FAIL(wl_kfun_eval(&kf, &X, &Z, &Kx));
        for (size_t i = 0; i < n; i++)
            for (size_t c = 0; c < k; c++) {
                double s = 0;
                for (size_t j = 0; j < m; j++) s += WL_AT(&Kx, i, j) * w[j * k + c];
                WL_ASSERT_CLOSE(WL_AT(&F, i, c), s, 1e-13);
            }
        /* jvp against central differences along v */
        double wp[12], wm[12], h = 1e-5;
        for (size_t p = 0; p < m * k; p++) {
            wp[p] = w[p] + h * v[p];
            wm[p] = w[p] - h * v[p];
        }
        WL_OK_OR_FAIL(wl_model_jvp(km, w, &X, v, &JV));
        WL_OK_OR_FAIL(wl_model_forward(km, wp, &X, &Fp));
        WL_OK_OR_FAIL(wl_model_forward(km, wm, &X, &Fm));
        for (size_t i = 0; i < n * k; i++)
            WL_ASSERT_CLOSE(JV.data[i], (Fp.data[i] - Fm.data[i]) / (2 * h), 1e-7);
        /* vjp: <u, J v> = <J^T u, v>, and each gradient entry by differences */
        WL_OK_OR_FAIL(wl_model_vjp(km, w, &X, &U, g));
        WL_ASSERT_CLOSE(wl_dot(n * k, u, JV.data), wl_dot(m * k, g, v), 1e-12);
        for (size_t p = 0; p < m * k; p++) {
            memcpy(wp, w, sizeof wp);
            memcpy(wm, w, sizeof wm);
            wp[p] += h;
            wm[p] -= h;
            WL_OK_OR_FAIL(wl_model_forward(km, wp, &X, &Fp));
            WL_OK_OR_FAIL(wl_model_forward(km, wm, &X, &Fm));
            double fd = (wl_dot(n * k, u, Fp.data) - wl_dot(n * k, u, Fm.data)) / (2 * h);
            WL_ASSERT_CLOSE(g[p], fd, 1e-7);
        }
        /* linear in w: zero second order */
        WL_OK_OR_FAIL(wl_model_jvp2(km, w, &X, v, &Q));
        WL_OK_OR_FAIL(wl_model_hvp(km, w, &X, &U, v, g));
        assert_true(wl_mat_fro(&Q) == 0.0 && wl_nrm2(m * k, g) == 0.0);
        /* clone: same results */
        wl_model *c2 = wl_model_clone(km);
        assert_non_null(c2);
        WL_OK_OR_FAIL(wl_model_forward(c2, w, &X, &Fp));
        WL_OK_OR_FAIL(wl_model_forward(km, w, &X, &F));
        for (size_t i = 0; i < n * k; i++) assert_true(Fp.data[i] == F.data[i]);
        wl_model_free(c2);
        /* xvjp against differences in x (Gaussian, Laplacian), else unsupported */
        wl_mat GX;
        wl_mat_alloc(&GX, n, d);
        if (which < 2) {
            WL_OK_OR_FAIL(wl_model_xvjp(km, w, &X, &U, &GX));
            for (size_t q = 0; q < n * d; q++) {
                double xp[12], xm[12];
                memcpy(xp, x, sizeof xp);
                memcpy(xm, x, sizeof xm);
                xp[q] += h;
                xm[q] -= h;
                wl_mat Xp = wl_mat_view(xp, n, d), Xm = wl_mat_view(xm, n, d);
                WL_OK_OR_FAIL(wl_model_forward(km, w, &Xp, &Fp));
                WL_OK_OR_FAIL(wl_model_forward(km, w, &Xm, &Fm));
                double fd = (wl_dot(n * k, u, Fp.data) - wl_dot(n * k, u, Fm.data)) / (2 * h);
                WL_ASSERT_CLOSE(GX.data[q], fd, 1e-7);
            }
        } else {
            assert_int_equal(wl_model_xvjp(km, w, &X, &U, &GX), WL_EUNSUP);
        }
        wl_mat_free(&GX);
        wl_mat *ms[] = {&F, &JV, &Q, &Kx, &Fp, &Fm};
        for (int i = 0; i < 6; i++) wl_mat_free(ms[i]);
        wl_model_free(km);
    }
}

/* Functional SGD (batches of 5 centers, eta = 1) on a Gaussian kernel (bandwidth 0.5)
 * regression reaches A = K^{-1} Y; the three ways of taking the step agree. */
static void test_functional_sgd_interpolates(void **state) {
    (void)state;
    const size_t n = 20, d = 3, k = 2, nb = 5;
    wl_rng r;
    wl_rng_seed(&r, 2);
    wl_mat X, Y, K, Astar;
    wl_mat_alloc(&X, n, d);
    wl_mat_alloc(&Y, n, k);
    wl_mat_alloc(&K, n, n);
    wl_mat_alloc(&Astar, n, k);
    rand_fill(&r, X.data, n * d, 1.0);
    rand_fill(&r, Y.data, n * k, 1.0);
    wl_kfun kf = kernel_of(0);
    kf.bandwidth = 0.5;
    WL_OK_OR_FAIL(wl_kfun_eval(&kf, &X, NULL, &K));
    wl_mat L;
    wl_mat_alloc(&L, n, n);
    wl_mat_copy(&L, &K);
    WL_OK_OR_FAIL(wl_cholesky(&L));
    wl_mat_copy(&Astar, &Y);
    WL_OK_OR_FAIL(wl_chol_solve(&L, &Astar));
    wl_model *km, *kf_model;
    WL_OK_OR_FAIL(wl_kernel_model_new(&kf, &X, k, 0, &km));
    WL_OK_OR_FAIL(wl_kernel_model_new(&kf, &X, k, 1, &kf_model));
    wl_objective *obj;
    WL_OK_OR_FAIL(wl_objective_new(kf_model, WL_LOSS_MSE, &X, &Y, &obj));
    double *w1 = wl_dalloc(n * k, "w"), *w2 = wl_dalloc(n * k, "w"), *w3 = wl_dalloc(n * k, "w");
    double *g = wl_dalloc(n * k, "g");
    size_t perm[20];
    wl_mat Yb, Xb, G, Fb;
    wl_mat_alloc(&Yb, nb, k);
    wl_mat_alloc(&Xb, nb, d);
    wl_mat_alloc(&G, nb, k);
    wl_mat_alloc(&Fb, nb, k);
    const double eta = 1.0;
    size_t epoch = 0;
    double err = 1;
    for (; epoch < 3000 && err > 1e-9; epoch++) {
        wl_rng_permutation(&r, perm, n);
        for (size_t b0 = 0; b0 < n; b0 += nb) {
            const size_t *idx = perm + b0;
            for (size_t b = 0; b < nb; b++) {
                memcpy(&WL_AT(&Yb, b, 0), &WL_AT(&Y, idx[b], 0), k * sizeof(double));
                memcpy(&WL_AT(&Xb, b, 0), &WL_AT(&X, idx[b], 0), d * sizeof(double));
            }
            /* 1: the explicit step */
            double loss;
            WL_OK_OR_FAIL(wl_kernel_sgd_step(km, w1, idx, nb, &Yb, eta, &loss));
            /* 2: plain SGD with the functional vjp, G = (F - Y)/nb */
            WL_OK_OR_FAIL(wl_model_forward(kf_model, w2, &Xb, &Fb));
            for (size_t i = 0; i < nb * k; i++) G.data[i] = (Fb.data[i] - Yb.data[i]) / (double)nb;
            WL_OK_OR_FAIL(wl_model_vjp(kf_model, w2, &Xb, &G, g));
            wl_axpy(n * k, -eta, g, w2);
            /* 3: the MSE objective's gradient on the batch (an optimizer's view) */
            WL_OK_OR_FAIL(wl_objective_grad(obj, w3, idx, nb, NULL, g));
            wl_axpy(n * k, -eta, g, w3);
        }
        err = 0;
        for (size_t i = 0; i < n * k; i++) err = fmax(err, fabs(w1[i] - Astar.data[i]));
        err /= fmax(1.0, wl_mat_fro(&Astar));
    }
    print_message("functional SGD: %zu epochs to |A - K^-1 Y| <= %.2g\n", epoch, err);
    assert_true(err <= 1e-9);
    assert_true(wl_test_rel_err(n * k, w2, w1, 1.0) < 1e-10);
    assert_true(wl_test_rel_err(n * k, w3, w1, 1.0) < 1e-10);
    /* functional vjp on a row that is not a center */
    WL_AT(&Xb, 0, 0) += 1e-3;
    assert_int_equal(wl_model_vjp(kf_model, w2, &Xb, &G, g), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "not one of"));
    size_t bad = n;
    wl_mat Y1 = wl_mat_rows(&Yb, 0, 1);
    assert_int_equal(wl_kernel_sgd_step(km, w1, &bad, 1, &Y1, eta, NULL), WL_EINVAL);
    free(w1);
    free(w2);
    free(w3);
    free(g);
    wl_objective_free(obj);
    wl_model_free(km);
    wl_model_free(kf_model);
    wl_mat *ms[] = {&X, &Y, &K, &Astar, &L, &Yb, &Xb, &G, &Fb};
    for (int i = 0; i < 9; i++) wl_mat_free(ms[i]);
}

static void test_bad_input(void **state) {
    (void)state;
    double z[6] = {0, 1, 2, 3, 4, 5};
    wl_mat Z = wl_mat_view(z, 3, 2);
    wl_kfun kf = kernel_of(0);
    wl_model *km = NULL;
    kf.bandwidth = -1;
    assert_int_equal(wl_kernel_model_new(&kf, &Z, 1, 0, &km), WL_EINVAL);
    assert_null(km);
    kf = kernel_of(4);
    kf.cb = NULL;
    assert_int_equal(wl_kernel_model_new(&kf, &Z, 1, 0, &km), WL_EINVAL);
    kf = kernel_of(0);
    assert_int_equal(wl_kernel_model_new(&kf, &Z, 0, 0, &km), WL_EINVAL);
    z[3] = NAN;
    assert_int_equal(wl_kernel_model_new(&kf, &Z, 1, 0, &km), WL_EINVAL);
    wl_model *lin;
    WL_OK_OR_FAIL(wl_linear_new(2, 1, 0, &lin));
    double w[2] = {0, 0}, y = 1;
    size_t i0 = 0;
    wl_mat Y = wl_mat_view(&y, 1, 1);
    assert_int_equal(wl_kernel_sgd_step(lin, w, &i0, 1, &Y, 1.0, NULL), WL_EINVAL);
    wl_model_free(lin);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_derivatives),
        cmocka_unit_test(test_functional_sgd_interpolates),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
