/* Experiment `batch-size`: the critical batch size m* = beta/lambda_1 + 1
 * predicted from the spectrum, against a sweep of batch sizes at the optimal
 * step eta*(m) = m / (beta + (m - 1) lambda_1) (Ma, Bassily, Belkin 2018; SGD
 * batch saturation for wide networks). Steps to a target loss fall like 1/m
 * below m* (linear scaling) and saturate above it. */
#include "widelab/data.h"
#include "widelab/exp.h"
#include "widelab/net.h"
#include "widelab/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SIZES 16

/* Steps of SGD (batch m, step lr) until the full loss is <= target, checked on
 * a geometric grid of steps (5% resolution); max_steps + 1 if never. */
static int steps_to_target(wl_objective *obj, const double *w0, size_t dim, size_t m, double lr,
                           uint64_t seed, size_t max_steps, double target, double *steps) {
    wl_optim_config cfg = wl_optim_defaults(WL_OPT_SGD);
    cfg.lr = lr;
    cfg.batch = m;
    wl_optim *opt = NULL;
    wl_batcher *b = NULL;
    wl_rng r;
    wl_rng_seed(&r, seed);
    double *w = wl_dalloc(dim, "batch-size parameters"), L = NAN;
    int rc = w ? wl_optim_new(&cfg, dim, &opt) : WL_ENOMEM;
    if (!rc) rc = wl_batcher_new(wl_objective_n(obj), m, 0, &r, &b);
    if (!rc) memcpy(w, w0, dim * sizeof *w);
    *steps = (double)max_steps + 1;
    size_t t = 0, next = 1;
    while (!rc && t < max_steps) {
        size_t run = next - t;
        rc = wl_optim_run(opt, obj, b, w, run, NULL);
        if (rc == WL_ENUMERIC) {
            rc = WL_OK; /* diverged: never reaches the target */
            break;
        }
        t = next;
        if (!rc) rc = wl_objective_value(obj, w, NULL, 0, &L);
        if (rc == WL_ENUMERIC) { /* the loss overflowed: diverged */
            rc = WL_OK;
            break;
        }
        if (!rc && L <= target) {
            *steps = (double)t;
            break;
        }
        if (!rc && !isfinite(L)) break;
        next = (size_t)floor((double)t * 1.05);
        if (next <= t) next = t + 1;
        if (next > max_steps) next = max_steps;
    }
    wl_optim_free(opt);
    wl_batcher_free(b);
    free(w);
    return rc;
}

/* Smallest batch where the steps stop scaling: steps(m) m / steps(1) >= 2
 * (half the linear-scaling efficiency); interpolated in log m. */
static double knee(const size_t *ms, const double *steps, size_t n) {
    double prev = 1.0;
    for (size_t i = 1; i < n; i++) {
        double ratio = steps[i] * (double)ms[i] / steps[0];
        if (ratio >= 2.0) {
            double a = log((double)ms[i - 1]), b = log((double)ms[i]);
            double f = (2.0 - prev) / (ratio - prev);
            return exp(a + f * (b - a));
        }
        prev = ratio;
    }
    return INFINITY;
}

typedef struct sweep {
    size_t n;
    size_t ms[MAX_SIZES];
    double steps[MAX_SIZES], lr[MAX_SIZES];
    double beta, lambda1, m_star, knee;
    double slope_lo, slope_hi;
} sweep;

/* The sweep over batch sizes 1, 2, 4, ... up to n_data, averaged over seeds. */
static int run_sweep(const wl_exp_ctx *ctx, wl_objective *obj, const double *w0, size_t dim,
                     const wl_spectral *sp, size_t n_data, size_t seeds, size_t max_steps,
                     double target, sweep *s) {
    s->beta = sp->beta;
    s->lambda1 = sp->L;
    s->m_star = sp->beta / sp->L + 1.0;
    s->n = 0;
    for (size_t m = 1; m <= n_data && s->n < MAX_SIZES; m *= 2) s->ms[s->n++] = m;
    for (size_t i = 0; i < s->n; i++) {
        double m = (double)s->ms[i], sum = 0;
        s->lr[i] = m / (sp->beta + (m - 1.0) * sp->L);
        for (size_t k = 0; k < seeds; k++) {
            double st;
            int rc = steps_to_target(obj, w0, dim, s->ms[i], s->lr[i], ctx->seed * 100 + k,
                                     max_steps, target, &st);
            if (rc) return rc;
            sum += log(st);
        }
        s->steps[i] = exp(sum / (double)seeds); /* geometric mean over seeds */
        wl_exp_log(ctx, "batch %4zu: eta %.4g, steps to target %.0f", s->ms[i], s->lr[i], s->steps[i]);
    }
    s->knee = knee(s->ms, s->steps, s->n);
    /* slopes of log steps vs log m well below and well above m* */
    double xs[MAX_SIZES], ys[MAX_SIZES], xl[MAX_SIZES], yl[MAX_SIZES];
    size_t nlo = 0, nhi = 0;
    for (size_t i = 0; i < s->n; i++) {
        if ((double)s->ms[i] <= s->m_star / 2) xs[nlo] = (double)s->ms[i], ys[nlo++] = s->steps[i];
        if ((double)s->ms[i] >= 4 * s->m_star) xl[nhi] = (double)s->ms[i], yl[nhi++] = s->steps[i];
    }
    wl_loglog_slope(nlo, xs, ys, &s->slope_lo, NULL);
    wl_loglog_slope(nhi, xl, yl, &s->slope_hi, NULL);
    return WL_OK;
}

static int write_sweep(const wl_exp_ctx *ctx, const char *stem, const char *title, const sweep *s) {
    char path[4096];
    const char *cols[] = {"batch", "lr", "steps", "linear_scaling"};
    wl_table *t;
    int rc = wl_table_new(4, cols, &t);
    double x[MAX_SIZES], lin[MAX_SIZES];
    for (size_t i = 0; i < s->n && !rc; i++) {
        x[i] = (double)s->ms[i];
        lin[i] = s->steps[0] / x[i];
        double row[4] = {x[i], s->lr[i], s->steps[i], lin[i]};
        rc = wl_table_append(t, row);
    }
    snprintf(path, sizeof path, "%s/%s.csv", ctx->out_dir, stem);
    if (!rc) rc = wl_table_write_csv(t, path);
    wl_table_free(t);
    if (rc) return rc;
    wl_plot p;
    wl_plot_init(&p, title, "batch size m", "SGD steps to target loss");
    p.log_x = p.log_y = 1;
    wl_plot_series(&p, "measured, eta*(m)", s->n, x, s->steps);
    wl_plot_series(&p, "linear scaling steps(1)/m", s->n, x, lin);
    /* m* as a vertical marker: two points */
    double mx[2] = {s->m_star, s->m_star}, my[2] = {s->steps[s->n - 1], s->steps[0]};
    wl_plot_series(&p, "predicted m*", 2, mx, my);
    snprintf(path, sizeof path, "%s/%s.svg", ctx->out_dir, stem);
    return wl_plot_write_svg(&p, path);
}

static void json_sweep(wl_json *j, const char *key, const sweep *s) {
    wl_json_obj(j, key);
    wl_json_num(j, "beta", s->beta);
    wl_json_num(j, "lambda_1", s->lambda1);
    wl_json_num(j, "m_star_predicted", s->m_star);
    wl_json_num(j, "m_knee_measured", s->knee);
    wl_json_num(j, "slope_below", s->slope_lo);
    wl_json_num(j, "slope_above", s->slope_hi);
    double ms[MAX_SIZES];
    for (size_t i = 0; i < s->n; i++) ms[i] = (double)s->ms[i];
    wl_json_nums(j, "batch", ms, s->n);
    wl_json_nums(j, "steps", s->steps, s->n);
    wl_json_obj_end(j);
}

static int part_linreg(const wl_exp_ctx *ctx, wl_exp_result *res) {
    const size_t d = 20, n = ctx->quick ? 256 : 1024, seeds = ctx->quick ? 2 : 5;
    wl_rng r;
    wl_rng_seed(&r, ctx->seed);
    wl_dataset ds = {0};
    wl_model *lin = NULL;
    wl_objective *obj = NULL;
    wl_spectral sp;
    double w0[20] = {0}, L0 = 0;
    /* covariance eigenvalues 10^(-i/(d-1)): one decade, beta/lambda_1 ~ 10-20 */
    int rc = wl_synth_linreg(&r, n, d, NULL, 1.0, 1, 0.0, &ds, NULL);
    wl_mat X = wl_dataset_X(&ds), Y = wl_dataset_Y(&ds);
    if (!rc) rc = wl_linear_new(d, 1, 0, &lin);
    if (!rc) rc = wl_objective_new(lin, WL_LOSS_MSE, &X, &Y, &obj);
    if (!rc) rc = wl_spectral_from_data(&X, &sp);
    if (!rc) rc = wl_objective_value(obj, w0, NULL, 0, &L0);
    sweep s;
    wl_exp_log(ctx, "linear regression d %zu, n %zu", d, n);
    if (!rc) rc = run_sweep(ctx, obj, w0, d, &sp, n, seeds, 200000, 1e-8 * L0, &s);
    if (!rc) rc = write_sweep(ctx, "linreg_batch", "linear regression: steps vs batch size", &s);
    if (!rc) {
        json_sweep(ctx->summary, "linear_regression", &s);
        double ratio = s.knee / s.m_star;
        wl_exp_claim(res, "linear scaling below the critical batch size: steps ~ 1/m",
                     s.slope_lo < -0.7 && s.slope_lo > -1.3,
                     "log-log slope of steps vs m for m <= m*/2 (m* = %.1f): %.2f", s.m_star, s.slope_lo);
        wl_exp_claim(res, "saturation above the critical batch size: larger batches stop paying",
                     fabs(s.slope_hi) < 0.3,
                     "log-log slope of steps vs m for m >= 4 m*: %.2f", s.slope_hi);
        wl_exp_claim(res, "the measured knee matches m* = beta/lambda_1 + 1 from the spectrum (within 2x)",
                     ratio > 0.5 && ratio < 2.0,
                     "predicted m* %.1f (beta %.3g, lambda_1 %.3g), measured knee %.1f (ratio %.2f)",
                     s.m_star, s.beta, s.lambda1, s.knee, ratio);
    }
    wl_objective_free(obj);
    wl_model_free(lin);
    wl_dataset_free(&ds);
    return rc;
}

static int part_network(const wl_exp_ctx *ctx, wl_exp_result *res) {
    const size_t n = ctx->quick ? 128 : 512, seeds = ctx->quick ? 1 : 2;
    const char *spec = ctx->quick ? "mlp:784-256-1:relu:ntk" : "mlp:784-1024-1:relu:ntk";
    wl_data_opts o;
    wl_data_opts_default(&o);
    o.data = "fashion-mnist:train";
    o.classes = "0,9"; /* t-shirt vs ankle boot, targets +-1 */
    o.targets = "pm1";
    o.n_train = n;
    o.stratify = 1;
    o.normalize = "standardize"; /* centred pixels of unit variance: z = O(1) at init */
    o.seed = ctx->seed;
    wl_dataset ds = {0};
    int rc = wl_data_prepare(&o, &ds, NULL);
    if (rc) return rc;
    wl_model *net = NULL;
    double *w0 = NULL, L0 = 0;
    wl_rng r;
    wl_rng_seed(&r, ctx->seed);
    if (!(rc = wl_net_from_spec(spec, &net)) && !(w0 = wl_dalloc(net->dim, "w0"))) rc = WL_ENOMEM;
    if (!rc) rc = wl_model_init(net, &r, w0);
    wl_mat X = wl_dataset_X(&ds), Y = wl_dataset_Y(&ds);
    wl_spectral sp;
    wl_objective *obj = NULL;
    if (!rc) rc = wl_train_auto(net, w0, &X, 1, NULL, &sp); /* NTK of the whole training set */
    if (!rc) rc = wl_objective_new(net, WL_LOSS_MSE, &X, &Y, &obj);
    if (!rc) rc = wl_objective_value(obj, w0, NULL, 0, &L0);
    sweep s;
    wl_exp_log(ctx, "network %s on %zu Fashion-MNIST images (2 classes)", spec, n);
    if (!rc) rc = run_sweep(ctx, obj, w0, net->dim, &sp, n, seeds, ctx->quick ? 3000 : 20000,
                            1e-2 * L0, &s);
    if (!rc) rc = write_sweep(ctx, "network_batch", "wide network: steps vs batch size", &s);
    if (!rc) {
        json_sweep(ctx->summary, "network", &s);
        double ratio = s.knee / s.m_star;
        int reached = 1;
        for (size_t i = 0; i < s.n; i++) reached &= s.steps[i] <= (ctx->quick ? 3000 : 30000);
        wl_exp_claim(res, "for a wide network the critical batch size predicted from the tangent kernel (beta = max K_ii, lambda_1 = lambda_max(K)/n) matches the measured saturation (within 4x)",
                     reached && ratio > 0.25 && ratio < 4.0,
                     "NTK-predicted m* %.1f, measured knee %.1f (ratio %.2f); slope below %.2f, above %.2f%s",
                     s.m_star, s.knee, ratio, s.slope_lo, s.slope_hi,
                     reached ? "" : "; some batch sizes never reached the target");
    }
    wl_objective_free(obj);
    free(w0);
    wl_model_free(net);
    wl_dataset_free(&ds);
    return rc;
}

static int run_batch_size(const wl_exp_ctx *ctx, wl_exp_result *res) {
    int rc = part_linreg(ctx, res);
    if (!rc) rc = part_network(ctx, res);
    return rc;
}

const wl_exp wl_exp_batch_size = {
    "batch-size",
    "Ma, Bassily, Belkin, The power of interpolation (ICML 2018); Liu, Drusvyatskiy, Belkin et al., SGD batch saturation for training wide neural networks (2023)",
    "critical batch size from the spectrum vs a measured sweep: linear scaling then saturation",
    run_batch_size};
