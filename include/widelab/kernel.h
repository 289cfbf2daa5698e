/* widelab kernel: tangent kernels (empirical and infinite-width), spectra, kernel regression, kernel models. */
#ifndef WIDELAB_KERNEL_H
#define WIDELAB_KERNEL_H

#include "widelab/model.h"

#ifdef __cplusplus
extern "C" {
#endif

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
