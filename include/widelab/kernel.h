/* widelab kernel: tangent kernels (empirical and infinite-width), spectra, kernel regression, kernel models.
 *
 *   wl_ntk_opts o; wl_ntk_opts_default(&o);          // trace mode, auto method
 *   wl_mat K = {0};                                   // data NULL: allocated here
 *   if (wl_ntk_empirical(net, w, &X, NULL, &o, &K)) puts(wl_errmsg());
 *   wl_ntk_summary s;
 *   wl_ntk_summarize(&K, &s);                         // eigenvalues, kappa, angles
 *   wl_mat_free(&K);
 */
#ifndef WIDELAB_KERNEL_H
#define WIDELAB_KERNEL_H

#include "widelab/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== empirical tangent kernels and spectra ================================
 *
 * K(w) = J J^T with J_ic = d f_c(w; x_i) / dw (no 1/n, no 1/k factors).
 *   WL_NTK_TRACE  n1 x n2,       K(x_i, z_j) = sum_c <J_ic(x), J_jc(z)>
 *   WL_NTK_FULL   n1 k x n2 k,   entry (i*k + c, j*k + c') = <J_ic(x), J_jc'(z)>
 *   WL_NTK_DIAG   n1 x k,        entry (i, c) = |J_ic(x)|^2 (diagonal of FULL)
 *
 * Methods (all give the same kernel to rounding):
 *   WL_NTK_STRUCTURED  networks only: K = sum_l (A_l A_l^T + beta_l^2) o (B_l B_l^T)
 *                      from per-layer inputs A_l and back-propagated B_l; no n x p
 *                      Jacobian is formed. Cost O(n^2 m L k + n m^2 L k).
 *   WL_NTK_JACOBIAN    any model: Jacobian rows of a tile from vjp with one-hot G,
 *                      then J1 J2^T by gemm. Memory tile * k * p doubles.
 *   WL_NTK_NTKVP       any model: columns K e = J1 (J2^T e) = jvp(vjp(e)); stores
 *                      no Jacobian (memory O(p + n k)), for very large p.
 *   WL_NTK_AUTO        structured for networks, else Jacobian if a tile of it
 *                      fits the budget, else NTK-vector products. */
typedef enum wl_ntk_mode { WL_NTK_TRACE = 0, WL_NTK_FULL = 1, WL_NTK_DIAG = 2 } wl_ntk_mode;
typedef enum wl_ntk_method {
    WL_NTK_AUTO = 0,
    WL_NTK_STRUCTURED = 1,
    WL_NTK_JACOBIAN = 2,
    WL_NTK_NTKVP = 3
} wl_ntk_method;
/* How tiles use the cores: OpenMP over tiles with single-threaded BLAS inside,
 * or tiles one after another with multi-threaded BLAS. */
typedef enum wl_ntk_par { WL_NTK_PAR_AUTO = 0, WL_NTK_PAR_TILES = 1, WL_NTK_PAR_BLAS = 2 } wl_ntk_par;

/* Default memory budget: this fraction of physical RAM. */
#define WL_NTK_MEM_FRACTION 0.5

typedef struct wl_ntk_opts {
    wl_ntk_mode mode;     /* WL_NTK_TRACE */
    wl_ntk_method method; /* WL_NTK_AUTO */
    size_t tile;          /* points per tile; 0 = chosen from the budget and threads */
    double mem_limit;     /* bytes; 0 = WL_NTK_MEM_FRACTION of physical RAM */
    const char *out_path; /* .npy written tile by tile when the result does not fit
                             the budget (NULL: such a request fails with WL_ENOMEM) */
    int force_disk;       /* 1: write to out_path even if the result would fit */
    wl_ntk_par parallel;  /* WL_NTK_PAR_AUTO */
    int threads;          /* 0 = wl_get_threads() */
} wl_ntk_opts;

void wl_ntk_opts_default(wl_ntk_opts *o);
const char *wl_ntk_mode_name(wl_ntk_mode m);     /* "trace", "full", "diag" */
const char *wl_ntk_method_name(wl_ntk_method m); /* "auto", "structured", ... */
/* Parses a name into *out; WL_EINVAL naming the bad text otherwise. */
int wl_ntk_mode_parse(const char *s, wl_ntk_mode *out);
int wl_ntk_method_parse(const char *s, wl_ntk_method *out);

/* The plan a call would follow: sizes in bytes. */
typedef struct wl_ntk_plan {
    wl_ntk_method method;  /* resolved (never AUTO) */
    wl_ntk_par parallel;   /* resolved */
    size_t rows, cols;     /* result shape */
    size_t tile;           /* points per tile */
    int threads;
    int to_disk;           /* result streamed to opts->out_path */
    int cache;             /* structured: factors of all points kept */
    double result_bytes;   /* rows * cols * 8 */
    double work_bytes;     /* factors, Jacobian tiles, per-thread buffers */
    double limit_bytes;    /* the budget used */
} wl_ntk_plan;

/* Plans the computation for n1 x n2 points (n2 = 0: X2 = X1) and returns the
 * bytes it needs in memory (result unless on disk + workspace). Fails with
 * WL_ENOMEM and a message giving the size needed and the option to change
 * when no plan fits the budget. */
int wl_ntk_plan_make(const wl_model *m, size_t n1, size_t n2, const wl_ntk_opts *opts,
                     wl_ntk_plan *plan);
/* Bytes the call would need in memory (0 and the error set if no plan fits). */
double wl_ntk_memory(const wl_model *m, size_t n1, size_t n2, const wl_ntk_opts *opts);

/* Empirical tangent kernel of m at w between X1 (n1 x d) and X2 (n2 x d; NULL:
 * X1, then only one triangle of tiles is computed). K: if K->data is NULL the
 * result is allocated (free with wl_mat_free) or, when it does not fit the
 * budget and opts->out_path is set (or force_disk), written there as .npy and
 * K->data stays NULL (K->rows/cols give the shape). If K->data is set it must
 * have the result's shape. opts NULL: defaults. */
int wl_ntk_empirical(wl_model *m, const double *w, const wl_mat *X1, const wl_mat *X2,
                     const wl_ntk_opts *opts, wl_mat *K);

/* ---- spectra and summaries ---- */

enum {
    WL_NTK_WARN_NONPOS = 1,  /* lambda_min <= 0: kernel singular, kappa = inf */
    WL_NTK_WARN_ILLCOND = 2  /* lambda_min < n * eps * lambda_max: numerically singular */
};

typedef struct wl_ntk_summary {
    size_t n;
    double lambda_max, lambda_min;
    double cond;             /* lambda_max / lambda_min (INFINITY when lambda_min <= 0) */
    double trace;
    double eff_rank;         /* trace / lambda_max */
    double eff_rank_entropy; /* exp(-sum p_i log p_i), p_i = max(lambda_i, 0) / sum (Roy-Vetterli) */
    double angle_min, angle_mean; /* gradient angles over pairs i < j, radians */
    int flags;               /* WL_NTK_WARN_* */
} wl_ntk_summary;

/* All eigenvalues of a symmetric K (n x n), ascending, into eig (n); K kept. */
int wl_ntk_eigvals(const wl_mat *K, double *eig);
/* Summary from eigenvalues (ascending, n) -- the angle fields are left 0. */
int wl_ntk_summary_from_eigs(const double *eig, size_t n, wl_ntk_summary *s);
/* Full summary of a symmetric kernel: eigenvalues (into eig if not NULL, n),
 * condition number, effective ranks, gradient angles (K read as a trace kernel). */
int wl_ntk_summarize(const wl_mat *K, double *eig, wl_ntk_summary *s);

/* Gradient angles phi(x_i, x_j) = arccos(K_ij / sqrt(K_ii K_jj)) over pairs
 * i < j of a symmetric n x n kernel: minimum and mean, radians. WL_ENUMERIC if
 * some K_ii <= 0. n < 2: both 0. */
int wl_ntk_angles(const wl_mat *K, double *min_angle, double *mean_angle);

/* ||Kt - K0||_F / ||K0||_F (same shapes). */
int wl_ntk_rel_diff(const wl_mat *K0, const wl_mat *Kt, double *out);
/* Relative change of the kernel of m on X between parameters w0 and wt. */
int wl_ntk_rel_change(wl_model *m, const double *w0, const double *wt, const wl_mat *X,
                      const wl_ntk_opts *opts, double *out);

/* Matrix-free products with the kernel on X (n points): y = K v with
 * K v = J (J^T v) through vjp and jvp; trace mode: v, y of length n (k pairs of
 * vjp/jvp), full mode: length n k (one pair). The n x n kernel is never formed. */
int wl_ntk_matvec(wl_model *m, const double *w, const wl_mat *X, wl_ntk_mode mode,
                  const double *v, double *y);

/* Result of a Lanczos run. */
typedef struct wl_ntk_lanczos_info {
    size_t iters;      /* Krylov dimension reached (= matvecs) */
    double resid;      /* largest Ritz residual |beta_j s_jk| of the wanted pairs */
    int converged;     /* every wanted pair below tol * |lambda_max| */
} wl_ntk_lanczos_info;

/* Top (which = +1) or bottom (which = -1) nev eigenvalues of the kernel on X as
 * an operator (wl_ntk_matvec), by Lanczos with full reorthogonalization from a
 * random start drawn from rng. vals: nev values, descending for top,
 * ascending for bottom. max_iter 0: the operator's size. */
int wl_ntk_lanczos(wl_model *m, const double *w, const wl_mat *X, wl_ntk_mode mode,
                   size_t nev, int which, double tol, size_t max_iter, wl_rng *rng,
                   double *vals, wl_ntk_lanczos_info *info);

/* The same Lanczos on any symmetric operator y = A x of size n (used above;
 * exposed for tests and for other symmetric operators). */
typedef int (*wl_ntk_op)(void *ctx, const double *x, double *y);
int wl_ntk_lanczos_op(wl_ntk_op op, void *ctx, size_t n, size_t nev, int which, double tol,
                      size_t max_iter, wl_rng *rng, double *vals, wl_ntk_lanczos_info *info);

/* ==== end of empirical tangent kernels and spectra ========================= */

#ifdef __cplusplus
}
#endif
#endif
