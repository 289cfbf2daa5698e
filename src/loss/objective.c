/* Objectives: a model, a loss and data (X: n x d, Y: n x k), evaluated on a
 * subset of rows (a mini-batch), with the mean over the rows used:
 *
 *   L(w)      = (1/nb) sum_{i in idx} l(f(w; x_i), y_i)
 *   grad L    = J^T G,                 G = (1/nb) l'(F)          (nb x k)
 *   Hess L v  = J^T l''(F) (J v) / nb + hvp_model(G, v)
 *   GN v      = J^T l''(F) (J v) / nb
 *
 * The rows of a subset are gathered into buffers owned by the objective, so a
 * handle is used from one thread at a time. */
#include "widelab/loss.h"
#include "widelab/net.h"

#include <stdlib.h>
#include <string.h>

struct wl_objective {
    wl_model *model;
    wl_loss_kind loss;
    const wl_mat *X, *Y;
    size_t cap;          /* rows the buffers below can hold */
    wl_mat Xb, Yb;       /* gathered rows: cap x d, cap x k */
    wl_mat F, G, JV, HJ; /* cap x k each */
    double *tmp;         /* dim */
    int owns_model;      /* made by wl_objective_clone */
};

int wl_objective_new(wl_model *m, wl_loss_kind loss, const wl_mat *X, const wl_mat *Y,
                     wl_objective **out) {
    if (!out) return wl_seterr(WL_EINVAL, "objective: out is NULL");
    *out = NULL;
    if (!m || !X || !Y) return wl_seterr(WL_EINVAL, "objective: model, X or Y is NULL");
    if (loss != WL_LOSS_MSE && loss != WL_LOSS_XENT)
        return wl_seterr(WL_EINVAL, "objective: unknown loss kind %d", (int)loss);
    if (X->rows == 0) return wl_seterr(WL_EINVAL, "objective: the data set has no rows");
    if (X->cols != m->n_in)
        return wl_seterr(WL_EINVAL, "objective: X has %zu features, the %s model takes %zu",
                         X->cols, m->kind, m->n_in);
    if (Y->rows != X->rows || Y->cols != m->n_out)
        return wl_seterr(WL_EINVAL, "objective: Y is %zu x %zu, expected %zu x %zu", Y->rows,
                         Y->cols, X->rows, m->n_out);
    if (loss == WL_LOSS_XENT && m->n_out < 2)
        return wl_seterr(WL_EINVAL,
                         "objective: cross-entropy needs at least 2 outputs (the model has 1); use 2 "
                         "logits with one-hot targets, or mse with +-1 targets");
    wl_objective *o = wl_calloc(1, sizeof *o, "objective");
    if (!o) return WL_ENOMEM;
    o->model = m;
    o->loss = loss;
    o->X = X;
    o->Y = Y;
    o->tmp = wl_dalloc(m->dim, "objective workspace");
    if (!o->tmp && m->dim) {
        free(o);
        return WL_ENOMEM;
    }
    *out = o;
    return WL_OK;
}

static void free_buffers(wl_objective *o) {
    wl_mat *ms[] = {&o->Xb, &o->Yb, &o->F, &o->G, &o->JV, &o->HJ};
    for (size_t i = 0; i < sizeof ms / sizeof *ms; i++) wl_mat_free(ms[i]);
    o->cap = 0;
}

void wl_objective_free(wl_objective *o) {
    if (!o) return;
    free_buffers(o);
    free(o->tmp);
    if (o->owns_model) wl_model_free(o->model);
    free(o);
}

int wl_objective_clone(const wl_objective *o, wl_objective **out) {
    if (!o || !out) return wl_seterr(WL_EINVAL, "objective clone: NULL argument");
    *out = NULL;
    wl_model *m = wl_model_clone(o->model);
    if (!m) return wl_adderr(wl_errcode() ? wl_errcode() : WL_ENOMEM, "objective clone");
    int rc = wl_objective_new(m, o->loss, o->X, o->Y, out);
    if (rc) {
        wl_model_free(m);
        return rc;
    }
    (*out)->owns_model = 1;
    return WL_OK;
}

wl_model *wl_objective_model(const wl_objective *o) { return o ? o->model : NULL; }
size_t wl_objective_n(const wl_objective *o) { return o ? o->X->rows : 0; }
wl_loss_kind wl_objective_loss(const wl_objective *o) { return o->loss; }
const wl_mat *wl_objective_X(const wl_objective *o) { return o->X; }
const wl_mat *wl_objective_Y(const wl_objective *o) { return o->Y; }

static int grow(wl_objective *o, size_t nb) {
    if (nb <= o->cap) return WL_OK;
    free_buffers(o);
    size_t d = o->X->cols, k = o->Y->cols;
    int rc = wl_mat_alloc(&o->Xb, nb, d);
    if (!rc) rc = wl_mat_alloc(&o->Yb, nb, k);
    if (!rc) rc = wl_mat_alloc(&o->F, nb, k);
    if (!rc) rc = wl_mat_alloc(&o->G, nb, k);
    if (!rc) rc = wl_mat_alloc(&o->JV, nb, k);
    if (!rc) rc = wl_mat_alloc(&o->HJ, nb, k);
    if (rc) {
        free_buffers(o);
        return wl_adderr(rc, "objective: buffers for a batch of %zu rows", nb);
    }
    o->cap = nb;
    return WL_OK;
}

/* views of the batch rows; idx = NULL uses all n rows. The k-wide buffers
 * (F, G, JV, HJ) are resized to nb rows in *b. */
typedef struct batch {
    wl_mat X, Y, F, G, JV, HJ;
    size_t nb;
} batch;

static int gather(wl_objective *o, const size_t *idx, size_t nb, batch *b) {
    size_t n = o->X->rows, d = o->X->cols, k = o->Y->cols;
    if (!idx) nb = n;
    if (nb == 0) return wl_seterr(WL_EINVAL, "objective: empty batch");
    int rc = grow(o, nb);
    if (rc) return rc;
    int contiguous = o->X->ld == d && o->Y->ld == k;
    if (!idx && contiguous) {
        b->X = *o->X;
        b->Y = *o->Y;
    } else {
        for (size_t j = 0; j < nb; j++) {
            size_t i = idx ? idx[j] : j;
            if (i >= n)
                return wl_seterr(WL_EINVAL, "objective: batch entry %zu is row %zu, but the data has %zu rows",
                                 j, i, n);
            memcpy(&WL_AT(&o->Xb, j, 0), &WL_AT(o->X, i, 0), d * sizeof(double));
            memcpy(&WL_AT(&o->Yb, j, 0), &WL_AT(o->Y, i, 0), k * sizeof(double));
        }
        b->X = wl_mat_rows(&o->Xb, 0, nb);
        b->Y = wl_mat_rows(&o->Yb, 0, nb);
    }
    b->F = wl_mat_rows(&o->F, 0, nb);
    b->G = wl_mat_rows(&o->G, 0, nb);
    b->JV = wl_mat_rows(&o->JV, 0, nb);
    b->HJ = wl_mat_rows(&o->HJ, 0, nb);
    b->nb = nb;
    return WL_OK;
}

int wl_objective_forward(wl_objective *o, const double *w, const size_t *idx, size_t nb,
                         wl_mat *F) {
    batch b;
    int rc = gather(o, idx, nb, &b);
    if (rc) return rc;
    return wl_model_forward(o->model, w, &b.X, F);
}

int wl_objective_value(wl_objective *o, const double *w, const size_t *idx, size_t nb,
                       double *L) {
    batch b;
    int rc = gather(o, idx, nb, &b);
    if (!rc) rc = wl_model_forward(o->model, w, &b.X, &b.F);
    if (!rc) rc = wl_loss_eval(o->loss, &b.F, &b.Y, 1.0 / (double)b.nb, L, NULL);
    return rc;
}

int wl_objective_losses(wl_objective *o, const double *w, const size_t *idx, size_t nb,
                        double *l) {
    batch b;
    int rc = gather(o, idx, nb, &b);
    if (!rc) rc = wl_model_forward(o->model, w, &b.X, &b.F);
    if (!rc) rc = wl_loss_per_sample(o->loss, &b.F, &b.Y, l);
    return rc;
}

int wl_objective_accuracy(wl_objective *o, const double *w, const size_t *idx, size_t nb,
                          double *acc) {
    batch b;
    int rc = gather(o, idx, nb, &b);
    if (!rc) rc = wl_model_forward(o->model, w, &b.X, &b.F);
    if (!rc) rc = wl_accuracy(&b.F, &b.Y, acc);
    return rc;
}

/* g = J^T G,  G = l'(F)/nb */
int wl_objective_grad(wl_objective *o, const double *w, const size_t *idx, size_t nb,
                      double *L, double *g) {
    batch b;
    int rc = gather(o, idx, nb, &b);
    if (!rc) rc = wl_model_forward(o->model, w, &b.X, &b.F);
    if (!rc) rc = wl_loss_eval(o->loss, &b.F, &b.Y, 1.0 / (double)b.nb, L, &b.G);
    if (rc) return rc;
    /* networks: the backward pass alone, from the forward pass just made */
    if (strcmp(o->model->kind, "net") == 0) return wl_net_vjp_last(o->model, &b.G, g);
    return wl_model_vjp(o->model, w, &b.X, &b.G, g);
}

/* hv = J^T l''(F) (J v) / nb; leaves F and G = l'(F)/nb of the batch in b */
static int gauss_newton(wl_objective *o, const double *w, batch *b, const double *v, double *hv) {
    int rc = wl_model_forward(o->model, w, &b->X, &b->F);
    if (!rc) rc = wl_model_jvp(o->model, w, &b->X, v, &b->JV);
    if (!rc) rc = wl_loss_hess(o->loss, &b->F, &b->Y, 1.0 / (double)b->nb, &b->JV, &b->HJ);
    if (!rc) rc = wl_model_vjp(o->model, w, &b->X, &b->HJ, hv);
    return rc;
}

int wl_objective_gnvp(wl_objective *o, const double *w, const size_t *idx, size_t nb,
                      const double *v, double *hv) {
    batch b;
    int rc = gather(o, idx, nb, &b);
    return rc ? rc : gauss_newton(o, w, &b, v, hv);
}

/* hv = GN v + sum_ic G_ic Hess f_c(x_i) v */
int wl_objective_hvp(wl_objective *o, const double *w, const size_t *idx, size_t nb,
                     const double *v, double *hv) {
    batch b;
    int rc = gather(o, idx, nb, &b);
    if (!rc) rc = gauss_newton(o, w, &b, v, hv);
    if (!rc) rc = wl_loss_eval(o->loss, &b.F, &b.Y, 1.0 / (double)b.nb, NULL, &b.G);
    if (!rc) rc = wl_model_hvp(o->model, w, &b.X, &b.G, v, o->tmp);
    if (!rc) wl_axpy(o->model->dim, 1.0, o->tmp, hv);
    return rc;
}
