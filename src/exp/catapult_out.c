/* catapult experiment: the run directory's tables, plots and summary values. */
#include "catapult.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


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
        rc = wl_plot_series(&p, wl_catapult_model_names[m], st->runs[m][jc].nsteps,
                            st->runs[m][jc].steps,
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
        wl_json_obj(js, wl_catapult_model_names[m]);
        wl_json_num(js, "loss0", st->runs[m][0].L0);
        wl_json_nums(js, "peak_over_loss0", peak, st->s.nlr);
        wl_json_nums(js, "final_over_loss0", fin, st->s.nlr);
        wl_json_nums(js, "lambda_final_over_n", lam, st->s.nlr);
        wl_json_nums(js, "diverged", div, st->s.nlr);
        wl_json_obj_end(js);
    }
    wl_json_obj_end(js);
}

int cat_write(const wl_exp_ctx *ctx, cat_state *st) {
    int rc = write_tables(ctx, st);
    if (!rc) rc = write_plots(ctx, st);
    if (!rc) write_summary(ctx, st);
    return rc;
}
