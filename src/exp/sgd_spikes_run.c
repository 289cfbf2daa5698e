/* sgd-spikes experiment: one SGD run per batch size, its spike statistics,
 * and the run directory's tables and plots. */
#include "sgd_spikes.h"

#include "widelab/probe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void sp_run_free(sp_run *r) {
    free(r->step);
    free(r->loss);
    free(r->test);
    free(r->lam);
    free(r->astep);
    free(r->align);
    memset(r, 0, sizeof *r);
}

static double col(const wl_table *t, size_t row, long c) {
    return c < 0 ? NAN : wl_table_get(t, row, (size_t)c);
}

/* Spikes of the full training loss; lambda_max(K) before/after each, and the
 * change of lambda_max per step inside and outside spikes. */
static void spike_stats(sp_run *r) {
    wl_spikes s;
    wl_spikes_init(&s, SP_FACTOR);
    double lam_before = NAN;
    for (size_t i = 1; i < r->n; i++) {
        int ev = wl_spikes_update(&s, (size_t)r->step[i], r->loss[i]);
        if (ev == 1) lam_before = r->lam[i - 1];
        if (ev == 2 && r->lam[i] < lam_before) r->lam_drops++;
        double dl = r->lam[i] - r->lam[i - 1];
        if (s.in_spike || ev == 2) {
            r->dlam_in += dl;
            r->steps_in++;
        } else {
            r->dlam_out += dl;
            r->steps_out++;
        }
    }
    r->spikes = s.count;
}

static int collect(const wl_table *t, double lr, sp_run *r) {
    size_t rows = wl_table_nrows(t);
    long cs = wl_table_col(t, "step"), cl = wl_table_col(t, "train_loss"),
         ct = wl_table_col(t, "test_loss"), ck = wl_table_col(t, "ntk_lambda_max"),
         ca = wl_table_col(t, "agop_align"), cc = wl_table_col(t, "batch_crit_lr");
    r->step = wl_dalloc(rows + 1, "curve");
    r->loss = wl_dalloc(rows + 1, "curve");
    r->test = wl_dalloc(rows + 1, "curve");
    r->lam = wl_dalloc(rows + 1, "curve");
    r->astep = wl_dalloc(rows + 1, "curve");
    r->align = wl_dalloc(rows + 1, "curve");
    if (!r->step || !r->loss || !r->test || !r->lam || !r->astep || !r->align) return WL_ENOMEM;
    size_t above = 0, ncrit = 0;
    for (size_t i = 0; i < rows; i++) {
        r->step[r->n] = col(t, i, cs);
        r->loss[r->n] = col(t, i, cl);
        r->test[r->n] = col(t, i, ct);
        r->lam[r->n++] = col(t, i, ck);
        double a = col(t, i, ca), c = col(t, i, cc);
        if (!isnan(a)) {
            r->astep[r->na] = col(t, i, cs);
            r->align[r->na++] = a;
        }
        if (!isnan(c)) {
            ncrit++;
            above += lr > c;
        }
    }
    if (r->n == 0 || r->na == 0) return wl_seterr(WL_EINVAL, "sgd-spikes: empty metrics");
    r->frac_above_crit = ncrit ? (double)above / (double)ncrit : NAN;
    r->lam0 = r->lam[0];
    r->lam_final = r->lam[r->n - 1];
    r->align0 = r->align[0];
    r->align_final = r->align[r->na - 1];
    r->train_final = r->loss[r->n - 1];
    r->test_final = r->test[r->n - 1];
    spike_stats(r);
    return WL_OK;
}

int sp_train(sp_state *st, size_t j, uint64_t seed) {
    wl_optim_config oc = wl_optim_defaults(WL_OPT_SGD);
    oc.lr = st->lr;
    oc.batch = st->s.batches[j];
    wl_train_config tc;
    wl_train_defaults(&tc);
    tc.steps = st->s.steps;
    tc.eval_every = 1;
    tc.eval_max = st->train.n;
    tc.probe_n = st->s.probe_n;
    tc.spike_factor = SP_FACTOR;
    tc.seed = seed; /* same probe sample for every batch size */
    wl_trainer *t;
    int rc = wl_trainer_new(st->model, WL_LOSS_MSE, &st->train, &st->test, NULL, &oc, &tc, st->w0,
                            &t);
    if (rc) return rc;
    char spec[32];
    snprintf(spec, sizeof spec, "agop:%zu", st->s.agop_every);
    if (!(rc = wl_trainer_add_probe(t, "kernel:1")) && !(rc = wl_trainer_add_probe(t, spec)) &&
        !(rc = wl_trainer_add_probe(t, "spikes:1:crit")))
        rc = wl_trainer_set_agop_target(t, &st->G);
    if (!rc) rc = wl_trainer_run(t, NULL, NULL);
    if (rc == WL_ENUMERIC) {
        st->runs[j].diverged = 1;
        rc = WL_OK;
    }
    if (!rc) rc = collect(wl_trainer_metrics(t), st->lr, &st->runs[j]);
    wl_trainer_free(t);
    return rc;
}

/* ---- Spearman rank correlation ------------------------------------------------ */

static void ranks(size_t n, const double *x, double *r) {
    for (size_t i = 0; i < n; i++) {
        double less = 0, eq = 0;
        for (size_t k = 0; k < n; k++) {
            less += x[k] < x[i];
            eq += x[k] == x[i];
        }
        r[i] = less + (eq + 1) / 2.0; /* average rank of the tie group, 1-based */
    }
}

double sp_spearman(size_t n, const double *x, const double *y) {
    if (n < 2 || n > SP_MAX_B) return NAN;
    double rx[SP_MAX_B], ry[SP_MAX_B], mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    ranks(n, x, rx);
    ranks(n, y, ry);
    for (size_t i = 0; i < n; i++) mx += rx[i] / (double)n, my += ry[i] / (double)n;
    for (size_t i = 0; i < n; i++) {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx) * (rx[i] - mx);
        syy += (ry[i] - my) * (ry[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

/* ---- outputs ------------------------------------------------------------------- */

static int write_tables(const wl_exp_ctx *ctx, sp_state *st) {
    static const char *cols[] = {"batch", "lr", "spikes", "spikes_lowering_lambda",
                                 "frac_steps_lr_above_batch_crit", "lambda_max0", "lambda_max_final",
                                 "agop_align0", "agop_align_final", "train_loss_final",
                                 "test_loss_final", "diverged"};
    static const char *ccols[] = {"batch", "step", "train_loss", "test_loss", "ntk_lambda_max"};
    wl_table *t = NULL, *c = NULL;
    int rc = wl_table_new(12, cols, &t);
    if (!rc) rc = wl_table_new(5, ccols, &c);
    for (size_t j = 0; !rc && j < st->s.nb; j++) {
        sp_run *r = &st->runs[j];
        double row[12] = {(double)st->s.batches[j], st->lr, (double)r->spikes,
                          (double)r->lam_drops, r->frac_above_crit, r->lam0, r->lam_final,
                          r->align0, r->align_final, r->train_final, r->test_final, r->diverged};
        rc = wl_table_append(t, row);
        for (size_t i = 0; !rc && i < r->n; i++) {
            double cr[5] = {(double)st->s.batches[j], r->step[i], r->loss[i], r->test[i], r->lam[i]};
            rc = wl_table_append(c, cr);
        }
    }
    if (!rc) rc = wl_exp_write_csv(ctx, "sgd_spikes.csv", t);
    if (!rc) rc = wl_exp_write_csv(ctx, "curves.csv", c);
    wl_table_free(t);
    wl_table_free(c);
    return rc;
}

static int write_plot(const wl_exp_ctx *ctx, sp_state *st, int which) {
    static const char *titles[] = {"SGD at one step size: training loss", "lambda_max(K) on the probe sample",
                                   "AGOP alignment with the true AGOP"};
    static const char *ylab[] = {"train loss", "lambda_max(K)", "alignment"};
    static const char *files[] = {"sgd_spikes_loss.svg", "sgd_spikes_kernel.svg", "sgd_spikes_agop.svg"};
    wl_plot p;
    wl_plot_init(&p, titles[which], "step", ylab[which]);
    p.log_y = which == 0;
    char lab[64], path[4096];
    int rc = WL_OK;
    for (size_t j = 0; !rc && j < st->s.nb; j++) {
        sp_run *r = &st->runs[j];
        snprintf(lab, sizeof lab, "batch %zu", st->s.batches[j]);
        const double *y = which == 0 ? r->loss : which == 1 ? r->lam : r->align;
        rc = wl_plot_series(&p, lab, which == 2 ? r->na : r->n, which == 2 ? r->astep : r->step, y);
    }
    snprintf(path, sizeof path, "%s/%s", ctx->out_dir, files[which]);
    return rc ? rc : wl_plot_write_svg(&p, path);
}

int sp_write(const wl_exp_ctx *ctx, sp_state *st) {
    int rc = write_tables(ctx, st);
    for (int k = 0; !rc && k < 3; k++) rc = write_plot(ctx, st, k);
    if (rc) return rc;
    size_t nb = st->s.nb;
    double v[7][SP_MAX_B];
    for (size_t j = 0; j < nb; j++) {
        sp_run *r = &st->runs[j];
        v[0][j] = (double)st->s.batches[j];
        v[1][j] = (double)r->spikes;
        v[2][j] = (double)r->lam_drops;
        v[3][j] = r->frac_above_crit;
        v[4][j] = r->align_final;
        v[5][j] = r->test_final;
        v[6][j] = r->lam_final;
    }
    wl_json *js = ctx->summary;
    wl_json_num(js, "eta_crit_full_batch", st->eta_crit);
    wl_json_num(js, "lr", st->lr);
    static const char *keys[] = {"batches", "spikes", "spikes_lowering_lambda",
                                 "frac_steps_lr_above_batch_crit", "agop_align_final",
                                 "test_loss_final", "lambda_max_final"};
    for (int k = 0; k < 7; k++) wl_json_nums(js, keys[k], v[k], nb);
    wl_json_num(js, "spearman_batch_spikes", sp_spearman(nb, v[0], v[1]));
    wl_json_num(js, "spearman_spikes_align", sp_spearman(nb, v[1], v[4]));
    wl_json_num(js, "spearman_spikes_test_loss", sp_spearman(nb, v[1], v[5]));
    return WL_OK;
}
