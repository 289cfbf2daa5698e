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
    size_t iters;      /* kernel-vector products used */
    double resid;      /* largest Ritz residual of the wanted pairs */
    int converged;     /* every wanted pair below tol * max |theta| */
} wl_ntk_lanczos_info;

/* Top (which = +1) or bottom (which = -1) nev eigenvalues of the kernel on X as
 * an operator (wl_ntk_matvec), by the curvature module's Lanczos (wl_lanczos:
 * full reorthogonalization, thick restarts) from a random start drawn from
 * rng. vals: nev values, descending for top, ascending for bottom. max_iter:
 * the most kernel-vector products (0: wl_lanczos's default). */
int wl_ntk_lanczos(wl_model *m, const double *w, const wl_mat *X, wl_ntk_mode mode,
                   size_t nev, int which, double tol, size_t max_iter, wl_rng *rng,
                   double *vals, wl_ntk_lanczos_info *info);

/* ==== end of empirical tangent kernels and spectra ========================= */

/* ==== infinite-width kernels, kernel functions, kernel regression ==========
 * (src/kernel/infinite*.c, src/kernel/gaussian.c, src/kernel/regression.c;
 *  docs/kernels.md)
 *
 *   wl_inf_arch a; wl_inf_arch_init(&a);             // relu MLP, NTK param
 *   wl_inf_arch_from_spec("mlp:10-512x3-1:relu:ntk", &a, NULL, NULL);
 *   wl_ntk_infinite(&a, &X, NULL, &Theta, &Sigma);    // n x n each
 *
 * Conventions (NTK parametrization, as the network module builds it):
 *   z_1 = w_std W_1 x / sqrt(d) + beta b_1,  a_l = s * act(z_l),
 *   z_{l+1} = w_std W_{l+1} a_l / sqrt(m_l) + beta b_{l+1},  W, b ~ N(0, 1),
 *   s = sqrt(c_sigma) with csigma, else 1; the output is z_{L+1}.
 * Per layer (u, v) ~ N(0, [[S(x,x), S(x,z)], [S(x,z), S(z,z)]]), ws2 = w_std^2:
 *   S_1 = ws2 x.z / d + beta^2,                T_1 = S_1
 *   S_{l+1} = ws2 s^2 E[act(u) act(v)] + beta^2
 *   T_{l+1} = S_{l+1} + ws2 s^2 E[act'(u) act'(v)] T_l
 * Standard parametrization (W ~ N(0, ws2/fan_in), b ~ N(0, beta^2)): S is the
 * same; T_{l+1} = fan_in_l s^2 E[act act] + [bias] + ws2 s^2 E[act' act'] T_l,
 * which grows with the width (arch.width): the expected NTK at that width.
 * nngp = S_{L+1}, ntk = T_{L+1}: the kernel of ONE output; the trace kernel
 * of a k-output network (summed over outputs) is k * ntk. */

/* Activation of an infinite-width network. Closed forms: identity, relu,
 * leaky relu, erf, square; the others by 2-D Gaussian quadrature. */
typedef enum wl_inf_act {
    WL_INF_IDENTITY = 0,
    WL_INF_RELU,
    WL_INF_LEAKY_RELU,
    WL_INF_ERF,
    WL_INF_SQUARE,
    WL_INF_TANH,
    WL_INF_SIGMOID,
    WL_INF_SOFTPLUS,
    WL_INF_GELU, /* exact: z Phi(z) */
    WL_INF_CUSTOM
} wl_inf_act;

typedef enum wl_inf_param { WL_INF_NTK = 0, WL_INF_STANDARD = 1 } wl_inf_param;

typedef enum wl_inf_topology {
    WL_INF_MLP = 0,    /* x -> [dense, act] x depth -> dense                      */
    WL_INF_RESMLP = 1, /* h = dense(x); depth x { h <- (h + dense(act(h)))/sqrt(2) };
                          y = dense(act(h))                                       */
    WL_INF_DENSEMLP = 2, /* h_1 = act(dense(x)), h_l = act(dense(sum_{i<l} h_i /
                          sqrt(l-1))), y = dense(sum_{i<=L} h_i / sqrt(L))        */
    WL_INF_ASSEMBLY = 3  /* (1/sqrt(N)) sum of N independent 1-hidden-layer nets:
                          the same kernel as an MLP of depth 1                    */
} wl_inf_topology;

/* Scalar activation (and its derivative) for WL_INF_CUSTOM. */
typedef double (*wl_inf_fn)(double z, void *ctx);

typedef struct wl_inf_arch {
    wl_inf_act act;
    double leaky;         /* negative slope of WL_INF_LEAKY_RELU (default 0.01) */
    wl_inf_topology topology;
    size_t depth;         /* MLP: hidden layers L; RESMLP: residual blocks */
    wl_inf_param param;
    size_t width;         /* standard parametrization: hidden width m (the NTK
                             grows with m there); ignored for NTK */
    double w_std;         /* weight multiplier on every layer (neural-tangents'
                             W_std); 0 = the network module's: 1 under NTK,
                             under standard He c = 2/(1+slope^2) for a dense fed
                             by an unscaled relu/leaky activation, else 1 */
    double bias;          /* beta: bias scale (neural-tangents' b_std) */
    int has_bias;         /* biases exist when has_bias or bias > 0 (matters for
                             the standard parametrization, where a bias of init
                             scale 0 still has gradient 1) */
    int out_bias;         /* the output dense has a bias too (default 1) */
    int csigma;           /* a = sqrt(c_sigma) act(z), c_sigma = 1/E[act(g)^2] */
    int force_quadrature; /* 1: quadrature even where a closed form exists */
    size_t quad_order;    /* quadrature nodes per dimension (0 = 64; raise it for
                             saturating activations when S(x, x) >> 4) */
    wl_inf_fn fn, dfn;    /* WL_INF_CUSTOM: act and act' */
    void *ctx;
} wl_inf_arch;

/* Defaults: relu MLP, depth 1, NTK parametrization, no bias, no c_sigma. */
void wl_inf_arch_init(wl_inf_arch *a);
/* Architecture of a network spec string ("mlp:784-1024x3-10:relu:ntk",
 * "resmlp:...", options bias[=beta], csigma, leaky=s); n_in/n_out (may be
 * NULL) receive the input and output sizes. WL_EUNSUP for specs without an
 * infinite-width limit here (non-linear output, bottleneck widths are fine). */
int wl_inf_arch_from_spec(const char *spec, wl_inf_arch *a, size_t *n_in, size_t *n_out);
/* Activation name ("relu", "tanh", ...) -> enum; WL_EINVAL if unknown. */
int wl_inf_act_from_name(const char *name, wl_inf_act *act);
const char *wl_inf_act_name(wl_inf_act act);

/* Dual activation: for (u, v) ~ N(0, [[sxx, sxz], [sxz, szz]]),
 * e_act = E[act(u) act(v)], e_dact = E[act'(u) act'(v)] (either may be NULL);
 * no c_sigma or w_std factor. */
int wl_inf_dual(const wl_inf_arch *a, double sxx, double szz, double sxz, double *e_act,
                double *e_dact);
/* c_sigma = 1 / E[act(g)^2], g ~ N(0, 1). */
int wl_inf_csigma(const wl_inf_arch *a, double *c);

/* Infinite-width NTK and NNGP of arch between X1 (n1 x d) and X2 (n2 x d;
 * NULL = X1, symmetric and computed once per pair); ntk, nngp: n1 x n2
 * (either may be NULL). Per output (see the conventions above). */
int wl_ntk_infinite(const wl_inf_arch *arch, const wl_mat *X1, const wl_mat *X2, wl_mat *ntk,
                    wl_mat *nngp);

/* ---- kernel functions ------------------------------------------------------ */

typedef enum wl_kfun_kind {
    WL_KFUN_GAUSSIAN = 0, /* exp(-||x - z||^2 / (2 bw^2))  (EigenPro's)          */
    WL_KFUN_LAPLACIAN,    /* exp(-||x - z|| / bw)                                */
    WL_KFUN_NTK,          /* wl_ntk_infinite's ntk of arch                       */
    WL_KFUN_NNGP,         /* wl_ntk_infinite's nngp of arch                      */
    WL_KFUN_CALLBACK      /* user function                                       */
} wl_kfun_kind;

/* K (n1 x n2) = k(X1 rows, X2 rows) for WL_KFUN_CALLBACK. */
typedef int (*wl_kfun_cb)(const wl_mat *X1, const wl_mat *X2, wl_mat *K, void *ctx);

typedef struct wl_kfun {
    wl_kfun_kind kind;
    double bandwidth;   /* Gaussian / Laplacian */
    wl_inf_arch arch;   /* NTK / NNGP */
    wl_kfun_cb cb;      /* CALLBACK */
    void *ctx;
} wl_kfun;

/* K = k(X1, X2): n1 x n2. */
int wl_kfun_eval(const wl_kfun *k, const wl_mat *X1, const wl_mat *X2, wl_mat *K);
/* Name -> kind ("gaussian", "laplacian", "ntk", "nngp"). */
int wl_kfun_from_name(const char *name, wl_kfun_kind *kind);

/* ---- kernel regression and gradient flow on MSE --------------------------- */

/* Gradient flow of L = (1/n) sum_i 1/2 ||f(x_i) - y_i||^2 on a kernel machine
 * (or a network in its linear regime) with step eta, in closed form:
 *   f_t(X*) = f_0(X*) + K* Kr^{-1} (I - exp(-eta Kr t / n)) (Y - f_0(X)),
 * Kr = K + ridge I; t = INFINITY gives f_0(X*) + K* Kr^{-1} (Y - f_0(X)).
 * One eigendecomposition Kr = V diag(l) V^T is kept and reused for every t.
 * Eigenvalues l_i <= rcond * l_max are treated as zero: their directions are
 * dropped (pseudo-inverse), and the info says so. */
typedef struct wl_kreg wl_kreg;

typedef struct wl_kreg_info {
    size_t n, k;
    double lambda_max, lambda_min; /* of K + ridge I (lambda_min may be <= 0) */
    double cond;                   /* lambda_max / lambda_min (INFINITY if <= 0) */
    size_t n_dropped;              /* eigenvalues treated as zero */
    double rcond;                  /* threshold used */
    int ill_conditioned;           /* 1 when n_dropped > 0 */
    char message[200];             /* human-readable warning ("" if none) */
} wl_kreg_info;

/* K: n x n train kernel (copied), Y: n x k targets, F0: n x k predictions at
 * t = 0 (NULL = 0), ridge >= 0, rcond (<= 0: 1e-12 * n). */
int wl_kreg_new(const wl_mat *K, const wl_mat *Y, const wl_mat *F0, double ridge, double rcond,
                wl_kreg **out);
void wl_kreg_free(wl_kreg *r);
void wl_kreg_get_info(const wl_kreg *r, wl_kreg_info *info);
/* A (n x k): the coefficients at time t, f_t(x) = f_0(x) + sum_j K(x, x_j) A_j. */
int wl_kreg_coef(const wl_kreg *r, double eta, double t, wl_mat *A);
/* F (m x k) = f_t(X*): Ks (m x n) = K(X*, X) and F0s (m x k, NULL = 0) =
 * f_0(X*); Ks = NULL gives the training predictions (F0s ignored). */
int wl_kreg_predict(const wl_kreg *r, const wl_mat *Ks, const wl_mat *F0s, double eta, double t,
                    wl_mat *F);
/* The same at nt times: F is (nt m) x k, block j = f_{times[j]}(X*). */
int wl_kreg_predict_times(const wl_kreg *r, const wl_mat *Ks, const wl_mat *F0s, double eta,
                          const double *times, size_t nt, wl_mat *F);

/* ---- kernel models (src/model/kernel_model.c) ------------------------------ */

/* f(x) = sum_j a_j k(x, z_j): centers Z (m x d, copied into the model),
 * parameters w = a (m x k row-major, block "coef"). Linear in w: jvp2 = 0,
 * hvp = 0. xvjp for Gaussian and Laplacian kernels. init sets a = 0.
 * functional = 1 makes vjp return the functional (RKHS) gradient used by
 * kernel SGD / EigenPro / MaSS on kernels: every input row must equal a
 * center row (the training points are the centers); row i adds G_i to a_j for
 * its center j, so a step w -= eta * vjp changes only the batch's
 * coefficients (a_b -= eta (f(x_b) - y_b) / b with the mean-MSE objective). */
int wl_kernel_model_new(const wl_kfun *k, const wl_mat *Z, size_t n_out, int functional,
                        wl_model **out);

/* One functional-gradient step on the batch of centers idx[0..nb):
 *   a_b <- a_b - eta (f(z_b) - y_b) / nb,    Yb: nb x k (rows for idx).
 * *loss (may be NULL) = (1/nb) sum 1/2 ||f(z_b) - y_b||^2 before the step. */
int wl_kernel_sgd_step(wl_model *km, double *w, const size_t *idx, size_t nb, const wl_mat *Yb,
                       double eta, double *loss);

#ifdef __cplusplus
}
#endif
#endif
