/* Activation functions: values, first and second derivatives, names, and
 * c_sigma = 1/E[sigma(g)^2] (g ~ N(0,1)) by closed form or Gauss-Hermite. */
#include "act_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const act_names[WL_ACT_COUNT] = {
    "identity", "relu", "leaky", "tanh", "erf", "sigmoid", "softplus", "gelu", "square"};

int wl_act_from_name(const char *name, int *act) {
    for (int k = 0; k < WL_ACT_COUNT; k++)
        if (strcmp(name, act_names[k]) == 0) {
            *act = k;
            return WL_OK;
        }
    if (strcmp(name, "linear") == 0 || strcmp(name, "id") == 0) {
        *act = WL_ACT_IDENTITY;
        return WL_OK;
    }
    return wl_seterr(WL_EINVAL,
                     "unknown activation \"%s\" (identity, relu, leaky, tanh, erf, sigmoid, "
                     "softplus, gelu, square)",
                     name);
}

const char *wl_act_name(int act) {
    return act >= 0 && act < WL_ACT_COUNT ? act_names[act] : "?";
}

void wl_act_eval(int act, double slope, double z, double *f, double *d1, double *d2) {
    double v, g1, g2;
    wl_act_point(act, slope, z, &v, &g1, &g2);
    if (f) *f = v;
    if (d1) *d1 = g1;
    if (d2) *d2 = g2;
}

/* E[h(g)] = sum_j w_j h(x_j): nodes x_j = eigenvalues of the Jacobi matrix of
 * the probabilists' Hermite polynomials (off-diagonal sqrt(k)), weights w_j =
 * squared first components of its unit eigenvectors (Golub-Welsch). */
int wl_gauss_hermite_mean(double (*h)(double, void *), void *ctx, int nodes, double *out) {
    if (nodes < 1 || nodes > 200)
        return wl_seterr(WL_EINVAL, "Gauss-Hermite: %d nodes (1..200)", nodes);
    wl_mat J;
    size_t N = (size_t)nodes;
    double *x = wl_dalloc(N, "Gauss-Hermite nodes");
    if (!x) return WL_ENOMEM;
    int rc = wl_mat_alloc(&J, N, N);
    if (rc) {
        free(x);
        return rc;
    }
    for (size_t k = 1; k < N; k++) WL_AT(&J, k, k - 1) = WL_AT(&J, k - 1, k) = sqrt((double)k);
    rc = wl_eigh(&J, x, 1);
    if (!rc) {
        double acc = 0.0;
        for (size_t j = 0; j < N; j++) acc += WL_AT(&J, 0, j) * WL_AT(&J, 0, j) * h(x[j], ctx);
        *out = acc;
    }
    wl_mat_free(&J);
    free(x);
    return rc;
}

typedef struct {
    int act;
    double slope;
} act_ctx;

static double act_sq(double z, void *p) {
    const act_ctx *c = p;
    double f;
    wl_act_eval(c->act, c->slope, z, &f, NULL, NULL);
    return f * f;
}

double wl_act_csigma(int act, double slope) {
    switch (act) {
    case WL_ACT_IDENTITY: return 1.0;
    case WL_ACT_RELU: return 2.0;                          /* E[relu(g)^2] = 1/2 */
    case WL_ACT_LEAKY: return 2.0 / (1.0 + slope * slope); /* (1 + slope^2)/2 */
    case WL_ACT_SQUARE: return 1.0 / 3.0;                  /* E[g^4] = 3 */
    default: break;
    }
    act_ctx c = {act, slope};
    double m = 0.0;
    if (wl_gauss_hermite_mean(act_sq, &c, 96, &m) != WL_OK || !(m > 0)) return NAN;
    return 1.0 / m;
}
