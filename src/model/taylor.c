/* Taylor models of a base model f around w0, themselves wl_models.
 *
 *   d = w - w0,  J0 = J(w0),  H_c = d^2 f_c(w0)/dw^2 (constant)
 *   order 1:  f1(w) = f(w0) + J0 d
 *   order 2:  f2(w) = f(w0) + J0 d + 1/2 d^T H_c d
 *
 * Derivatives of f2 (exact; f1 is the same with the H terms dropped):
 *   df2_c/dw = J0_c + (H_c d)^T
 *   vjp:  sum_ic G_ic (J0_ic + H_ic d) = J0^T G + hvp_w0(G, d)
 *   jvp:  J0 v + d^T H_c v, with the bilinear form from the quadratic one by
 *         polarization:  d^T H v = (Q(d + a v) - Q(d - a v)) / (4 a),
 *         Q(u) = u^T H u = jvp2_w0(u), a = ||d|| / ||v|| (balances the terms)
 *   jvp2: v^T H_c v = jvp2_w0(v)          hvp: hvp_w0(G, v)   (constant in w) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "widelab/curv.h"

typedef struct taylor {
    wl_model pub; /* first: the handle users hold */
    wl_model *f;  /* the base, cloned */
    int order;
    double *w0, *d, *u; /* dim each: expansion point, w - w0, scratch */
    wl_mat A, B;        /* n x k scratch, grown on demand */
} taylor;

static const wl_model_ops taylor_ops;

/* m = rows x cols scratch (reallocated when the batch grows). */
static int scratch(wl_mat *m, size_t rows, size_t cols) {
    if (m->data && m->rows * m->cols >= rows * cols) {
        m->rows = rows;
        m->cols = m->ld = cols;
        return WL_OK;
    }
    wl_mat_free(m);
    return wl_mat_alloc(m, rows, cols);
}

/* t->d = w - w0 */
static void delta(taylor *t, const double *w) {
    for (size_t i = 0; i < t->pub.dim; i++) t->d[i] = w[i] - t->w0[i];
}

/* F = f(w0) + J0 d (+ 1/2 Q(d))   F: n x k */
static int tay_forward(wl_model *m, const double *w, const wl_mat *X, wl_mat *F) {
    taylor *t = (taylor *)m;
    size_t n = X->rows, k = m->n_out;
    int rc = scratch(&t->A, n, k);
    if (!rc) rc = wl_model_forward(t->f, t->w0, X, F);
    delta(t, w);
    if (!rc) rc = wl_model_jvp(t->f, t->w0, X, t->d, &t->A);
    for (size_t i = 0; !rc && i < n; i++)
        for (size_t c = 0; c < k; c++) WL_AT(F, i, c) += WL_AT(&t->A, i, c);
    if (!rc && t->order == 2) rc = wl_model_jvp2(t->f, t->w0, X, t->d, &t->A);
    for (size_t i = 0; !rc && t->order == 2 && i < n; i++)
        for (size_t c = 0; c < k; c++) WL_AT(F, i, c) += 0.5 * WL_AT(&t->A, i, c);
    return rc;
}

/* gw = J0^T G (+ hvp_w0(G, d))   G: n x k, gw: dim */
static int tay_vjp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G, double *gw) {
    taylor *t = (taylor *)m;
    int rc = wl_model_vjp(t->f, t->w0, X, G, gw);
    if (rc || t->order == 1) return rc;
    delta(t, w);
    rc = wl_model_hvp(t->f, t->w0, X, G, t->d, t->u);
    if (!rc) wl_axpy(m->dim, 1.0, t->u, gw);
    return rc;
}

/* JV = J0 v (+ d^T H_c v by polarization)   JV: n x k */
static int tay_jvp(wl_model *m, const double *w, const wl_mat *X, const double *v, wl_mat *JV) {
    taylor *t = (taylor *)m;
    size_t n = X->rows, k = m->n_out, p = m->dim;
    int rc = wl_model_jvp(t->f, t->w0, X, v, JV);
    if (rc || t->order == 1) return rc;
    delta(t, w);
    double nd = wl_nrm2(p, t->d), nv = wl_nrm2(p, v);
    if (nd == 0 || nv == 0) return WL_OK; /* the bilinear term vanishes */
    double a = nd / nv;
    if (scratch(&t->A, n, k) || scratch(&t->B, n, k)) return WL_ENOMEM;
    for (size_t i = 0; i < p; i++) t->u[i] = t->d[i] + a * v[i];
    rc = wl_model_jvp2(t->f, t->w0, X, t->u, &t->A);
    for (size_t i = 0; i < p; i++) t->u[i] = t->d[i] - a * v[i];
    if (!rc) rc = wl_model_jvp2(t->f, t->w0, X, t->u, &t->B);
    for (size_t i = 0; !rc && i < n; i++)
        for (size_t c = 0; c < k; c++)
            WL_AT(JV, i, c) += (WL_AT(&t->A, i, c) - WL_AT(&t->B, i, c)) / (4.0 * a);
    return rc;
}

/* Q = v^T H_c v at w0 (order 2), 0 (order 1) */
static int tay_jvp2(wl_model *m, const double *w, const wl_mat *X, const double *v, wl_mat *Q) {
    taylor *t = (taylor *)m;
    if (t->order == 2) return wl_model_jvp2(t->f, t->w0, X, v, Q);
    wl_mat_zero(Q);
    return WL_OK;
}

/* hv = sum_ic G_ic H_c v at w0 (order 2), 0 (order 1) */
static int tay_hvp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G,
                   const double *v, double *hv) {
    taylor *t = (taylor *)m;
    if (t->order == 2) return wl_model_hvp(t->f, t->w0, X, G, v, hv);
    memset(hv, 0, m->dim * sizeof(double));
    return WL_OK;
}

/* The natural starting point of a Taylor model is its expansion point. */
static int tay_init(wl_model *m, wl_rng *rng, double *w) {
    (void)rng;
    memcpy(w, ((taylor *)m)->w0, m->dim * sizeof(double));
    return WL_OK;
}

static void tay_free(wl_model *m) {
    if (!m) return;
    taylor *t = (taylor *)m;
    wl_model_free(t->f);
    free(t->w0);
    free(t->d);
    free(t->u);
    free(t->pub.blocks);
    wl_mat_free(&t->A);
    wl_mat_free(&t->B);
    free(t);
}

/* Builds the Taylor model around an already cloned base f (taken over). */
static int tay_make(wl_model *f, const double *w0, int order, wl_model **out) {
    taylor *t = wl_calloc(1, sizeof *t, "Taylor model");
    if (!t) {
        wl_model_free(f);
        return WL_ENOMEM;
    }
    size_t p = f->dim;
    t->f = f;
    t->order = order;
    t->pub = (wl_model){&taylor_ops, p, f->n_in, f->n_out, order == 1 ? "taylor1" : "taylor2",
                        0, NULL};
    t->w0 = wl_dalloc(p, "Taylor expansion point");
    t->d = wl_dalloc(p, "Taylor displacement");
    t->u = wl_dalloc(p, "Taylor scratch");
    if (f->n_blocks) {
        t->pub.blocks = wl_calloc(f->n_blocks, sizeof(wl_param_block), "Taylor blocks");
        if (t->pub.blocks) {
            memcpy(t->pub.blocks, f->blocks, f->n_blocks * sizeof(wl_param_block));
            t->pub.n_blocks = f->n_blocks;
        }
    }
    if (!t->w0 || !t->d || !t->u || (f->n_blocks && !t->pub.blocks)) {
        tay_free(&t->pub);
        return WL_ENOMEM;
    }
    memcpy(t->w0, w0, p * sizeof(double));
    *out = &t->pub;
    return WL_OK;
}

static wl_model *tay_clone(const wl_model *m) {
    const taylor *t = (const taylor *)m;
    wl_model *f = wl_model_clone(t->f), *out = NULL;
    if (!f) return NULL;
    return tay_make(f, t->w0, t->order, &out) ? NULL : out;
}

static const wl_model_ops taylor_ops = {tay_forward, tay_vjp,  tay_jvp,   tay_jvp2, tay_hvp,
                                        NULL,        tay_init, tay_clone, tay_free};

int wl_taylor_new(wl_model *base, const double *w0, int order, wl_model **out) {
    *out = NULL;
    if (!base || !w0) return wl_seterr(WL_EINVAL, "taylor: base model or w0 is NULL");
    if (order != 1 && order != 2)
        return wl_seterr(WL_EINVAL, "taylor: order %d (expected 1 or 2)", order);
    if (!wl_all_finite(base->dim, w0))
        return wl_seterr(WL_EINVAL, "taylor: w0 has a NaN or Inf entry");
    wl_model *f = wl_model_clone(base);
    if (!f) return wl_adderr(wl_errcode() ? wl_errcode() : WL_EUNSUP, "taylor");
    return tay_make(f, w0, order, out);
}
