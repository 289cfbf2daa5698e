/* aiming: the aiming condition along SGD runs and linear convergence (Liu,
 * Drusvyatskiy, Belkin, Davis, Ma, "Aiming towards the minimizers: fast
 * convergence of SGD for overparametrized problems", NeurIPS 2023).
 *
 * Aiming: <grad L(w), w - proj(w)> >= theta L(w), proj(w) the nearest
 * minimizer. The minimizer set is unknown, so the final, interpolating point
 * w_T of the run stands in for proj(w_t): for least squares (the linearized
 * network) SGD from w0 moves only in the row space of J, so its limit IS the
 * projection of every iterate onto the solution set, and
 * <grad L(w), w - w_T> = 2 L(w) exactly (theta = 2); for a wide network it
 * holds approximately. Measured along the run:
 *   a_t = <grad L(w_t), w_t - w_T> / L(w_t)   (full-batch gradient and loss)
 * on the steps where L(w_t) >= AIM_FLOOR L(w_T) (near the end w_T is too
 * close to w_t to judge), next to the loss curve and its geometric rate. */
#include "aiming.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void settings(int quick, aim_setting *s) {
    if (quick)
        *s = (aim_setting){.n = 96, .d = 64, .width = 1024, .batch = 16, .steps = 600,
                           .every = 10};
    else
        *s = (aim_setting){.n = 256, .d = 128, .width = 2048, .batch = 32, .steps = 1600,
                           .every = 50};
}

static void claims(const aim_setting *s, aim_run *runs, wl_exp_result *res) {
    (void)s;
    aim_run *net = &runs[0], *lin = &runs[1];
    wl_exp_claim(res, "aiming holds along the SGD run of the wide network with theta > 0",
                 net->nvalid >= AIM_MIN_ROWS && net->theta >= AIM_THETA,
                 "a_t = <grad L(w_t), w_t - w_T>/L(w_t) on %zu evaluations with L >= %.0e L(w_T): "
                 "min %.3f, median %.3f, max %.3f (threshold: min >= %.2f); linearized model: "
                 "min %.3f, median %.3f (exact value 2)",
                 net->nvalid, AIM_FLOOR, net->theta, net->a_median, net->a_max, AIM_THETA,
                 lin->theta, lin->a_median);
    int lin_ok = 1;
    for (int q = 0; q < 4; q++) lin_ok &= net->quarter[q] >= AIM_QUARTER;
    lin_ok &= net->r2 >= AIM_R2;
    wl_exp_claim(res, "SGD converges linearly (the loss falls geometrically with the steps)",
                 lin_ok,
                 "network: L_T/L_0 = %.3g, log-linear fit: rate %.4g per step, R^2 = %.3f; loss "
                 "reduction per quarter of the run: %.3g, %.3g, %.3g, %.3g (thresholds: R^2 >= "
                 "%.2f, every quarter >= %.1fx); linearized model: L_T/L_0 = %.3g",
                 net->loss_T / net->loss0, net->rate, net->r2, net->quarter[0], net->quarter[1],
                 net->quarter[2], net->quarter[3], AIM_R2, AIM_QUARTER, lin->loss_T / lin->loss0);
}

static int run(const wl_exp_ctx *ctx, wl_exp_result *res) {
    aim_setting s;
    settings(ctx->quick, &s);
    aim_state st;
    memset(&st, 0, sizeof st);
    int rc = aim_setup(&s, ctx->seed, &st);
    if (!rc)
        wl_exp_log(ctx, "aiming: %s, n = %zu, SGD batch %zu, lr = %.4g", st.spec, s.n, s.batch,
                   st.lr);
    for (int k = 0; !rc && k < 2; k++) {
        rc = aim_train(&s, &st, k, ctx->seed, &st.runs[k]);
        aim_run *r = &st.runs[k];
        if (!rc)
            wl_exp_log(ctx, "%-10s L_T/L_0 = %.3g, a_t min %.3f median %.3f max %.3f (%zu rows), "
                            "rate %.4g/step R^2 %.3f, ||w_T - w_0|| = %.4g",
                       k ? "linearized" : "network", r->loss_T / r->loss0, r->theta, r->a_median,
                       r->a_max, r->nvalid, r->rate, r->r2, r->dist_T);
    }
    if (!rc) rc = aim_write(ctx, &s, &st);
    if (!rc) claims(&s, st.runs, res);
    aim_state_free(&st);
    return rc;
}

const wl_exp wl_exp_aiming = {
    "aiming",
    "Liu, Drusvyatskiy, Belkin, Davis, Ma, Aiming towards the minimizers: fast convergence of "
    "SGD for overparametrized problems (NeurIPS 2023)",
    "SGD on a wide network: <grad L, w - w_T>/L along the run, geometric loss decay", run};
