/* Infinite-width NTK and NNGP of fully connected, residual, densely connected
 * and assembled networks by the layer recursion (THEORY.md section 1;
 * conventions in include/widelab/kernel.h). On n1 x n2 pairs:
 *   dense:  S' = ws2 S + beta^2,  T' = gw S + gb + ws2 T
 *   act:    S' = s^2 E[act(u) act(v)],  T' = s^2 E[act'(u) act'(v)] T
 *   add:    (h_1 + ... + h_r)/sqrt(r): S' = (1/r) sum_ij C_ij, T' = (1/r) sum_i T_i
 * with ws2 = w_std^2, gw = ws2 (NTK) or fan_in (standard), gb = beta^2 (NTK)
 * or 1 (standard, when biases exist), s^2 = c_sigma or 1. Cross terms of an
 * add: a branch ending in a fresh dense layer is a centred Gaussian
 * independent of the rest, so C_ij = 0 (residual blocks); two activations of
 * different layers give C_ij(x, z) = mu_i(x) mu_j(z), mu = E[act(u)] (dense
 * blocks); cross NTK terms vanish. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/infinite_impl.h"

#define WL_PI 3.14159265358979323846

/* S and T between the two point sets, with the diagonals S(x, x) and, after
 * an activation, the means mu(x) = E[a(x)]. */
typedef struct state {
    size_t n1, n2;
    int sym;          /* X2 == X1: only j >= i computed */
    double *s1, *s2;  /* diagonals: n1, n2 (s2 == s1 when sym) */
    double *m1, *m2;  /* means: n1, n2 (m2 == m1 when sym) */
    wl_mat S, T;      /* n1 x n2 */
} state;

static void state_free(state *st) {
    free(st->s1);
    free(st->m1);
    if (!st->sym) {
        free(st->s2);
        free(st->m2);
    }
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
    st->m1 = wl_dalloc(n1, "kernel means");
    st->s2 = sym ? st->s1 : wl_dalloc(n2, "kernel diagonal");
    st->m2 = sym ? st->m1 : wl_dalloc(n2, "kernel means");
    int rc = (st->s1 && st->s2 && st->m1 && st->m2) ? WL_OK : WL_ENOMEM;
    if (!rc) rc = wl_mat_alloc(&st->S, n1, n2);
    if (!rc) rc = wl_mat_alloc(&st->T, n1, n2);
    if (rc) state_free(st);
    return rc;
}

static int state_copy(state *dst, const state *src) {
    int rc = state_alloc(dst, src->n1, src->n2, src->sym);
    if (rc) return rc;
    memcpy(dst->s1, src->s1, src->n1 * sizeof(double));
    memcpy(dst->m1, src->m1, src->n1 * sizeof(double));
    if (!src->sym) {
        memcpy(dst->s2, src->s2, src->n2 * sizeof(double));
        memcpy(dst->m2, src->m2, src->n2 * sizeof(double));
    }
    wl_mat_copy(&dst->S, &src->S);
    wl_mat_copy(&dst->T, &src->T);
    return WL_OK;
}

/* Input node: S = X1 X2^T / d (T = 0).   X1: n1 x d, X2: n2 x d */
static int input_step(state *st, const wl_mat *X1, const wl_mat *X2) {
    const size_t d = X1->cols;
    int rc = wl_gemm(0, 1, 1.0 / (double)d, X1, X2, 0.0, &st->S);
    if (rc) return rc;
    for (size_t i = 0; i < st->n1; i++)
        st->s1[i] = wl_dot(d, &WL_AT(X1, i, 0), &WL_AT(X1, i, 0)) / (double)d;
    if (!st->sym)
        for (size_t j = 0; j < st->n2; j++)
            st->s2[j] = wl_dot(d, &WL_AT(X2, j, 0), &WL_AT(X2, j, 0)) / (double)d;
    else /* the diagonal exactly equal to the norms: angle 0 there */
        for (size_t i = 0; i < st->n1; i++) WL_AT(&st->S, i, i) = st->s1[i];
    wl_mat_zero(&st->T);
    return WL_OK;
}

/* Dense layer: S' = ws2 S + beta2;  T' = gw S + gb + ws2 T. */
static void dense_step(state *st, double ws2, double beta2, double gw, double gb) {
    for (size_t i = 0; i < st->n1; i++)
        for (size_t j = 0; j < st->n2; j++) {
            double s = WL_AT(&st->S, i, j);
            WL_AT(&st->T, i, j) = gw * s + gb + ws2 * WL_AT(&st->T, i, j);
            WL_AT(&st->S, i, j) = ws2 * s + beta2;
        }
    for (size_t i = 0; i < st->n1; i++) {
        st->s1[i] = ws2 * st->s1[i] + beta2;
        st->m1[i] = 0.0; /* a fresh dense output is centred */
    }
    if (!st->sym)
        for (size_t j = 0; j < st->n2; j++) {
            st->s2[j] = ws2 * st->s2[j] + beta2;
            st->m2[j] = 0.0;
        }
}

/* mu = E[act(u)], u ~ N(0, v): closed forms, else Gauss-Hermite. */
static double act_mean(const wl_inf_arch *a, const wl_inf_quad *q, double v) {
    double sd = sqrt(fmax(v, 0.0));
    switch (a->act) {
    case WL_INF_IDENTITY:
    case WL_INF_ERF:
    case WL_INF_TANH: return 0.0; /* odd */
    case WL_INF_SIGMOID: return 0.5;
    case WL_INF_SQUARE: return v;
    case WL_INF_RELU: return sd / sqrt(2 * WL_PI);
    case WL_INF_LEAKY_RELU: return (1 - a->leaky) * sd / sqrt(2 * WL_PI);
    case WL_INF_GELU: return v / sqrt(2 * WL_PI * (1 + v)); /* Stein: v E[phi(u)] */
    default: break;
    }
    double acc = 0.0;
    for (size_t k = 0; k < q->ngh; k++) {
        double f, df;
        wl__inf_act_eval(a, sd * q->xgh[k], &f, &df);
        acc += q->wgh[k] * f;
    }
    return acc;
}

/* Activation a = s act(z), cs = s^2:
 *   S'(x,z) = cs E[act(u) act(v)],  T'(x,z) = cs E[act'(u) act'(v)] T(x,z). */
static int act_step(state *st, const wl_inf_arch *a, const wl_inf_quad *q, double cs) {
    const size_t n1 = st->n1, n2 = st->n2;
    const int sym = st->sym;
    const int use_cache = wl__inf_uses_cache(a);
    const size_t clen = use_cache ? wl__inf_cache_len(q) : 0;
    int bad = 0;
#pragma omp parallel for schedule(dynamic, 4) reduction(| : bad)
    for (size_t i = 0; i < n1; i++) {
        double *cache = use_cache ? malloc(clen * sizeof(double)) : NULL;
        if (use_cache && !cache) {
            bad |= 2;
            continue;
        }
        if (cache) wl__inf_cache_fill(a, q, st->s1[i], cache);
        for (size_t j = sym ? i : 0; j < n2; j++) {
            double ea, ed, sij = WL_AT(&st->S, i, j);
            if (cache) wl__inf_dual_cached(a, q, cache, st->s1[i], st->s2[j], sij, &ea, &ed);
            else wl__inf_dual(a, q, st->s1[i], st->s2[j], sij, &ea, &ed);
            double s = cs * ea, t = cs * ed * WL_AT(&st->T, i, j);
            if (!isfinite(s) || !isfinite(t)) bad |= 1;
            WL_AT(&st->S, i, j) = s;
            WL_AT(&st->T, i, j) = t;
            if (sym) {
                WL_AT(&st->S, j, i) = s;
                WL_AT(&st->T, j, i) = t;
            }
        }
        free(cache);
    }
    if (bad & 2) return wl_seterr(WL_ENOMEM, "infinite kernel: no memory for quadrature caches");
    if (bad)
        return wl_seterr(WL_ENUMERIC,
                         "infinite kernel: a %s layer produced NaN/Inf (inputs too large?)",
                         wl_inf_act_name(a->act));
    /* means and diagonals: S'(x, x) = cs E[act(u)^2], u ~ N(0, S(x, x)) */
    double sc = sqrt(cs);
    for (int side = 0; side < (sym ? 1 : 2); side++) {
        double *sv = side ? st->s2 : st->s1, *mv = side ? st->m2 : st->m1;
        for (size_t i = 0; i < (side ? n2 : n1); i++) {
            double ea, ed;
            mv[i] = sc * act_mean(a, q, sv[i]);
            wl__inf_dual(a, q, sv[i], sv[i], sv[i], &ea, &ed);
            sv[i] = cs * ea;
        }
    }
    return WL_OK;
}

/* Sum node (h_0 + ... + h_{r-1}) scale, scale^2 = 1/r:
 * centred = 1: branches are centred (0 means) or independent of each other
 * except through their means: S' = scale^2 [sum_i (S_i - mu_i mu_i'^T) + M M'^T],
 * M = sum_i mu_i; T' = scale^2 sum_i T_i. Result into out (allocated). */
static int sum_step(state *out, state *const *hs, size_t r, double scale) {
    const state *h0 = hs[0];
    int rc = state_alloc(out, h0->n1, h0->n2, h0->sym);
    if (rc) return rc;
    const double c = scale * scale;
    for (size_t b = 0; b < r; b++) {
        const state *h = hs[b];
        for (size_t i = 0; i < out->n1; i++) {
            out->m1[i] += h->m1[i];
            out->s1[i] += h->s1[i] - h->m1[i] * h->m1[i];
        }
        if (!out->sym)
            for (size_t j = 0; j < out->n2; j++) {
                out->m2[j] += h->m2[j];
                out->s2[j] += h->s2[j] - h->m2[j] * h->m2[j];
            }
        for (size_t i = 0; i < out->n1; i++)
            for (size_t j = 0; j < out->n2; j++) {
                WL_AT(&out->S, i, j) += WL_AT(&h->S, i, j) - h->m1[i] * h->m2[j];
                WL_AT(&out->T, i, j) += WL_AT(&h->T, i, j);
            }
    }
    for (size_t i = 0; i < out->n1; i++)
        for (size_t j = 0; j < out->n2; j++) {
            WL_AT(&out->S, i, j) = c * (WL_AT(&out->S, i, j) + out->m1[i] * out->m2[j]);
            WL_AT(&out->T, i, j) *= c;
        }
    for (size_t i = 0; i < out->n1; i++) {
        out->s1[i] = c * (out->s1[i] + out->m1[i] * out->m1[i]);
        out->m1[i] *= scale;
    }
    if (!out->sym)
        for (size_t j = 0; j < out->n2; j++) {
            out->s2[j] = c * (out->s2[j] + out->m2[j] * out->m2[j]);
            out->m2[j] *= scale;
        }
    return WL_OK;
}

/* Resolved constants of an architecture. */
typedef struct consts {
    double beta2, cs, he; /* he: standard-parametrization gain after the activation */
    int has_bias;
} consts;

/* Per dense layer: ws2, gw, gb; after_act = the layer is fed by an activation. */
static void layer(const wl_inf_arch *a, const consts *c, size_t fan_in, int after_act,
                  double *ws2, double *gw, double *gb) {
    if (a->w_std > 0) *ws2 = a->w_std * a->w_std;
    else *ws2 = (a->param == WL_INF_STANDARD && after_act) ? c->he : 1.0;
    *gw = a->param == WL_INF_NTK ? *ws2 : (double)fan_in;
    *gb = !c->has_bias ? 0.0 : (a->param == WL_INF_NTK ? c->beta2 : 1.0);
}

static void dense(state *st, const wl_inf_arch *a, const consts *c, size_t fan_in,
                  int after_act, int with_bias) {
    double ws2, gw, gb;
    layer(a, c, fan_in, after_act, &ws2, &gw, &gb);
    dense_step(st, ws2, with_bias ? c->beta2 : 0.0, gw, with_bias ? gb : 0.0);
}

static int resolve(const wl_inf_arch *a, consts *c) {
    if (!(a->w_std >= 0) || !isfinite(a->w_std) || !(a->bias >= 0) || !isfinite(a->bias))
        return wl_seterr(WL_EINVAL, "infinite kernel: w_std = %g and bias = %g must be >= 0",
                         a->w_std, a->bias);
    if (a->param != WL_INF_NTK && a->param != WL_INF_STANDARD)
        return wl_seterr(WL_EINVAL, "infinite kernel: unknown parametrization %d", (int)a->param);
    if (a->param == WL_INF_STANDARD && a->width == 0)
        return wl_seterr(WL_EINVAL,
                         "infinite kernel: the standard parametrization needs the hidden width "
                         "(its NTK grows with it)");
    if ((unsigned)a->topology > WL_INF_ASSEMBLY)
        return wl_seterr(WL_EINVAL, "infinite kernel: unknown topology %d", (int)a->topology);
    if (a->topology == WL_INF_DENSEMLP && a->depth == 0)
        return wl_seterr(WL_EINVAL, "infinite kernel: a dense MLP needs depth >= 1");
    c->beta2 = a->bias * a->bias;
    c->has_bias = a->has_bias || a->bias > 0;
    c->cs = 1.0;
    c->he = 1.0;
    if (!a->csigma && a->act == WL_INF_RELU) c->he = 2.0;
    if (!a->csigma && a->act == WL_INF_LEAKY_RELU) c->he = 2.0 / (1.0 + a->leaky * a->leaky);
    if (a->csigma) {
        int rc = wl_inf_csigma(a, &c->cs);
        if (rc) return rc;
    }
    return WL_OK;
}

static int run_mlp(const wl_inf_arch *a, const consts *c, const wl_inf_quad *q, state *st,
                   size_t d, size_t depth) {
    for (size_t l = 0; l < depth; l++) {
        dense(st, a, c, l ? a->width : d, l > 0, 1);
        int rc = act_step(st, a, q, c->cs);
        if (rc) return rc;
    }
    dense(st, a, c, depth ? a->width : d, depth > 0, a->out_bias);
    return WL_OK;
}

static int run_resmlp(const wl_inf_arch *a, const consts *c, const wl_inf_quad *q, state *st,
                      size_t d) {
    dense(st, a, c, d, 0, 1);
    for (size_t l = 0; l < a->depth; l++) {
        state r, sum;
        int rc = state_copy(&r, st);
        if (rc) return rc;
        rc = act_step(&r, a, q, c->cs);
        if (!rc) {
            dense(&r, a, c, a->width, 1, 1); /* centred: no cross term with h */
            state *hs[2] = {st, &r};
            rc = sum_step(&sum, hs, 2, sqrt(0.5));
        }
        state_free(&r);
        if (rc) return rc;
        state_free(st);
        *st = sum;
    }
    int rc = act_step(st, a, q, c->cs);
    if (!rc) dense(st, a, c, a->width, 1, a->out_bias);
    return rc;
}

/* h_0 = act(dense(x)); h_l = act(dense(sum_{i<l} h_i / sqrt(l))); y = dense(sum/sqrt(L)) */
static int run_densemlp(const wl_inf_arch *a, const consts *c, const wl_inf_quad *q, state *st,
                        size_t d) {
    const size_t L = a->depth;
    state *hs = wl_calloc(L, sizeof *hs, "dense MLP states");
    state **ptr = wl_calloc(L, sizeof *ptr, "dense MLP states");
    state in;
    if (!hs || !ptr) {
        free(hs);
        free(ptr);
        return WL_ENOMEM;
    }
    int rc = state_copy(&in, st);
    size_t done = 0;
    for (size_t l = 0; !rc && l <= L; l++) {
        if (l >= 2) {
            for (size_t i = 0; i < l; i++) ptr[i] = &hs[i];
            state_free(&in);
            rc = sum_step(&in, ptr, l, 1.0 / sqrt((double)l));
        } else if (l == 1) {
            state_free(&in);
            rc = state_copy(&in, &hs[0]);
        }
        if (rc || l == L) break;
        dense(&in, a, c, l ? a->width : d, l == 1, 1);
        rc = act_step(&in, a, q, c->cs);
        if (!rc) rc = state_copy(&hs[l], &in);
        if (!rc) done = l + 1;
    }
    if (!rc) {
        dense(&in, a, c, L ? a->width : d, L == 1, a->out_bias);
        state_free(st);
        *st = in;
    } else {
        state_free(&in);
    }
    for (size_t l = 0; l < done; l++) state_free(&hs[l]);
    free(hs);
    free(ptr);
    return rc;
}

static int check_out(const wl_mat *M, size_t n1, size_t n2, const char *what) {
    if (M && (M->rows != n1 || M->cols != n2))
        return wl_seterr(WL_EINVAL, "wl_ntk_infinite: %s is %zu x %zu, expected %zu x %zu", what,
                         M->rows, M->cols, n1, n2);
    return WL_OK;
}

static int all_finite(const wl_mat *X) {
    for (size_t i = 0; i < X->rows; i++)
        if (!wl_all_finite(X->cols, &WL_AT(X, i, 0))) return 0;
    return 1;
}

int wl_ntk_infinite(const wl_inf_arch *arch, const wl_mat *X1, const wl_mat *X2, wl_mat *ntk,
                    wl_mat *nngp) {
    if (!arch || !X1) return wl_seterr(WL_EINVAL, "wl_ntk_infinite: arch and X1 are required");
    int sym = X2 == NULL || X2 == X1;
    if (!X2) X2 = X1;
    if (X1->rows == 0 || X2->rows == 0)
        return wl_seterr(WL_EINVAL, "wl_ntk_infinite: no points (%zu x %zu)", X1->rows, X2->rows);
    if (X1->cols != X2->cols || X1->cols == 0)
        return wl_seterr(WL_EINVAL, "wl_ntk_infinite: X1 has %zu features, X2 %zu", X1->cols,
                         X2->cols);
    int rc = check_out(ntk, X1->rows, X2->rows, "ntk");
    if (!rc) rc = check_out(nngp, X1->rows, X2->rows, "nngp");
    if (rc) return rc;
    if (!all_finite(X1) || !all_finite(X2))
        return wl_seterr(WL_EINVAL, "wl_ntk_infinite: inputs contain NaN or Inf");
    consts c;
    if ((rc = resolve(arch, &c))) return rc;
    wl_inf_quad q = {0};
    if ((rc = wl__inf_quad_init(&q, arch->quad_order))) return rc;
    state st;
    if ((rc = state_alloc(&st, X1->rows, X2->rows, sym))) {
        wl__inf_quad_free(&q);
        return rc;
    }
    rc = input_step(&st, X1, X2);
    const size_t d = X1->cols;
    if (!rc) switch (arch->topology) {
        case WL_INF_MLP: rc = run_mlp(arch, &c, &q, &st, d, arch->depth); break;
        case WL_INF_ASSEMBLY: rc = run_mlp(arch, &c, &q, &st, d, 1); break;
        case WL_INF_RESMLP: rc = run_resmlp(arch, &c, &q, &st, d); break;
        case WL_INF_DENSEMLP: rc = run_densemlp(arch, &c, &q, &st, d); break;
        }
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
