/* Experiment `mass`: MaSS against SGD, Nesterov SGD and Adam in the
 * interpolation regime (Liu & Belkin, ICLR 2020), on Gaussian linear
 * regression, a kernel machine over Fashion-MNIST and a wide network. */
#include "widelab/data.h"
#include "widelab/exp.h"
#include "widelab/kernel.h"
#include "widelab/net.h"
#include "widelab/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { N_OPT = 4 };
static const char *const opt_names[N_OPT] = {"mass", "sgd", "nesterov", "adam"};

/* A run of one optimizer: full losses every `every` steps. */
typedef struct curve {
    size_t n, every;
    double *loss;
    size_t hit;     /* first step with loss <= target (0 if never) */
    int diverged;   /* non-finite, or above 1e6 x the initial loss */
} curve;

/* Runs cfg on obj from w0 for max_steps; records the full loss every `every`
 * steps and, when target > 0, checks it every `hit_every` steps until it is
 * <= target (c->hit, so a multiple of hit_every). */
static int run_curve(wl_objective *obj, const double *w0, size_t dim, const wl_optim_config *cfg,
                     uint64_t seed, size_t max_steps, size_t every, size_t hit_every,
                     double target, curve *c) {
    wl_optim *opt = NULL;
    wl_batcher *b = NULL;
    wl_rng r;
    wl_rng_seed(&r, seed);
    memset(c, 0, sizeof *c);
    c->every = every;
    c->n = max_steps / every + 1;
    c->loss = malloc(c->n * sizeof *c->loss);
    double *w = wl_dalloc(dim, "mass experiment parameters"), L0 = NAN, L = NAN;
    int rc = (!w || !c->loss) ? wl_seterr(WL_ENOMEM, "out of memory") : WL_OK;
    if (!rc) rc = wl_optim_new(cfg, dim, &opt);
    if (!rc) rc = wl_batcher_new(wl_objective_n(obj), cfg->batch, 0, &r, &b);
    if (!rc) {
        memcpy(w, w0, dim * sizeof *w);
        rc = wl_objective_value(obj, w, NULL, 0, &L0);
    }
    if (!rc) c->loss[0] = L0;
    for (size_t t = 1; t <= max_steps && !rc; t++) {
        rc = wl_optim_run(opt, obj, b, w, 1, NULL);
        if (rc == WL_ENUMERIC) { /* overflow: diverged */
            rc = WL_OK;
            c->diverged = 1;
        }
        int record = t % every == 0, check = target > 0 && !c->hit && t % hit_every == 0;
        if (!rc && !c->diverged && (record || check)) {
            rc = wl_objective_value(obj, w, NULL, 0, &L);
            if (rc == WL_ENUMERIC) rc = WL_OK, L = INFINITY; /* overflowed */
            if (!rc && (!isfinite(L) || L > 1e6 * L0)) c->diverged = 1;
            if (!rc && check && L <= target) c->hit = t;
        }
        if (c->diverged) {
            for (size_t k = t / every + (record ? 0 : 1); k < c->n; k++) c->loss[k] = NAN;
            break;
        }
        if (record) c->loss[t / every] = L;
    }
    wl_optim_free(opt);
    wl_batcher_free(b);
    free(w);
    return rc;
}

/* The four optimizers' configurations from the spectrum at batch m:
 * MaSS and SGD from wl_spectral_configure, Nesterov with eta = 1/L1 and
 * gamma = 0.9 (the failing setting of the paper), Adam with adam_lr. */
static int configs(wl_spectral *sp, size_t m, double adam_lr, wl_optim_config cfg[N_OPT]) {
    int rc = wl_spectral_choose(sp, m);
    cfg[0] = wl_optim_defaults(WL_OPT_MASS);
    cfg[1] = wl_optim_defaults(WL_OPT_SGD);
    if (!rc) rc = wl_spectral_configure(sp, &cfg[0]);
    if (!rc) rc = wl_spectral_configure(sp, &cfg[1]);
    cfg[2] = wl_optim_defaults(WL_OPT_NESTEROV);
    cfg[2].lr = 1.0 / sp->L1;
    cfg[2].momentum = 0.9;
    cfg[2].batch = m;
    cfg[3] = wl_optim_defaults(WL_OPT_ADAM);
    cfg[3].lr = adam_lr;
    cfg[3].batch = m;
    return rc;
}

static void free_curves(curve *c, size_t n) {
    for (size_t i = 0; i < n; i++) free(c[i].loss);
}

/* Writes a loss-vs-step plot and CSV of N_OPT curves. */
static int write_curves(const wl_exp_ctx *ctx, const char *stem, const char *title,
                        const curve *c) {
    char path[4096];
    size_t n = c[0].n;
    double *x = malloc(n * sizeof *x);
    if (!x) return wl_seterr(WL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) x[i] = (double)(i * c[0].every);
    wl_plot p;
    wl_plot_init(&p, title, "step", "training loss");
    p.log_y = 1;
    for (int o = 0; o < N_OPT; o++) wl_plot_series(&p, opt_names[o], c[o].n, x, c[o].loss);
    snprintf(path, sizeof path, "%s/%s.svg", ctx->out_dir, stem);
    int rc = wl_plot_write_svg(&p, path);
    const char *cols[N_OPT + 1] = {"step", "mass", "sgd", "nesterov", "adam"};
    wl_table *t = NULL;
    if (!rc) rc = wl_table_new(N_OPT + 1, cols, &t);
    for (size_t i = 0; i < n && !rc; i++) {
        double row[N_OPT + 1] = {x[i]};
        for (int o = 0; o < N_OPT; o++) row[o + 1] = i < c[o].n ? c[o].loss[i] : NAN;
        rc = wl_table_append(t, row);
    }
    snprintf(path, sizeof path, "%s/%s.csv", ctx->out_dir, stem);
    if (!rc) rc = wl_table_write_csv(t, path);
    wl_table_free(t);
    free(x);
    return rc;
}

/* ---- (a) Gaussian linear regression ------------------------------------------- */

static int part_linreg(const wl_exp_ctx *ctx, wl_exp_result *res) {
    const size_t d = ctx->quick ? 10 : 20, n = ctx->quick ? 200 : 500, m = 1;
    const size_t seeds = ctx->quick ? 3 : 5, max_steps = ctx->quick ? 250000 : 1000000;
    const double target = 1e-10;
    double adam_lrs[3] = {1e-3, 1e-2, 1e-1};
    double steps_sum[N_OPT] = {0};
    size_t conv[N_OPT] = {0}, div[N_OPT] = {0};
    double adam_best_lr = NAN;
    curve shown[N_OPT];
    memset(shown, 0, sizeof shown);
    int rc = WL_OK;
    wl_exp_log(ctx, "linear regression: d %zu, n %zu, batch %zu, %zu seeds", d, n, m, seeds);
    for (size_t s = 0; s < seeds && !rc; s++) {
        wl_rng r;
        wl_rng_seed(&r, ctx->seed * 1000 + s);
        wl_dataset ds = {0};
        double *w0 = wl_dalloc(d, "w0");
        wl_model *lin = NULL;
        wl_objective *obj = NULL;
        wl_spectral sp;
        if (!w0) return WL_ENOMEM;
        /* eigenvalues 10^(-3 i/(d-1)), rotated, planted w*, no noise */
        rc = wl_synth_linreg(&r, n, d, NULL, 3.0, 1, 0.0, &ds, NULL);
        wl_mat X = wl_dataset_X(&ds), Y = wl_dataset_Y(&ds);
        if (!rc) rc = wl_linear_new(d, 1, 0, &lin);
        if (!rc) rc = wl_objective_new(lin, WL_LOSS_MSE, &X, &Y, &obj);
        if (!rc) rc = wl_spectral_from_data(&X, &sp);
        wl_optim_config cfg[N_OPT];
        if (!rc) rc = configs(&sp, m, 1e-2, cfg);
        for (int o = 0; o < N_OPT && !rc; o++) {
            curve c = {0};
            if (o == 3 && s == 0) { /* Adam: best step of a small grid (seed 0), kept */
                curve best = {0};
                for (int a = 0; a < 3 && !rc; a++) {
                    cfg[3].lr = adam_lrs[a];
                    rc = run_curve(obj, w0, d, &cfg[3], s, max_steps, max_steps / 500, 10, target, &c);
                    int better = !best.loss || (c.hit && (!best.hit || c.hit < best.hit));
                    if (better) {
                        free(best.loss);
                        best = c;
                        adam_best_lr = adam_lrs[a];
                    } else free(c.loss);
                    memset(&c, 0, sizeof c);
                }
                c = best;
            } else {
                if (o == 3) cfg[3].lr = adam_best_lr;
                rc = run_curve(obj, w0, d, &cfg[o], s, max_steps, max_steps / 500, 10, target, &c);
            }
            if (rc) break;
            if (c.hit) {
                conv[o]++;
                steps_sum[o] += (double)c.hit;
            }
            div[o] += c.diverged;
            if (s == 0) shown[o] = c;
            else free(c.loss);
        }
        if (!rc && s == 0) {
            char buf[1024];
            wl_exp_log(ctx, "%s", wl_spectral_format(&sp, buf, sizeof buf));
        }
        wl_objective_free(obj);
        wl_model_free(lin);
        wl_dataset_free(&ds);
        free(w0);
    }
    if (!rc) rc = write_curves(ctx, "linreg_loss", "Gaussian linear regression (seed 0)", shown);
    free_curves(shown, N_OPT);
    if (rc) return rc;
    double mean[N_OPT];
    for (int o = 0; o < N_OPT; o++) mean[o] = conv[o] ? steps_sum[o] / (double)conv[o] : NAN;
    wl_json *j = ctx->summary;
    wl_json_obj(j, "linear_regression");
    wl_json_int(j, "d", (long long)d);
    wl_json_int(j, "n", (long long)n);
    wl_json_int(j, "batch", (long long)m);
    wl_json_int(j, "seeds", (long long)seeds);
    wl_json_num(j, "target_loss", target);
    for (int o = 0; o < N_OPT; o++) {
        wl_json_obj(j, opt_names[o]);
        wl_json_num(j, "mean_steps_to_target", mean[o]);
        wl_json_int(j, "converged", (long long)conv[o]);
        wl_json_int(j, "diverged", (long long)div[o]);
        wl_json_obj_end(j);
    }
    wl_json_num(j, "adam_lr", adam_best_lr);
    wl_json_obj_end(j);
    double speedup = mean[1] / mean[0];
    wl_exp_claim(res, "MaSS reaches the target loss in at least 3x fewer iterations than SGD at its optimal step (linear regression)",
                 conv[0] == seeds && conv[1] == seeds && speedup >= 3.0,
                 "steps to loss 1e-10, mean of %zu seeds: MaSS %.0f, SGD %.0f (%.1fx); converged %zu/%zu and %zu/%zu",
                 seeds, mean[0], mean[1], speedup, conv[0], seeds, conv[1], seeds);
    wl_exp_claim(res, "Nesterov SGD with eta = 1/L1 and gamma = 0.9 diverges where SGD converges",
                 2 * div[2] > seeds && conv[1] == seeds,
                 "Nesterov diverged in %zu of %zu seeds; SGD converged in %zu of %zu", div[2], seeds,
                 conv[1], seeds);
    wl_exp_claim(res, "Adam (best step of 1e-3, 1e-2, 1e-1 on the first seed) is slower than MaSS in the interpolation regime",
                 conv[0] == seeds && (conv[3] < seeds || mean[3] > mean[0]),
                 "Adam converged in %zu of %zu seeds, mean %.0f steps; MaSS %.0f", conv[3], seeds,
                 mean[3], mean[0]);
    return WL_OK;
}

/* ---- (b) kernel machine on Fashion-MNIST ---------------------------------------- */

static int load_fmnist(const wl_exp_ctx *ctx, size_t n, wl_dataset *ds) {
    wl_data_opts o;
    wl_data_opts_default(&o);
    o.data = "fashion-mnist:train";
    o.n_train = n;
    o.stratify = 1;
    o.targets = "onehot";
    o.seed = ctx->seed;
    return wl_data_prepare(&o, ds, NULL);
}

/* final training loss of each optimizer after a fixed budget */
static int part_kernel(const wl_exp_ctx *ctx, wl_exp_result *res) {
    const size_t n = ctx->quick ? 300 : 1000, m = 8, steps = ctx->quick ? 1500 : 10000;
    wl_dataset ds = {0};
    int rc = load_fmnist(ctx, n, &ds);
    if (rc) return rc;
    wl_mat X = wl_dataset_X(&ds), Y = wl_dataset_Y(&ds), K = {0};
    wl_kfun kf = {.kind = WL_KFUN_GAUSSIAN, .bandwidth = 5.0};
    wl_model *km = NULL;
    wl_objective *obj = NULL;
    wl_spectral sp;
    double *w0 = NULL;
    curve c[N_OPT];
    memset(c, 0, sizeof c);
    rc = wl_mat_alloc(&K, n, n);
    if (!rc) rc = wl_kfun_eval(&kf, &X, &X, &K);
    if (!rc) rc = wl_spectral_from_kernel(&K, &sp);
    if (!rc) rc = wl_kernel_model_new(&kf, &X, ds.k, 1, &km); /* functional gradient */
    if (!rc) rc = wl_objective_new(km, WL_LOSS_MSE, &X, &Y, &obj);
    if (!rc && !(w0 = wl_dalloc(km->dim, "kernel coefficients"))) rc = WL_ENOMEM;
    wl_optim_config cfg[N_OPT];
    if (!rc) rc = configs(&sp, m, 1e-2, cfg);
    wl_exp_log(ctx, "kernel machine: Gaussian kernel (bandwidth 5), %zu Fashion-MNIST images, batch %zu, %zu steps",
               n, m, steps);
    for (int o = 0; o < N_OPT && !rc; o++)
        rc = run_curve(obj, w0, km->dim, &cfg[o], ctx->seed, steps, steps / 50, 1, 0.0, &c[o]);
    if (!rc) rc = write_curves(ctx, "kernel_loss", "Gaussian kernel machine, Fashion-MNIST", c);
    if (!rc) {
        double fin[N_OPT];
        for (int o = 0; o < N_OPT; o++) fin[o] = c[o].diverged ? INFINITY : c[o].loss[c[o].n - 1];
        wl_json *j = ctx->summary;
        wl_json_obj(j, "kernel_machine");
        wl_json_int(j, "n", (long long)n);
        wl_json_int(j, "batch", (long long)m);
        wl_json_int(j, "steps", (long long)steps);
        wl_json_num(j, "kappa", sp.kappa_m);
        for (int o = 0; o < N_OPT; o++) wl_json_num(j, opt_names[o], fin[o]);
        wl_json_obj_end(j);
        wl_exp_claim(res, "on a kernel machine MaSS lowers the training loss faster than SGD (same steps, spectral settings)",
                     fin[0] < fin[1],
                     "training loss after %zu steps: MaSS %.3g, SGD %.3g, Nesterov %.3g%s, Adam %.3g",
                     steps, fin[0], fin[1], fin[2], c[2].diverged ? " (diverged)" : "", fin[3]);
    }
    free_curves(c, N_OPT);
    free(w0);
    wl_objective_free(obj);
    wl_model_free(km);
    wl_mat_free(&K);
    wl_dataset_free(&ds);
    return rc;
}

/* ---- (c) a wide network on Fashion-MNIST ----------------------------------------- */

static int part_network(const wl_exp_ctx *ctx, wl_exp_result *res) {
    const size_t n = ctx->quick ? 300 : 3000, steps = ctx->quick ? 80 : 1000, m = 32;
    const char *spec = ctx->quick ? "mlp:784-256-10:relu:ntk" : "mlp:784-1024x2-10:relu:ntk";
    wl_dataset ds = {0};
    int rc = load_fmnist(ctx, n, &ds);
    if (rc) return rc;
    wl_model *net = NULL;
    double *w0 = NULL;
    wl_rng r;
    wl_rng_seed(&r, ctx->seed);
    if (!(rc = wl_net_from_spec(spec, &net)) && !(w0 = wl_dalloc(net->dim, "w0"))) rc = WL_ENOMEM;
    if (!rc) rc = wl_model_init(net, &r, w0);
    wl_mat X = wl_dataset_X(&ds), Y = wl_dataset_Y(&ds);
    wl_mat Xs = wl_mat_rows(&X, 0, n < 512 ? n : 512);
    wl_spectral sp;
    wl_optim_config cfg[N_OPT];
    if (!rc) rc = wl_train_auto(net, w0, &Xs, m, NULL, &sp);
    if (!rc) rc = configs(&sp, m, 1e-3, cfg);
    /* Nesterov on networks: the SGD step with gamma 0.9 (a usable setting) */
    cfg[2].lr = cfg[1].lr;
    wl_objective *obj = NULL;
    if (!rc) rc = wl_objective_new(net, WL_LOSS_MSE, &X, &Y, &obj);
    curve c[N_OPT];
    memset(c, 0, sizeof c);
    wl_exp_log(ctx, "network %s on %zu Fashion-MNIST images, batch %zu, %zu steps", spec, n, m, steps);
    for (int o = 0; o < N_OPT && !rc; o++)
        rc = run_curve(obj, w0, net->dim, &cfg[o], ctx->seed, steps, steps / 20, 1, 0.0, &c[o]);
    if (!rc) rc = write_curves(ctx, "network_loss", "wide network, Fashion-MNIST", c);
    if (!rc) {
        double fin[N_OPT];
        for (int o = 0; o < N_OPT; o++) fin[o] = c[o].diverged ? INFINITY : c[o].loss[c[o].n - 1];
        wl_json *j = ctx->summary;
        wl_json_obj(j, "network");
        wl_json_str(j, "model", spec);
        wl_json_int(j, "n", (long long)n);
        wl_json_int(j, "steps", (long long)steps);
        for (int o = 0; o < N_OPT; o++) wl_json_num(j, opt_names[o], fin[o]);
        wl_json_obj_end(j);
        wl_exp_claim(res, "on a wide network MaSS (spectral eta1, gamma, eta2) trains at least as fast as SGD at the same step",
                     fin[0] <= fin[1],
                     "training loss after %zu steps: MaSS %.4g, SGD %.4g, Nesterov %.4g, Adam (lr 1e-3) %.4g",
                     steps, fin[0], fin[1], fin[2], fin[3]);
    }
    free_curves(c, N_OPT);
    wl_objective_free(obj);
    free(w0);
    wl_model_free(net);
    wl_dataset_free(&ds);
    return rc;
}

static int run_mass(const wl_exp_ctx *ctx, wl_exp_result *res) {
    int rc = part_linreg(ctx, res);
    if (!rc) rc = part_kernel(ctx, res);
    if (!rc) rc = part_network(ctx, res);
    return rc;
}

const wl_exp wl_exp_mass = {
    "mass", "Liu & Belkin, Accelerating SGD with momentum for over-parameterized learning (ICLR 2020)",
    "MaSS vs SGD, Nesterov SGD and Adam: linear regression, kernel machine, wide network",
    run_mass};
