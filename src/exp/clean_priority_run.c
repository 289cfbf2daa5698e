/* clean-priority experiment: one training run with label noise, and the run
 * directory's tables and plots. */
#include "clean_priority.h"

#include "widelab/net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cp_run_free(cp_run *r) {
    free(r->step);
    free(r->err);
    free(r->ratio);
    free(r->cosine);
    free(r->acc_true);
    free(r->acc_noisy);
    free(r->acc_clean);
    memset(r, 0, sizeof *r);
}

static int load(const cp_setting *s, const cp_spec *spec, uint64_t seed, wl_dataset *tr,
                wl_dataset *te) {
    wl_data_opts o;
    wl_data_opts_default(&o);
    o.data = "fashion-mnist";
    o.n_train = s->n_train;
    o.n_test = s->n_test;
    o.classes = spec->classes;
    o.normalize = "standardize";
    o.targets = spec->classes ? "pm1" : "onehot";
    o.label_noise = spec->delta;
    o.stratify = 1;
    o.seed = seed;
    int rc = wl_data_prepare(&o, tr, te);
    if (rc || spec->classes) return rc;
    /* ten classes: centred one-hot targets y - 1/k, the k-class form of the
       +-1 targets (for k = 2 they are +-1/2), so that at f(w0) = 0 the
       residuals of a clean and a corrupted sample of one class cancel */
    wl_dataset *sets[2] = {tr, te};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < sets[k]->n * sets[k]->k; i++)
            sets[k]->Y[i] -= 1.0 / (double)sets[k]->k;
    return WL_OK;
}

/* Antisymmetric initialization of a 2-layer network: hidden units m/2..m-1
 * copy the first-layer weights of units 0..m/2-1 and negate their output
 * weights, so f(w0; x) = 0 for every x while the tangent kernel keeps its
 * distribution (both halves are N(0,1) draws). */
static int zero_output_init(const wl_model *m, double *w) {
    const wl_param_block *b1 = NULL, *b2 = NULL;
    for (size_t i = 0; i < m->n_blocks; i++) {
        if (!strcmp(m->blocks[i].name, "0.weight")) b1 = &m->blocks[i];
        if (!strcmp(m->blocks[i].name, "2.weight")) b2 = &m->blocks[i];
    }
    if (!b1 || !b2 || b1->rows % 2 || b2->cols != b1->rows)
        return wl_seterr(WL_EINVAL, "clean-priority: zero-output init needs a bias-free 2-layer "
                                    "network of even width");
    size_t h = b1->rows / 2, d = b1->cols;
    /* W1: m x d, W2: k x m */
    memcpy(w + b1->offset + h * d, w + b1->offset, h * d * sizeof(double));
    for (size_t c = 0; c < b2->rows; c++)
        for (size_t j = 0; j < h; j++)
            w[b2->offset + c * b2->cols + h + j] = -w[b2->offset + c * b2->cols + j];
    return WL_OK;
}

/* Copies the evaluation rows (those with a test accuracy) of the metrics. */
static int collect(const wl_table *t, cp_run *r) {
    size_t rows = wl_table_nrows(t);
    double **dst[] = {&r->step, &r->err, &r->ratio, &r->cosine, &r->acc_true, &r->acc_noisy,
                      &r->acc_clean};
    static const char *names[] = {"step", "test_acc", "gnorm_ratio", "grad_cosine",
                                  "acc_noisy_true", "acc_noisy", "acc_clean"};
    long c[7];
    for (int k = 0; k < 7; k++) {
        if ((c[k] = wl_table_col(t, names[k])) < 0)
            return wl_seterr(WL_EINVAL, "clean-priority: no metrics column %s", names[k]);
        if (!(*dst[k] = wl_dalloc(rows + 1, "curve"))) return WL_ENOMEM;
    }
    for (size_t i = 0; i < rows; i++) {
        double acc = wl_table_get(t, i, (size_t)c[1]);
        double ratio = wl_table_get(t, i, (size_t)c[2]);
        if (isnan(acc) || isnan(ratio)) continue; /* rows with both the evaluation and the probe */
        for (int k = 0; k < 7; k++) (*dst[k])[r->n] = wl_table_get(t, i, (size_t)c[k]);
        r->err[r->n] = 1.0 - acc;
        r->n++;
    }
    if (r->n < 3) return wl_seterr(WL_EINVAL, "clean-priority: only %zu evaluation rows", r->n);
    return WL_OK;
}

static void derive(cp_run *r) {
    size_t b = 0;
    for (size_t i = 1; i < r->n; i++)
        if (r->err[i] < r->err[b]) b = i; /* first minimum */
    r->best_step = (size_t)r->step[b];
    r->last_step = (size_t)r->step[r->n - 1];
    r->err_best = r->err[b];
    r->err_final = r->err[r->n - 1];
    r->cos0 = r->cosine[0];
    r->ratio0 = r->ratio[0];
    r->ratio_best = r->ratio[b];
    r->ratio_final = r->ratio[r->n - 1];
    r->true_acc_best = r->acc_true[b];
    r->noisy_acc_best = r->acc_noisy[b];
    r->noisy_acc_final = r->acc_noisy[r->n - 1];
}

int cp_train(const cp_setting *s, const cp_spec *spec, uint64_t seed, const wl_exp_ctx *ctx,
             cp_run *r) {
    wl_dataset tr = {0}, te = {0};
    wl_model *m = NULL;
    wl_trainer *t = NULL;
    double *w0 = NULL;
    int rc = load(s, spec, seed, &tr, &te);
    char arch[96];
    snprintf(arch, sizeof arch, "mlp:%zu-%zu-%zu:relu:ntk", tr.d, s->width, tr.k);
    if (!rc) rc = wl_net_from_spec(arch, &m);
    if (!rc && !(w0 = wl_dalloc(m->dim, "w0"))) rc = WL_ENOMEM;
    wl_rng rng;
    wl_rng_seed(&rng, seed);
    wl_rng ri = wl_rng_split(&rng, 7);
    if (!rc) rc = wl_model_init(m, &ri, w0);
    if (!rc) rc = zero_output_init(m, w0);
    /* step size from the tangent kernel of (up to) 200 training points */
    wl_optim_config oc = wl_optim_defaults(s->batch ? WL_OPT_SGD : WL_OPT_GD);
    wl_spectral sp;
    if (!rc) {
        wl_mat Xs = wl_mat_view(tr.X, tr.n < 200 ? tr.n : 200, tr.d);
        rc = wl_train_auto(m, w0, &Xs, s->batch, &oc, &sp);
    }
    if (!rc && !s->batch) oc.batch = 0;
    r->nclasses = tr.n_classes;
    r->delta = spec->delta;
    r->lr = oc.lr;
    wl_train_config tc;
    wl_train_defaults(&tc);
    tc.steps = s->steps;
    tc.eval_every = s->every;
    tc.eval_max = tr.n;
    tc.seed = seed;
    if (!rc) rc = wl_trainer_new(m, WL_LOSS_MSE, &tr, &te, NULL, &oc, &tc, w0, &t);
    char probe[32];
    snprintf(probe, sizeof probe, "noise:%zu", s->every);
    if (!rc) rc = wl_trainer_add_probe(t, probe);
    if (!rc) {
        wl_exp_log(ctx, "%zu classes, delta = %.2f: %s, %s lr = %.4g, %zu training points",
                   tr.n_classes, spec->delta, arch, s->batch ? "SGD" : "GD", oc.lr, tr.n);
        rc = wl_trainer_run(t, NULL, NULL);
    }
    if (!rc) rc = collect(wl_trainer_metrics(t), r);
    if (!rc) derive(r);
    wl_trainer_free(t);
    wl_model_free(m);
    free(w0);
    wl_dataset_free(&tr);
    wl_dataset_free(&te);
    return rc;
}

/* ---- outputs ----------------------------------------------------------------- */

static int write_tables(const wl_exp_ctx *ctx, const cp_setting *s, cp_run *runs) {
    static const char *cols[] = {"classes", "delta", "lr", "best_step", "last_step",
                                 "test_err_best", "test_err_final", "cosine0", "ratio0",
                                 "ratio_expected", "ratio_best", "ratio_final",
                                 "acc_noisy_true_best", "acc_noisy_best", "acc_noisy_final"};
    static const char *ccols[] = {"classes", "delta", "step", "test_err", "gnorm_ratio",
                                  "grad_cosine", "acc_clean", "acc_noisy", "acc_noisy_true"};
    wl_table *t = NULL, *c = NULL;
    int rc = wl_table_new(15, cols, &t);
    if (!rc) rc = wl_table_new(9, ccols, &c);
    for (size_t j = 0; !rc && j < s->nruns; j++) {
        cp_run *r = &runs[j];
        double row[15] = {(double)r->nclasses, r->delta, r->lr, (double)r->best_step,
                          (double)r->last_step, r->err_best, r->err_final, r->cos0, r->ratio0,
                          (1 - r->delta) / r->delta, r->ratio_best, r->ratio_final,
                          r->true_acc_best, r->noisy_acc_best, r->noisy_acc_final};
        rc = wl_table_append(t, row);
        for (size_t i = 0; !rc && i < r->n; i++) {
            double cr[9] = {(double)r->nclasses, r->delta, r->step[i], r->err[i], r->ratio[i],
                            r->cosine[i], r->acc_clean[i], r->acc_noisy[i], r->acc_true[i]};
            rc = wl_table_append(c, cr);
        }
    }
    if (!rc) rc = wl_exp_write_csv(ctx, "clean_priority.csv", t);
    if (!rc) rc = wl_exp_write_csv(ctx, "curves.csv", c);
    wl_table_free(t);
    wl_table_free(c);
    return rc;
}

static int write_plot(const wl_exp_ctx *ctx, const cp_setting *s, cp_run *runs, int which) {
    static const char *titles[] = {"test error under label noise",
                                   "clean / noisy gradient norm ratio",
                                   "corrupted samples: accuracy w.r.t. true and given labels"};
    static const char *ylab[] = {"test error", "||g_clean|| / ||g_noisy||", "accuracy"};
    static const char *files[] = {"clean_priority_test.svg", "clean_priority_ratio.svg",
                                  "clean_priority_noisy.svg"};
    wl_plot p;
    wl_plot_init(&p, titles[which], "step", ylab[which]);
    p.log_y = which == 1;
    char lab[64], path[4096];
    int rc = WL_OK;
    for (size_t j = 0; !rc && j < s->nruns; j++) {
        cp_run *r = &runs[j];
        snprintf(lab, sizeof lab, "%zu classes, delta %.2g%s", r->nclasses, r->delta,
                 which == 2 ? ", true" : "");
        const double *y = which == 0 ? r->err : which == 1 ? r->ratio : r->acc_true;
        rc = wl_plot_series(&p, lab, r->n, r->step, y);
        if (!rc && which == 2) {
            snprintf(lab, sizeof lab, "%zu classes, delta %.2g, given", r->nclasses, r->delta);
            rc = wl_plot_series(&p, lab, r->n, r->step, r->acc_noisy);
        }
    }
    if (which == 1) wl_plot_hline(&p, 1.0, "1");
    snprintf(path, sizeof path, "%s/%s", ctx->out_dir, files[which]);
    return rc ? rc : wl_plot_write_svg(&p, path);
}

int cp_write(const wl_exp_ctx *ctx, const cp_setting *s, cp_run *runs) {
    int rc = write_tables(ctx, s, runs);
    for (int k = 0; !rc && k < 3; k++) rc = write_plot(ctx, s, runs, k);
    if (rc) return rc;
    wl_json *js = ctx->summary;
    wl_json_arr(js, "runs");
    for (size_t j = 0; j < s->nruns; j++) {
        cp_run *r = &runs[j];
        wl_json_obj(js, NULL);
        wl_json_int(js, "classes", (long long)r->nclasses);
        wl_json_num(js, "delta", r->delta);
        wl_json_num(js, "lr", r->lr);
        wl_json_int(js, "best_step", (long long)r->best_step);
        wl_json_int(js, "last_step", (long long)r->last_step);
        wl_json_num(js, "test_err_best", r->err_best);
        wl_json_num(js, "test_err_final", r->err_final);
        wl_json_num(js, "cosine0", r->cos0);
        wl_json_num(js, "ratio0", r->ratio0);
        wl_json_num(js, "ratio_expected", (1 - r->delta) / r->delta);
        wl_json_num(js, "ratio_best", r->ratio_best);
        wl_json_num(js, "ratio_final", r->ratio_final);
        wl_json_num(js, "acc_noisy_true_best", r->true_acc_best);
        wl_json_num(js, "acc_noisy_best", r->noisy_acc_best);
        wl_json_num(js, "acc_noisy_final", r->noisy_acc_final);
        wl_json_obj_end(js);
    }
    wl_json_arr_end(js);
    return WL_OK;
}
