/* sgd-spikes: catapults in SGD (Zhu, Liu, Radhakrishnan, Belkin, "Catapults
 * in SGD: spikes in the training loss and their impact on generalization
 * through feature learning", arXiv 2306.04815).
 *
 * SGD at one step size for several batch sizes on y = x1 x2 (x uniform on
 * the sphere S^{d-1}), a 2-layer ReLU network. Per batch size: spikes of the
 * full training loss (wl_spikes), lambda_max of the tangent kernel on a fixed
 * sample every step (before and after each spike), the fraction of steps whose
 * batch critical step 2|b|/lambda_max(K_b) is below eta, the AGOP alignment
 * with the true AGOP G* = E[grad(x1 x2) grad(x1 x2)^T] and the test loss. */
#include "sgd_spikes.h"

#include "widelab/kernel.h"
#include "widelab/net.h"
#include "widelab/probe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void settings(int quick, sp_setting *s) {
    if (quick)
        *s = (sp_setting){.n = 96, .n_test = 256, .d = 6, .width = 256, .steps = 300,
                          .probe_n = 48, .agop_every = 50, .lr_factor = 0.9, .nb = 3,
                          .batches = {4, 16, 96}};
    else
        *s = (sp_setting){.n = 200, .n_test = 500, .d = 8, .width = 512, .steps = 600,
                          .probe_n = 64, .agop_every = 50, .lr_factor = 0.9, .nb = 6,
                          .batches = {5, 10, 20, 50, 100, 200}};
}

/* G* = (1/n) sum_i g_i g_i^T with g_i = grad_x (x1 x2) = (x2, x1, 0, ...). */
static int true_agop(const wl_dataset *ds, wl_mat *G) {
    int rc = wl_mat_alloc(G, ds->d, ds->d);
    if (rc) return rc;
    for (size_t i = 0; i < ds->n; i++) {
        double a = ds->X[i * ds->d + 1], b = ds->X[i * ds->d];
        WL_AT(G, 0, 0) += a * a / (double)ds->n;
        WL_AT(G, 0, 1) += a * b / (double)ds->n;
        WL_AT(G, 1, 0) += a * b / (double)ds->n;
        WL_AT(G, 1, 1) += b * b / (double)ds->n;
    }
    return WL_OK;
}

static int setup(const wl_exp_ctx *ctx, sp_state *st) {
    wl_rng rng;
    wl_rng_seed(&rng, ctx->seed);
    wl_rng r1 = wl_rng_split(&rng, 1), r2 = wl_rng_split(&rng, 2), r3 = wl_rng_split(&rng, 3);
    int rc = wl_synth_sphere(&r1, st->s.n, st->s.d, &st->train);
    if (!rc) rc = wl_synth_sphere(&r2, st->s.n_test, st->s.d, &st->test);
    if (!rc) rc = true_agop(&st->train, &st->G);
    char spec[128];
    snprintf(spec, sizeof spec, "mlp:%zu-%zu-1:relu:ntk", st->s.d, st->s.width);
    if (!rc) rc = wl_net_from_spec(spec, &st->model);
    if (rc) return rc;
    if (!(st->w0 = wl_dalloc(st->model->dim, "w0"))) return WL_ENOMEM;
    if ((rc = wl_model_init(st->model, &r3, st->w0))) return rc;
    /* full-batch critical step 2n / lambda_max(K) on the training set */
    wl_mat X = wl_mat_view(st->train.X, st->train.n, st->train.d), K = {0};
    if ((rc = wl_ntk_empirical(st->model, st->w0, &X, NULL, NULL, &K))) return rc;
    double *eig = wl_dalloc(K.rows, "kernel eigenvalues");
    if (!eig) rc = WL_ENOMEM;
    if (!rc) rc = wl_ntk_eigvals(&K, eig);
    if (!rc) st->eta_crit = 2.0 * (double)st->train.n / eig[K.rows - 1];
    free(eig);
    wl_mat_free(&K);
    st->lr = st->s.lr_factor * st->eta_crit;
    wl_exp_log(ctx, "sgd-spikes: %s, n = %zu, full-batch eta_crit = %.4g, eta = %.4g", spec,
               st->train.n, st->eta_crit, st->lr);
    return rc;
}

static void state_free(sp_state *st) {
    for (size_t j = 0; j < SP_MAX_B; j++) sp_run_free(&st->runs[j]);
    wl_model_free(st->model);
    wl_dataset_free(&st->train);
    wl_dataset_free(&st->test);
    wl_mat_free(&st->G);
    free(st->w0);
    free(st);
}

static void claims(sp_state *st, wl_exp_result *res) {
    size_t nb = st->s.nb;
    double bs[SP_MAX_B] = {0}, cnt[SP_MAX_B] = {0}, al[SP_MAX_B] = {0}, tl[SP_MAX_B] = {0};
    size_t drops = 0, total = 0;
    char buf[400];
    size_t len = 0;
    buf[0] = 0;
    for (size_t j = 0; j < nb; j++) {
        sp_run *r = &st->runs[j];
        bs[j] = (double)st->s.batches[j];
        cnt[j] = (double)r->spikes;
        al[j] = r->align_final;
        tl[j] = r->test_final;
        drops += r->lam_drops;
        total += r->spikes;
        len += (size_t)snprintf(buf + len, sizeof buf - len, " b=%zu: %zu;", st->s.batches[j],
                                r->spikes);
    }
    double rho_b = sp_spearman(nb, bs, cnt);
    int more = cnt[0] > cnt[nb - 1] && rho_b <= SP_RHO_BATCH;
    wl_exp_claim(res, "smaller batches spike more often", more,
                 "spikes of the training loss per batch size:%s Spearman(batch, spikes) = %.3f "
                 "(thresholds: smallest batch > full batch and rho <= %.1f)",
                 buf, rho_b, SP_RHO_BATCH);
    double din = 0, dout = 0, nin = 0, nout = 0;
    for (size_t j = 0; j < nb; j++) {
        din += st->runs[j].dlam_in;
        dout += st->runs[j].dlam_out;
        nin += (double)st->runs[j].steps_in;
        nout += (double)st->runs[j].steps_out;
    }
    double rin = nin > 0 ? din / nin : NAN, rout = nout > 0 ? dout / nout : NAN;
    int lowers = total >= SP_MIN_SPIKES && rin < 0 && rin <= -SP_RATE_RATIO * fabs(rout);
    wl_exp_claim(res, "spikes lower lambda_max of the tangent kernel", lowers,
                 "lambda_max(K) changes by %.3g per step inside spikes (%.0f steps) and by %.3g "
                 "per step outside (%.0f steps); %zu of %zu spikes end below their starting "
                 "lambda_max (thresholds: >= %d spikes, inside rate < 0 and <= -%.0f x |outside "
                 "rate|)",
                 rin, nin, rout, nout, drops, total, SP_MIN_SPIKES, SP_RATE_RATIO);
    double rho_a = sp_spearman(nb, cnt, al), rho_t = sp_spearman(nb, cnt, tl);
    len = 0;
    buf[0] = 0;
    for (size_t j = 0; j < nb; j++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, " b=%zu: align %.3f, test %.4g;",
                                st->s.batches[j], al[j], tl[j]);
    wl_exp_claim(res, "more spikes go with a higher AGOP alignment with the true AGOP",
                 rho_a >= SP_RHO_CORR, "Spearman(spikes, alignment) = %.3f (threshold >= %.1f):%s",
                 rho_a, SP_RHO_CORR, buf);
    wl_exp_claim(res, "more spikes go with a lower test loss", rho_t <= -SP_RHO_CORR,
                 "Spearman(spikes, test loss) = %.3f (threshold <= -%.1f)", rho_t, SP_RHO_CORR);
}

static int run(const wl_exp_ctx *ctx, wl_exp_result *res) {
    sp_state *st = calloc(1, sizeof *st);
    if (!st) return wl_seterr(WL_ENOMEM, "sgd-spikes: out of memory");
    settings(ctx->quick, &st->s);
    int rc = setup(ctx, st);
    for (size_t j = 0; !rc && j < st->s.nb; j++) {
        rc = sp_train(st, j, ctx->seed);
        sp_run *r = &st->runs[j];
        if (!rc)
            wl_exp_log(ctx, "batch %4zu: %zu spikes (%zu lower lambda_max), lr > batch crit on "
                            "%.1f%% of steps, lambda_max %.4g -> %.4g, align %.3f, train %.3g, "
                            "test %.4g%s",
                       st->s.batches[j], r->spikes, r->lam_drops, 100 * r->frac_above_crit,
                       r->lam0, r->lam_final, r->align_final, r->train_final, r->test_final,
                       r->diverged ? " (diverged)" : "");
    }
    if (!rc) rc = sp_write(ctx, st);
    if (!rc) claims(st, res);
    state_free(st);
    return rc;
}

const wl_exp wl_exp_sgd_spikes = {
    "sgd-spikes",
    "Zhu, Liu, Radhakrishnan, Belkin, Catapults in SGD: spikes in the training loss and their "
    "impact on generalization through feature learning (2023)",
    "SGD batch sizes: loss spikes, kernel lambda_max, AGOP alignment, test loss", run};
