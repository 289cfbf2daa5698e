/* Experiment `dag-linearity`: transition to linearity of networks with
 * skip and dense connections (Zhu, Liu, Belkin, "Transition to linearity of
 * general neural networks with directed acyclic graph architecture",
 * NeurIPS 2022).
 *
 * Under NTK parametrization, with the in-degree scaling of the sums (resmlp
 * divides h + dense(act(h)) by sqrt(2), densemlp the sum of l earlier layers
 * by sqrt(l)), a DAG network with a linear output keeps ||grad f|| = Theta(1)
 * while ||H_f|| = O(1/sqrt(m)), m the smallest width; the plain mlp is the
 * reference. */
#include "linearity_measure.h"

#include <math.h>

/* ReLU networks: sigma'' = 0, so the Hessian has only cross-layer blocks and
 * no log m factor from max_i |sigma''(z_i)| (as tanh has, see `linearity`).
 * Thresholds: ||H_f|| slope within 0.15 of -1/2; the kernel change is bounded
 * by O(1/sqrt(m)), so its slope must be at most -0.3. */
#define SLOPE_H_LO (-0.65)
#define SLOPE_H_HI (-0.35)
#define SLOPE_K_HI (-0.30)

static int run_dag_linearity(const wl_exp_ctx *ctx, wl_exp_result *res) {
    const size_t wq[] = {32, 128, 512}, wf[] = {32, 128, 512, 2048};
    const size_t *widths = ctx->quick ? wq : wf, nw = ctx->quick ? 3 : 4;
    const size_t n = ctx->quick ? 16 : 32, d = 8;
    /* Lanczos to a 1% residual: the norms enter slopes over a 16-fold range */
    wl_linm_cfg cfg = {.hpoints = ctx->quick ? 2 : 6, .radius = 1.0,
                       .gd_steps = ctx->quick ? 20 : 200, .lr_frac = 0.5, .tol = 1e-2};
    const char *names[] = {"mlp", "resmlp", "densemlp"};
    const char *tpl[] = {"mlp:8-@x2-1:relu:ntk", "resmlp:8-@x2-1:relu:ntk",
                         "densemlp:8-@x2-1:relu:ntk"};
    wl_linm_sweep s;
    int rc = wl_linm_teacher_sweep(ctx, n, d, &cfg, 3, names, tpl, nw, widths, "width m", &s);
    if (rc) return rc;
    size_t last = nw - 1;
    for (size_t a = 0; a < 3; a++) {
        char claim[256];
        snprintf(claim, sizeof claim, "%s: ||H_f|| scales like 1/sqrt(m)%s", names[a],
                 a ? " (skip/dense connections keep the transition to linearity)" : " (reference)");
        wl_exp_claim(res, claim, s.slope_h[a] >= SLOPE_H_LO && s.slope_h[a] <= SLOPE_H_HI,
                     "log-log slope %.3f (accepted [%.2f, %.2f]); ||H_f|| %.4g at m = %zu, %.4g at m = %zu; ||grad f|| %.4g -> %.4g",
                     s.slope_h[a], SLOPE_H_LO, SLOPE_H_HI, s.m[a][0].hnorm, widths[0],
                     s.m[a][last].hnorm, widths[last], s.m[a][0].grad_norm,
                     s.m[a][last].grad_norm);
    }
    for (size_t a = 1; a < 3; a++) {
        char claim[256];
        snprintf(claim, sizeof claim,
                 "%s: the tangent kernel changes by O(1/sqrt(m)) (at most) over a ball and along GD", names[a]);
        int ok = s.slope_kb[a] <= SLOPE_K_HI && s.slope_kg[a] <= SLOPE_K_HI;
        wl_exp_claim(res, claim, ok,
                     "slopes: ball (R = %.1f, along H_0 grad f_0) %.3f, after %zu GD steps %.3f (accepted <= %.2f); change after GD %.4g at m = %zu, %.4g at m = %zu",
                     cfg.radius, s.slope_kb[a], cfg.gd_steps, s.slope_kg[a], SLOPE_K_HI,
                     s.m[a][0].kchange_gd, widths[0], s.m[a][last].kchange_gd, widths[last]);
    }
    return WL_OK;
}

const wl_exp wl_exp_dag_linearity = {
    "dag-linearity",
    "Zhu, Liu, Belkin, Transition to linearity of general neural networks with DAG architecture (NeurIPS 2022)",
    "model Hessian norm and tangent-kernel change vs width for resmlp and densemlp (mlp as reference)",
    run_dag_linearity};
