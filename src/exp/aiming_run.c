/* aiming experiment: the SGD runs, the aiming ratio along them, and the run
 * directory's tables and plots. */
#include "aiming.h"

#include "widelab/curv.h"
#include "widelab/net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int aim_setup(const aim_setting *s, uint64_t seed, aim_state *st) {
    wl_rng rng;
    wl_rng_seed(&rng, seed);
    wl_rng rd = wl_rng_split(&rng, 1), ri = wl_rng_split(&rng, 2);
    int rc = wl_synth_teacher(&rd, s->n, s->d, 32, 1, WL_SYNTH_TANH, 0.0, &st->ds);
    snprintf(st->spec, sizeof st->spec, "mlp:%zu-%zu-1:relu:ntk", s->d, s->width);
    if (!rc) rc = wl_net_from_spec(st->spec, &st->net);
    if (rc) return rc;
    if (!(st->w0 = wl_dalloc(st->net->dim, "w0"))) return WL_ENOMEM;
    if ((rc = wl_model_init(st->net, &ri, st->w0))) return rc;
    if ((rc = wl_taylor_new(st->net, st->w0, 1, &st->lin))) return rc;
    /* SGD step eta*(b) = b / (beta + (b - 1) L) from the tangent kernel */
    wl_optim_config oc = wl_optim_defaults(WL_OPT_SGD);
    wl_spectral sp;
    wl_mat Xs = wl_mat_view(st->ds.X, s->n < 200 ? s->n : 200, s->d);
    if ((rc = wl_train_auto(st->net, st->w0, &Xs, s->batch, &oc, &sp))) return rc;
    st->lr = oc.lr;
    return WL_OK;
}

void aim_state_free(aim_state *st) {
    for (int k = 0; k < 2; k++) {
        aim_run *r = &st->runs[k];
        free(r->step);
        free(r->loss);
        free(r->a);
        free(r->dist);
    }
    wl_model_free(st->net);
    wl_model_free(st->lin);
    wl_dataset_free(&st->ds);
    free(st->w0);
}

/* Parameter snapshots at every metrics row (the callback). */
typedef struct snaps {
    size_t dim, cap, n;
    double *w, *step;
} snaps;

static int take_snapshot(void *ctx, const wl_trainer *t) {
    snaps *s = ctx;
    if (s->n >= s->cap) return 0;
    memcpy(s->w + s->n * s->dim, wl_trainer_params(t), s->dim * sizeof(double));
    s->step[s->n++] = (double)wl_trainer_step(t);
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* theta (min), median and max of a_t where L >= AIM_FLOOR L_T. */
static int judge(aim_run *r) {
    double *v = wl_dalloc(r->n, "aiming ratios");
    if (!v) return WL_ENOMEM;
    r->nvalid = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->loss[i] >= AIM_FLOOR * r->loss_T && isfinite(r->a[i])) v[r->nvalid++] = r->a[i];
    qsort(v, r->nvalid, sizeof *v, cmp_double);
    r->theta = r->nvalid ? v[0] : NAN;
    r->a_max = r->nvalid ? v[r->nvalid - 1] : NAN;
    r->a_median = r->nvalid ? 0.5 * (v[(r->nvalid - 1) / 2] + v[r->nvalid / 2]) : NAN;
    free(v);
    return WL_OK;
}

/* log L = c + t log(rate): least squares over every evaluation; R^2; and the
 * loss reduction over each quarter of the run. */
static void geometric_fit(aim_run *r, size_t steps) {
    double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0, m = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (!(r->loss[i] > 0)) continue;
        double x = r->step[i], y = log(r->loss[i]);
        sx += x, sy += y, sxx += x * x, sxy += x * y, syy += y * y, m++;
    }
    double cxx = sxx - sx * sx / m, cxy = sxy - sx * sy / m, cyy = syy - sy * sy / m;
    double slope = cxy / cxx;
    r->rate = exp(slope);
    r->r2 = cyy > 0 ? cxy * cxy / (cxx * cyy) : NAN;
    for (int q = 0; q < 4; q++) {
        double a = NAN, b = NAN;
        for (size_t i = 0; i < r->n; i++) {
            if (r->step[i] == (double)(q * steps / 4)) a = r->loss[i];
            if (r->step[i] == (double)((q + 1) * steps / 4)) b = r->loss[i];
        }
        r->quarter[q] = a / b;
    }
}

int aim_train(const aim_setting *s, aim_state *st, int k, uint64_t seed, aim_run *r) {
    wl_model *m = k ? st->lin : st->net;
    wl_optim_config oc = wl_optim_defaults(WL_OPT_SGD);
    oc.lr = st->lr;
    oc.batch = s->batch;
    wl_train_config tc;
    wl_train_defaults(&tc);
    tc.steps = s->steps;
    tc.eval_every = s->every;
    tc.eval_max = s->n;
    tc.seed = seed;
    snaps sn = {.dim = m->dim, .cap = s->steps / s->every + 2};
    sn.w = wl_dalloc(sn.cap * sn.dim, "parameter snapshots");
    sn.step = wl_dalloc(sn.cap, "snapshot steps");
    double *g = wl_dalloc(m->dim, "gradient"), *dw = wl_dalloc(m->dim, "w_t - w_T");
    wl_trainer *t = NULL;
    int rc = sn.w && sn.step && g && dw ? WL_OK : WL_ENOMEM;
    if (!rc) rc = wl_trainer_new(m, WL_LOSS_MSE, &st->ds, NULL, NULL, &oc, &tc, st->w0, &t);
    if (!rc) rc = wl_trainer_run(t, take_snapshot, &sn);
    r->n = sn.n;
    if (!rc) {
        r->step = sn.step;
        sn.step = NULL;
        r->loss = wl_dalloc(sn.n, "losses");
        r->a = wl_dalloc(sn.n, "aiming ratios");
        r->dist = wl_dalloc(sn.n, "distances");
        if (!r->loss || !r->a || !r->dist) rc = WL_ENOMEM;
    }
    const double *wT = rc ? NULL : wl_trainer_params(t);
    wl_objective *o = rc ? NULL : wl_trainer_objective(t);
    for (size_t i = 0; !rc && i < sn.n; i++) {
        const double *w = sn.w + i * sn.dim;
        if ((rc = wl_objective_grad(o, w, NULL, 0, &r->loss[i], g))) break;
        for (size_t j = 0; j < m->dim; j++) dw[j] = w[j] - wT[j];
        r->a[i] = wl_dot(m->dim, g, dw) / r->loss[i];
        r->dist[i] = wl_nrm2(m->dim, dw);
    }
    if (!rc) {
        r->loss0 = r->loss[0];
        r->loss_T = r->loss[sn.n - 1];
        r->dist_T = r->dist[0];
        rc = judge(r);
        geometric_fit(r, s->steps);
    }
    wl_trainer_free(t);
    free(sn.w);
    free(sn.step);
    free(g);
    free(dw);
    return rc;
}

int aim_write(const wl_exp_ctx *ctx, const aim_setting *s, aim_state *st) {
    static const char *cols[] = {"model", "step", "loss", "aiming_ratio", "dist_to_final"};
    wl_table *t;
    int rc = wl_table_new(5, cols, &t);
    for (int k = 0; !rc && k < 2; k++)
        for (size_t i = 0; !rc && i < st->runs[k].n; i++) {
            aim_run *r = &st->runs[k];
            double row[5] = {k, r->step[i], r->loss[i], r->a[i], r->dist[i]};
            rc = wl_table_append(t, row);
        }
    if (!rc) rc = wl_exp_write_csv(ctx, "aiming.csv", t);
    wl_table_free(t);
    static const char *names[2] = {"network", "linearized"};
    wl_plot p;
    wl_plot_init(&p, "aiming ratio <grad L(w_t), w_t - w_T> / L(w_t)", "step", "ratio");
    for (int k = 0; !rc && k < 2; k++) {
        /* only the judged part of the run (L >= AIM_FLOOR L_T) */
        size_t n = 0;
        while (n < st->runs[k].n && st->runs[k].loss[n] >= AIM_FLOOR * st->runs[k].loss_T) n++;
        rc = wl_plot_series(&p, names[k], n, st->runs[k].step, st->runs[k].a);
    }
    if (!rc) rc = wl_plot_hline(&p, 2.0, "2 (least squares)");
    if (!rc) rc = wl_plot_hline(&p, AIM_THETA, "threshold");
    if (!rc) rc = wl_exp_write_svg(ctx, "aiming_ratio.svg", &p);
    wl_plot_init(&p, "SGD training loss", "step", "loss");
    p.log_y = 1;
    for (int k = 0; !rc && k < 2; k++)
        rc = wl_plot_series(&p, names[k], st->runs[k].n, st->runs[k].step, st->runs[k].loss);
    if (!rc) rc = wl_exp_write_svg(ctx, "aiming_loss.svg", &p);
    if (rc) return rc;
    wl_json *js = ctx->summary;
    wl_json_str(js, "model", st->spec);
    wl_json_num(js, "lr", st->lr);
    wl_json_int(js, "batch", (long long)s->batch);
    for (int k = 0; k < 2; k++) {
        aim_run *r = &st->runs[k];
        wl_json_obj(js, names[k]);
        wl_json_num(js, "theta_min", r->theta);
        wl_json_num(js, "ratio_median", r->a_median);
        wl_json_num(js, "ratio_max", r->a_max);
        wl_json_int(js, "judged_evaluations", (long long)r->nvalid);
        wl_json_num(js, "loss0", r->loss0);
        wl_json_num(js, "loss_final", r->loss_T);
        wl_json_num(js, "rate_per_step", r->rate);
        wl_json_num(js, "r2", r->r2);
        wl_json_nums(js, "quarter_reduction", r->quarter, 4);
        wl_json_num(js, "dist_init_final", r->dist_T);
        wl_json_obj_end(js);
    }
    return WL_OK;
}
