/* Pointwise losses on model outputs: MSE and softmax cross-entropy, their
 * first derivative and their Hessian applied to a direction, row by row.
 *
 *   F, Y, G, V, HV: n x k
 *   MSE:  l = 1/2 ||f - y||^2,        l' = f - y,       l'' = I
 *   CE:   l = S lse(f) - <y, f>,      l' = S p - y,     l'' = S (diag p - p p^T)
 *         p = softmax(f), S = sum_c y_c (1 for one-hot or probability targets)
 */
#include "widelab/loss.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int wl_loss_parse(const char *name, wl_loss_kind *kind) {
    if (!name) return wl_seterr(WL_EINVAL, "loss: name is NULL");
    if (!strcmp(name, "mse")) {
        *kind = WL_LOSS_MSE;
        return WL_OK;
    }
    if (!strcmp(name, "xent") || !strcmp(name, "ce") || !strcmp(name, "cross-entropy")) {
        *kind = WL_LOSS_XENT;
        return WL_OK;
    }
    return wl_seterr(WL_EINVAL, "loss: unknown loss '%s' (expected mse or xent)", name);
}

const char *wl_loss_name(wl_loss_kind kind) {
    return kind == WL_LOSS_MSE ? "mse" : kind == WL_LOSS_XENT ? "xent" : "unknown";
}

static int check_shapes(const wl_mat *F, const wl_mat *Y, const wl_mat *G, const char *op) {
    if (!F || !Y) return wl_seterr(WL_EINVAL, "%s: F or Y is NULL", op);
    if (F->rows != Y->rows || F->cols != Y->cols)
        return wl_seterr(WL_EINVAL, "%s: outputs are %zu x %zu but targets are %zu x %zu", op,
                         F->rows, F->cols, Y->rows, Y->cols);
    if (G && (G->rows != F->rows || G->cols != F->cols))
        return wl_seterr(WL_EINVAL, "%s: result is %zu x %zu, expected %zu x %zu", op, G->rows,
                         G->cols, F->rows, F->cols);
    return WL_OK;
}

static int check_kind(wl_loss_kind kind, const char *op) {
    if (kind != WL_LOSS_MSE && kind != WL_LOSS_XENT)
        return wl_seterr(WL_EINVAL, "%s: unknown loss kind %d", op, (int)kind);
    return WL_OK;
}

/* p = softmax(f) (k), returns lse(f) = log sum_c exp f_c, computed stably */
static double softmax(const double *f, size_t k, double *p) {
    double mx = f[0];
    for (size_t c = 1; c < k; c++)
        if (f[c] > mx) mx = f[c];
    double z = 0.0;
    for (size_t c = 0; c < k; c++) {
        p[c] = exp(f[c] - mx);
        z += p[c];
    }
    for (size_t c = 0; c < k; c++) p[c] /= z;
    return mx + log(z);
}

/* one row: returns l(f, y); g = l'(f) when g != NULL; p: k scratch */
static double row_loss(wl_loss_kind kind, const double *f, const double *y, size_t k, double *g,
                       double *p) {
    double l = 0.0;
    if (kind == WL_LOSS_MSE) {
        for (size_t c = 0; c < k; c++) {
            double r = f[c] - y[c];
            l += 0.5 * r * r;
            if (g) g[c] = r;
        }
        return l;
    }
    double S = 0.0, yf = 0.0;
    for (size_t c = 0; c < k; c++) S += y[c], yf += y[c] * f[c];
    double lse = softmax(f, k, p);
    if (g)
        for (size_t c = 0; c < k; c++) g[c] = S * p[c] - y[c];
    return S * lse - yf;
}

enum { WL_LOSS_STACK = 64 };

/* scratch of k doubles: on the stack when small */
static double *scratch(size_t k, double *stack) {
    return k <= WL_LOSS_STACK ? stack : wl_dalloc(k, "softmax scratch");
}

int wl_loss_eval(wl_loss_kind kind, const wl_mat *F, const wl_mat *Y, double s, double *L,
                 wl_mat *G) {
    int rc = check_kind(kind, "loss");
    if (!rc) rc = check_shapes(F, Y, G, "loss");
    if (rc) return rc;
    size_t k = F->cols;
    double stack[WL_LOSS_STACK], *p = scratch(k, stack);
    if (!p) return WL_ENOMEM;
    double sum = 0.0;
    for (size_t i = 0; i < F->rows; i++) {
        double *g = G ? &WL_AT(G, i, 0) : NULL;
        sum += row_loss(kind, &WL_AT(F, i, 0), &WL_AT(Y, i, 0), k, g, p);
        if (g)
            for (size_t c = 0; c < k; c++) g[c] *= s;
    }
    if (p != stack) free(p);
    if (L) *L = s * sum;
    if (!isfinite(sum)) return wl_seterr(WL_ENUMERIC, "loss: the %s loss is not finite", wl_loss_name(kind));
    return WL_OK;
}

int wl_loss_per_sample(wl_loss_kind kind, const wl_mat *F, const wl_mat *Y, double *l) {
    int rc = check_kind(kind, "per-sample loss");
    if (!rc) rc = check_shapes(F, Y, NULL, "per-sample loss");
    if (rc) return rc;
    size_t k = F->cols;
    double stack[WL_LOSS_STACK], *p = scratch(k, stack);
    if (!p) return WL_ENOMEM;
    for (size_t i = 0; i < F->rows; i++)
        l[i] = row_loss(kind, &WL_AT(F, i, 0), &WL_AT(Y, i, 0), k, NULL, p);
    if (p != stack) free(p);
    return WL_OK;
}

int wl_loss_hess(wl_loss_kind kind, const wl_mat *F, const wl_mat *Y, double s, const wl_mat *V,
                 wl_mat *HV) {
    int rc = check_kind(kind, "loss Hessian");
    if (!rc) rc = check_shapes(F, Y, V, "loss Hessian");
    if (!rc) rc = check_shapes(F, Y, HV, "loss Hessian");
    if (rc) return rc;
    size_t k = F->cols;
    double stack[WL_LOSS_STACK], *p = scratch(k, stack);
    if (!p) return WL_ENOMEM;
    for (size_t i = 0; i < F->rows; i++) {
        const double *v = &WL_AT(V, i, 0);
        double *h = &WL_AT(HV, i, 0);
        if (kind == WL_LOSS_MSE) {
            for (size_t c = 0; c < k; c++) h[c] = s * v[c];
            continue;
        }
        /* l''(f) v = S (p o v - p <p, v>) */
        const double *y = &WL_AT(Y, i, 0);
        double S = 0.0, pv = 0.0;
        for (size_t c = 0; c < k; c++) S += y[c];
        softmax(&WL_AT(F, i, 0), k, p);
        for (size_t c = 0; c < k; c++) pv += p[c] * v[c];
        for (size_t c = 0; c < k; c++) h[c] = s * S * p[c] * (v[c] - pv);
    }
    if (p != stack) free(p);
    return WL_OK;
}
