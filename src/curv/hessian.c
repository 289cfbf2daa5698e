/* Hessians of objectives and models as symmetric operators, optionally
 * restricted to a range of coordinates (P H P^T).
 *   loss:  Hess L v = J^T l''(F) J v + hvp(G = l'(F), v)
 *   gn:    J^T l''(F) J v
 *   model: sum_ic G_ic H_{f_c}(x_i) v                      (wl_model_hvp)
 * The point w is fixed, so F = f(w; X), G = l'(F)/nb are computed once and
 * each loss product costs one jvp, one vjp and one hvp of the model (the
 * same products as wl_objective_hvp without its forward pass). */
#include <stdlib.h>
#include <string.h>

#include "widelab/curv.h"

struct wl_hessian {
    wl_hess_kind kind;
    wl_objective *obj;   /* loss kinds */
    size_t *idx, nb;     /* loss kinds: sample subset (NULL: all) */
    wl_model *model;     /* model kind, and the blocks' owner */
    wl_mat X, G;         /* batch rows (owned unless xview) and G = l'(F)/nb (or given) */
    int xview;           /* X is a view of the objective's data */
    wl_mat F, Y, JV, HJ; /* loss kinds: outputs, targets, scratch (nb x k) */
    double *tmp;         /* dim scratch */
    double *w;           /* dim */
    size_t dim, off, len;
    double *xf, *yf;     /* dim scratch for restricted products */
    size_t matvecs;
};

void wl_hessian_free(wl_hessian *h) {
    if (!h) return;
    free(h->idx);
    if (!h->xview) wl_mat_free(&h->X);
    wl_mat_free(&h->G);
    wl_mat_free(&h->F);
    wl_mat_free(&h->Y);
    wl_mat_free(&h->JV);
    wl_mat_free(&h->HJ);
    free(h->tmp);
    free(h->w);
    free(h->xf);
    free(h->yf);
    free(h);
}

static int hess_alloc(size_t dim, const double *w, wl_hessian **out) {
    wl_hessian *h = wl_calloc(1, sizeof *h, "Hessian operator");
    if (!h) return WL_ENOMEM;
    h->dim = h->len = dim;
    h->w = wl_dalloc(dim, "Hessian point");
    if (!h->w) {
        free(h);
        return WL_ENOMEM;
    }
    memcpy(h->w, w, dim * sizeof(double));
    *out = h;
    return WL_OK;
}

/* The batch at the fixed point: X (the subset's rows), Y, F = f(w; X) and
 * G = l'(F) with the 1/nb of the mean, so that the model part is hvp(G, v). */
static int prepare_batch(wl_hessian *h) {
    const wl_mat *X = wl_objective_X(h->obj), *Y = wl_objective_Y(h->obj);
    size_t nb = h->nb, d = X->cols, k = Y->cols;
    if (nb == 0) return wl_seterr(WL_EINVAL, "hessian: no samples");
    if (!h->idx) {
        h->X = *X;
        h->xview = 1;
    } else if (wl_mat_alloc(&h->X, nb, d))
        return WL_ENOMEM;
    if (wl_mat_alloc(&h->Y, nb, k) || wl_mat_alloc(&h->F, nb, k) || wl_mat_alloc(&h->G, nb, k) ||
        wl_mat_alloc(&h->JV, nb, k) || wl_mat_alloc(&h->HJ, nb, k) ||
        !(h->tmp = wl_dalloc(h->dim, "Hessian scratch")))
        return WL_ENOMEM;
    for (size_t i = 0; i < nb; i++) {
        size_t r = h->idx ? h->idx[i] : i;
        if (h->idx) memcpy(&WL_AT(&h->X, i, 0), &WL_AT(X, r, 0), d * sizeof(double));
        memcpy(&WL_AT(&h->Y, i, 0), &WL_AT(Y, r, 0), k * sizeof(double));
    }
    int rc = wl_model_forward(h->model, h->w, &h->X, &h->F);
    if (!rc)
        rc = wl_loss_eval(wl_objective_loss(h->obj), &h->F, &h->Y, 1.0 / (double)nb, NULL, &h->G);
    return rc;
}

int wl_hessian_loss_new(wl_objective *obj, const double *w, const size_t *idx, size_t nb,
                        wl_hess_kind kind, wl_hessian **out) {
    *out = NULL;
    if (!obj || !w) return wl_seterr(WL_EINVAL, "hessian: objective or point is NULL");
    if (kind != WL_HESS_LOSS && kind != WL_HESS_GN && kind != WL_HESS_MODEL)
        return wl_seterr(WL_EINVAL, "hessian: unknown kind %d (loss, gn or model)", (int)kind);
    wl_model *m = wl_objective_model(obj);
    size_t n = wl_objective_n(obj);
    for (size_t i = 0; idx && i < nb; i++)
        if (idx[i] >= n)
            return wl_seterr(WL_EINVAL, "hessian: sample index %zu (entry %zu) >= n = %zu",
                             idx[i], i, n);
    wl_hessian *h;
    int rc = hess_alloc(m->dim, w, &h);
    if (rc) return rc;
    h->kind = kind;
    h->obj = obj;
    h->model = m;
    h->nb = idx ? nb : n;
    if (idx) {
        h->idx = wl_calloc(nb ? nb : 1, sizeof(size_t), "Hessian sample indices");
        if (!h->idx) {
            wl_hessian_free(h);
            return WL_ENOMEM;
        }
        memcpy(h->idx, idx, nb * sizeof(size_t));
    }
    rc = prepare_batch(h);
    if (rc) {
        wl_hessian_free(h);
        return rc;
    }
    *out = h;
    return WL_OK;
}

int wl_hessian_model_new(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G,
                         wl_hessian **out) {
    *out = NULL;
    if (!m || !w || !X || !G) return wl_seterr(WL_EINVAL, "model hessian: NULL argument");
    if (X->cols != m->n_in || G->rows != X->rows || G->cols != m->n_out)
        return wl_seterr(WL_EINVAL,
                         "model hessian: X is %zu x %zu and G %zu x %zu; the model takes %zu "
                         "inputs and has %zu outputs",
                         X->rows, X->cols, G->rows, G->cols, m->n_in, m->n_out);
    wl_hessian *h;
    int rc = hess_alloc(m->dim, w, &h);
    if (rc) return rc;
    h->kind = WL_HESS_MODEL;
    h->model = m;
    if (wl_mat_alloc(&h->X, X->rows, X->cols) || wl_mat_alloc(&h->G, G->rows, G->cols)) {
        wl_hessian_free(h);
        return WL_ENOMEM;
    }
    wl_mat_copy(&h->X, X);
    wl_mat_copy(&h->G, G);
    *out = h;
    return WL_OK;
}

int wl_hessian_restrict(wl_hessian *h, size_t offset, size_t len) {
    if (len == 0 || offset > h->dim || len > h->dim - offset)
        return wl_seterr(WL_EINVAL, "hessian: range [%zu, %zu) is not inside [0, %zu)", offset,
                         offset + len, h->dim);
    if (!h->xf) {
        h->xf = wl_dalloc(h->dim, "restricted Hessian input");
        h->yf = wl_dalloc(h->dim, "restricted Hessian output");
        if (!h->xf || !h->yf) return WL_ENOMEM;
    }
    h->off = offset;
    h->len = len;
    return WL_OK;
}

int wl_hessian_restrict_block(wl_hessian *h, const char *name) {
    const wl_model *m = h->model;
    for (size_t b = 0; b < m->n_blocks; b++)
        if (strcmp(m->blocks[b].name, name) == 0)
            return wl_hessian_restrict(h, m->blocks[b].offset,
                                       m->blocks[b].rows * m->blocks[b].cols);
    return wl_seterr(WL_EINVAL, "hessian: the %s model has no parameter block '%s'",
                     m->kind ? m->kind : "", name);
}

/* hv = J^T l''(F) J v / nb   (JV = J v, HJ = l''(F) JV / nb: nb x k) */
static int gauss_newton(wl_hessian *h, const double *v, double *hv) {
    int rc = wl_model_jvp(h->model, h->w, &h->X, v, &h->JV);
    if (!rc)
        rc = wl_loss_hess(wl_objective_loss(h->obj), &h->F, &h->Y, 1.0 / (double)h->nb, &h->JV,
                          &h->HJ);
    return rc ? rc : wl_model_vjp(h->model, h->w, &h->X, &h->HJ, hv);
}

/* hv = H v on the full dimension. */
static int full_product(wl_hessian *h, const double *v, double *hv) {
    int rc;
    switch (h->kind) {
    case WL_HESS_LOSS:
        rc = gauss_newton(h, v, hv);
        if (!rc) rc = wl_model_hvp(h->model, h->w, &h->X, &h->G, v, h->tmp);
        if (!rc) wl_axpy(h->dim, 1.0, h->tmp, hv);
        return rc;
    case WL_HESS_GN: return gauss_newton(h, v, hv);
    default: return wl_model_hvp(h->model, h->w, &h->X, &h->G, v, hv);
    }
}

/* y = P H P^T x: embed x at [off, off + len), multiply, extract. */
static int hess_mv(void *ctx, const double *x, double *y) {
    wl_hessian *h = ctx;
    h->matvecs++;
    if (h->len == h->dim) return full_product(h, x, y);
    memset(h->xf, 0, h->dim * sizeof(double));
    memcpy(h->xf + h->off, x, h->len * sizeof(double));
    int rc = full_product(h, h->xf, h->yf);
    if (!rc) memcpy(y, h->yf + h->off, h->len * sizeof(double));
    return rc;
}

wl_linop wl_hessian_op(wl_hessian *h) {
    wl_linop op = {hess_mv, h, h->len};
    return op;
}

size_t wl_hessian_matvecs(const wl_hessian *h) { return h->matvecs; }

int wl_linop_dense(const wl_linop *H, wl_mat *A) {
    size_t p = H->p;
    if (A->rows != p || A->cols != p)
        return wl_seterr(WL_EINVAL, "dense operator: output is %zu x %zu, expected %zu x %zu",
                         A->rows, A->cols, p, p);
    double *e = wl_dalloc(p, "unit vector"), *col = wl_dalloc(p, "operator column");
    int rc = (!e || !col) ? WL_ENOMEM : WL_OK;
    for (size_t j = 0; !rc && j < p; j++) {
        e[j] = 1.0;
        rc = H->mv(H->ctx, e, col);
        e[j] = 0.0;
        for (size_t i = 0; !rc && i < p; i++) WL_AT(A, i, j) = col[i];
    }
    free(e);
    free(col);
    return rc;
}
