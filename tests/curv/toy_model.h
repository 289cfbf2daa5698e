/* Test helper: a small non-linear model with hand-derived exact derivatives,
 *   f_c(w; x) = e^{b.x} sin(a_c . x),   w = [A (k x d, rows a_c), b (d)].
 * With s = sin(a_c.x), co = cos(a_c.x), e = e^{b.x}, alpha_c = va_c.x, beta = vb.x:
 *   J_c v       = e (co alpha_c + s beta)
 *   v^T H_c v   = e (-s alpha_c^2 + 2 co alpha_c beta + s beta^2)
 *   H_c v       = [a_c block: e (-s alpha_c + co beta) x;  b block: e (co alpha_c + s beta) x] */
#ifndef WL_TEST_TOY_MODEL_H
#define WL_TEST_TOY_MODEL_H

#include "wl_test.h"

typedef struct toy {
    wl_model pub;
} toy;

static inline double toy_dot(const double *a, const double *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* per point: e, s_c, co_c, alpha_c, beta (alpha, beta only with v) */
#define TOY_SETUP(m, w, x)                                       \
    size_t d = (m)->n_in, k = (m)->n_out;                        \
    const double *bw = (w) + k * d;                              \
    double e = exp(toy_dot(bw, (x), d));

static int toy_forward(wl_model *m, const double *w, const wl_mat *X, wl_mat *F) {
    for (size_t i = 0; i < X->rows; i++) {
        const double *x = &WL_AT(X, i, 0);
        TOY_SETUP(m, w, x)
        for (size_t c = 0; c < k; c++) WL_AT(F, i, c) = e * sin(toy_dot(w + c * d, x, d));
    }
    return WL_OK;
}

static int toy_vjp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G, double *gw) {
    memset(gw, 0, m->dim * sizeof(double));
    for (size_t i = 0; i < X->rows; i++) {
        const double *x = &WL_AT(X, i, 0);
        TOY_SETUP(m, w, x)
        for (size_t c = 0; c < k; c++) {
            double z = toy_dot(w + c * d, x, d), g = WL_AT(G, i, c);
            for (size_t j = 0; j < d; j++) {
                gw[c * d + j] += g * e * cos(z) * x[j];
                gw[k * d + j] += g * e * sin(z) * x[j];
            }
        }
    }
    return WL_OK;
}

static int toy_jvp(wl_model *m, const double *w, const wl_mat *X, const double *v, wl_mat *JV) {
    for (size_t i = 0; i < X->rows; i++) {
        const double *x = &WL_AT(X, i, 0);
        TOY_SETUP(m, w, x)
        double beta = toy_dot(v + k * d, x, d);
        for (size_t c = 0; c < k; c++) {
            double z = toy_dot(w + c * d, x, d), al = toy_dot(v + c * d, x, d);
            WL_AT(JV, i, c) = e * (cos(z) * al + sin(z) * beta);
        }
    }
    return WL_OK;
}

static int toy_jvp2(wl_model *m, const double *w, const wl_mat *X, const double *v, wl_mat *Q) {
    for (size_t i = 0; i < X->rows; i++) {
        const double *x = &WL_AT(X, i, 0);
        TOY_SETUP(m, w, x)
        double beta = toy_dot(v + k * d, x, d);
        for (size_t c = 0; c < k; c++) {
            double z = toy_dot(w + c * d, x, d), al = toy_dot(v + c * d, x, d);
            WL_AT(Q, i, c) = e * (-sin(z) * al * al + 2 * cos(z) * al * beta + sin(z) * beta * beta);
        }
    }
    return WL_OK;
}

static int toy_hvp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G, const double *v,
                   double *hv) {
    memset(hv, 0, m->dim * sizeof(double));
    for (size_t i = 0; i < X->rows; i++) {
        const double *x = &WL_AT(X, i, 0);
        TOY_SETUP(m, w, x)
        double beta = toy_dot(v + k * d, x, d);
        for (size_t c = 0; c < k; c++) {
            double z = toy_dot(w + c * d, x, d), al = toy_dot(v + c * d, x, d), g = WL_AT(G, i, c);
            double ga = g * e * (-sin(z) * al + cos(z) * beta), gb = g * e * (cos(z) * al + sin(z) * beta);
            for (size_t j = 0; j < d; j++) {
                hv[c * d + j] += ga * x[j];
                hv[k * d + j] += gb * x[j];
            }
        }
    }
    return WL_OK;
}

static int toy_init(wl_model *m, wl_rng *r, double *w) {
    wl_rng_normal_fill(r, w, m->dim, 0.0, 0.5);
    return WL_OK;
}

static wl_model *toy_clone(const wl_model *m);
static void toy_free(wl_model *m) { free(m); }

static const wl_model_ops toy_ops = {toy_forward, toy_vjp,  toy_jvp,   toy_jvp2, toy_hvp,
                                     NULL,        toy_init, toy_clone, toy_free};

static inline wl_model *toy_new(size_t d, size_t k) {
    toy *t = calloc(1, sizeof *t);
    t->pub = (wl_model){&toy_ops, k * d + d, d, k, "toy", 0, NULL};
    return &t->pub;
}

static wl_model *toy_clone(const wl_model *m) { return toy_new(m->n_in, m->n_out); }

#endif
