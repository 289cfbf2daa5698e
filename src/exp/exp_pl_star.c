/* Experiment `pl-star`: the PL* constant along gradient descent on wide
 * networks, the convergence rate it predicts and the measured one (Liu, Zhu,
 * Belkin, "Loss landscape and optimization framework for systems of
 * non-linear equations: the lessons of deep learning", ACHA 2022).
 *
 * With the mean MSE L = (1/n) sum 1/2 ||f_i - y_i||^2, L is mu-PL* where
 * ||grad L||^2 >= 2 mu L; since grad L = J^T r / n, ||grad L||^2 = r^T K r / n^2
 * >= (lambda_min(K)/n) 2 L, so mu >= lambda_min(K)/n (K the per-output tangent
 * kernel of the n training points). GD with step eta <= 1/lambda_max(H_L) then
 * satisfies L_{t+1} <= (1 - eta mu_t) L_t. */
#include "widelab/data.h"
#include "widelab/exp.h"
#include "widelab/net.h"
#include "widelab/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WIDTHS 4

typedef struct pl_run {
    size_t width, rows;
    double mu0, mu_min, mu_last, bound0, bound_min, loss0, loss_end, eta;
    double rate_measured, rate_predicted; /* per-step factors of L */
    int bound_holds, loss_under_prediction;
    double *step, *mu, *bound, *loss, *pred;
} pl_run;

static void pl_run_free(pl_run *r) {
    free(r->step);
    free(r->mu);
    free(r->bound);
    free(r->loss);
    free(r->pred);
}

/* GD on one width; every row of the trainer's metrics (probe pl every `every`
 * steps on all n training points) gives mu_t, L_t and the bound. */
static int run_width(const wl_exp_ctx *ctx, const wl_dataset *ds, size_t width, size_t steps,
                     size_t every, pl_run *out) {
    char spec[128];
    snprintf(spec, sizeof spec, "mlp:%zu-%zux2-1:relu:ntk", ds->d, width);
    wl_model *net = NULL;
    double *w0 = NULL;
    wl_trainer *t = NULL;
    wl_rng r;
    wl_rng_seed(&r, ctx->seed + width);
    memset(out, 0, sizeof *out);
    out->width = width;
    int rc = wl_net_from_spec(spec, &net);
    if (!rc && !(w0 = wl_dalloc(net->dim, "w0"))) rc = WL_ENOMEM;
    if (!rc) rc = wl_model_init(net, &r, w0);
    wl_mat X = wl_dataset_X(ds);
    wl_spectral sp;
    wl_optim_config oc = wl_optim_defaults(WL_OPT_GD);
    if (!rc) rc = wl_train_auto(net, w0, &X, 0, &oc, &sp); /* GD: eta = 1/L, L = lambda_max(K)/n */
    oc.batch = 0;
    wl_train_config tc;
    wl_train_defaults(&tc);
    tc.steps = steps;
    tc.eval_every = steps;
    tc.probe_n = ds->n; /* the whole training set */
    tc.seed = ctx->seed;
    if (!rc) rc = wl_trainer_new(net, WL_LOSS_MSE, ds, NULL, NULL, &oc, &tc, w0, &t);
    char probe[32];
    snprintf(probe, sizeof probe, "pl:%zu", every);
    if (!rc) rc = wl_trainer_add_probe(t, probe);
    if (!rc) rc = wl_trainer_run(t, NULL, NULL);
    if (!rc) {
        const wl_table *m = wl_trainer_metrics(t);
        size_t n = wl_table_nrows(m);
        long cs = wl_table_col(m, "step"), cr = wl_table_col(m, "pl_ratio"),
             cb = wl_table_col(m, "pl_bound"), cl = wl_table_col(m, "probe_loss");
        out->step = malloc(n * sizeof(double));
        out->mu = malloc(n * sizeof(double));
        out->loss = malloc(n * sizeof(double));
        out->pred = malloc(n * sizeof(double));
        if (!out->step || !out->mu || !out->loss || !out->pred) rc = WL_ENOMEM;
        out->eta = oc.lr;
        out->mu_min = INFINITY;
        out->bound_min = INFINITY;
        out->bound_holds = 1;
        out->loss_under_prediction = 1;
        out->bound = malloc(n * sizeof(double));
        if (!out->bound) rc = WL_ENOMEM;
        size_t k = 0;
        for (size_t i = 0; i < n && !rc; i++) {
            double mu = wl_table_get(m, i, (size_t)cr);
            if (isnan(mu)) continue;
            double b = wl_table_get(m, i, (size_t)cb);
            out->step[k] = wl_table_get(m, i, (size_t)cs);
            out->mu[k] = mu;
            out->bound[k] = b;
            out->loss[k] = wl_table_get(m, i, (size_t)cl);
            if (k == 0) out->mu0 = mu, out->loss0 = out->loss[k], out->bound0 = b;
            out->mu_min = fmin(out->mu_min, mu);
            out->bound_min = fmin(out->bound_min, b);
            if (mu < b * (1 - 1e-9)) out->bound_holds = 0;
            out->mu_last = mu;
            out->loss_end = out->loss[k];
            k++;
        }
        /* the PL* constant of the visited set: mu* = min_t lambda_min(K_t)/n;
           the theorem: L_t <= (1 - eta mu*)^t L_0 */
        for (size_t i = 0; i < k; i++) {
            out->pred[i] = out->loss0 * pow(1.0 - out->eta * out->bound_min, out->step[i]);
            if (out->loss[i] > out->pred[i] * (1 + 1e-9)) out->loss_under_prediction = 0;
        }
        out->rows = k;
        double last = k ? out->step[k - 1] : 0;
        out->rate_measured = last > 0 ? pow(out->loss_end / out->loss0, 1.0 / last) : NAN;
        out->rate_predicted = 1.0 - out->eta * out->bound_min;
    }
    wl_trainer_free(t);
    free(w0);
    wl_model_free(net);
    return rc;
}

static int run_pl_star(const wl_exp_ctx *ctx, wl_exp_result *res) {
    const size_t n = ctx->quick ? 24 : 64, d = 8, steps = ctx->quick ? 300 : 1000;
    const size_t widths_q[] = {256, 1024}, widths_f[] = {256, 1024, 2048};
    const size_t *widths = ctx->quick ? widths_q : widths_f, nw = ctx->quick ? 2 : 3;
    wl_rng r;
    wl_rng_seed(&r, ctx->seed);
    wl_dataset ds = {0};
    int rc = wl_synth_sphere(&r, n, d, &ds); /* x uniform on S^{d-1}, y = x1 x2 */
    if (rc) return rc;
    pl_run runs[MAX_WIDTHS];
    memset(runs, 0, sizeof runs);
    for (size_t i = 0; i < nw && !rc; i++) {
        wl_exp_log(ctx, "GD on mlp %zu-%zux2-1 (relu, NTK), %zu points on the sphere, %zu steps", d,
                   widths[i], n, steps);
        rc = run_width(ctx, &ds, widths[i], steps, steps / 50, &runs[i]);
    }
    if (!rc) {
        wl_plot p, q;
        wl_plot_init(&p, "PL* ratio ||grad L||^2/(2L) and its bound lambda_min(K)/n", "step", "mu");
        p.log_y = 1;
        wl_plot_init(&q, "loss and the PL* prediction", "step", "loss");
        q.log_y = 1;
        const char *cols[] = {"width", "step", "mu", "lambda_min_over_n", "loss", "predicted"};
        wl_table *tab;
        rc = wl_table_new(6, cols, &tab);
        char lab[64];
        for (size_t i = 0; i < nw && !rc; i++) {
            snprintf(lab, sizeof lab, "width %zu", runs[i].width);
            wl_plot_series(&p, lab, runs[i].rows, runs[i].step, runs[i].mu);
            snprintf(lab, sizeof lab, "width %zu lambda_min(K)/n", runs[i].width);
            wl_plot_series(&p, lab, runs[i].rows, runs[i].step, runs[i].bound);
            wl_plot_series(&q, lab, runs[i].rows, runs[i].step, runs[i].loss);
            snprintf(lab, sizeof lab, "width %zu predicted", runs[i].width);
            wl_plot_series(&q, lab, runs[i].rows, runs[i].step, runs[i].pred);
            for (size_t k = 0; k < runs[i].rows && !rc; k++) {
                double row[6] = {(double)runs[i].width, runs[i].step[k], runs[i].mu[k],
                                 runs[i].bound[k], runs[i].loss[k], runs[i].pred[k]};
                rc = wl_table_append(tab, row);
            }
        }
        if (!rc) rc = wl_exp_write_csv(ctx, "pl_star.csv", tab);
        wl_table_free(tab);
        if (!rc) rc = wl_exp_write_svg(ctx, "pl_ratio.svg", &p);
        if (!rc) rc = wl_exp_write_svg(ctx, "loss.svg", &q);
    }
    if (!rc) {
        wl_json *j = ctx->summary;
        wl_json_arr(j, "runs");
        int all_bounded = 1, all_under = 1, all_bound = 1;
        /* mu_t itself falls towards lambda_min(K)/n as the residual settles in
           the slowest eigendirection: the PL* constant is its infimum */
        double worst_keep = INFINITY;
        for (size_t i = 0; i < nw; i++) {
            pl_run *u = &runs[i];
            wl_json_obj(j, NULL);
            wl_json_int(j, "width", (long long)u->width);
            wl_json_num(j, "eta", u->eta);
            wl_json_num(j, "mu_0", u->mu0);
            wl_json_num(j, "mu_min", u->mu_min);
            wl_json_num(j, "mu_last", u->mu_last);
            wl_json_num(j, "lambda_min_bound_0", u->bound0);
            wl_json_num(j, "lambda_min_bound_min", u->bound_min);
            wl_json_num(j, "loss_0", u->loss0);
            wl_json_num(j, "loss_end", u->loss_end);
            wl_json_num(j, "rate_measured", u->rate_measured);
            wl_json_num(j, "rate_predicted", u->rate_predicted);
            wl_json_obj_end(j);
            double keep = u->bound_min / u->bound0;
            worst_keep = fmin(worst_keep, keep);
            all_bounded &= keep >= 0.5;
            all_under &= u->loss_under_prediction && u->rate_measured <= u->rate_predicted;
            all_bound &= u->bound_holds;
        }
        wl_json_arr_end(j);
        pl_run *wide = &runs[nw - 1];
        wl_exp_claim(res, "the PL* constant stays bounded away from zero along GD on a wide network",
                     all_bounded, "min_t lambda_min(K_t) / lambda_min(K_0) over the run, worst width: %.3f (threshold 0.5); widest: mu* = min_t lambda_min(K_t)/n = %.3g",
                     worst_keep, wide->bound_min);
        wl_exp_claim(res, "the loss decays at least as fast as the PL* rate predicts, L_t <= (1 - eta mu*)^t L_0",
                     all_under, "widest: measured per-step factor %.5f, predicted (1 - eta mu*) %.5f; loss %.3g -> %.3g",
                     wide->rate_measured, wide->rate_predicted, wide->loss0, wide->loss_end);
        wl_exp_claim(res, "mu >= lambda_min(K)/n (the tangent kernel bounds the PL* constant) at every step",
                     all_bound, "widest: min bound lambda_min(K)/n %.3g <= min mu %.3g", wide->bound_min,
                     wide->mu_min);
    }
    for (size_t i = 0; i < nw; i++) pl_run_free(&runs[i]);
    wl_dataset_free(&ds);
    return rc;
}

const wl_exp wl_exp_pl_star = {
    "pl-star",
    "Liu, Zhu, Belkin, Loss landscape and optimization framework for systems of non-linear equations (ACHA 2022)",
    "PL* constant along GD on wide networks, the rate it predicts and the measured rate",
    run_pl_star};
