/* Activations and their dual functions E[act(u) act(v)], E[act'(u) act'(v)]
 * for (u, v) ~ N(0, [[sxx, sxz], [sxz, szz]]): closed forms (arc-cosine for
 * relu with the norms carried along, Williams 1997 for erf) and the dispatch
 * to quadrature for everything else. */
#include <math.h>
#include <string.h>

#include "kernel/infinite_impl.h"

#define WL_PI 3.14159265358979323846

static const char *const act_names[] = {"identity", "relu",     "leaky",    "erf",  "square",
                                        "tanh",     "sigmoid",  "softplus", "gelu", "custom"};

const char *wl_inf_act_name(wl_inf_act act) {
    return (unsigned)act <= WL_INF_CUSTOM ? act_names[act] : "?";
}

int wl_inf_act_from_name(const char *name, wl_inf_act *act) {
    for (int i = 0; i < WL_INF_CUSTOM; i++)
        if (!strcmp(name, act_names[i])) {
            *act = (wl_inf_act)i;
            return WL_OK;
        }
    if (!strcmp(name, "linear") || !strcmp(name, "id")) {
        *act = WL_INF_IDENTITY;
        return WL_OK;
    }
    if (!strcmp(name, "leaky_relu") || !strcmp(name, "lrelu")) {
        *act = WL_INF_LEAKY_RELU;
        return WL_OK;
    }
    return wl_seterr(WL_EINVAL,
                     "unknown activation '%s' (identity, relu, leaky, erf, square, tanh, "
                     "sigmoid, softplus, gelu)",
                     name);
}

void wl__inf_act_eval(const wl_inf_arch *a, double z, double *f, double *df) {
    switch (a->act) {
    case WL_INF_IDENTITY: *f = z; *df = 1.0; return;
    case WL_INF_RELU: *f = z > 0 ? z : 0.0; *df = z > 0 ? 1.0 : 0.0; return;
    case WL_INF_LEAKY_RELU:
        *f = z > 0 ? z : a->leaky * z;
        *df = z > 0 ? 1.0 : a->leaky;
        return;
    case WL_INF_ERF: *f = erf(z); *df = 2.0 / sqrt(WL_PI) * exp(-z * z); return;
    case WL_INF_SQUARE: *f = z * z; *df = 2.0 * z; return;
    case WL_INF_TANH: {
        double t = tanh(z);
        *f = t;
        *df = 1.0 - t * t;
        return;
    }
    case WL_INF_SIGMOID: {
        double s = z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
        *f = s;
        *df = s * (1.0 - s);
        return;
    }
    case WL_INF_SOFTPLUS:
        /* softplus(z) = log(1 + e^z), softplus' = sigmoid */
        *f = z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
        *df = z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
        return;
    case WL_INF_GELU: {
        /* gelu(z) = z Phi(z), gelu' = Phi(z) + z phi(z) */
        double Phi = 0.5 * erfc(-z / sqrt(2.0));
        *f = z * Phi;
        *df = Phi + z * exp(-0.5 * z * z) / sqrt(2.0 * WL_PI);
        return;
    }
    case WL_INF_CUSTOM:
        *f = a->fn(z, a->ctx);
        *df = a->dfn(z, a->ctx);
        return;
    }
    *f = *df = NAN;
}

int wl__inf_has_closed_form(const wl_inf_arch *a) {
    if (a->force_quadrature) return 0;
    return a->act == WL_INF_IDENTITY || a->act == WL_INF_RELU || a->act == WL_INF_LEAKY_RELU ||
           a->act == WL_INF_ERF || a->act == WL_INF_SQUARE;
}

/* Arc-cosine kernels of degree 1 and 0 (Cho & Saul), with the norms:
 *   E[relu relu] = sqrt(sxx szz)/(2 pi) (sin th + (pi - th) cos th),
 *   E[step step] = (pi - th)/(2 pi),  cos th = sxz / sqrt(sxx szz). */
static void relu_dual(double sxx, double szz, double sxz, double *ea, double *ed) {
    double nn = sqrt(sxx * szz);
    if (!(nn > 0)) {
        *ea = 0.0; /* u or v is 0 a.s.; relu'(0) = 0 */
        *ed = 0.0;
        return;
    }
    double c = sxz / nn;
    c = c > 1 ? 1 : (c < -1 ? -1 : c);
    double th = acos(c);
    *ea = nn / (2 * WL_PI) * (sqrt(1 - c * c) + (WL_PI - th) * c);
    *ed = (WL_PI - th) / (2 * WL_PI);
}

void wl__inf_dual_closed(const wl_inf_arch *a, double sxx, double szz, double sxz, double *ea,
                         double *ed) {
    switch (a->act) {
    case WL_INF_IDENTITY: *ea = sxz; *ed = 1.0; return;
    case WL_INF_RELU: relu_dual(sxx, szz, sxz, ea, ed); return;
    case WL_INF_LEAKY_RELU: {
        /* leaky(u) = (1 - s) relu(u) + s u, E[relu(u) v] = sxz / 2:
         * E[.] = (1-s)^2 E[relu relu] + s sxz;  E[.'] = s + (1-s)^2 E[step step] */
        double s = a->leaky, r, d;
        relu_dual(sxx, szz, sxz, &r, &d);
        double pos = sxx > 0 && szz > 0;
        *ea = (1 - s) * (1 - s) * r + s * sxz;
        if (pos) *ed = s + (1 - s) * (1 - s) * d;
        else *ed = (sxx > 0 || szz > 0) ? s * (s + (1 - s) * 0.5) : s * s;
        return;
    }
    case WL_INF_ERF: {
        /* Williams 1997: E[erf erf] = (2/pi) asin(2 sxz / sqrt((1+2sxx)(1+2szz))),
         * E[erf' erf'] = (4/pi) / sqrt((1+2sxx)(1+2szz) - 4 sxz^2) */
        double p = (1 + 2 * sxx) * (1 + 2 * szz);
        double r = 2 * sxz / sqrt(p);
        r = r > 1 ? 1 : (r < -1 ? -1 : r);
        *ea = 2.0 / WL_PI * asin(r);
        *ed = 4.0 / WL_PI / sqrt(fmax(p - 4 * sxz * sxz, 1e-300));
        return;
    }
    case WL_INF_SQUARE:
        /* Isserlis: E[u^2 v^2] = sxx szz + 2 sxz^2, E[2u 2v] = 4 sxz */
        *ea = sxx * szz + 2 * sxz * sxz;
        *ed = 4 * sxz;
        return;
    default: *ea = *ed = NAN; return;
    }
}

void wl__inf_dual(const wl_inf_arch *a, const wl_inf_quad *q, double sxx, double szz, double sxz,
                  double *ea, double *ed) {
    if (wl__inf_has_closed_form(a)) wl__inf_dual_closed(a, sxx, szz, sxz, ea, ed);
    else wl__inf_dual_quad(a, q, sxx, szz, sxz, ea, ed);
}

static int check_act(const wl_inf_arch *a) {
    if ((unsigned)a->act > WL_INF_CUSTOM)
        return wl_seterr(WL_EINVAL, "infinite kernel: activation code %d is not known", (int)a->act);
    if (a->act == WL_INF_CUSTOM && (!a->fn || !a->dfn))
        return wl_seterr(WL_EINVAL, "infinite kernel: custom activation needs fn and dfn");
    return WL_OK;
}

int wl_inf_dual(const wl_inf_arch *a, double sxx, double szz, double sxz, double *e_act,
                double *e_dact) {
    int rc = check_act(a);
    if (rc) return rc;
    if (!(sxx >= 0) || !(szz >= 0) || !isfinite(sxx) || !isfinite(szz) || !isfinite(sxz) ||
        sxz * sxz > sxx * szz * (1 + 1e-12) + 1e-300)
        return wl_seterr(WL_EINVAL,
                         "dual activation: [[%g, %g], [%g, %g]] is not a covariance matrix", sxx,
                         sxz, sxz, szz);
    wl_inf_quad q = {0};
    if (!wl__inf_has_closed_form(a) && (rc = wl__inf_quad_init(&q, a->quad_order))) return rc;
    double ea, ed;
    wl__inf_dual(a, &q, sxx, szz, sxz, &ea, &ed);
    wl__inf_quad_free(&q);
    if (e_act) *e_act = ea;
    if (e_dact) *e_dact = ed;
    return WL_OK;
}

int wl_inf_csigma(const wl_inf_arch *a, double *c) {
    double e;
    int rc = wl_inf_dual(a, 1.0, 1.0, 1.0, &e, NULL);
    if (rc) return rc;
    if (!(e > 0))
        return wl_seterr(WL_ENUMERIC, "c_sigma: E[%s(g)^2] = %g is not positive",
                         wl_inf_act_name(a->act), e);
    *c = 1.0 / e;
    return WL_OK;
}
