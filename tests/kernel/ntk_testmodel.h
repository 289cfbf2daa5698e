/* Small models written out by hand for the kernel tests (independent of the
 * network module): a 2-layer tanh network with biases and k outputs, and the
 * linear model f = W x whose tangent kernel has a closed form.
 *
 *   tanh net: h = tanh(W x / sqrt(d) + b),  f = V h / sqrt(m) + c
 *             w = [W (m x d), b (m), V (k x m), c (k)]
 *   linear:   f = W x, w = W (k x d); K_trace = k X1 X2^T, K_full = X1 X2^T (x) I_k */
#ifndef NTK_TESTMODEL_H
#define NTK_TESTMODEL_H

#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "widelab.h"

typedef struct tm_model {
    wl_model base;
    size_t d, m, k;
    int linear;
} tm_model;

/* pre-activation u = W x / sqrt(d) + b and h = tanh(u) for one row */
static void tm_hidden(const tm_model *t, const double *w, const double *x, double *h) {
    const double *W = w, *b = w + t->m * t->d;
    for (size_t i = 0; i < t->m; i++) {
        double u = 0;
        for (size_t j = 0; j < t->d; j++) u += W[i * t->d + j] * x[j];
        h[i] = tanh(u / sqrt((double)t->d) + b[i]);
    }
}

static int tm_forward(wl_model *mm, const double *w, const wl_mat *X, wl_mat *F) {
    tm_model *t = (tm_model *)mm;
    double *h = malloc(t->m * sizeof *h);
    for (size_t n = 0; n < X->rows; n++) {
        const double *x = &WL_AT(X, n, 0);
        for (size_t c = 0; c < t->k; c++) {
            double s = 0;
            if (t->linear) {
                for (size_t j = 0; j < t->d; j++) s += w[c * t->d + j] * x[j];
            } else {
                if (c == 0) tm_hidden(t, w, x, h);
                const double *V = w + t->m * t->d + t->m, *cb = V + t->k * t->m;
                for (size_t i = 0; i < t->m; i++) s += V[c * t->m + i] * h[i];
                s = s / sqrt((double)t->m) + cb[c];
            }
            WL_AT(F, n, c) = s;
        }
    }
    free(h);
    return WL_OK;
}

/* gw = sum_n J_n^T G_n */
static int tm_vjp(wl_model *mm, const double *w, const wl_mat *X, const wl_mat *G, double *gw) {
    tm_model *t = (tm_model *)mm;
    size_t d = t->d, m = t->m, k = t->k;
    memset(gw, 0, mm->dim * sizeof *gw);
    double *h = malloc(m * sizeof *h);
    for (size_t n = 0; n < X->rows; n++) {
        const double *x = &WL_AT(X, n, 0), *g = &WL_AT(G, n, 0);
        if (t->linear) {
            for (size_t c = 0; c < k; c++)
                for (size_t j = 0; j < d; j++) gw[c * d + j] += g[c] * x[j];
            continue;
        }
        tm_hidden(t, w, x, h);
        const double *V = w + m * d + m;
        double *gW = gw, *gb = gw + m * d, *gV = gb + m, *gc = gV + k * m;
        for (size_t i = 0; i < m; i++) {
            double back = 0;
            for (size_t c = 0; c < k; c++) {
                back += g[c] * V[c * m + i];
                gV[c * m + i] += g[c] * h[i] / sqrt((double)m);
            }
            double delta = back / sqrt((double)m) * (1 - h[i] * h[i]);
            gb[i] += delta;
            for (size_t j = 0; j < d; j++) gW[i * d + j] += delta * x[j] / sqrt((double)d);
        }
        for (size_t c = 0; c < k; c++) gc[c] += g[c];
    }
    free(h);
    return WL_OK;
}

/* JV_n = J_n v */
static int tm_jvp(wl_model *mm, const double *w, const wl_mat *X, const double *v, wl_mat *JV) {
    tm_model *t = (tm_model *)mm;
    size_t d = t->d, m = t->m, k = t->k;
    double *h = malloc(m * sizeof *h);
    for (size_t n = 0; n < X->rows; n++) {
        const double *x = &WL_AT(X, n, 0);
        if (t->linear) {
            for (size_t c = 0; c < k; c++) {
                double s = 0;
                for (size_t j = 0; j < d; j++) s += v[c * d + j] * x[j];
                WL_AT(JV, n, c) = s;
            }
            continue;
        }
        tm_hidden(t, w, x, h);
        const double *V = w + m * d + m;
        const double *vW = v, *vb = v + m * d, *vV = vb + m, *vc = vV + k * m;
        for (size_t c = 0; c < k; c++) WL_AT(JV, n, c) = vc[c];
        for (size_t i = 0; i < m; i++) {
            double du = vb[i];
            for (size_t j = 0; j < d; j++) du += vW[i * d + j] * x[j] / sqrt((double)d);
            double dh = (1 - h[i] * h[i]) * du;
            for (size_t c = 0; c < k; c++)
                WL_AT(JV, n, c) += (vV[c * m + i] * h[i] + V[c * m + i] * dh) / sqrt((double)m);
        }
    }
    free(h);
    return WL_OK;
}

static void tm_free(wl_model *mm) { free(mm); }

static wl_model *tm_clone(const wl_model *mm) {
    tm_model *t = malloc(sizeof *t);
    memcpy(t, mm, sizeof *t);
    return &t->base;
}

static const wl_model_ops tm_ops = {tm_forward, tm_vjp, tm_jvp, NULL, NULL, NULL, NULL,
                                    tm_clone, tm_free};

/* linear = 1: f = W x (m ignored) */
static wl_model *tm_new(size_t d, size_t m, size_t k, int linear) {
    tm_model *t = calloc(1, sizeof *t);
    t->base.ops = &tm_ops;
    t->base.n_in = d;
    t->base.n_out = k;
    t->base.dim = linear ? k * d : m * d + m + k * m + k;
    t->base.kind = linear ? "test-linear" : "test-tanh";
    t->d = d;
    t->m = m;
    t->k = k;
    t->linear = linear;
    return &t->base;
}

static void tm_fill(wl_rng *r, double *x, size_t n, double sd) {
    for (size_t i = 0; i < n; i++) x[i] = sd * wl_rng_normal(r);
}

#endif
