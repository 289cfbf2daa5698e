/* Stochastic Lanczos quadrature for the spectral density of a symmetric
 * operator (Lin, Saad & Yang 2016; Ghorbani, Krishnan & Xiao 2019).
 *
 * Start v = z / sqrt(p), z Rademacher. m Lanczos steps give T = S diag(theta) S^T
 * and v^T f(H) v ~= sum_j tau_j^2 f(theta_j) with tau_j = S[0][j] (Gauss
 * quadrature, exact for deg f <= 2m - 1; sum_j tau_j^2 = ||v||^2 = 1).
 * Averaged over starts and broadened by a Gaussian of width sigma:
 *   phi(t) = (1/n_v) sum_l sum_j tau_lj^2 g_sigma(t - theta_lj),  int phi = 1. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "curv/krylov.h"

void wl_slq_opts_default(wl_slq_opts *o) {
    o->n_vectors = 10;
    o->steps = 80;
    o->n_grid = 1000;
    o->sigma = 0;
    o->sigma_rel = 0.01;
}

void wl_slq_result_free(wl_slq_result *r) {
    if (!r) return;
    free(r->nodes);
    free(r->weights);
    free(r->grid);
    free(r->density);
    memset(r, 0, sizeof *r);
}

typedef struct slq_ws {
    double *V, *T, *S, *theta, *h;
} slq_ws;

/* One start: nodes/weights (m each, padded with weight 0 after a breakdown). */
static int one_start(const wl_linop *H, size_t m, const wl_rng *rng, size_t l, slq_ws *ws,
                     double *nodes, double *weights, size_t *mv) {
    size_t p = H->p, j = 0;
    wl_rng r = wl_rng_split(rng, (uint64_t)l);
    double *v0 = ws->V, s = 1.0 / sqrt((double)p), Hest = 0;
    for (size_t i = 0; i < p; i += 64) {
        uint64_t bits = wl_rng_u64(&r);
        size_t e = p - i < 64 ? p - i : 64;
        for (size_t b = 0; b < e; b++) v0[i + b] = (bits >> b) & 1u ? s : -s;
    }
    memset(ws->T, 0, m * m * sizeof(double));
    while (j < m) {
        double *w = ws->V + (j + 1) * p;
        int rc = wl__apply(H, ws->V + j * p, w);
        if (rc) return rc;
        (*mv)++;
        wl__orth(ws->V, j + 1, p, w, ws->h);
        for (size_t i = 0; i <= j; i++) ws->T[i * m + j] = ws->T[j * m + i] = ws->h[i];
        double beta = wl_nrm2(p, w);
        Hest = fmax(Hest, sqrt(wl_dot(j + 1, ws->h, ws->h) + beta * beta));
        j++;
        if (beta <= 1e-12 * Hest) break; /* invariant subspace: the quadrature is exact */
        wl_scal(p, 1.0 / beta, w);
    }
    int rc = wl__eig_small(ws->T, m, j, ws->theta, ws->S);
    if (rc) return rc;
    for (size_t i = 0; i < m; i++) {
        nodes[i] = i < j ? ws->theta[i] : ws->theta[j - 1];
        weights[i] = i < j ? ws->S[i] * ws->S[i] : 0.0; /* tau_i^2 = S[0][i]^2 */
    }
    return WL_OK;
}

/* phi on the grid [min - 5 sigma, max + 5 sigma]. */
static int density(wl_slq_result *r, const wl_slq_opts *o) {
    size_t N = r->n_vectors * r->steps, G = r->n_grid;
    double a = r->lambda_min, b = r->lambda_max;
    double sig = o->sigma > 0 ? o->sigma : o->sigma_rel * (b - a);
    if (!(sig > 0)) sig = o->sigma_rel * fmax(fmax(fabs(a), fabs(b)), 1e-300);
    if (!(sig > 0)) sig = 1e-3;
    r->sigma = sig;
    r->grid = wl_dalloc(G, "density grid");
    r->density = wl_dalloc(G, "density");
    if (!r->grid || !r->density) return WL_ENOMEM;
    double lo = a - 5 * sig, hi = b + 5 * sig, c = 1.0 / (sig * sqrt(2 * M_PI) * r->n_vectors);
    /* phi(t_g) = c sum_n w_n exp(-(t_g - theta_n)^2 / (2 sigma^2)) */
    #pragma omp parallel for schedule(static)
    for (size_t g = 0; g < G; g++) {
        double t = G > 1 ? lo + (hi - lo) * (double)g / (double)(G - 1) : 0.5 * (lo + hi), acc = 0;
        for (size_t n = 0; n < N; n++) {
            if (r->weights[n] == 0) continue;
            double d = (t - r->nodes[n]) / sig;
            acc += r->weights[n] * exp(-0.5 * d * d);
        }
        r->grid[g] = t;
        r->density[g] = c * acc;
    }
    return WL_OK;
}

static void moments(wl_slq_result *r) {
    double m1 = 0, m2 = 0, mn = INFINITY, mx = -INFINITY;
    for (size_t n = 0; n < r->n_vectors * r->steps; n++) {
        double t = r->nodes[n], w = r->weights[n];
        m1 += w * t;
        m2 += w * t * t;
        if (w > 0 && t < mn) mn = t;
        if (w > 0 && t > mx) mx = t;
    }
    r->moment1 = m1 / (double)r->n_vectors;
    r->moment2 = m2 / (double)r->n_vectors;
    r->lambda_min = mn;
    r->lambda_max = mx;
}

int wl_slq(const wl_linop *H, const wl_slq_opts *o, wl_rng *rng, wl_slq_result *res) {
    wl_slq_opts def;
    if (!o) {
        wl_slq_opts_default(&def);
        o = &def;
    }
    memset(res, 0, sizeof *res);
    if (!H || !H->mv || H->p == 0) return wl_seterr(WL_EINVAL, "slq: empty operator");
    if (o->n_vectors == 0 || o->steps == 0 || o->n_grid == 0 || o->sigma < 0 ||
        !(o->sigma_rel > 0))
        return wl_seterr(WL_EINVAL,
                         "slq: n_vectors %zu, steps %zu, n_grid %zu must be >= 1, sigma %g >= 0, "
                         "sigma_rel %g > 0",
                         o->n_vectors, o->steps, o->n_grid, o->sigma, o->sigma_rel);
    size_t p = H->p, m = o->steps < p ? o->steps : p;
    res->n_vectors = o->n_vectors;
    res->steps = m;
    res->n_grid = o->n_grid;
    slq_ws ws = {wl_dalloc((m + 1) * p, "SLQ Lanczos basis"), wl_dalloc(m * m, "SLQ T"),
                 wl_dalloc(m * m, "SLQ eigenvectors"), wl_dalloc(m, "SLQ nodes"),
                 wl_dalloc(m + 1, "SLQ projections")};
    res->nodes = wl_dalloc(o->n_vectors * m, "SLQ nodes");
    res->weights = wl_dalloc(o->n_vectors * m, "SLQ weights");
    int rc = (!ws.V || !ws.T || !ws.S || !ws.theta || !ws.h || !res->nodes || !res->weights)
                 ? WL_ENOMEM
                 : WL_OK;
    for (size_t l = 0; !rc && l < o->n_vectors; l++)
        rc = one_start(H, m, rng, l, &ws, res->nodes + l * m, res->weights + l * m, &res->matvecs);
    if (!rc) {
        moments(res);
        rc = density(res, o);
    }
    free(ws.V);
    free(ws.T);
    free(ws.S);
    free(ws.theta);
    free(ws.h);
    if (rc) wl_slq_result_free(res);
    return rc;
}
