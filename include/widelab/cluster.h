/* widelab cluster: Bregman clustering and its asymptotics.
 *
 *   wl_div *div;  wl_div_from_name("kl", &div);            // D = generalized I-divergence
 *   wl_cluster_opts o;  wl_cluster_opts_default(&o);  o.k = 10;  o.restarts = 4;
 *   wl_cluster_result res;
 *   wl_rng rng;  wl_rng_seed(&rng, 1);
 *   if (wl_cluster_fit(div, &X, &o, &rng, &res)) fprintf(stderr, "%s\n", wl_errmsg());
 *   ... res.labels[i], res.centres (k x d), res.objective ...
 *   wl_cluster_result_free(&res);  wl_div_free(div);
 *
 * Bregman divergence of a strictly convex phi:
 *   D(x, y) = phi(x) - phi(y) - <grad phi(y), x - y>.
 * Conventions: phi = ||x||^2 for squared Euclidean (so D = ||x - y||^2, no 1/2),
 * phi = x^T A x for Mahalanobis (D = (x - y)^T A (x - y)); objectives are the
 * mean divergence (1/n) sum_i D(x_i, c_label(i)).
 */
#ifndef WIDELAB_CLUSTER_H
#define WIDELAB_CLUSTER_H

#include "widelab/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- divergences ----------------------------------------------------------- */

typedef enum wl_div_kind {
    WL_DIV_SQEUCLID,    /* phi = sum x^2                      any finite x      */
    WL_DIV_MAHALANOBIS, /* phi = x^T A x, A SPD               any finite x      */
    WL_DIV_KL,          /* phi = sum x log x - x              x > 0             */
    WL_DIV_IS,          /* phi = -sum log x                   x > 0             */
    WL_DIV_LOGISTIC,    /* phi = sum x log x + (1-x) log(1-x) 0 < x < 1         */
    WL_DIV_EXP,         /* phi = sum e^x                      any finite x      */
    WL_DIV_CUSTOM       /* phi and grad phi from callbacks                      */
} wl_div_kind;

typedef struct wl_div wl_div;

/* User-supplied convex function: phi(x) (return NAN/Inf outside the domain)
 * and g = grad phi(x); x and g have d entries. The library calls them from
 * one thread only. */
typedef double (*wl_phi_fn)(const double *x, size_t d, void *ctx);
typedef void (*wl_grad_phi_fn)(const double *x, size_t d, double *g, void *ctx);

/* Names: "sqeuclid" (alias "euclidean"), "kl" (alias "idiv"), "is"
 * (alias "itakura-saito"), "logistic", "exp". Mahalanobis needs A. */
int wl_div_from_name(const char *name, wl_div **out);
int wl_div_new(wl_div_kind kind, wl_div **out);
/* A: d x d symmetric positive definite (copied; checked by Cholesky). */
int wl_div_new_mahalanobis(const wl_mat *A, wl_div **out);
int wl_div_new_custom(wl_phi_fn phi, wl_grad_phi_fn grad, void *ctx, const char *name,
                      wl_div **out);
void wl_div_free(wl_div *div);
wl_div_kind wl_div_get_kind(const wl_div *div);
const char *wl_div_name(const wl_div *div);

/* phi(x), x: d. */
double wl_div_phi(const wl_div *div, const double *x, size_t d);
/* g = grad phi(x), x, g: d. */
void wl_div_grad(const wl_div *div, const double *x, size_t d, double *g);
/* D(x, y), x, y: d. */
double wl_div_eval(const wl_div *div, const double *x, const double *y, size_t d);
/* phi''(x) of the 1-D divergence (d = 1; Mahalanobis needs a 1 x 1 A). */
double wl_div_phi2_1d(const wl_div *div, double x);
/* Checks every entry of X (n x d) is finite and in the domain of phi; the
 * error names the row, the column and the value. */
int wl_div_check(const wl_div *div, const wl_mat *X);

/* ---- hard and soft clustering ------------------------------------------------ */

typedef struct wl_cluster_opts {
    size_t k;          /* number of clusters (required)                          */
    size_t restarts;   /* independent k-means++ starts; the best is kept [1]      */
    size_t max_iter;   /* iteration cap per start [300]                           */
    double tol;        /* stop when (f_prev - f) <= tol * |f_prev| [1e-6]         */
    int soft;          /* 1: mixture of exponential families by EM [0]            */
    double beta;       /* soft: posterior ~ pi_h exp(-beta D(x, mu_h)) [1]        */
} wl_cluster_opts;

void wl_cluster_opts_default(wl_cluster_opts *o);

typedef struct wl_cluster_result {
    size_t n, d, k;
    int *labels;          /* n: index of the nearest centre (hard) / most likely (soft) */
    double *centres;      /* k x d, row-major                                          */
    double *weights;      /* k: cluster fractions (hard) or mixing weights pi (soft)    */
    double objective;     /* (1/n) sum_i D(x_i, c_label(i))                              */
    double loglik;        /* soft: (1/n) sum_i log sum_h pi_h exp(-beta D(x_i, mu_h)),
                             the log-likelihood without the base measure; hard: NAN     */
    size_t iterations;    /* centre updates of the kept start                          */
    int converged;        /* kept start stopped on tol (or unchanged labels)            */
    size_t reseeded;      /* empty clusters re-seeded (farthest point), all starts      */
    size_t best_restart;  /* index of the kept start                                    */
    double *trace;        /* ntrace values of the kept start: objective (hard) or
                             loglik (soft) after each assignment / E-step               */
    size_t ntrace;
} wl_cluster_result;

/* Clusters X (n x d) into o->k groups with the Bregman divergence div. Start r
 * uses wl_rng_split(rng, r), so results are reproducible from the seed and do
 * not depend on the thread count. */
int wl_cluster_fit(const wl_div *div, const wl_mat *X, const wl_cluster_opts *o, wl_rng *rng,
                   wl_cluster_result *res);
void wl_cluster_result_free(wl_cluster_result *res);

/* k-means++ seeding with D as the distance: C (k x d) = k rows of X. */
int wl_cluster_seed(const wl_div *div, const wl_mat *X, size_t k, wl_rng *rng, wl_mat *C);

/* Assignment through BLAS: labels[i] = argmin_h D(x_i, c_h) and, if dmin is not
 * NULL, dmin[i] = that divergence; returns the mean in *objective (may be NULL).
 * X: n x d, C: k x d. */
int wl_cluster_assign(const wl_div *div, const wl_mat *X, const wl_mat *C, int *labels,
                      double *dmin, double *objective);

/* Adjusted Rand index of two labelings (n entries each). */
double wl_cluster_ari(const int *a, const int *b, size_t n);

/* ---- 1-D asymptotics (Liu & Belkin 2016) ------------------------------------- */

typedef enum wl_density_kind { WL_DENS_UNIFORM, WL_DENS_BETA, WL_DENS_EXP } wl_density_kind;

/* uniform on [a, b]; beta(a, b) on [0, 1]; exp: rate a on [b, inf). */
typedef struct wl_density {
    wl_density_kind kind;
    double a, b;
} wl_density;

/* "uniform" (= uniform:0,1), "uniform:LO,HI", "beta:A,B", "exp" (= exp:1),
 * "exp:RATE" or "exp:RATE,SHIFT". */
int wl_density_parse(const char *spec, wl_density *p);
double wl_density_pdf(const wl_density *p, double x);
/* One draw from p. */
double wl_density_sample(const wl_density *p, wl_rng *rng);
/* Support [lo, hi] (hi = INFINITY for exp). */
void wl_density_support(const wl_density *p, double *lo, double *hi);

/* Predicted limit of k^2 E_k: (1/24) (int (p phi'')^{1/3} dx)^3 (tanh-sinh
 * quadrature); *mass = int (p phi'')^{1/3} dx normalizes the centre density. */
int wl_cluster_asym_constant(const wl_div *div, const wl_density *p, double *constant,
                             double *mass);

/* Lloyd's algorithm on sorted 1-D data x (n >= 2, ascending) with k centres;
 * cells are intervals with boundaries where D(t, c_j) = D(t, c_j+1). The
 * sample is read as a continuous law (mass 1/(n-1) spread evenly on each gap
 * between order statistics) so boundaries move smoothly; cell means come from
 * prefix moments, one sweep costs O(k log n). centres (k, ascending) are the
 * start when init != 0, else equal-mass quantile means. Stops when no centre
 * moves more than tol * (x_max - x_min). *mean_div = (1/n) sum_i D(x_i,
 * nearest centre) on the sample itself. */
int wl_cluster_lloyd_1d(const wl_div *div, const double *x, size_t n, size_t k, int init,
                        double *centres, size_t max_iter, double tol, double *mean_div,
                        size_t *iterations, int *converged);

typedef struct wl_asym_row {
    size_t k;
    double measured;   /* k^2 E_k on an independent held-out sample */
    double train;      /* k^2 E_k on the sample the centres were fitted to */
    double predicted;  /* (1/24) (int (p phi'')^{1/3})^3 */
    size_t iterations;
    int converged;
} wl_asym_row;

/* Runs the 1-D sweep: n draws from p to fit and n more to measure E_k; Lloyd
 * for each k in ks (nk values, 2 <= k <= n/2), each k started from the
 * previous (smaller) k's centres, the first from equal-mass quantiles;
 * rows[nk] filled; centres_last (ks[nk-1] entries, may be NULL) gets the
 * centres of the last k. */
int wl_cluster_asym_sweep(const wl_div *div, const wl_density *p, size_t n, const size_t *ks,
                          size_t nk, wl_rng *rng, wl_asym_row *rows, double *centres_last);

/* SVG of the sweep: left, k^2 E_k measured vs predicted against k; right, the
 * histogram of the centres of the largest k against the predicted density
 * (p phi'')^{1/3} / mass. */
int wl_cluster_asym_svg(const char *path, const wl_div *div, const wl_density *p,
                        const wl_asym_row *rows, size_t nk, const double *centres,
                        size_t kmax);

#ifdef __cplusplus
}
#endif
#endif
