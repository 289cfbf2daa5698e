/* Bregman divergences: phi, grad phi, phi'' (1-D), domain checks.
 * D(x, y) = phi(x) - phi(y) - <grad phi(y), x - y>. */
#include "cluster/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int div_alloc(wl_div_kind kind, const char *name, wl_div **out) {
    *out = NULL;
    wl_div *v = wl_calloc(1, sizeof *v, "divergence");
    if (!v) return WL_ENOMEM;
    v->kind = kind;
    snprintf(v->name, sizeof v->name, "%s", name);
    *out = v;
    return WL_OK;
}

int wl_div_new(wl_div_kind kind, wl_div **out) {
    static const char *names[] = {"sqeuclid", "mahalanobis", "kl", "is", "logistic", "exp",
                                  "custom"};
    if (out) *out = NULL;
    if (!out || (int)kind < 0 || kind > WL_DIV_EXP)
        return wl_seterr(WL_EINVAL, "wl_div_new: bad divergence kind %d", (int)kind);
    if (kind == WL_DIV_MAHALANOBIS)
        return wl_seterr(WL_EINVAL, "wl_div_new: Mahalanobis needs a matrix "
                                    "(use wl_div_new_mahalanobis)");
    return div_alloc(kind, names[kind], out);
}

int wl_div_from_name(const char *name, wl_div **out) {
    static const struct { const char *name; wl_div_kind kind; } tab[] = {
        {"sqeuclid", WL_DIV_SQEUCLID}, {"euclidean", WL_DIV_SQEUCLID},
        {"kl", WL_DIV_KL},             {"idiv", WL_DIV_KL},
        {"is", WL_DIV_IS},             {"itakura-saito", WL_DIV_IS},
        {"logistic", WL_DIV_LOGISTIC}, {"exp", WL_DIV_EXP}};
    if (out) *out = NULL;
    if (!name || !out) return wl_seterr(WL_EINVAL, "wl_div_from_name: NULL argument");
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strcmp(name, tab[i].name) == 0) return wl_div_new(tab[i].kind, out);
    if (strcmp(name, "mahalanobis") == 0)
        return wl_seterr(WL_EINVAL, "divergence 'mahalanobis' needs a matrix A "
                                    "(CLI: --metric FILE.npy)");
    return wl_seterr(WL_EINVAL, "unknown divergence '%s' (sqeuclid, mahalanobis, kl, is, "
                                "logistic, exp)", name);
}

int wl_div_new_mahalanobis(const wl_mat *A, wl_div **out) {
    if (out) *out = NULL;
    if (!A || !out || A->rows != A->cols || A->rows == 0)
        return wl_seterr(WL_EINVAL, "Mahalanobis matrix must be square and non-empty (got %zu x %zu)",
                         A ? A->rows : 0, A ? A->cols : 0);
    size_t d = A->rows;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double a = WL_AT(A, i, j), b = WL_AT(A, j, i);
            if (!isfinite(a)) return wl_seterr(WL_EINVAL, "Mahalanobis A[%zu][%zu] = %g", i, j, a);
            if (fabs(a - b) > 1e-12 * fmax(1.0, fmax(fabs(a), fabs(b))))
                return wl_seterr(WL_EINVAL, "Mahalanobis A not symmetric: A[%zu][%zu] = %.17g, "
                                            "A[%zu][%zu] = %.17g", i, j, a, j, i, b);
        }
    wl_mat L;
    if (wl_mat_alloc(&L, d, d)) return WL_ENOMEM;
    wl_mat_copy(&L, A);
    int rc = wl_cholesky(&L);
    wl_mat_free(&L);
    if (rc) return wl_seterr(WL_EINVAL, "Mahalanobis A (%zu x %zu) is not positive definite", d, d);
    rc = div_alloc(WL_DIV_MAHALANOBIS, "mahalanobis", out);
    if (rc) return rc;
    if (wl_mat_alloc(&(*out)->A, d, d)) {
        wl_div_free(*out);
        *out = NULL;
        return WL_ENOMEM;
    }
    wl_mat_copy(&(*out)->A, A);
    return WL_OK;
}

int wl_div_new_custom(wl_phi_fn phi, wl_grad_phi_fn grad, void *ctx, const char *name,
                      wl_div **out) {
    if (out) *out = NULL;
    if (!phi || !grad || !out) return wl_seterr(WL_EINVAL, "custom divergence needs phi and grad");
    int rc = div_alloc(WL_DIV_CUSTOM, name ? name : "custom", out);
    if (rc) return rc;
    (*out)->phi = phi;
    (*out)->grad = grad;
    (*out)->ctx = ctx;
    return WL_OK;
}

void wl_div_free(wl_div *div) {
    if (!div) return;
    wl_mat_free(&div->A);
    free(div);
}

wl_div_kind wl_div_get_kind(const wl_div *div) { return div->kind; }
const char *wl_div_name(const wl_div *div) { return div->name; }

/* x^T A x, A: d x d */
static double quad_form(const wl_mat *A, const double *x, size_t d) {
    double s = 0.0;
    for (size_t i = 0; i < d; i++) s += x[i] * wl_dot(d, &WL_AT(A, i, 0), x);
    return s;
}

double wl_div_phi(const wl_div *div, const double *x, size_t d) {
    double s = 0.0;
    switch (div->kind) {
    case WL_DIV_SQEUCLID: for (size_t j = 0; j < d; j++) s += x[j] * x[j]; return s;
    case WL_DIV_MAHALANOBIS: return quad_form(&div->A, x, d);
    case WL_DIV_KL: for (size_t j = 0; j < d; j++) s += x[j] * log(x[j]) - x[j]; return s;
    case WL_DIV_IS: for (size_t j = 0; j < d; j++) s -= log(x[j]); return s;
    case WL_DIV_LOGISTIC:
        for (size_t j = 0; j < d; j++) s += x[j] * log(x[j]) + (1.0 - x[j]) * log1p(-x[j]);
        return s;
    case WL_DIV_EXP: for (size_t j = 0; j < d; j++) s += exp(x[j]); return s;
    case WL_DIV_CUSTOM: return div->phi(x, d, div->ctx);
    }
    return NAN;
}

void wl_div_grad(const wl_div *div, const double *x, size_t d, double *g) {
    switch (div->kind) {
    case WL_DIV_SQEUCLID: for (size_t j = 0; j < d; j++) g[j] = 2.0 * x[j]; return;
    case WL_DIV_MAHALANOBIS: /* grad x^T A x = 2 A x (A symmetric) */
        for (size_t i = 0; i < d; i++) g[i] = 2.0 * wl_dot(d, &WL_AT(&div->A, i, 0), x);
        return;
    case WL_DIV_KL: for (size_t j = 0; j < d; j++) g[j] = log(x[j]); return;
    case WL_DIV_IS: for (size_t j = 0; j < d; j++) g[j] = -1.0 / x[j]; return;
    case WL_DIV_LOGISTIC: for (size_t j = 0; j < d; j++) g[j] = log(x[j]) - log1p(-x[j]); return;
    case WL_DIV_EXP: for (size_t j = 0; j < d; j++) g[j] = exp(x[j]); return;
    case WL_DIV_CUSTOM: div->grad(x, d, g, div->ctx); return;
    }
}

/* Closed forms where cancellation would hurt; the definition otherwise. */
double wl_div_eval(const wl_div *div, const double *x, const double *y, size_t d) {
    double s = 0.0;
    switch (div->kind) {
    case WL_DIV_SQEUCLID:
        for (size_t j = 0; j < d; j++) s += (x[j] - y[j]) * (x[j] - y[j]);
        return s;
    case WL_DIV_KL: /* sum x log(x/y) - x + y */
        for (size_t j = 0; j < d; j++) s += x[j] * log(x[j] / y[j]) - x[j] + y[j];
        return s;
    case WL_DIV_IS: /* sum x/y - log(x/y) - 1 */
        for (size_t j = 0; j < d; j++) s += x[j] / y[j] - log(x[j] / y[j]) - 1.0;
        return s;
    case WL_DIV_LOGISTIC: /* sum x log(x/y) + (1-x) log((1-x)/(1-y)) */
        for (size_t j = 0; j < d; j++)
            s += x[j] * log(x[j] / y[j]) + (1.0 - x[j]) * (log1p(-x[j]) - log1p(-y[j]));
        return s;
    case WL_DIV_EXP: /* sum e^x - e^y - e^y (x - y) */
        for (size_t j = 0; j < d; j++) s += exp(x[j]) - exp(y[j]) * (1.0 + x[j] - y[j]);
        return s;
    case WL_DIV_MAHALANOBIS:
    case WL_DIV_CUSTOM: break;
    }
    double *g = malloc(2 * d * sizeof *g);
    if (!g) return NAN;
    double *diff = g + d;
    for (size_t j = 0; j < d; j++) diff[j] = x[j] - y[j];
    if (div->kind == WL_DIV_MAHALANOBIS) s = quad_form(&div->A, diff, d);
    else {
        wl_div_grad(div, y, d, g);
        s = wl_div_phi(div, x, d) - wl_div_phi(div, y, d) - wl_dot(d, g, diff);
    }
    free(g);
    return s;
}

double wl_div_phi2_1d(const wl_div *div, double x) {
    switch (div->kind) {
    case WL_DIV_SQEUCLID: return 2.0;
    case WL_DIV_MAHALANOBIS: return 2.0 * WL_AT(&div->A, 0, 0);
    case WL_DIV_KL: return 1.0 / x;
    case WL_DIV_IS: return 1.0 / (x * x);
    case WL_DIV_LOGISTIC: return 1.0 / (x * (1.0 - x));
    case WL_DIV_EXP: return exp(x);
    case WL_DIV_CUSTOM: { /* central difference of grad phi */
        double h = 1e-5 * fmax(1.0, fabs(x)), xp = x + h, xm = x - h, gp, gm;
        div->grad(&xp, 1, &gp, div->ctx);
        div->grad(&xm, 1, &gm, div->ctx);
        return (gp - gm) / (2.0 * h);
    }
    }
    return NAN;
}

/* 1 if the value is inside phi's domain; *why names the domain otherwise. */
int wl_div_in_domain(const wl_div *div, double v, const char **why) {
    *why = "";
    if (!isfinite(v)) {
        *why = "not finite";
        return 0;
    }
    switch (div->kind) {
    case WL_DIV_KL:
    case WL_DIV_IS:
        *why = "needs x > 0";
        return v > 0.0;
    case WL_DIV_LOGISTIC:
        *why = "needs 0 < x < 1";
        return v > 0.0 && v < 1.0;
    case WL_DIV_EXP:
        *why = "needs x <= 700 (e^x overflows)";
        return v <= 700.0;
    default: return 1;
    }
}

int wl_div_check(const wl_div *div, const wl_mat *X) {
    if (!div || !X || !X->data)
        return wl_seterr(WL_EINVAL, "wl_div_check: NULL argument");
    if (div->kind == WL_DIV_MAHALANOBIS && div->A.rows != X->cols)
        return wl_seterr(WL_EINVAL, "Mahalanobis A is %zu x %zu but the data has %zu columns",
                         div->A.rows, div->A.cols, X->cols);
    for (size_t i = 0; i < X->rows; i++) {
        const double *x = &WL_AT(X, i, 0);
        for (size_t j = 0; j < X->cols; j++) {
            const char *why;
            if (!wl_div_in_domain(div, x[j], &why))
                return wl_seterr(WL_EINVAL, "divergence '%s' %s: row %zu, column %zu has value %.17g",
                                 div->name, why, i, j, x[j]);
        }
        if (div->kind == WL_DIV_CUSTOM) {
            double f = div->phi(x, X->cols, div->ctx);
            if (!isfinite(f))
                return wl_seterr(WL_EINVAL, "divergence '%s': phi(row %zu) = %g is not finite "
                                            "(outside the domain of phi)", div->name, i, f);
        }
    }
    return WL_OK;
}
