/* Wasserstein Procrustes, one- and two-sided: alternate a transport step on
 * the cost between the mapped clouds and an orthogonal map step from
 * svd(X^T P Y); starts from the convex relaxation and/or random rotations,
 * keeping the best. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ot_internal.h"

void wl_wproc_opts_default(wl_wproc_opts *o) {
    o->eps = 0.0;
    o->iters = 100;
    o->tol = 1e-10;
    o->restarts = 0;
    o->relax = 1;
    o->relax_iters = 30;
    o->rotation = 0;
    o->k = 0;
    wl_sinkhorn_opts_default(&o->sk);
    o->sk.tol = 1e-7; /* plans for matching need no more */
}

/* Work space of one alignment run. X: n x d1, Y: m x d2, maps d1 x k, d2 x k. */
typedef struct wp {
    const wl_mat *X, *Y;
    const wl_wproc_opts *o;
    int two_sided;
    size_t k;
    wl_mat Q1, Q2;   /* current maps (Q2 = I_k unused when one-sided) */
    wl_mat A, B;     /* A = X Q1: n x k, B = Y Q2: m x k */
    wl_mat C, P, PY; /* cost n x m, plan n x m, P Y: n x d2 */
    wl_mat M;        /* X^T P Y: d1 x d2 */
} wp;

static void wp_free(wp *w) {
    wl_mat *ms[] = {&w->Q1, &w->Q2, &w->A, &w->B, &w->C, &w->P, &w->PY, &w->M};
    for (size_t i = 0; i < sizeof ms / sizeof *ms; i++) wl_mat_free(ms[i]);
}

static int wp_alloc(wp *w) {
    size_t n = w->X->rows, m = w->Y->rows, d1 = w->X->cols, d2 = w->Y->cols, k = w->k;
    int rc = wl_mat_alloc(&w->Q1, d1, k);
    if (!rc) rc = wl_mat_alloc(&w->Q2, d2, k);
    if (!rc) rc = wl_mat_alloc(&w->A, n, k);
    if (!rc) rc = wl_mat_alloc(&w->B, m, k);
    if (!rc) rc = wl_mat_alloc(&w->C, n, m);
    if (!rc) rc = wl_mat_alloc(&w->P, n, m);
    if (!rc) rc = wl_mat_alloc(&w->PY, n, d2);
    if (!rc) rc = wl_mat_alloc(&w->M, d1, d2);
    return rc;
}

/* Map step from the current plan: M = X^T (P Y); one-sided Q1 = Procrustes(M),
 * two-sided Q1, Q2 = top-k singular vectors of M. */
static int map_step(wp *w) {
    int rc = wl_gemm(0, 0, 1.0, &w->P, w->Y, 0.0, &w->PY);
    if (!rc) rc = wl_gemm(1, 0, 1.0, w->X, &w->PY, 0.0, &w->M);
    if (rc) return rc;
    if (!w->two_sided) return wl_procrustes_cross(&w->M, w->o->rotation, &w->Q1);
    size_t d1 = w->M.rows, d2 = w->M.cols, r = d1 < d2 ? d1 : d2;
    wl_mat U, Vt;
    double *s = wl_dalloc(r, "two-sided singular values");
    memset(&U, 0, sizeof U);
    memset(&Vt, 0, sizeof Vt);
    rc = s ? WL_OK : WL_ENOMEM;
    if (!rc) rc = wl_mat_alloc(&U, d1, r);
    if (!rc) rc = wl_mat_alloc(&Vt, r, d2);
    if (!rc) rc = wl_svd(&w->M, &U, s, &Vt); /* M destroyed; rebuilt next step */
    for (size_t c = 0; c < w->k && !rc; c++) {
        for (size_t i = 0; i < d1; i++) WL_AT(&w->Q1, i, c) = WL_AT(&U, i, c);
        for (size_t j = 0; j < d2; j++) WL_AT(&w->Q2, j, c) = WL_AT(&Vt, c, j);
    }
    free(s);
    wl_mat_free(&U);
    wl_mat_free(&Vt);
    return rc;
}

/* Transport step for the current maps: C = cost(X Q1, Y Q2), P = plan(C).
 * *cost = <P, C>, *obj = <X Q1, P Y Q2> (the quantity the map step raises). */
static int transport_step(wp *w, double *cost, double *obj) {
    int rc = wl_gemm(0, 0, 1.0, w->X, &w->Q1, 0.0, &w->A);
    if (!rc) rc = w->two_sided ? wl_gemm(0, 0, 1.0, w->Y, &w->Q2, 0.0, &w->B) : wl_mat_copy(&w->B, w->Y);
    if (!rc) rc = wl_ot_cost(&w->A, &w->B, WL_OT_SQEUCLIDEAN, &w->C);
    if (!rc) rc = wl_ot_plan(&w->C, w->o->eps, &w->o->sk, &w->P);
    if (rc) return rc;
    *cost = wl_ot_dot(&w->P, &w->C);
    /* <A, P B> = sum_ij P_ij a_i . b_j; with PY reused as P B (n x k <= n x d2) */
    wl_mat PB = wl_mat_view(w->PY.data, w->P.rows, w->k);
    rc = wl_gemm(0, 0, 1.0, &w->P, &w->B, 0.0, &PB);
    double s = 0.0;
    for (size_t i = 0; i < w->A.rows && !rc; i++)
        s += wl_dot(w->k, w->A.data + i * w->A.ld, PB.data + i * PB.ld);
    *obj = s;
    return rc;
}

/* Alternates from the current maps until the objective stalls. */
static int alternate(wp *w, double *cost, double *obj, size_t *iters, int *converged) {
    double prev = -INFINITY;
    *converged = 0;
    *iters = 0;
    int rc = transport_step(w, cost, obj);
    for (size_t it = 0; it < w->o->iters && !rc; it++) {
        rc = map_step(w);
        if (!rc) rc = transport_step(w, cost, obj);
        *iters = it + 1;
        if (rc) break;
        if (fabs(*obj - prev) <= w->o->tol * fmax(fabs(*obj), 1e-300)) {
            *converged = 1;
            break;
        }
        prev = *obj;
    }
    return rc;
}

/* Initial maps: from the relaxed plan (start 0 with relax) or random. */
static int init_maps(wp *w, size_t start, wl_rng *rng) {
    if (start == 0 && w->o->relax) {
        int rc = wl_ot_relax(w->X, w->Y, w->o->relax_iters, &w->P);
        return rc ? rc : map_step(w);
    }
    wl_rng r = wl_rng_split(rng, start);
    size_t d1 = w->X->cols, d2 = w->Y->cols;
    wl_mat R1, R2;
    int rc = wl_mat_alloc(&R1, d1, d1);
    if (!rc) rc = wl_mat_alloc(&R2, d2, d2);
    if (!rc) rc = wl_random_orthogonal(&r, &R1);
    if (!rc && w->two_sided) rc = wl_random_orthogonal(&r, &R2);
    for (size_t i = 0; i < d1 && !rc; i++)
        for (size_t c = 0; c < w->k; c++) WL_AT(&w->Q1, i, c) = WL_AT(&R1, i, c);
    for (size_t j = 0; j < d2 && !rc; j++)
        for (size_t c = 0; c < w->k; c++) WL_AT(&w->Q2, j, c) = w->two_sided ? WL_AT(&R2, j, c) : (j == c);
    if (!rc && !w->two_sided && w->o->rotation) {
        /* a reflection start cannot reach det +1 maps: use Q = R1 with det > 0 */
        rc = wl_procrustes_cross(&R1, 1, &w->Q1);
    }
    wl_mat_free(&R1);
    wl_mat_free(&R2);
    return rc;
}

static int check_args(const wl_mat *X, const wl_mat *Y, const wl_wproc_opts *o, wl_rng *rng,
                      int two_sided) {
    if (!X || !Y || !o || !rng) return wl_seterr(WL_EINVAL, "wasserstein procrustes: NULL argument");
    if (X->rows == 0 || Y->rows == 0 || X->cols == 0 || Y->cols == 0)
        return wl_seterr(WL_EINVAL, "wasserstein procrustes: empty input (%zu x %zu, %zu x %zu)",
                         X->rows, X->cols, Y->rows, Y->cols);
    if (!two_sided && X->cols != Y->cols)
        return wl_seterr(WL_EINVAL, "wasserstein procrustes: X has %zu columns but Y has %zu "
                                    "(use the two-sided form for different dimensions)", X->cols, Y->cols);
    if (!(o->eps >= 0.0)) return wl_seterr(WL_EINVAL, "wasserstein procrustes: eps = %g < 0", o->eps);
    if (!o->relax && o->restarts == 0)
        return wl_seterr(WL_EINVAL, "wasserstein procrustes: no start (relax off and 0 restarts)");
    return WL_OK;
}

/* Runs every start and keeps the maps and plan with the highest objective. */
static int run_starts(wp *w, wl_rng *rng, wl_mat *Q1, wl_mat *Q2, wl_mat *P, wl_wproc_result *res) {
    size_t nstart = (w->o->relax ? 1 : 0) + w->o->restarts, first = w->o->relax ? 0 : 1;
    double best = -INFINITY;
    int rc = WL_OK;
    for (size_t s = first; s < first + nstart && !rc; s++) {
        double cost, obj;
        size_t iters;
        int conv;
        rc = init_maps(w, s, rng);
        if (!rc) rc = alternate(w, &cost, &obj, &iters, &conv);
        if (rc || !(obj > best)) continue;
        best = obj;
        res->cost = cost;
        res->iters = iters;
        res->converged = conv;
        res->best_start = s;
        rc = wl_mat_copy(Q1, &w->Q1);
        if (!rc && Q2) rc = wl_mat_copy(Q2, &w->Q2);
        if (!rc && P) rc = wl_mat_copy(P, &w->P);
    }
    return rc;
}

static int wproc_run(const wl_mat *X, const wl_mat *Y, const wl_wproc_opts *o, wl_rng *rng,
                     int two_sided, wl_mat *Q1, wl_mat *Q2, wl_mat *P, wl_wproc_result *res) {
    if (res) memset(res, 0, sizeof *res);
    int rc = check_args(X, Y, o, rng, two_sided);
    if (rc) return rc;
    size_t d1 = X->cols, d2 = Y->cols, kmax = d1 < d2 ? d1 : d2;
    size_t k = two_sided ? (o->k ? o->k : kmax) : d1;
    if (k > kmax) return wl_seterr(WL_EINVAL, "two-sided procrustes: k = %zu > min(d1, d2) = %zu", k, kmax);
    if (!Q1 || Q1->rows != d1 || Q1->cols != k || (Q2 && (Q2->rows != d2 || Q2->cols != k)))
        return wl_seterr(WL_EINVAL, "wasserstein procrustes: maps must be %zu x %zu and %zu x %zu",
                         d1, k, d2, k);
    if (P && (P->rows != X->rows || P->cols != Y->rows))
        return wl_seterr(WL_EINVAL, "wasserstein procrustes: P must be %zu x %zu", X->rows, Y->rows);
    wl_wproc_result tmp;
    wp w;
    memset(&w, 0, sizeof w);
    w.X = X;
    w.Y = Y;
    w.o = o;
    w.two_sided = two_sided;
    w.k = k;
    rc = wp_alloc(&w);
    if (!rc) rc = run_starts(&w, rng, Q1, Q2, P, res ? res : &tmp);
    wp_free(&w);
    return rc;
}

int wl_wproc(const wl_mat *X, const wl_mat *Y, const wl_wproc_opts *o, wl_rng *rng, wl_mat *Q,
             wl_mat *P, wl_wproc_result *res) {
    return wproc_run(X, Y, o, rng, 0, Q, NULL, P, res);
}

int wl_wproc2(const wl_mat *X, const wl_mat *Y, const wl_wproc_opts *o, wl_rng *rng,
              wl_mat *Q1, wl_mat *Q2, wl_mat *P, wl_wproc_result *res) {
    if (!Q2) return wl_seterr(WL_EINVAL, "two-sided procrustes: Q2 is NULL");
    return wproc_run(X, Y, o, rng, 1, Q1, Q2, P, res);
}
