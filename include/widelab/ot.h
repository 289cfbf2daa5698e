/* widelab ot: optimal transport, Procrustes and Wasserstein Procrustes alignment.
 *
 *   wl_mat C;  wl_mat_alloc(&C, n, m);
 *   wl_ot_cost(&X, &Y, WL_OT_SQEUCLIDEAN, &C);         // C_ij = ||x_i - y_j||^2
 *   wl_sinkhorn_opts so; wl_sinkhorn_opts_default(&so); so.eps = 0.05;
 *   wl_ot_result r;
 *   wl_sinkhorn(&C, NULL, NULL, &so, &P, NULL, NULL, &r); // uniform marginals
 *   wl_emd(&C, NULL, NULL, 0, &P, NULL, NULL, &r);        // exact (network simplex)
 *
 * Conventions: a plan P (n x m) has row sums a and column sums b (NULL
 * marginals mean uniform 1/n and 1/m); cost = <P, C> = sum_ij P_ij C_ij, with
 * no 1/2 factor. Squared-Euclidean cost unless said otherwise.
 */
#ifndef WIDELAB_OT_H
#define WIDELAB_OT_H

#include "widelab/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- cost matrices ------------------------------------------------------- */

enum { WL_OT_SQEUCLIDEAN = 0, WL_OT_EUCLIDEAN = 1 };

/* C_ij = ||x_i - y_j||^2 (or its square root), built in row tiles through
 * BLAS as ||x_i||^2 + ||y_j||^2 - 2 x_i . y_j, clamped at 0.
 * X: n x d, Y: m x d, C: n x m. */
int wl_ot_cost(const wl_mat *X, const wl_mat *Y, int metric, wl_mat *C);

/* ---- results ------------------------------------------------------------- */

typedef struct wl_ot_result {
    double cost;     /* <P, C> */
    size_t iters;    /* Sinkhorn iterations, or simplex pivots */
    double err;      /* marginal error ||P^T 1 - b||_2 at the end */
    int converged;   /* 1 when err <= tol (Sinkhorn) or optimal (exact) */
} wl_ot_result;

/* ---- entropic OT (Sinkhorn) ----------------------------------------------- */

enum { WL_SK_AUTO = -1, WL_SK_SCALING = 0, WL_SK_LOG = 1 };

typedef struct wl_sinkhorn_opts {
    double eps;          /* regularization > 0 (same units as C) [0.05] */
    double tol;          /* stop when ||P^T 1 - b||_2 <= tol [1e-9] */
    size_t max_iter;     /* [1000] */
    size_t check_every;  /* marginal error checked every this many iterations [10] */
    int mode;            /* WL_SK_SCALING, WL_SK_LOG or WL_SK_AUTO (log when
                            max C / eps > 300) [WL_SK_AUTO] */
} wl_sinkhorn_opts;

void wl_sinkhorn_opts_default(wl_sinkhorn_opts *o);

/* min_P <P, C> - eps H(P) over plans with marginals a (n) and b (m).
 * Scaling form: K = exp(-C/eps), u = a / (K v), v = b / (K^T u),
 * P = diag(u) K diag(v). Log form: f_i = -eps LSE_j((g_j - C_ij)/eps) + eps log a_i,
 * and the same for g, P_ij = exp((f_i + g_j - C_ij)/eps).
 * The log form first runs eps-scaling stages (eps 2^k .. 2 eps, <= 50
 * iterations each) when (max C - min C) / eps > 50.
 * P (n x m), f (n), g (m) are optional outputs (NULL = not wanted); f, g are
 * the dual potentials (eps log u, eps log v in the scaling form; -inf where
 * a marginal entry is 0).
 * Returns WL_OK (check res->converged), or WL_ENUMERIC when the scaling form
 * underflows (then res->converged = 0; use the log form). */
int wl_sinkhorn(const wl_mat *C, const double *a, const double *b, const wl_sinkhorn_opts *o,
                wl_mat *P, double *f, double *g, wl_ot_result *res);

/* ---- exact OT -------------------------------------------------------------- */

/* min_P <P, C> over plans with marginals a, b (sums must agree to 1e-9
 * relative; b is rescaled to sum a) by the network simplex with block search
 * pivots. P: n x m (optional), f, g: dual potentials with f_i + g_j <= C_ij
 * and equality on the support of P (optional). max_iter: pivots (0 = default
 * 100 (n + m) + 10^6). res->iters = pivots. WL_ENOCONV if max_iter is hit. */
int wl_emd(const wl_mat *C, const double *a, const double *b, size_t max_iter, wl_mat *P,
           double *f, double *g, wl_ot_result *res);

/* Assignment: match[i] in [0, m), distinct, minimizing sum_i C_{i,match[i]}
 * (n <= m), shortest augmenting paths with potentials, O(n^2 m).
 * *total (optional) = that minimum. */
int wl_assign(const wl_mat *C, size_t *match, double *total);

/* For each row i, the column of its largest plan entry (ties: lowest j). */
int wl_plan_match(const wl_mat *P, size_t *match);

/* ---- Procrustes ----------------------------------------------------------- */

/* Q = U V^T with U S V^T = svd(M), the maximizer of tr(Q^T M) over Q with
 * orthonormal columns. M: d1 x d2 (d1 >= d2), Q: d1 x d2. rotation = 1
 * (square M only): det Q = +1, flipping the last singular vector when
 * det(U V^T) < 0. */
int wl_procrustes_cross(const wl_mat *M, int rotation, wl_mat *Q);

/* argmin_{Q orthogonal} ||X Q - Y||_F. X, Y: n x d, Q: d x d. */
int wl_procrustes(const wl_mat *X, const wl_mat *Y, int rotation, wl_mat *Q);

/* Uniformly random (Haar) orthogonal d x d matrix (QR of a Gaussian matrix). */
int wl_random_orthogonal(wl_rng *rng, wl_mat *Q);

/* ---- Wasserstein Procrustes ---------------------------------------------- */

typedef struct wl_wproc_opts {
    double eps;          /* transport step: 0 = exact (network simplex; a
                            permutation when n == m), > 0 = Sinkhorn [0] */
    size_t iters;        /* max alternations per start [100] */
    double tol;          /* stop when the cost changes by <= tol * cost [1e-10] */
    size_t restarts;     /* random orthogonal starts in addition to the relaxation [0] */
    int relax;           /* start from the convex relaxation [1] */
    size_t relax_iters;  /* Frank-Wolfe iterations of the relaxation [30] */
    int rotation;        /* one-sided only: det Q = +1 [0] */
    size_t k;            /* two-sided: common dimension (0 = min(d1, d2)) [0] */
    wl_sinkhorn_opts sk; /* Sinkhorn settings when eps > 0 (sk.eps is set from eps;
                            defaults with tol 1e-7) */
} wl_wproc_opts;

void wl_wproc_opts_default(wl_wproc_opts *o);

typedef struct wl_wproc_result {
    double cost;        /* sum_ij P_ij ||x_i Q - y_j||^2 (two-sided: x_i Q1 - y_j Q2) */
    size_t iters;       /* alternations of the best start */
    int converged;      /* best start stopped on tol */
    size_t best_start;  /* 0 = relaxation (or first random start), r = restart r */
} wl_wproc_result;

/* min over orthogonal Q (d x d) and plans P (uniform marginals) of
 * sum_ij P_ij ||x_i Q - y_j||^2, alternating a transport step (cost of X Q
 * against Y) and a Procrustes step (Q from svd(X^T P Y)).
 * X: n x d, Y: m x d, Q: d x d, P: n x m (optional). */
int wl_wproc(const wl_mat *X, const wl_mat *Y, const wl_wproc_opts *o, wl_rng *rng, wl_mat *Q,
             wl_mat *P, wl_wproc_result *res);

/* Two-sided: maps on both sides with orthonormal columns, Q1: d1 x k,
 * Q2: d2 x k, maximizing <X Q1, P Y Q2> (equivalently, for k = d1 = d2,
 * minimizing sum P_ij ||x_i Q1 - y_j Q2||^2). Alternates the transport step
 * and the joint map step Q1, Q2 = top-k singular vectors of X^T P Y.
 * X: n x d1, Y: m x d2. */
int wl_wproc2(const wl_mat *X, const wl_mat *Y, const wl_wproc_opts *o, wl_rng *rng,
              wl_mat *Q1, wl_mat *Q2, wl_mat *P, wl_wproc_result *res);

/* Convex relaxation (Gold-Rangarajan / Grave et al.): Frank-Wolfe from the
 * uniform plan on min_P ||Kx P - P Ky||_F^2 over plans with uniform
 * marginals, Kx_ij = ||x_i - x_j||^2 (n x n), Ky likewise (m x m): invariant
 * to orthogonal maps, and not degenerate for centered clouds as the Gram
 * matrices X X^T are. Linear steps solved exactly (network simplex), line
 * search in closed form. Costs O(n^2 m + n m^2) per iteration.
 * X: n x d1, Y: m x d2 (dimensions may differ). P: n x m output. */
int wl_ot_relax(const wl_mat *X, const wl_mat *Y, size_t iters, wl_mat *P);

/* ---- domain adaptation (OT + discriminant analysis) ------------------------ */

typedef struct wl_otda_opts {
    size_t iters;  /* transport / LDA rounds [10] */
    double eps;    /* 0 = exact transport, > 0 = Sinkhorn with eps relative
                      to the mean cost [0] */
    size_t dim;    /* LDA dimension (0 = n_classes - 1) [0] */
    double reg;    /* within-class scatter ridge, relative to its trace / d [1e-3] */
} wl_otda_opts;

void wl_otda_opts_default(wl_otda_opts *o);

/* Fisher LDA: W (d x r) = top-r generalized eigenvectors of (Sb, Sw + reg I).
 * X: n x d, y: n labels in [0, c). */
int wl_lda(const wl_mat *X, const int *y, size_t c, double reg, wl_mat *W);

/* OTDA: transport the source onto the target (first in the input metric),
 * give each target point the label that the plan carries to it,
 * yt_j = argmax_k sum_i P_ij [ys_i = k], learn W by LDA on both domains
 * (source labels and transported target labels: the domain shift inflates
 * the within-class scatter, so LDA turns away from it), and transport again
 * in the metric ||W^T (x - t)||^2; iters rounds. yt = the last labels.
 * Xs: ns x d with labels ys in [0, c), Xt: nt x d, yt: nt predictions out. */
int wl_otda(const wl_mat *Xs, const int *ys, size_t c, const wl_mat *Xt, const wl_otda_opts *o,
            int *yt);

/* Baseline without adaptation: LDA on the source, nearest class mean. */
int wl_lda_predict(const wl_mat *Xs, const int *ys, size_t c, const wl_mat *Xt, size_t dim,
                   double reg, int *yt);

#ifdef __cplusplus
}
#endif
#endif
