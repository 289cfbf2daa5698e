/* widelab optim: optimizers (GD, SGD, heavy-ball, Nesterov, Adam, MaSS),
 * learning-rate schedules, a reproducible mini-batch sampler, and step and
 * batch sizes chosen from the spectrum of the data or of a kernel.
 *
 *   wl_optim_config cfg = wl_optim_defaults(WL_OPT_MASS);
 *   wl_spectral sp;
 *   wl_spectral_from_data(&X, &sp);          // L, mu, beta, L1, kappa-tilde of X
 *   wl_spectral_choose(&sp, 8);              // constants for batch size 8
 *   wl_spectral_configure(&sp, &cfg);        // eta1, eta2, gamma of MaSS
 *   wl_optim *opt;   wl_optim_new(&cfg, model->dim, &opt);
 *   wl_batcher *b;   wl_batcher_new(n, cfg.batch, 0, &rng, &b);
 *   for (size_t t = 0; t < steps; t++) {
 *       const size_t *idx; size_t nb; double loss;
 *       wl_batcher_next(b, &idx, &nb);
 *       if (wl_optim_step(opt, obj, w, idx, nb, &loss)) break;   // wl_errmsg()
 *   }
 *
 * The step count t starts at 0; the loss returned by a step is the batch loss
 * before that step (at the point where the gradient was taken). g_t below is
 * the mini-batch gradient of the objective (mean over the batch) plus
 * weight_decay times the point where it was taken (classic L2, also for Adam).
 * lr_t = lr * schedule factor at t.
 *
 *   GD, SGD     w <- w - lr_t g(w)          (GD: the caller passes the full batch)
 *   heavy-ball  v <- mu v - lr_t g(w);  w <- w + v
 *   Nesterov    w' = u - lr_t g(u);  u <- w' + gamma (w' - w);  w <- w'
 *   MaSS        w' = u - eta1_t g(u);  u <- (1 + gamma) w' - gamma w + eta2_t g(u);  w <- w'
 *   Adam        m <- b1 m + (1-b1) g;  s <- b2 s + (1-b2) g^2;
 *               w <- w - lr_t (m / (1-b1^(t+1))) / (sqrt(s / (1-b2^(t+1))) + eps)
 *
 * The vector the caller holds is w; Nesterov and MaSS keep u inside the
 * optimizer (u = w at the first step and after wl_optim_restart). For MaSS
 * eta1 = lr, gamma = momentum; eta2 = mass_eta2, or when mass_eta2 < 0 it is
 * derived from mass_kappa_tilde as eta2 = eta1 (1 - 1/kappa~) (1 + gamma) / 2
 * (THEORY.md: eta2 = eta1 (1 - 1/kappa~) / (1 + 1/sqrt(kappa kappa~)) with
 * 1/sqrt(kappa kappa~) = (1 - gamma)/(1 + gamma)). eta1_t, eta2_t follow the
 * schedule; MaSS restarts (u = w) at every drop of a step schedule.
 */
#ifndef WIDELAB_OPTIM_H
#define WIDELAB_OPTIM_H

#include "widelab/loss.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- schedules ------------------------------------------------------------- */

typedef enum wl_sched_kind { WL_SCHED_CONST = 0, WL_SCHED_STEP, WL_SCHED_COSINE } wl_sched_kind;

#define WL_SCHED_MAX_DROPS 16

/* lr_t = lr * warm(t) * shape(t):
 *   warm(t)  = (t + 1) / warmup for t < warmup, else 1
 *   const:   shape = 1
 *   step:    shape = factor^(number of drops d_j <= t)
 *   cosine:  shape = final + (1 - final) (1 + cos(pi min(t', T') / T')) / 2,
 *            t' = t - warmup, T' = total - warmup (steps of the cosine) */
typedef struct wl_schedule {
    wl_sched_kind kind;
    size_t warmup;
    size_t n_drops;
    size_t drops[WL_SCHED_MAX_DROPS]; /* step: increasing step indices */
    double factor;                    /* step: multiplier per drop (e.g. 0.1) */
    size_t total;                     /* cosine: the step where it reaches final */
    double final_frac;                /* cosine: final lr as a fraction of lr */
} wl_schedule;

/* Factor lr_t / lr at step t. */
double wl_schedule_factor(const wl_schedule *s, size_t t);
/* 1 when t is one of the drops of a step schedule (t > 0). */
int wl_schedule_is_drop(const wl_schedule *s, size_t t);
/* Parses "const", "step:D1,D2,...:FACTOR" or "cosine:TOTAL[:FINAL]" (warm-up
 * is set separately). WL_EINVAL with the bad piece named. */
int wl_schedule_parse(const char *spec, wl_schedule *s);
/* "const", "step(100,200)x0.1", "cosine(1000->0)", with "+warmup(50)". */
const char *wl_schedule_format(const wl_schedule *s, char *buf, size_t cap);

/* ---- optimizers -------------------------------------------------------------- */

typedef enum wl_optim_kind {
    WL_OPT_GD = 0,
    WL_OPT_SGD,
    WL_OPT_HEAVYBALL,
    WL_OPT_NESTEROV,
    WL_OPT_ADAM,
    WL_OPT_MASS
} wl_optim_kind;

/* "gd", "sgd", "heavyball" (or "momentum"), "nesterov", "adam", "mass". */
int wl_optim_parse(const char *name, wl_optim_kind *kind);
const char *wl_optim_name(wl_optim_kind kind);

typedef struct wl_optim_config {
    wl_optim_kind kind;
    double lr;           /* step size; MaSS: eta1 */
    double momentum;     /* heavy-ball mu; Nesterov and MaSS gamma */
    double beta1, beta2; /* Adam */
    double eps;          /* Adam */
    double weight_decay; /* L2: g += weight_decay * w */
    double mass_eta2;    /* MaSS compensation step; < 0: from mass_kappa_tilde */
    double mass_kappa_tilde;
    size_t batch;        /* mini-batch size the caller samples (0 = full batch) */
    wl_schedule sched;
} wl_optim_config;

/* Defaults for a kind: lr 0.01 (Adam 0.001), momentum 0.9, betas 0.9/0.999,
 * eps 1e-8, no weight decay, MaSS eta2 from kappa~ = 2, batch 64 (GD: 0),
 * constant schedule. */
wl_optim_config wl_optim_defaults(wl_optim_kind kind);

typedef struct wl_optim wl_optim;

/* Validates cfg (WL_EINVAL names the bad value) and allocates the state for
 * parameters of length dim. */
int wl_optim_new(const wl_optim_config *cfg, size_t dim, wl_optim **out);
void wl_optim_free(wl_optim *opt);
const wl_optim_config *wl_optim_get_config(const wl_optim *opt);
/* One step on the batch idx[0..nb) (idx = NULL: all rows) of obj, updating w
 * (dim) in place; *loss (may be NULL) = the batch loss before the step.
 * WL_ENUMERIC (and w unchanged) when the loss or gradient is not finite. */
int wl_optim_step(wl_optim *opt, wl_objective *obj, double *w, const size_t *idx, size_t nb,
                  double *loss);
/* Clears the momentum state and, for Nesterov and MaSS, sets u = w. */
int wl_optim_restart(wl_optim *opt, const double *w);
/* Steps taken so far, and the step size of the next step (lr_t; MaSS eta1_t). */
size_t wl_optim_steps(const wl_optim *opt);
double wl_optim_lr(const wl_optim *opt);
/* One human line of the chosen settings into buf (returns buf). */
const char *wl_optim_describe(const wl_optim *opt, char *buf, size_t cap);

/* Checkpoints: the whole state (step count, u / velocity / Adam moments) as
 * a flat vector of doubles; loading it into an optimizer made from the same
 * config and dim, then continuing, is bit-identical to never stopping. */
size_t wl_optim_state_size(const wl_optim *opt);
int wl_optim_state_save(const wl_optim *opt, double *buf);
int wl_optim_state_load(wl_optim *opt, const double *buf, size_t len);

/* ---- mini-batches ---------------------------------------------------------------- */

/* Draws mini-batches of size `batch` from n rows without replacement within
 * an epoch, reshuffled each epoch from its own copy of rng. The last batch of
 * an epoch is shorter when batch does not divide n, unless drop_last. batch 0
 * or batch >= n gives the full batch 0..n-1 in order every step. */
typedef struct wl_batcher wl_batcher;
int wl_batcher_new(size_t n, size_t batch, int drop_last, const wl_rng *rng, wl_batcher **out);
void wl_batcher_free(wl_batcher *b);
/* *idx points into the batcher (valid until the next call), *nb its length. */
int wl_batcher_next(wl_batcher *b, const size_t **idx, size_t *nb);
size_t wl_batcher_epoch(const wl_batcher *b);
/* State (epoch, position, permutation, rng) as doubles, exactly restorable. */
size_t wl_batcher_state_size(const wl_batcher *b);
int wl_batcher_state_save(const wl_batcher *b, double *buf);
int wl_batcher_state_load(wl_batcher *b, const double *buf, size_t len);

/* Runs `steps` steps of opt on obj with batches from b; losses[t] (may be
 * NULL) = batch loss of step t. Stops at the first error. */
int wl_optim_run(wl_optim *opt, wl_objective *obj, wl_batcher *b, double *w, size_t steps,
                 double *losses);

/* ---- step and batch sizes from the spectrum (THEORY.md section 5) ---------------- */

/* Quadratic setting f_i(w) = 1/2 (w.x_i - y_i)^2, H = (1/n) sum x_i x_i^T:
 *   L = lambda_max(H), mu = smallest non-zero eigenvalue of H,
 *   beta = max ||x_i||^2,
 *   L1 = lambda_max(H^-1/2 M1 H^-1/2),  M1 = (1/n) sum ||x_i||^2 x_i x_i^T,
 *   kappa~ = lambda_max(H^-1/2 M2 H^-1/2), M2 = (1/n) sum (x_i^T H^+ x_i) x_i x_i^T
 * (H^-1/2 on the range of H). From a kernel matrix K = Phi Phi^T the same
 * numbers for the features Phi: L = lambda_1(K)/n, mu = smallest non-zero
 * lambda(K)/n, beta = max K_ii, and with K = U diag(lambda) U^T (rank r):
 *   L1 = lambda_max(U_r^T diag(K_ii) U_r), kappa~ = n lambda_max(U_r^T diag(h) U_r),
 *   h_i = ||row i of U_r||^2,
 * which for full-rank K are L1 = beta and kappa~ = n.
 * For batch size m (wl_spectral_choose):
 *   L_m = L1/m + (m-1) L/m,  kappa_m = L_m/mu,  kappa~_m = kappa~/m + (m-1)/m
 *   MaSS: eta1 = 1/L_m, gamma = (s - 1)/(s + 1), s = sqrt(kappa_m kappa~_m),
 *         eta2 = eta1 (1 - 1/kappa~_m) / (1 + 1/s)
 *   SGD:  eta*(m) = m / (beta + (m-1) L),  critical batch m* = beta/L + 1.
 * Eigenvalues below n_or_d * 100 * DBL_EPSILON * lambda_max count as zero. */
typedef struct wl_spectral {
    size_t n, dim, rank;
    double L, mu, beta, L1, kappa_tilde;
    /* set by wl_spectral_choose */
    size_t m;
    double L_m, kappa_m, kappa_tilde_m;
    double mass_eta1, mass_eta2, mass_gamma;
    double sgd_lr, m_star;
} wl_spectral;

/* From data X (n x d). */
int wl_spectral_from_data(const wl_mat *X, wl_spectral *s);
/* From a symmetric PSD kernel matrix K (n x n) of the training sample. */
int wl_spectral_from_kernel(const wl_mat *K, wl_spectral *s);
/* Mini-batch constants and hyper-parameters for batch size m >= 1. */
int wl_spectral_choose(wl_spectral *s, size_t m);
/* Writes the chosen hyper-parameters into cfg for cfg->kind: GD lr = 1/L;
 * SGD and heavy-ball lr = eta*(m); Nesterov lr = eta1, momentum = gamma;
 * MaSS lr = eta1, momentum = gamma, mass_eta2 = eta2; also cfg->batch = m.
 * WL_EUNSUP for Adam. */
int wl_spectral_configure(const wl_spectral *s, wl_optim_config *cfg);
/* Multi-line human summary of the estimates and the choices (returns buf). */
const char *wl_spectral_format(const wl_spectral *s, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
