/* Infinite-width NTK and NNGP of fully connected and residual networks by the
 * layer recursion (THEORY.md section 1, conventions in include/widelab/kernel.h):
 *   dense:  S' = ws2 S + beta^2,  T' = gw S + gb + ws2 T
 *   act:    S' = s^2 E[act(u) act(v)],  T' = s^2 E[act'(u) act'(v)] T
 *   add:    (h1 + h2)/sqrt(2): S' = (S1 + S2)/2, T' = (T1 + T2)/2
 *           (the two branches are driven by independent weights: no cross terms)
 * with ws2 = w_std^2, gw = ws2 (NTK parametrization) or fan_in (standard), and
 * s^2 = c_sigma or 1. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/infinite_impl.h"

/* S and T between the two point sets, with the diagonals S(x, x) of both. */
typedef struct state {
    size_t n1, n2;
    int sym;            /* X2 == X1: only j >= i computed */
    double *s1, *s2;    /* diagonals: n1, n2 (s2 == s1 when sym) */
    wl_mat S, T;        /* n1 x n2 */
} state;

static void state_free(state *st) {
    free(st->s1);
    if (!st->sym) free(st->s2);
    wl_mat_free(&st->S);
    wl_mat_free(&st->T);
    memset(st, 0, sizeof *st);
}

static int state_alloc(state *st, size_t n1, size_t n2, int sym) {
    memset(st, 0, sizeof *st);
    st->n1 = n1;
    st->n2 = n2;
    st->sym = sym;
    st->s1 = wl_dalloc(n1, "kernel diagonal");
    st->s2 = sym ? st->s1 : wl_dalloc(n2, "kernel diagonal");
    int rc = (st->s1 && st->s2) ? WL_OK : WL_ENOMEM;
    if (!rc) rc = wl_mat_alloc(&st->S, n1, n2);
    if (!rc) rc = wl_mat_alloc(&st->T, n1, n2);
    if (rc) state_free(st);
    return rc;
}

static int state_copy(state *dst, const state *src) {
    int rc = state_alloc(dst, src->n1, src->n2, src->sym);
    if (rc) return rc;
    memcpy(dst->s1, src->s1, src->n1 * sizeof(double));
    if (!src->sym) memcpy(dst->s2, src->s2, src->n2 * sizeof(double));
    wl_mat_copy(&dst->S, &src->S);
    wl_mat_copy(&dst->T, &src->T);
    return WL_OK;
}

/* Input node: S = X1 X2^T / d (T = 0).   X1: n1 x d, X2: n2 x d */
static int input_step(state *st, const wl_mat *X1, const wl_mat *X2) {
    double d = (double)X1->cols;
    int rc = wl_gemm(0, 1, 1.0 / d, X1, X2, 0.0, &st->S);
    if (rc) return rc;
    for (size_t i = 0; i < st->n1; i++) st->s1[i] = wl_dot(X1->cols, &WL_AT(X1, i, 0), &WL_AT(X1, i, 0)) / d;
    if (!st->sym)
        for (size_t j = 0; j < st->n2; j++)
            st->s2[j] = wl_dot(X2->cols, &WL_AT(X2, j, 0), &WL_AT(X2, j, 0)) / d;
    if (st->sym) /* the diagonal exactly equal to the norms: angle 0 there */
        for (size_t i = 0; i < st->n1; i++) WL_AT(&st->S, i, i) = st->s1[i];
    wl_mat_zero(&st->T);
    return WL_OK;
}

/* Dense layer z = w_std W a / sqrt(fan_in) + beta b (NTK) or z = W a + beta b
 * with W ~ N(0, w_std^2 / fan_in) (standard):
 *   S' = ws2 S + beta^2;  T' = gw S + beta^2 + ws2 T,
 * gw = ws2 (NTK: dz/dW = w_std a / sqrt(fan_in)) or fan_in (standard: dz/dW = a). */
static void dense_step(state *st, double ws2, double beta2, double gw) {
    for (size_t i = 0; i < st->n1; i++)
        for (size_t j = 0; j < st->n2; j++) {
            double s = WL_AT(&st->S, i, j);
            WL_AT(&st->T, i, j) = gw * s + beta2 + ws2 * WL_AT(&st->T, i, j);
            WL_AT(&st->S, i, j) = ws2 * s + beta2;
        }
    for (size_t i = 0; i < st->n1; i++) st->s1[i] = ws2 * st->s1[i] + beta2;
    if (!st->sym)
        for (size_t j = 0; j < st->n2; j++) st->s2[j] = ws2 * st->s2[j] + beta2;
}

/* Activation a = s act(z), cs = s^2:
 *   S'(x,z) = cs E[act(u) act(v)],  T'(x,z) = cs E[act'(u) act'(v)] T(x,z). */
static int act_step(state *st, const wl_inf_arch *a, const wl_inf_quad *q, double cs) {
    const size_t n1 = st->n1, n2 = st->n2;
    const int sym = st->sym;
    int bad = 0;
#pragma omp parallel for schedule(dynamic, 4) reduction(| : bad)
    for (size_t i = 0; i < n1; i++) {
        for (size_t j = sym ? i : 0; j < n2; j++) {
            double ea, ed;
            wl__inf_dual(a, q, st->s1[i], st->s2[j], WL_AT(&st->S, i, j), &ea, &ed);
            double s = cs * ea, t = cs * ed * WL_AT(&st->T, i, j);
            if (!isfinite(s) || !isfinite(t)) bad = 1;
            WL_AT(&st->S, i, j) = s;
            WL_AT(&st->T, i, j) = t;
            if (sym) {
                WL_AT(&st->S, j, i) = s;
                WL_AT(&st->T, j, i) = t;
            }
        }
    }
    if (bad)
        return wl_seterr(WL_ENUMERIC, "infinite kernel: %s layer produced NaN/Inf (inputs too large?)",
                         wl_inf_act_name(a->act));
    /* diagonals: S'(x, x) = cs E[act(u)^2], u ~ N(0, S(x, x)) */
    for (size_t i = 0; i < n1; i++) {
        double ea, ed;
        wl__inf_dual(a, q, st->s1[i], st->s1[i], st->s1[i], &ea, &ed);
        st->s1[i] = cs * ea;
    }
    if (!sym)
        for (size_t j = 0; j < n2; j++) {
            double ea, ed;
            wl__inf_dual(a, q, st->s2[j], st->s2[j], st->s2[j], &ea, &ed);
            st->s2[j] = cs * ea;
        }
    return WL_OK;
}

/* Residual add h <- (h + r) / sqrt(2): S' = (S_h + S_r)/2, T' = (T_h + T_r)/2. */
static void add_step(state *h, const state *r) {
    for (size_t i = 0; i < h->n1; i++)
        for (size_t j = 0; j < h->n2; j++) {
            WL_AT(&h->S, i, j) = 0.5 * (WL_AT(&h->S, i, j) + WL_AT(&r->S, i, j));
            WL_AT(&h->T, i, j) = 0.5 * (WL_AT(&h->T, i, j) + WL_AT(&r->T, i, j));
        }
    for (size_t i = 0; i < h->n1; i++) h->s1[i] = 0.5 * (h->s1[i] + r->s1[i]);
    if (!h->sym)
        for (size_t j = 0; j < h->n2; j++) h->s2[j] = 0.5 * (h->s2[j] + r->s2[j]);
}

/* Resolved per-layer constants of an architecture. */
typedef struct consts {
    double ws2, beta2, cs;
} consts;

static int resolve(const wl_inf_arch *a, consts *c) {
    double ws = a->w_std;
    if (ws == 0.0)
        ws = (a->param == WL_INF_STANDARD &&
              (a->act == WL_INF_RELU || a->act == WL_INF_LEAKY_RELU))
                 ? sqrt(2.0)
                 : 1.0;
    if (!(ws > 0) || !isfinite(ws) || !(a->bias >= 0) || !isfinite(a->bias))
        return wl_seterr(WL_EINVAL, "infinite kernel: w_std = %g and bias = %g must be >= 0",
                         a->w_std, a->bias);
    if (a->param != WL_INF_NTK && a->param != WL_INF_STANDARD)
        return wl_seterr(WL_EINVAL, "infinite kernel: unknown parametrization %d", (int)a->param);
    if (a->param == WL_INF_STANDARD && a->width == 0)
        return wl_seterr(WL_EINVAL,
                         "infinite kernel: the standard parametrization needs the hidden width "
                         "(its NTK grows with it)");
    if (a->topology != WL_INF_MLP && a->topology != WL_INF_RESMLP)
        return wl_seterr(WL_EINVAL, "infinite kernel: unknown topology %d", (int)a->topology);
    c->ws2 = ws * ws;
    c->beta2 = a->bias * a->bias;
    c->cs = 1.0;
    if (a->csigma) {
        int rc = wl_inf_csigma(a, &c->cs);
        if (rc) return rc;
    }
    return WL_OK;
}

/* gw of a dense layer with the given fan-in (see dense_step). */
static double grad_w(const wl_inf_arch *a, const consts *c, size_t fan_in) {
    return a->param == WL_INF_NTK ? c->ws2 : (double)fan_in;
}

static int run_mlp(const wl_inf_arch *a, const consts *c, const wl_inf_quad *q, state *st,
                   size_t d) {
    size_t fan = d;
    for (size_t l = 0; l < a->depth; l++) {
        dense_step(st, c->ws2, c->beta2, grad_w(a, c, fan));
        int rc = act_step(st, a, q, c->cs);
        if (rc) return rc;
        fan = a->width;
    }
    dense_step(st, c->ws2, a->out_bias ? c->beta2 : 0.0, grad_w(a, c, fan));
    return WL_OK;
}

static int run_resmlp(const wl_inf_arch *a, const consts *c, const wl_inf_quad *q, state *st,
                      size_t d) {
    dense_step(st, c->ws2, c->beta2, grad_w(a, c, d));
    for (size_t l = 0; l < a->depth; l++) {
        state r;
        int rc = state_copy(&r, st);
        if (rc) return rc;
        rc = act_step(&r, a, q, c->cs);
        if (!rc) {
            dense_step(&r, c->ws2, c->beta2, grad_w(a, c, a->width));
            add_step(st, &r);
        }
        state_free(&r);
        if (rc) return rc;
    }
    dense_step(st, c->ws2, a->out_bias ? c->beta2 : 0.0, grad_w(a, c, a->width));
    return WL_OK;
}

static int check_out(const wl_mat *M, size_t n1, size_t n2, const char *what) {
    if (M && (M->rows != n1 || M->cols != n2))
        return wl_seterr(WL_EINVAL, "wl_ntk_infinite: %s is %zu x %zu, expected %zu x %zu", what,
                         M->rows, M->cols, n1, n2);
    return WL_OK;
}

int wl_ntk_infinite(const wl_inf_arch *arch, const wl_mat *X1, const wl_mat *X2, wl_mat *ntk,
                    wl_mat *nngp) {
    if (!arch || !X1) return wl_seterr(WL_EINVAL, "wl_ntk_infinite: arch and X1 are required");
    int sym = X2 == NULL || X2 == X1;
    if (!X2) X2 = X1;
    if (X1->cols != X2->cols || X1->cols == 0)
        return wl_seterr(WL_EINVAL, "wl_ntk_infinite: X1 has %zu features, X2 %zu", X1->cols,
                         X2->cols);
    int rc = check_out(ntk, X1->rows, X2->rows, "ntk");
    if (!rc) rc = check_out(nngp, X1->rows, X2->rows, "nngp");
    if (rc) return rc;
    if (!wl_all_finite(X1->rows * X1->ld, X1->data) ||
        (!sym && !wl_all_finite(X2->rows * X2->ld, X2->data)))
        return wl_seterr(WL_EINVAL, "wl_ntk_infinite: inputs contain NaN or Inf");
    consts c;
    if ((rc = resolve(arch, &c))) return rc;
    wl_inf_quad q = {0};
    if (!wl__inf_has_closed_form(arch) && (rc = wl__inf_quad_init(&q, arch->quad_order))) return rc;
    state st;
    if ((rc = state_alloc(&st, X1->rows, X2->rows, sym))) {
        wl__inf_quad_free(&q);
        return rc;
    }
    rc = input_step(&st, X1, X2);
    if (!rc)
        rc = arch->topology == WL_INF_MLP ? run_mlp(arch, &c, &q, &st, X1->cols)
                                          : run_resmlp(arch, &c, &q, &st, X1->cols);
    if (!rc && ntk) wl_mat_copy(ntk, &st.T);
    if (!rc && nngp) wl_mat_copy(nngp, &st.S);
    state_free(&st);
    wl__inf_quad_free(&q);
    return rc;
}

void wl_inf_arch_init(wl_inf_arch *a) {
    memset(a, 0, sizeof *a);
    a->act = WL_INF_RELU;
    a->leaky = 0.01;
    a->topology = WL_INF_MLP;
    a->depth = 1;
    a->param = WL_INF_NTK;
    a->out_bias = 1;
}
