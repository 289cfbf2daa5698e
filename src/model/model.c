/* Shape-checked dispatch of the model interface to each implementation. */
#include "widelab/model.h"

static int check_X(const wl_model *m, const wl_mat *X, const char *op) {
    if (!m || !m->ops) return wl_seterr(WL_EINVAL, "%s: model is NULL", op);
    if (X->cols != m->n_in)
        return wl_seterr(WL_EINVAL, "%s: inputs have %zu features, the model takes %zu", op,
                         X->cols, m->n_in);
    return WL_OK;
}

static int check_out(const wl_model *m, const wl_mat *X, const wl_mat *Y, const char *op,
                     const char *what) {
    if (Y->rows != X->rows || Y->cols != m->n_out)
        return wl_seterr(WL_EINVAL, "%s: %s is %zu x %zu, expected %zu x %zu", op, what, Y->rows,
                         Y->cols, X->rows, m->n_out);
    return WL_OK;
}

int wl_model_forward(wl_model *m, const double *w, const wl_mat *X, wl_mat *F) {
    int rc = check_X(m, X, "forward");
    if (!rc) rc = check_out(m, X, F, "forward", "F");
    return rc ? rc : m->ops->forward(m, w, X, F);
}

int wl_model_vjp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G, double *gw) {
    int rc = check_X(m, X, "vjp");
    if (!rc) rc = check_out(m, X, G, "vjp", "G");
    return rc ? rc : m->ops->vjp(m, w, X, G, gw);
}

int wl_model_jvp(wl_model *m, const double *w, const wl_mat *X, const double *v, wl_mat *JV) {
    int rc = check_X(m, X, "jvp");
    if (!rc) rc = check_out(m, X, JV, "jvp", "JV");
    return rc ? rc : m->ops->jvp(m, w, X, v, JV);
}

int wl_model_jvp2(wl_model *m, const double *w, const wl_mat *X, const double *v, wl_mat *Q) {
    int rc = check_X(m, X, "jvp2");
    if (!rc) rc = check_out(m, X, Q, "jvp2", "Q");
    return rc ? rc : m->ops->jvp2(m, w, X, v, Q);
}

int wl_model_hvp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G,
                 const double *v, double *hv) {
    int rc = check_X(m, X, "hvp");
    if (!rc) rc = check_out(m, X, G, "hvp", "G");
    return rc ? rc : m->ops->hvp(m, w, X, G, v, hv);
}

int wl_model_xvjp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G, wl_mat *GX) {
    int rc = check_X(m, X, "xvjp");
    if (!rc) rc = check_out(m, X, G, "xvjp", "G");
    if (!rc && (GX->rows != X->rows || GX->cols != X->cols))
        rc = wl_seterr(WL_EINVAL, "xvjp: GX is %zu x %zu, expected %zu x %zu", GX->rows,
                       GX->cols, X->rows, X->cols);
    if (rc) return rc;
    if (!m->ops->xvjp)
        return wl_seterr(WL_EUNSUP, "xvjp: input gradients are not available for a %s model",
                         m->kind);
    return m->ops->xvjp(m, w, X, G, GX);
}

int wl_model_init(wl_model *m, wl_rng *rng, double *w) {
    if (!m->ops->init) return wl_seterr(WL_EUNSUP, "init: a %s model has no initializer", m->kind);
    return m->ops->init(m, rng, w);
}

wl_model *wl_model_clone(const wl_model *m) {
    if (!m->ops->clone) {
        wl_seterr(WL_EUNSUP, "clone: a %s model cannot be cloned", m->kind);
        return NULL;
    }
    return m->ops->clone(m);
}

void wl_model_free(wl_model *m) {
    if (m && m->ops && m->ops->free) m->ops->free(m);
}
