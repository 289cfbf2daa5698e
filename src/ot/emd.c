/* Exact optimal transport by the primal network simplex on the complete
 * bipartite graph (sources i -> sinks j) plus an artificial root, with block
 * search pivots and the strongly feasible leaving-arc rule (as in LEMON).
 * Non-tree arcs carry no flow, so flows live on the tree, one per node. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ot_internal.h"

#define NONE ((size_t)-1)

typedef struct ns {
    const wl_mat *C;
    size_t n, m, N, root, narc;  /* N = n + m + 1 nodes, narc = n m real arcs */
    size_t *parent, *pred;       /* pred: arc from node to parent (or reverse) */
    size_t *first, *next, *prev; /* child lists */
    size_t *depth;
    unsigned char *up;           /* 1: pred arc points node -> parent */
    double *flow, *pi;           /* flow on pred arc; node potentials */
    double art, tol;             /* artificial arc cost; pivot tolerance */
    size_t block, next_arc;
} ns;

/* Cost of arc e: real arcs e = i m + j (i -> n + j); artificial e = narc + k. */
static double arc_cost(const ns *s, size_t e) {
    if (e < s->narc) return s->C->data[(e / s->m) * s->C->ld + e % s->m];
    return e - s->narc < s->n ? 0.0 : s->art;
}

static void attach(ns *s, size_t x, size_t p) {
    s->parent[x] = p;
    s->prev[x] = NONE;
    s->next[x] = s->first[p];
    if (s->first[p] != NONE) s->prev[s->first[p]] = x;
    s->first[p] = x;
}

static void detach(ns *s, size_t x) {
    size_t p = s->parent[x];
    if (s->prev[x] != NONE) s->next[s->prev[x]] = s->next[x];
    else s->first[p] = s->next[x];
    if (s->next[x] != NONE) s->prev[s->next[x]] = s->prev[x];
}

static int ns_alloc(ns *s) {
    size_t N = s->N;
    s->parent = malloc(6 * N * sizeof(size_t));
    s->up = malloc(N);
    s->flow = wl_dalloc(2 * N, "network simplex flows");
    if (!s->parent || !s->up || !s->flow) return wl_seterr(WL_ENOMEM, "network simplex: out of memory for %zu nodes", N);
    s->pred = s->parent + N;
    s->first = s->pred + N;
    s->next = s->first + N;
    s->prev = s->next + N;
    s->depth = s->prev + N;
    s->pi = s->flow + N;
    return WL_OK;
}

static void ns_free(ns *s) {
    free(s->parent);
    free(s->up);
    free(s->flow);
}

/* Star tree at the root: source i -> root (cost 0, flow a_i), root -> sink j
 * (cost ART, flow b_j); potentials make tree arcs' reduced costs zero. */
static void ns_init(ns *s, const double *a, const double *b) {
    double cmax = 0.0;
    for (size_t i = 0; i < s->n; i++)
        for (size_t j = 0; j < s->m; j++) cmax = fmax(cmax, fabs(WL_AT(s->C, i, j)));
    s->art = (cmax + 1.0) * (double)s->N;
    s->tol = 64.0 * DBL_EPSILON * s->art;
    for (size_t k = 0; k < s->N; k++) s->first[k] = NONE;
    s->parent[s->root] = NONE;
    s->depth[s->root] = 0;
    s->pi[s->root] = 0.0;
    for (size_t k = 0; k < s->n + s->m; k++) {
        attach(s, k, s->root);
        s->pred[k] = s->narc + k;
        s->depth[k] = 1;
        s->up[k] = k < s->n;
        s->flow[k] = k < s->n ? a[k] : b[k - s->n];
        s->pi[k] = k < s->n ? 0.0 : s->art;
    }
    double bs = sqrt((double)s->narc);
    s->block = bs < 10.0 ? 10 : (size_t)bs;
    s->next_arc = 0;
}

/* Lowest c[k] - pj[k] + pii over k in [j0, j1) if below *best (four
 * independent lanes, so the compare chain does not serialize); updates *best
 * and *best_k. */
static void scan_row(const double *c, const double *pj, double pii, size_t j0, size_t j1,
                     double *best, size_t *best_k) {
    double thr = *best - pii, b0 = thr, b1 = thr, b2 = thr, b3 = thr;
    size_t k0 = NONE, k1 = NONE, k2 = NONE, k3 = NONE, k = j0;
    for (; k + 4 <= j1; k += 4) {
        double r0 = c[k] - pj[k], r1 = c[k + 1] - pj[k + 1];
        double r2 = c[k + 2] - pj[k + 2], r3 = c[k + 3] - pj[k + 3];
        if (r0 < b0) { b0 = r0; k0 = k; }
        if (r1 < b1) { b1 = r1; k1 = k + 1; }
        if (r2 < b2) { b2 = r2; k2 = k + 2; }
        if (r3 < b3) { b3 = r3; k3 = k + 3; }
    }
    for (; k < j1; k++) {
        double r = c[k] - pj[k];
        if (r < b0) { b0 = r; k0 = k; }
    }
    if (b1 < b0) { b0 = b1; k0 = k1; }
    if (b3 < b2) { b2 = b3; k2 = k3; }
    if (b2 < b0) { b0 = b2; k0 = k2; }
    if (k0 != NONE) {
        *best = b0 + pii;
        *best_k = k0;
    }
}

/* Block search: scan arcs cyclically in blocks, return the most negative
 * reduced cost C_ij + pi_i - pi_{n+j} of the first block holding one < -tol. */
static int find_entering(ns *s, size_t *e_out) {
    size_t n = s->n, m = s->m, total = s->narc, cnt = 0, blk = 0, best_e = NONE;
    size_t i = s->next_arc / m, j = s->next_arc % m;
    const double *pj = s->pi + n;
    double best = -s->tol;
    while (cnt < total) {
        size_t len = m - j, k = NONE;
        if (len > s->block - blk) len = s->block - blk;
        if (len > total - cnt) len = total - cnt;
        scan_row(s->C->data + i * s->C->ld, pj, s->pi[i], j, j + len, &best, &k);
        if (k != NONE) best_e = i * m + k;
        cnt += len;
        blk += len;
        j += len;
        if (j == m) {
            j = 0;
            i = i + 1 == n ? 0 : i + 1;
        }
        if (blk == s->block) {
            if (best_e != NONE) break;
            blk = 0;
        }
    }
    s->next_arc = i * m + j;
    *e_out = best_e;
    return best_e != NONE;
}

static size_t join_node(const ns *s, size_t u, size_t v) {
    while (u != v) {
        if (s->depth[u] > s->depth[v]) u = s->parent[u];
        else if (s->depth[v] > s->depth[u]) v = s->parent[v];
        else {
            u = s->parent[u];
            v = s->parent[v];
        }
    }
    return u;
}

/* Re-hangs the path u_in .. u_out below v_in through arc e_in, then shifts
 * potentials and depths of the moved subtree. */
static void ns_update_tree(ns *s, size_t e_in, size_t u_in, size_t v_in, size_t u_out,
                           int in_up, double delta) {
    size_t prev_node = v_in, prev_arc = e_in, w = u_in;
    unsigned char prev_up = (unsigned char)in_up;
    double prev_flow = delta;
    for (;;) {
        size_t nxt = s->parent[w], pa = s->pred[w];
        unsigned char pu = s->up[w];
        double pf = s->flow[w];
        detach(s, w);
        attach(s, w, prev_node);
        s->pred[w] = prev_arc;
        s->up[w] = prev_up;
        s->flow[w] = prev_flow;
        if (w == u_out) break;
        prev_node = w;
        prev_arc = pa;
        prev_up = (unsigned char)!pu;
        prev_flow = pf;
        w = nxt;
    }
    /* reduced cost of e_in must be 0: C_e + pi[src] - pi[tgt] = 0 */
    double ce = arc_cost(s, e_in);
    double want = in_up ? s->pi[v_in] - ce : s->pi[v_in] + ce, sigma = want - s->pi[u_in];
    size_t x = u_in;
    for (;;) {
        s->pi[x] += sigma;
        s->depth[x] = s->depth[s->parent[x]] + 1;
        if (s->first[x] != NONE) {
            x = s->first[x];
            continue;
        }
        while (x != u_in && s->next[x] == NONE) x = s->parent[x];
        if (x == u_in) break;
        x = s->next[x];
    }
}

/* One pivot on entering arc e = (i -> n + j); 0 on success. */
static int ns_pivot(ns *s, size_t e) {
    size_t first = e / s->m, second = s->n + e % s->m, join = join_node(s, first, second);
    size_t u_out = NONE;
    int result = 0;
    double delta = INFINITY;
    for (size_t u = first; u != join; u = s->parent[u])
        if (s->up[u] && s->flow[u] < delta) {
            delta = s->flow[u];
            u_out = u;
            result = 1;
        }
    for (size_t u = second; u != join; u = s->parent[u])
        if (!s->up[u] && s->flow[u] <= delta) {
            delta = s->flow[u];
            u_out = u;
            result = 2;
        }
    if (!result) return wl_seterr(WL_ENUMERIC, "network simplex: unbounded cycle at arc %zu", e);
    if (delta > 0.0) {
        for (size_t u = first; u != join; u = s->parent[u]) s->flow[u] += s->up[u] ? -delta : delta;
        for (size_t u = second; u != join; u = s->parent[u]) s->flow[u] += s->up[u] ? delta : -delta;
    }
    s->flow[u_out] = 0.0;
    if (result == 1) ns_update_tree(s, e, first, second, u_out, 1, delta);
    else ns_update_tree(s, e, second, first, u_out, 0, delta);
    return WL_OK;
}

/* Plan, duals and cost from the final tree. */
static void ns_output(const ns *s, wl_mat *P, double *f, double *g, wl_ot_result *res) {
    if (P) wl_mat_zero(P);
    double cost = 0.0;
    for (size_t x = 0; x < s->n + s->m; x++) {
        size_t e = s->pred[x];
        if (e >= s->narc) continue;
        size_t i = e / s->m, j = e % s->m;
        cost += s->flow[x] * WL_AT(s->C, i, j);
        if (P) WL_AT(P, i, j) = s->flow[x];
    }
    res->cost = cost;
    double shift = -s->pi[0];
    if (f)
        for (size_t i = 0; i < s->n; i++) f[i] = -s->pi[i] - shift;
    if (g)
        for (size_t j = 0; j < s->m; j++) g[j] = s->pi[s->n + j] + shift;
}

int wl_emd(const wl_mat *C, const double *a, const double *b, size_t max_iter, wl_mat *P,
           double *f, double *g, wl_ot_result *res) {
    if (!C || !res) return wl_seterr(WL_EINVAL, "emd: NULL argument");
    memset(res, 0, sizeof *res);
    size_t n = C->rows, m = C->cols;
    if (n == 0 || m == 0) return wl_seterr(WL_EINVAL, "emd: empty cost matrix %zu x %zu", n, m);
    if (P && (P->rows != n || P->cols != m))
        return wl_seterr(WL_EINVAL, "emd: P must be %zu x %zu, got %zu x %zu", n, m, P->rows, P->cols);
    for (size_t i = 0; i < n; i++)
        if (!wl_all_finite(m, C->data + i * C->ld))
            return wl_seterr(WL_ENUMERIC, "emd: cost row %zu has NaN or Inf", i);
    double *ab = wl_dalloc(n + m, "emd marginals");
    if (!ab) return WL_ENOMEM;
    int rc = wl_ot_marginal(a, n, "a", ab);
    if (!rc) rc = wl_ot_marginal(b, m, "b", ab + n);
    if (!rc) rc = wl_ot_balance(ab, n, ab + n, m);
    ns s = {0};
    s.C = C;
    s.n = n;
    s.m = m;
    s.N = n + m + 1;
    s.root = n + m;
    s.narc = n * m;
    if (!rc) rc = ns_alloc(&s);
    if (!rc) {
        ns_init(&s, ab, ab + n);
        if (max_iter == 0) max_iter = 100 * (n + m) + 1000000;
        size_t e, it = 0;
        while (rc == WL_OK && find_entering(&s, &e)) {
            if (it == max_iter) {
                rc = wl_seterr(WL_ENOCONV, "emd: no optimum after %zu pivots (n = %zu, m = %zu)",
                               it, n, m);
                break;
            }
            rc = ns_pivot(&s, e);
            it++;
        }
        res->iters = it;
        if (rc == WL_OK) {
            ns_output(&s, P, f, g, res);
            res->converged = 1;
            res->err = P ? wl_ot_col_err(P, ab + n) : 0.0;
        }
    }
    ns_free(&s);
    free(ab);
    return rc;
}
