/* widelab curv: curvature. Eigen-solvers on symmetric operators given as a
 * matrix-vector product (Lanczos, power iteration, Hutchinson trace,
 * stochastic Lanczos quadrature), Hessians of objectives and models as such
 * operators, model-Hessian norms, and Taylor models (linearized, quadratic).
 *
 *   wl_hessian *h;                                   // loss Hessian at w
 *   wl_hessian_loss_new(obj, w, NULL, 0, WL_HESS_LOSS, &h);
 *   wl_linop H = wl_hessian_op(h);
 *   wl_lanczos_opts o; wl_lanczos_opts_default(&o); o.k = 10; o.which = WL_EIG_LA;
 *   wl_eig_result r;
 *   if (wl_lanczos(&H, &o, &rng, 0, &r) == WL_OK)
 *       ... r.values[0] is lambda_max, r.converged, r.matvecs ...
 *   wl_eig_result_free(&r); wl_hessian_free(h);
 *
 * Solvers return WL_OK when they ran, with a converged flag, the residuals and
 * the number of operator products in the result; they fail only on bad
 * arguments, memory, or an error of the operator itself (its code is passed
 * on). Every random choice draws from the caller's wl_rng.
 */
#ifndef WIDELAB_CURV_H
#define WIDELAB_CURV_H

#include "widelab/loss.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- symmetric operators --------------------------------------------------- */

/* y = H x for a symmetric p x p operator H (x, y: p, never aliased). */
typedef int (*wl_matvec)(void *ctx, const double *x, double *y);

typedef struct wl_linop {
    wl_matvec mv;
    void *ctx;
    size_t p;
} wl_linop;

/* ---- Lanczos: k extreme eigenpairs ---------------------------------------- */

typedef enum wl_eig_which {
    WL_EIG_LM = 0, /* largest magnitude |lambda| (values ordered by |.| descending) */
    WL_EIG_LA = 1, /* largest algebraic (descending) */
    WL_EIG_SA = 2  /* smallest algebraic (ascending) */
} wl_eig_which;

typedef struct wl_lanczos_opts {
    size_t k;           /* eigenpairs wanted (default 1) */
    wl_eig_which which; /* default WL_EIG_LM */
    double tol;         /* converged when every wanted Ritz residual
                           ||H y - theta y|| <= tol * max |theta| (default 1e-8) */
    size_t max_basis;   /* Krylov vectors kept before a thick restart
                           (0: min(p, max(2k + 20, 40))) */
    size_t max_matvecs; /* products allowed (0: max(2000, 40 max_basis)) */
} wl_lanczos_opts;

void wl_lanczos_opts_default(wl_lanczos_opts *o);

typedef struct wl_eig_result {
    size_t k;          /* pairs returned */
    double *values;    /* k, in the order of `which` */
    double *vectors;   /* k x p row-major (row j belongs to values[j]); NULL unless asked */
    double *residuals; /* k: ||H y_j - theta_j y_j|| from the Lanczos relation */
    double max_residual;
    double scale;      /* max |theta| over all Ritz values: the tolerance's scale */
    size_t matvecs;    /* products with H */
    size_t restarts;   /* thick restarts */
    int converged;     /* 1 when every residual met tol */
} wl_eig_result;

/* Lanczos with full (twice repeated) reorthogonalization and thick restarts.
 * When the Krylov space becomes invariant (an operator with few distinct
 * eigenvalues, a low-rank Gauss-Newton matrix) a fresh random direction
 * starts a new block, and convergence is accepted only once a whole new block
 * changes none of the wanted values: repeated eigenvalues are then found
 * with their multiplicity. (With many distinct eigenvalues, a single-vector
 * Krylov method can still miss extra copies of an exactly repeated one.) */
int wl_lanczos(const wl_linop *H, const wl_lanczos_opts *o, wl_rng *rng, int want_vectors,
               wl_eig_result *res);
void wl_eig_result_free(wl_eig_result *r);

/* ---- power iteration ------------------------------------------------------ */

typedef struct wl_power_opts {
    int squared;       /* 1: iterate on H^2, value = ||H|| (indefinite H);
                          0: iterate on H, value = Rayleigh quotient (PSD H) */
    double tol;        /* stop when ||A v - mu v|| <= tol |mu|, A = H or H^2 (default 1e-8) */
    size_t max_iter;   /* default 1000 */
} wl_power_opts;

void wl_power_opts_default(wl_power_opts *o);

typedef struct wl_power_result {
    double value;    /* ||H|| (squared) or v^T H v (plain) */
    double residual; /* ||A v - mu v|| / |mu| at the last iterate */
    size_t iterations, matvecs;
    int converged;
} wl_power_result;

/* vec (p, may be NULL) receives the final unit vector. */
int wl_power(const wl_linop *H, const wl_power_opts *o, wl_rng *rng, double *vec,
             wl_power_result *res);

/* ---- Hutchinson trace ----------------------------------------------------- */

typedef struct wl_trace_result {
    double trace;   /* mean of z^T H z over the probes */
    double std_err; /* sample standard deviation / sqrt(probes) (0 for one probe) */
    size_t probes, matvecs;
    int converged;  /* 1 when std_err <= rtol |trace| (or rtol = 0 and all probes ran) */
} wl_trace_result;

/* Rademacher probes z (entries +-1, probe j drawn from wl_rng_split(rng, j));
 * stops after max_probes or, when rtol > 0 and at least 4 probes ran, once
 * std_err <= rtol |trace|. */
int wl_hutchinson(const wl_linop *H, size_t max_probes, double rtol, wl_rng *rng,
                  wl_trace_result *res);

/* ---- stochastic Lanczos quadrature (spectral density) ---------------------- */

typedef struct wl_slq_opts {
    size_t n_vectors; /* random starts (default 10) */
    size_t steps;     /* Lanczos steps per start (default 80; capped at p) */
    size_t n_grid;    /* density grid points (default 1000) */
    double sigma;     /* Gaussian broadening; 0: sigma_rel * (max - min node) (default 0) */
    double sigma_rel; /* default 0.01 */
} wl_slq_opts;

void wl_slq_opts_default(wl_slq_opts *o);

/* Start l is v_l = z_l / sqrt(p) with Rademacher z_l (wl_rng_split(rng, l));
 * m steps of Lanczos give T_l = S diag(theta) S^T and the Gauss quadrature
 *   v_l^T f(H) v_l ~= sum_j tau_lj^2 f(theta_lj),  tau_lj = S[0][j],
 * exact for polynomials of degree <= 2m - 1, with sum_j tau_lj^2 = 1. Since
 * E[z^T f(H) z] = tr f(H), the density
 *   phi(t) = (1/n_v) sum_l sum_j tau_lj^2 g_sigma(t - theta_lj),
 *   g_sigma(s) = exp(-s^2 / (2 sigma^2)) / (sigma sqrt(2 pi)),
 * is an unbiased estimate of the broadened spectral density (1/p) sum_i
 * g_sigma(t - lambda_i), and integrates to 1. The weights are tau^2 (squared
 * first components of T's eigenvectors), not the eigenvectors' last
 * components and not 1/m. */
typedef struct wl_slq_result {
    size_t n_vectors, steps; /* steps = m (rows padded with weight 0 after a breakdown) */
    double *nodes;           /* n_vectors x steps: theta_lj */
    double *weights;         /* n_vectors x steps: tau_lj^2 (each row sums to 1) */
    size_t n_grid;
    double *grid, *density;  /* n_grid each: t and phi(t) */
    double sigma;
    double moment1;          /* estimate of tr(H) / p   = mean_l sum_j tau^2 theta   */
    double moment2;          /* estimate of tr(H^2) / p = mean_l sum_j tau^2 theta^2 */
    double lambda_min, lambda_max; /* extreme nodes */
    size_t matvecs;
} wl_slq_result;

int wl_slq(const wl_linop *H, const wl_slq_opts *o, wl_rng *rng, wl_slq_result *res);
void wl_slq_result_free(wl_slq_result *r);

/* Writes the density as a self-contained SVG line plot (atomically). */
int wl_slq_svg(const wl_slq_result *r, const char *title, const char *path);

/* ---- Hessians as operators ------------------------------------------------- */

typedef enum wl_hess_kind {
    WL_HESS_LOSS = 0, /* Hess L = J^T l''(F) J + sum_i l'(F_i) H_{f_i} */
    WL_HESS_GN = 1,   /* the Gauss-Newton part J^T l''(F) J */
    WL_HESS_MODEL = 2 /* sum_ic G_ic H_{f_c}(x_i): for a given G (wl_hessian_model_new),
                         or the loss Hessian's model part G = l'(F) (wl_hessian_loss_new) */
} wl_hess_kind;

typedef struct wl_hessian wl_hessian;

/* Loss Hessian of obj at w on the samples idx[0..nb) (idx NULL: all), with
 * the objective's mean over the samples: kind LOSS (all of it), GN (the
 * Gauss-Newton part) or MODEL (the model part sum_i l'(F_i) H_{f_i}, l' with
 * the 1/nb; LOSS = GN + MODEL). w (dim) is copied; obj is referenced. */
int wl_hessian_loss_new(wl_objective *obj, const double *w, const size_t *idx, size_t nb,
                        wl_hess_kind kind, wl_hessian **out);
/* Model Hessian sum_ic G_ic d^2 f_c(x_i)/dw^2 at w (X: n x n_in, G: n x n_out).
 * w, X and G are copied; the model is referenced. One point and G = e_c
 * gives the Hessian of output c at that point. */
int wl_hessian_model_new(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G,
                         wl_hessian **out);
/* Restricts to coordinates [offset, offset + len): the operator becomes the
 * len x len block P H P^T (P selects the coordinates). */
int wl_hessian_restrict(wl_hessian *h, size_t offset, size_t len);
/* Restricts to the model's parameter block `name` ("0.weight", ...). */
int wl_hessian_restrict_block(wl_hessian *h, const char *name);
/* The operator (p = dim, or the restricted length). Valid while h lives. */
wl_linop wl_hessian_op(wl_hessian *h);
/* Products computed so far. */
size_t wl_hessian_matvecs(const wl_hessian *h);
void wl_hessian_free(wl_hessian *h);

/* Dense p x p matrix of an operator, column j = H e_j (small p only; for
 * tests and checks). H_out must be p x p. */
int wl_linop_dense(const wl_linop *H, wl_mat *H_out);

/* ---- model-Hessian norms --------------------------------------------------- */

/* For each point x_i (row of X) and output c, ||H_{f_c}(x_i)|| (the spectral
 * norm of the Hessian of output c, by Lanczos on the indefinite operator,
 * largest magnitude, relative tolerance tol). For several outputs the
 * per-output norms are reported; the norm of the 3-tensor
 * sup_{|u|=|v|=1} ||(v^T H_c v)_c|| lies between max_c ||H_c|| and
 * sqrt(sum_c ||H_c||^2). */
typedef struct wl_hf_norms {
    size_t n, k;
    double *norms;    /* n x k */
    double *mean;     /* k: mean over points */
    double *max;      /* k: max over points */
    double max_all;   /* max over points and outputs */
    size_t matvecs;
    int converged;    /* all Lanczos runs converged */
} wl_hf_norms;

int wl_model_hessian_norms(wl_model *m, const double *w, const wl_mat *X, double tol,
                           wl_rng *rng, wl_hf_norms *out);
void wl_hf_norms_free(wl_hf_norms *r);

/* ---- Taylor models ---------------------------------------------------------- */

/* Taylor model of `base` around w0 (dim, copied), itself a wl_model:
 *   order 1: f(w) = f(w0) + J0 (w - w0)
 *   order 2: f(w) = f(w0) + J0 (w - w0) + 1/2 (w - w0)^T H_f(w0) (w - w0)
 * The base is cloned (wl_model_clone), so the caller keeps and frees it. The
 * Taylor model's init writes w0, its parameter blocks are the base's. */
int wl_taylor_new(wl_model *base, const double *w0, int order, wl_model **out);

#ifdef __cplusplus
}
#endif
#endif
