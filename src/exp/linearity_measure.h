/* Shared measurements of the transition to linearity (experiments
 * `linearity`, `dag-linearity`, `assembly`): the model Hessian norm at
 * initialization, the change of the tangent kernel over a ball and along
 * gradient descent, and the distance from the linearization after GD, swept
 * over a size parameter (width, number of sub-models). Private to src/exp. */
#ifndef WIDELAB_EXP_LINEARITY_MEASURE_H
#define WIDELAB_EXP_LINEARITY_MEASURE_H

#include "widelab/data.h"
#include "widelab/exp.h"

#define WL_LINM_MAX_ARCH 4
#define WL_LINM_MAX_SIZES 12

typedef struct wl_linm_cfg {
    size_t hpoints;  /* points (first rows) where ||H_f(x)|| is measured */
    double radius;   /* R: the ball's radius */
    size_t gd_steps; /* GD steps on the mean MSE */
    double lr_frac;  /* GD step eta = lr_frac * n / lambda_max(K(w0)) */
    double tol;      /* Lanczos tolerance of the Hessian norms */
    size_t reps;     /* sweeps: independent initializations averaged per size (0 = 1) */
} wl_linm_cfg;

/* One model, one size. */
typedef struct wl_linm {
    size_t size, dim;
    double hnorm, hnorm_max; /* mean and max over points of ||H_f(x_i)|| at w0 */
    double grad_norm;        /* mean over points of ||grad_w f(x_i)|| at w0 */
    double kchange_ball;     /* ||K(w0 + R u) - K(w0)||_F / ||K(w0)||_F, u along H_0 grad f_0 */
    double kchange_gd;       /* the same between w0 and w_T after T GD steps */
    double gap_gd, gap_rel;  /* wl_linearity_gap(w0, w_T): abs and rel */
    double dist_gd;          /* ||w_T - w0|| */
    double loss0, loss_gd, lr;
    size_t hvps;             /* Hessian-vector products of the norm runs */
    int converged;           /* every Lanczos run converged */
} wl_linm;

/* A sweep: architectures (spec templates where every '@' is replaced by
 * the size) times sizes, and the log-log slopes of each quantity against
 * the size. */
typedef struct wl_linm_sweep {
    size_t narch, nsize;
    const char *names[WL_LINM_MAX_ARCH];
    double sizes[WL_LINM_MAX_SIZES];
    wl_linm m[WL_LINM_MAX_ARCH][WL_LINM_MAX_SIZES];
    double slope_h[WL_LINM_MAX_ARCH], slope_kb[WL_LINM_MAX_ARCH],
        slope_kg[WL_LINM_MAX_ARCH], slope_gap[WL_LINM_MAX_ARCH];
} wl_linm_sweep;

/* Measures the model `spec` on the data set (init from seed). */
int wl_linm_measure(const char *spec, const wl_dataset *ds, const wl_linm_cfg *cfg,
                    uint64_t seed, wl_linm *out);

/* Runs every architecture at every size, writes ctx->out_dir/linearity.csv,
 * hessian_norm.svg, kernel_change.svg, linearity_gap.svg (x axis labelled
 * xlabel) and the measurements and slopes into ctx->summary. */
int wl_linm_sweep_run(const wl_exp_ctx *ctx, const wl_dataset *ds, const wl_linm_cfg *cfg,
                      size_t narch, const char *const *names, const char *const *templates,
                      size_t nsize, const size_t *sizes, const char *xlabel, wl_linm_sweep *out);

/* wl_linm_sweep_run on the experiments' common data: n points of a tanh
 * teacher (width 64, one output) in d dimensions, drawn from ctx->seed. */
int wl_linm_teacher_sweep(const wl_exp_ctx *ctx, size_t n, size_t d, const wl_linm_cfg *cfg,
                          size_t narch, const char *const *names, const char *const *templates,
                          size_t nsize, const size_t *sizes, const char *xlabel,
                          wl_linm_sweep *out);

#endif
