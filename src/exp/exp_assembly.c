/* Experiment `assembly`: transition to linearity as an emerging property of
 * assembling weak models (Liu, Zhu, Belkin, ICLR 2022).
 *
 * f = (1/sqrt(N)) sum_j f_j with N sub-models of fixed small width, each with
 * its own weights: the Hessian is block diagonal, (1/sqrt(N)) diag(H_{f_j}),
 * so ||H_f|| = max_j ||H_{f_j}|| / sqrt(N), while ||grad f||^2 is the mean of
 * the ||grad f_j||^2 = Theta(1). The kernel change over a ball and along GD,
 * and the distance from the linearization after GD (about ||H_f|| ||w - w0||^2
 * / 2), fall like 1/sqrt(N). */
#include "linearity_measure.h"

#include <math.h>

/* ReLU sub-models: each ||H_{f_j}(x)|| is bounded (||x|| / sqrt(4 d) when a
 * neuron is active, the paper's "weak model" assumption); tanh sub-models
 * have max_j ||H_{f_j}|| growing like log N (Gaussian output weights times
 * tanh''), which bends the slope (docs/papers/assembly.md).
 * Thresholds: ||H_f|| slope within 0.15 of -1/2; the kernel change is
 * bounded by O(1/sqrt(N)): slope at most -0.3; the linearization gap must
 * fall at least like N^-0.25. */
#define SLOPE_H_LO (-0.65)
#define SLOPE_H_HI (-0.35)
#define SLOPE_K_HI (-0.30)
#define SLOPE_GAP_MAX (-0.25)

static int run_assembly(const wl_exp_ctx *ctx, wl_exp_result *res) {
    const size_t nq[] = {4, 16, 64, 256}, nf[] = {4, 16, 64, 256, 1024, 4096};
    const size_t *sizes = ctx->quick ? nq : nf, ns = ctx->quick ? 4 : 6;
    const size_t n = ctx->quick ? 16 : 32, d = 8;
    wl_linm_cfg cfg = {.hpoints = ctx->quick ? 3 : 6, .radius = 2.0,
                       .gd_steps = ctx->quick ? 40 : 200, .lr_frac = 0.5, .tol = 1e-3};
    const char *names[] = {"assembly of relu nets 8-4-1"};
    const char *tpl[] = {"assembly:8-4-1:@:relu:ntk"};
    wl_linm_sweep s;
    int rc = wl_linm_teacher_sweep(ctx, n, d, &cfg, 1, names, tpl, ns, sizes, "number of sub-models N", &s);
    if (rc) return rc;
    size_t last = ns - 1;
    const wl_linm *a = s.m[0], *b = &s.m[0][last];
    wl_exp_claim(res, "the assembled model's Hessian norm scales like 1/sqrt(N)",
                 s.slope_h[0] >= SLOPE_H_LO && s.slope_h[0] <= SLOPE_H_HI,
                 "log-log slope %.3f (accepted [%.2f, %.2f]); ||H_f|| %.4g at N = %zu, %.4g at N = %zu; ||grad f|| %.4g -> %.4g",
                 s.slope_h[0], SLOPE_H_LO, SLOPE_H_HI, a->hnorm, sizes[0], b->hnorm, sizes[last],
                 a->grad_norm, b->grad_norm);
    int ok = s.slope_kb[0] <= SLOPE_K_HI && s.slope_kg[0] <= SLOPE_K_HI;
    wl_exp_claim(res, "the tangent kernel changes by O(1/sqrt(N)) (at most) over a ball and along GD", ok,
                 "slopes: ball (R = %.1f, along H_0 grad f_0) %.3f, after %zu GD steps %.3f (accepted <= %.2f); change after GD %.4g at N = %zu, %.4g at N = %zu",
                 cfg.radius, s.slope_kb[0], cfg.gd_steps, s.slope_kg[0], SLOPE_K_HI,
                 a->kchange_gd, sizes[0], b->kchange_gd, sizes[last]);
    wl_exp_claim(res, "after training, the distance from the linearization falls as N grows",
                 s.slope_gap[0] <= SLOPE_GAP_MAX,
                 "slope of ||f(w_T) - f_lin(w_T)|| / sqrt(n) against N %.3f (accepted <= %.2f); gap %.4g at N = %zu, %.4g at N = %zu; loss after GD / at init %.3g and %.3g",
                 s.slope_gap[0], SLOPE_GAP_MAX, a->gap_gd, sizes[0], b->gap_gd, sizes[last],
                 a->loss_gd / a->loss0, b->loss_gd / b->loss0);
    return WL_OK;
}

const wl_exp wl_exp_assembly = {
    "assembly",
    "Liu, Zhu, Belkin, Transition to linearity of wide neural networks is an emerging property of assembling weak models (ICLR 2022)",
    "Hessian norm, kernel change and linearization gap vs the number N of assembled sub-models",
    run_assembly};
