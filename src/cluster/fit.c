/* Bregman hard clustering (Lloyd with k-means++ starts) and the driver that
 * runs several starts, hard or soft, and keeps the best. */
#include "cluster/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void wl_cluster_opts_default(wl_cluster_opts *o) {
    memset(o, 0, sizeof *o);
    o->restarts = 1;
    o->max_iter = 300;
    o->tol = 1e-6;
    o->beta = 1.0;
}

void wl_cluster_result_free(wl_cluster_result *res) {
    if (!res) return;
    free(res->labels);
    free(res->centres);
    free(res->weights);
    free(res->trace);
    memset(res, 0, sizeof *res);
}

/* Work buffers of one start. */
typedef struct lloyd_ws {
    wl_mat C, G;
    wl_cl_plan plan;
    double *Z, *sums, *b, *dmin, *trace, *pi;
    int *labels;
    size_t *counts;
} lloyd_ws;

static void ws_free(lloyd_ws *w) {
    wl_mat_free(&w->C);
    wl_mat_free(&w->G);
    free(w->Z);
    free(w->sums);
    free(w->b);
    free(w->dmin);
    free(w->trace);
    free(w->pi);
    free(w->labels);
    free(w->counts);
}

static int ws_alloc(lloyd_ws *w, size_t n, size_t d, size_t k, size_t max_iter, int soft) {
    memset(w, 0, sizeof *w);
    if (wl_mat_alloc(&w->C, k, d) || wl_mat_alloc(&w->G, k, d)) return WL_ENOMEM;
    wl_cl_plan_make(n, k, d, &w->plan);
    w->Z = wl_dalloc(k * w->plan.chunk * w->plan.block, "scores");
    w->sums = soft ? NULL : wl_dalloc(w->plan.nchunks * k * d, "cluster sums");
    if (!w->Z || (!soft && !w->sums)) return WL_ENOMEM;
    w->b = wl_dalloc(k, "centre constants");
    w->pi = wl_dalloc(k, "weights");
    w->dmin = wl_dalloc(n, "divergences");
    w->trace = wl_dalloc(max_iter + 1, "objective trace");
    w->labels = wl_calloc(n, sizeof(int), "labels");
    w->counts = wl_calloc(k, sizeof(size_t), "cluster sizes");
    return w->b && w->pi && w->dmin && w->trace && w->labels && w->counts ? WL_OK : WL_ENOMEM;
}

/* Empty cluster h gets the row farthest (largest D) from its centre in the last
 * assignment; that row's divergence is zeroed so two empties differ. */
size_t wl_cl_reseed_empty(const wl_mat *X, wl_mat *C, const size_t *counts, double *dmin) {
    size_t k = C->rows, n = X->rows, d = X->cols, done = 0;
    for (size_t h = 0; h < k; h++) {
        if (counts[h]) continue;
        size_t far = 0;
        for (size_t i = 1; i < n; i++)
            if (dmin[i] > dmin[far]) far = i;
        memcpy(&WL_AT(C, h, 0), &WL_AT(X, far, 0), d * sizeof(double));
        dmin[far] = 0.0;
        done++;
    }
    return done;
}

/* One Lloyd run from the centres in w->C: assign, test, update, repeat. */
static int lloyd_run(const wl_div *div, const wl_mat *X, const double *phix,
                     const wl_cluster_opts *o, lloyd_ws *w, double *obj, size_t *ntrace,
                     size_t *iters, int *conv, size_t *reseeded) {
    size_t n = X->rows;
    double prev = INFINITY;
    *iters = 0;
    *conv = 0;
    *ntrace = 0;
    for (size_t i = 0; i < n; i++) w->labels[i] = -1;
    for (;;) {
        size_t changed;
        int rc = wl_cl_centre_consts(div, &w->C, &w->G, w->b);
        if (!rc) rc = wl_cl_assign_hard(X, phix, &w->G, w->b, &w->plan, w->Z, w->labels,
                                        w->dmin, obj, &changed, w->sums);
        if (rc) return rc;
        w->trace[(*ntrace)++] = *obj;
        if (*iters > 0 && (changed == 0 || prev - *obj <= o->tol * fabs(prev))) {
            *conv = 1;
            break;
        }
        if (*iters >= o->max_iter) break;
        /* centres = means under the new labels, from the sums of the same pass */
        memset(w->counts, 0, w->C.rows * sizeof *w->counts);
        for (size_t i = 0; i < n; i++) w->counts[w->labels[i]]++;
        wl_cl_means_from_sums(w->sums, w->plan.nchunks, w->counts, &w->C);
        *reseeded += wl_cl_reseed_empty(X, &w->C, w->counts, w->dmin);
        prev = *obj;
        (*iters)++;
    }
    size_t k = w->C.rows;
    memset(w->counts, 0, k * sizeof *w->counts);
    for (size_t i = 0; i < n; i++) w->counts[w->labels[i]]++;
    for (size_t h = 0; h < k; h++) w->pi[h] = (double)w->counts[h] / (double)n;
    return WL_OK;
}

static int check_args(const wl_div *div, const wl_mat *X, const wl_cluster_opts *o,
                      const wl_rng *rng, const wl_cluster_result *res) {
    if (!div || !X || !o || !rng || !res) return wl_seterr(WL_EINVAL, "wl_cluster_fit: NULL argument");
    if (X->rows == 0 || X->cols == 0 || !X->data)
        return wl_seterr(WL_EINVAL, "clustering: data is empty (%zu x %zu)", X->rows, X->cols);
    if (o->k == 0 || o->k > X->rows)
        return wl_seterr(WL_EINVAL, "clustering: k = %zu must be in [1, n = %zu]", o->k, X->rows);
    if (o->k > (size_t)2147483647) return wl_seterr(WL_EINVAL, "clustering: k = %zu too large", o->k);
    if (o->restarts == 0) return wl_seterr(WL_EINVAL, "clustering: restarts must be >= 1");
    if (!(o->tol >= 0.0) || !isfinite(o->tol))
        return wl_seterr(WL_EINVAL, "clustering: tol = %g must be finite and >= 0", o->tol);
    if (o->soft && !(o->beta > 0.0 && isfinite(o->beta)))
        return wl_seterr(WL_EINVAL, "soft clustering: beta = %g must be > 0", o->beta);
    return wl_div_check(div, X);
}

/* Copies the kept start into res. */
static int keep(wl_cluster_result *res, const lloyd_ws *w, size_t n, size_t d, size_t k,
                double obj, double ll, size_t ntrace, size_t iters, int conv, size_t r) {
    memcpy(res->labels, w->labels, n * sizeof(int));
    memcpy(res->centres, w->C.data, k * d * sizeof(double));
    memcpy(res->weights, w->pi, k * sizeof(double));
    memcpy(res->trace, w->trace, ntrace * sizeof(double));
    res->ntrace = ntrace;
    res->objective = obj;
    res->loglik = ll;
    res->iterations = iters;
    res->converged = conv;
    res->best_restart = r;
    return WL_OK;
}

int wl_cluster_fit(const wl_div *div, const wl_mat *X, const wl_cluster_opts *o, wl_rng *rng,
                   wl_cluster_result *res) {
    if (res) memset(res, 0, sizeof *res);
    int rc = check_args(div, X, o, rng, res);
    if (rc) return rc;
    size_t n = X->rows, d = X->cols, k = o->k;
    lloyd_ws w;
    double *phix = wl_dalloc(n, "phi(x)");
    rc = ws_alloc(&w, n, d, k, o->max_iter, o->soft);
    res->labels = wl_calloc(n, sizeof(int), "labels");
    res->centres = wl_dalloc(k * d, "centres");
    res->weights = wl_dalloc(k, "weights");
    res->trace = wl_dalloc(o->max_iter + 1, "trace");
    if (rc || !phix || !res->labels || !res->centres || !res->weights || !res->trace) {
        rc = WL_ENOMEM;
        goto done;
    }
    res->n = n, res->d = d, res->k = k;
    if ((rc = wl_cl_phi_rows(div, X, phix))) goto done;
    double best = INFINITY;
    for (size_t r = 0; r < o->restarts; r++) {
        wl_rng sub = wl_rng_split(rng, r);
        double obj, ll = NAN;
        size_t ntrace, iters;
        int conv;
        if ((rc = wl_cl_seed_pp(div, X, phix, k, &sub, &w.C))) goto done;
        if (o->soft) {
            rc = wl_cl_soft_run(div, X, phix, o, &w.C, w.pi, w.labels, &ll, w.trace, &ntrace,
                                &iters, &conv);
            obj = 0.0; /* mean divergence to the most likely centre */
            for (size_t i = 0; i < n && !rc; i++)
                obj += wl_div_eval(div, &WL_AT(X, i, 0), &WL_AT(&w.C, w.labels[i], 0), d);
            obj /= (double)n;
        } else {
            rc = lloyd_run(div, X, phix, o, &w, &obj, &ntrace, &iters, &conv, &res->reseeded);
        }
        if (rc) goto done;
        double score = o->soft ? -ll : obj;
        if (r == 0 || score < best) {
            best = score;
            keep(res, &w, n, d, k, obj, ll, ntrace, iters, conv, r);
        }
    }
    wl_rng_u64(rng); /* a second call on the same stream gives new starts */
done:
    free(phix);
    ws_free(&w);
    if (rc) wl_cluster_result_free(res);
    return rc;
}
