/* catapult: GD across the critical learning rate for a wide 2-layer network,
 * its linearization and its quadratic model (Zhu, Liu, Radhakrishnan, Belkin,
 * "Quadratic models for understanding neural network dynamics"; Lewkowycz et
 * al., "The large learning rate phase of deep learning: the catapult
 * mechanism").
 *
 * eta_crit = 2 / lambda_max(H_L(w0)) = 2 n / lambda_max(K0) (mean MSE with
 * the 1/2: L = (1/2n) sum (f_i - y_i)^2, H_L = J^T J / n + ...). Each model is
 * trained by full-batch GD (the trainer) at eta = c eta_crit for several c;
 * the train loss is recorded every step and lambda_max(K)/n every few steps. */
#include "widelab/exp.h"
#include "widelab/curv.h"
#include "widelab/kernel.h"
#include "widelab/net.h"
#include "widelab/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { N_MODELS = 3, MAX_LR = 8 };
static const char *const model_names[N_MODELS] = {"network", "linear", "quadratic"};

/* Thresholds of the claims (also in docs/papers/catapult.md). */
#define CONVERGED_FRAC 1e-2 /* converged: final loss < 1e-2 L0 */
#define MONO_RISE 1.05      /* monotone-ish: loss never above 1.05 L0 */
#define CATAPULT_RISE 2.0   /* catapult: peak loss > 2 L0, then converged */
#define DIVERGE_RISE 1e3    /* diverged: NaN/Inf or final loss > 1e3 L0 */

typedef struct cat_setting {
    size_t n, d, width, steps, kernel_every;
    const char *act;
    size_t nlr;
    double factors[MAX_LR];
} cat_setting;

typedef struct cat_run {
    double L0, peak, final, lam_final; /* lam: lambda_max(K)/n */
    int diverged, converged, mono, catapult;
    size_t nsteps, nk;  /* curve lengths */
    double *steps, *loss, *ksteps, *klam;
} cat_run;

static void cat_run_free(cat_run *r) {
    free(r->steps);
    free(r->loss);
    free(r->ksteps);
    free(r->klam);
}

/* lambda_max(K(w))/n on X, K the per-output tangent kernel (n x n). */
static int kernel_top(wl_model *m, const double *w, const wl_mat *X, double *lam) {
    wl_mat K = {0};
    int rc = wl_ntk_empirical(m, w, X, NULL, NULL, &K);
    if (rc) return rc;
    double *eig = wl_dalloc(K.rows, "kernel eigenvalues");
    if (!eig) rc = WL_ENOMEM;
    if (!rc) rc = wl_ntk_eigvals(&K, eig);
    if (!rc) *lam = eig[K.rows - 1] / (double)m->n_out / (double)X->rows;
    free(eig);
    wl_mat_free(&K);
    return rc;
}

/* Non-empty cells of column `name` (and their steps) copied out. */
static int take_column(const wl_table *t, const char *name, double **xs, double **ys, size_t *n) {
    long c = wl_table_col(t, name), cs = wl_table_col(t, "step");
    size_t rows = wl_table_nrows(t), k = 0;
    *xs = wl_dalloc(rows ? rows : 1, "curve");
    *ys = wl_dalloc(rows ? rows : 1, "curve");
    if (!*xs || !*ys) return WL_ENOMEM;
    if (c < 0) return wl_seterr(WL_EINVAL, "catapult: no metrics column %s", name);
    for (size_t r = 0; r < rows; r++) {
        double v = wl_table_get(t, r, (size_t)c);
        if (isnan(v)) continue;
        (*xs)[k] = wl_table_get(t, r, (size_t)cs);
        (*ys)[k++] = v;
    }
    *n = k;
    return WL_OK;
}

/* GD on model m from w0 at step size lr; fills r. */
static int train_one(wl_model *m, const double *w0, const wl_dataset *ds, double lr,
                     const cat_setting *s, uint64_t seed, cat_run *r) {
    wl_optim_config oc = wl_optim_defaults(WL_OPT_GD);
    oc.lr = lr;
    oc.batch = 0;
    wl_train_config tc;
    wl_train_defaults(&tc);
    tc.steps = s->steps;
    tc.eval_every = 1;
    tc.probe_n = ds->n;
    tc.seed = seed;
    wl_trainer *t;
    int rc = wl_trainer_new(m, WL_LOSS_MSE, ds, NULL, NULL, &oc, &tc, w0, &t);
    if (rc) return rc;
    char spec[32];
    snprintf(spec, sizeof spec, "kernel:%zu", s->kernel_every);
    if ((rc = wl_trainer_add_probe(t, spec))) goto done;
    rc = wl_trainer_run(t, NULL, NULL);
    r->diverged = rc == WL_ENUMERIC;
    if (rc && rc != WL_ENUMERIC) goto done;
    rc = WL_OK;
    const wl_table *mt = wl_trainer_metrics(t);
    if ((rc = take_column(mt, "train_loss", &r->steps, &r->loss, &r->nsteps))) goto done;
    if ((rc = take_column(mt, "ntk_lambda_max", &r->ksteps, &r->klam, &r->nk))) goto done;
    for (size_t i = 0; i < r->nk; i++) r->klam[i] /= (double)ds->n;
    r->L0 = r->loss[0];
    r->peak = r->L0;
    for (size_t i = 0; i < r->nsteps; i++)
        if (!(r->loss[i] <= r->peak)) r->peak = r->loss[i]; /* NaN counts as a peak */
    r->final = r->diverged ? INFINITY : r->loss[r->nsteps - 1];
    r->lam_final = NAN;
    if (!r->diverged && isfinite(r->final)) {
        wl_mat X = wl_mat_view(ds->X, ds->n, ds->d);
        if ((rc = kernel_top(m, wl_trainer_params(t), &X, &r->lam_final))) goto done;
    }
    r->diverged |= !isfinite(r->final) || r->final > DIVERGE_RISE * r->L0;
    r->converged = !r->diverged && r->final < CONVERGED_FRAC * r->L0;
    r->mono = r->converged && r->peak <= MONO_RISE * r->L0;
    r->catapult = r->converged && r->peak > CATAPULT_RISE * r->L0 && r->lam_final < 2.0 / lr;
done:
    wl_trainer_free(t);
    return rc;
}

static void settings(int quick, cat_setting *s) {
    memset(s, 0, sizeof *s);
    if (quick) {
        *s = (cat_setting){.n = 16, .d = 8, .width = 512, .steps = 150, .kernel_every = 5,
                           .act = "relu", .nlr = 4, .factors = {0.5, 1.2, 1.6, 2.5}};
    } else {
        *s = (cat_setting){.n = 32, .d = 16, .width = 2048, .steps = 300, .kernel_every = 4,
                           .act = "relu", .nlr = 6, .factors = {0.5, 0.9, 1.2, 1.5, 1.8, 2.5}};
    }
}

typedef struct cat_state {
    cat_setting s;
    wl_dataset ds;
    wl_model *models[N_MODELS];
    double *w0;
    double lam0, eta_crit;
    cat_run runs[N_MODELS][MAX_LR];
} cat_state;

static int setup(const wl_exp_ctx *ctx, cat_state *st) {
    wl_rng rng;
    wl_rng_seed(&rng, ctx->seed);
    wl_rng rd = wl_rng_split(&rng, 1), ri = wl_rng_split(&rng, 2);
    int rc = wl_synth_teacher(&rd, st->s.n, st->s.d, 16, 1, WL_SYNTH_TANH, 0.0, &st->ds);
    if (rc) return rc;
    char spec[128];
    snprintf(spec, sizeof spec, "mlp:%zu-%zu-1:%s:ntk", st->s.d, st->s.width, st->s.act);
    if ((rc = wl_net_from_spec(spec, &st->models[0]))) return rc;
    if (!(st->w0 = wl_dalloc(st->models[0]->dim, "w0"))) return WL_ENOMEM;
    if ((rc = wl_model_init(st->models[0], &ri, st->w0))) return rc;
    if ((rc = wl_taylor_new(st->models[0], st->w0, 1, &st->models[1]))) return rc;
    if ((rc = wl_taylor_new(st->models[0], st->w0, 2, &st->models[2]))) return rc;
    wl_mat X = wl_mat_view(st->ds.X, st->ds.n, st->ds.d);
    if ((rc = kernel_top(st->models[0], st->w0, &X, &st->lam0))) return rc;
    st->eta_crit = 2.0 / st->lam0;
    wl_exp_log(ctx, "catapult: %s, n = %zu, lambda_max(K0)/n = %.4g, eta_crit = %.4g", spec,
               st->ds.n, st->lam0, st->eta_crit);
    return WL_OK;
}

static int write_tables(const wl_exp_ctx *ctx, cat_state *st) {
    static const char *cols[] = {"model", "lr_factor", "lr", "two_over_lr", "loss0", "peak_loss",
                                 "final_loss", "lambda0", "lambda_final", "diverged", "catapult"};
    static const char *ccols[] = {"model", "lr_factor", "step", "train_loss", "lambda_over_n"};
    wl_table *t = NULL, *c = NULL;
    int rc = wl_table_new(11, cols, &t);
    if (!rc) rc = wl_table_new(5, ccols, &c);
    for (size_t j = 0; !rc && j < st->s.nlr; j++)
        for (int m = 0; !rc && m < N_MODELS; m++) {
            cat_run *r = &st->runs[m][j];
            double lr = st->s.factors[j] * st->eta_crit;
            double row[11] = {m, st->s.factors[j], lr, 2.0 / lr, r->L0, r->peak, r->final,
                              st->lam0, r->lam_final, r->diverged, r->catapult};
            rc = wl_table_append(t, row);
            for (size_t i = 0, k = 0; !rc && i < r->nsteps; i++) {
                while (k < r->nk && r->ksteps[k] < r->steps[i]) k++;
                double lam = k < r->nk && r->ksteps[k] == r->steps[i] ? r->klam[k] : NAN;
                double crow[5] = {m, st->s.factors[j], r->steps[i], r->loss[i], lam};
                rc = wl_table_append(c, crow);
            }
        }
    if (!rc) rc = wl_exp_write_csv(ctx, "catapult.csv", t);
    if (!rc) rc = wl_exp_write_csv(ctx, "curves.csv", c);
    wl_table_free(t);
    wl_table_free(c);
    return rc;
}

static int write_plots(const wl_exp_ctx *ctx, cat_state *st) {
    char lab[64];
    wl_plot p;
    int rc = WL_OK;
    /* network loss at every step size */
    wl_plot_init(&p, "catapult: network train loss (GD)", "step", "train loss");
    p.log_y = 1;
    for (size_t j = 0; !rc && j < st->s.nlr; j++) {
        snprintf(lab, sizeof lab, "eta = %.2g eta_crit", st->s.factors[j]);
        rc = wl_plot_series(&p, lab, st->runs[0][j].nsteps, st->runs[0][j].steps,
                            st->runs[0][j].loss);
    }
    if (!rc) rc = wl_exp_write_svg(ctx, "catapult_loss.svg", &p);
    /* the three models at the first step size of the catapult range */
    size_t jc = 0;
    while (jc + 1 < st->s.nlr && st->s.factors[jc] <= 1.0) jc++;
    snprintf(lab, sizeof lab, "eta = %.2g eta_crit: three models", st->s.factors[jc]);
    wl_plot_init(&p, lab, "step", "train loss");
    p.log_y = 1;
    for (int m = 0; !rc && m < N_MODELS; m++)
        rc = wl_plot_series(&p, model_names[m], st->runs[m][jc].nsteps, st->runs[m][jc].steps,
                            st->runs[m][jc].loss);
    if (!rc) rc = wl_exp_write_svg(ctx, "catapult_models.svg", &p);
    /* kernel top eigenvalue of the network against 2/eta */
    wl_plot_init(&p, "network: lambda_max(K)/n during GD", "step", "lambda_max(K)/n");
    for (size_t j = 0; !rc && j < st->s.nlr; j++) {
        snprintf(lab, sizeof lab, "eta = %.2g eta_crit", st->s.factors[j]);
        rc = wl_plot_series(&p, lab, st->runs[0][j].nk, st->runs[0][j].ksteps,
                            st->runs[0][j].klam);
        if (!rc && st->s.factors[j] > 1.0 && p.nhlines < 4) {
            snprintf(lab, sizeof lab, "2/eta (%.2g eta_crit)", st->s.factors[j]);
            wl_plot_hline(&p, 2.0 / (st->s.factors[j] * st->eta_crit), lab);
        }
    }
    if (!rc) rc = wl_exp_write_svg(ctx, "catapult_kernel.svg", &p);
    return rc;
}

static void write_summary(const wl_exp_ctx *ctx, cat_state *st) {
    wl_json *js = ctx->summary;
    wl_json_num(js, "lambda0_over_n", st->lam0);
    wl_json_num(js, "eta_crit", st->eta_crit);
    wl_json_nums(js, "lr_factors", st->s.factors, st->s.nlr);
    wl_json_obj(js, "models");
    for (int m = 0; m < N_MODELS; m++) {
        double peak[MAX_LR], fin[MAX_LR], lam[MAX_LR], div[MAX_LR];
        for (size_t j = 0; j < st->s.nlr; j++) {
            cat_run *r = &st->runs[m][j];
            peak[j] = r->peak / r->L0;
            fin[j] = r->final / r->L0;
            lam[j] = r->lam_final;
            div[j] = r->diverged;
        }
        wl_json_obj(js, model_names[m]);
        wl_json_num(js, "loss0", st->runs[m][0].L0);
        wl_json_nums(js, "peak_over_loss0", peak, st->s.nlr);
        wl_json_nums(js, "final_over_loss0", fin, st->s.nlr);
        wl_json_nums(js, "lambda_final_over_n", lam, st->s.nlr);
        wl_json_nums(js, "diverged", div, st->s.nlr);
        wl_json_obj_end(js);
    }
    wl_json_obj_end(js);
}

/* Appends "f: peak/L0 final/L0 lam" of runs[m][j] for the factors in [lo, hi). */
static void describe(char *buf, size_t cap, cat_state *st, int m, double lo, double hi) {
    size_t len = strlen(buf);
    for (size_t j = 0; j < st->s.nlr && len < cap; j++) {
        if (st->s.factors[j] < lo || st->s.factors[j] >= hi) continue;
        cat_run *r = &st->runs[m][j];
        len += (size_t)snprintf(buf + len, cap - len, " %s@%.2g: peak %.3g L0, final %.3g L0%s;",
                                model_names[m], st->s.factors[j], r->peak / r->L0,
                                r->final / r->L0, r->diverged ? " (diverged)" : "");
    }
}

static void claims(cat_state *st, wl_exp_result *res) {
    char buf[512];
    int below = 1, cat = 1, lin = 1, above = 1, nb = 0, nc = 0, na = 0;
    for (size_t j = 0; j < st->s.nlr; j++) {
        double f = st->s.factors[j];
        if (f < 1.0) {
            nb++;
            for (int m = 0; m < N_MODELS; m++) below &= st->runs[m][j].mono;
        } else if (f < 2.0) {
            nc++;
            cat &= st->runs[0][j].catapult && st->runs[2][j].catapult;
            lin &= st->runs[1][j].diverged;
        } else {
            na++;
            above &= st->runs[0][j].diverged && st->runs[1][j].diverged;
        }
    }
    buf[0] = 0;
    for (int m = 0; m < N_MODELS; m++) describe(buf, sizeof buf, st, m, 0.0, 1.0);
    wl_exp_claim(res, "below eta_crit the network, its linearization and its quadratic model "
                      "all converge without a loss rise",
                 below && nb > 0, "eta_crit = %.4g (thresholds: peak <= %.3g L0, final < %.0e L0):%s",
                 st->eta_crit, MONO_RISE, CONVERGED_FRAC, buf);
    buf[0] = 0;
    describe(buf, sizeof buf, st, 0, 1.0, 2.0);
    describe(buf, sizeof buf, st, 2, 1.0, 2.0);
    size_t len = strlen(buf);
    for (size_t j = 0; j < st->s.nlr && len < sizeof buf; j++)
        if (st->s.factors[j] > 1.0 && st->s.factors[j] < 2.0)
            len += (size_t)snprintf(buf + len, sizeof buf - len, " lam_net@%.2g %.3g vs 2/eta %.3g;",
                                    st->s.factors[j], st->runs[0][j].lam_final,
                                    2.0 / (st->s.factors[j] * st->eta_crit));
    wl_exp_claim(res, "for eta in (eta_crit, 2 eta_crit) the network and the quadratic model "
                      "catapult: the loss rises, lambda_max(K)/n falls below 2/eta, the loss "
                      "converges",
                 cat && nc > 0, "(thresholds: peak > %.1f L0, final < %.0e L0, lambda_final < 2/eta):%s",
                 CATAPULT_RISE, CONVERGED_FRAC, buf);
    buf[0] = 0;
    describe(buf, sizeof buf, st, 1, 1.0, 2.0);
    wl_exp_claim(res, "for eta in (eta_crit, 2 eta_crit) the linear model diverges", lin && nc > 0,
                 "(threshold: NaN/Inf or final > %.0e L0):%s", DIVERGE_RISE, buf);
    buf[0] = 0;
    for (int m = 0; m < N_MODELS; m++) describe(buf, sizeof buf, st, m, 2.0, 1e9);
    wl_exp_claim(res, "above 2 eta_crit the network and the linear model diverge",
                 above && na > 0, "(threshold: NaN/Inf or final > %.0e L0):%s", DIVERGE_RISE, buf);
}

static int run(const wl_exp_ctx *ctx, wl_exp_result *res) {
    cat_state *st = calloc(1, sizeof *st);
    if (!st) return wl_seterr(WL_ENOMEM, "catapult: out of memory");
    settings(ctx->quick, &st->s);
    int rc = setup(ctx, st);
    for (size_t j = 0; !rc && j < st->s.nlr; j++)
        for (int m = 0; !rc && m < N_MODELS; m++) {
            double lr = st->s.factors[j] * st->eta_crit;
            rc = train_one(st->models[m], st->w0, &st->ds, lr, &st->s, ctx->seed, &st->runs[m][j]);
            if (!rc)
                wl_exp_log(ctx, "%-9s eta = %.2f eta_crit: peak %.3g L0, final %.3g L0, "
                                "lambda/n %.4g (2/eta %.4g)%s",
                           model_names[m], st->s.factors[j], st->runs[m][j].peak / st->runs[m][j].L0,
                           st->runs[m][j].final / st->runs[m][j].L0, st->runs[m][j].lam_final,
                           2.0 / lr, st->runs[m][j].diverged ? " diverged" : "");
        }
    if (!rc) rc = write_tables(ctx, st);
    if (!rc) rc = write_plots(ctx, st);
    if (!rc) {
        write_summary(ctx, st);
        claims(st, res);
    }
    for (int m = 0; m < N_MODELS; m++) {
        for (size_t j = 0; j < MAX_LR; j++) cat_run_free(&st->runs[m][j]);
        wl_model_free(st->models[m]);
    }
    wl_dataset_free(&st->ds);
    free(st->w0);
    free(st);
    return rc;
}

const wl_exp wl_exp_catapult = {
    "catapult", "Zhu, Liu, Radhakrishnan, Belkin, Quadratic models for understanding neural "
                "network dynamics (2022); Lewkowycz et al. (2020)",
    "GD across eta_crit = 2n/lambda_max(K0): network vs linear vs quadratic model", run};
