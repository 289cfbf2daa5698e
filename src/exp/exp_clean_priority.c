/* clean-priority: label noise, early stopping and the clean/noisy gradient
 * split (Liu, Abedsoltan, Belkin, "On emergence of clean-priority learning in
 * early stopped neural networks", arXiv 2306.02533).
 *
 * A wide ReLU network is trained (mean MSE, +-1 targets for two classes,
 * centred one-hot y - 1/k for ten) on Fashion-MNIST with a fraction delta of flipped training
 * labels; the trainer's noise probe splits the full gradient into its clean
 * and corrupted parts g = g_clean + g_noisy and tracks both parts' losses and
 * accuracies; the test error is evaluated at the same steps. */
#include "clean_priority.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void settings(int quick, cp_setting *s) {
    if (quick)
        *s = (cp_setting){.n_train = 300, .n_test = 500, .width = 256, .steps = 600, .every = 20,
                          .batch = 32, .nruns = 2, .runs = {{"0,1", 0.2}, {"0,1", 0.4}}};
    else
        *s = (cp_setting){.n_train = 1000, .n_test = 1000, .width = 512, .steps = 2000,
                          .every = 25, .batch = 64, .nruns = 6,
                          .runs = {{"0,1", 0.1}, {"0,1", 0.2}, {"0,1", 0.4},
                                   {NULL, 0.1}, {NULL, 0.2}, {NULL, 0.4}}};
}

static size_t list(char *buf, size_t cap, size_t len, const cp_run *r, const char *fmt, double v) {
    if (len >= cap) return len;
    len += (size_t)snprintf(buf + len, cap - len, " %zuc/%.2g:", r->nclasses, r->delta);
    if (len < cap) len += (size_t)snprintf(buf + len, cap - len, fmt, v);
    return len;
}

static void claims(const cp_setting *s, cp_run *runs, wl_exp_result *res) {
    char b1[512] = "", b2[512] = "", b3[512] = "", b4[512] = "";
    size_t l1 = 0, l2 = 0, l3 = 0, l4 = 0;
    int u = 1, cosok = 1, ratio = 1, truefit = 1;
    for (size_t j = 0; j < s->nruns; j++) {
        cp_run *r = &runs[j];
        u &= r->best_step > 0 && r->best_step < r->last_step &&
             r->err_final >= r->err_best + CP_U_MARGIN;
        l1 = list(b1, sizeof b1, l1, r, " best %.4f", r->err_best);
        l1 += (size_t)snprintf(b1 + l1, l1 < sizeof b1 ? sizeof b1 - l1 : 0,
                               " at step %zu of %zu, final %.4f;", r->best_step, r->last_step,
                               r->err_final);
        cosok &= r->cos0 < CP_COS0;
        l2 = list(b2, sizeof b2, l2, r, " %.3f;", r->cos0);
        double expect = (1 - r->delta) / r->delta;
        ratio &= fabs(log(r->ratio0 / expect)) <= log(CP_RATIO0_FACTOR) &&
                 fabs(log(r->ratio_best)) <= CP_RATIO_HALF * fabs(log(r->ratio0));
        l3 = list(b3, sizeof b3, l3, r, " start %.3g", r->ratio0);
        l3 += (size_t)snprintf(b3 + l3, l3 < sizeof b3 ? sizeof b3 - l3 : 0,
                               " (expected %.3g), at best step %.3g, final %.3g;", expect,
                               r->ratio_best, r->ratio_final);
        truefit &= r->true_acc_best >= CP_TRUE_ACC &&
                   r->noisy_acc_final >= r->noisy_acc_best + CP_MEMORIZE;
        l4 = list(b4, sizeof b4, l4, r, " true-label acc at best step %.3f", r->true_acc_best);
        l4 += (size_t)snprintf(b4 + l4, l4 < sizeof b4 ? sizeof b4 - l4 : 0,
                               ", given-label acc %.3f -> %.3f at the end;", r->noisy_acc_best,
                               r->noisy_acc_final);
    }
    wl_exp_claim(res, "the test error is U-shaped: its minimum is inside the run and below the "
                      "final error",
                 u, "(threshold: 0 < best step < last, final >= best + %.2g):%s", CP_U_MARGIN, b1);
    wl_exp_claim(res, "at the start the clean and noisy gradients point in nearly opposite "
                      "directions",
                 cosok, "cosine at step 0 (threshold < %.1f):%s", CP_COS0, b2);
    wl_exp_claim(res, "the clean/noisy gradient norm ratio starts near (1 - delta)/delta and "
                      "falls towards 1 by the early-stopping point",
                 ratio, "(thresholds: start within x%.0f of (1-delta)/delta; |log ratio| at the "
                        "best step <= %.1f |log ratio at 0|):%s",
                 CP_RATIO0_FACTOR, CP_RATIO_HALF, b3);
    wl_exp_claim(res, "corrupted samples are first fitted to their true labels, then memorized",
                 truefit, "(thresholds: true-label acc at the best step >= %.2f; given-label acc "
                          "rises by >= %.2f after it):%s",
                 CP_TRUE_ACC, CP_MEMORIZE, b4);
}

static int run(const wl_exp_ctx *ctx, wl_exp_result *res) {
    cp_setting s;
    settings(ctx->quick, &s);
    cp_run *runs = calloc(CP_MAX_RUNS, sizeof *runs);
    if (!runs) return wl_seterr(WL_ENOMEM, "clean-priority: out of memory");
    int rc = WL_OK;
    for (size_t j = 0; !rc && j < s.nruns; j++) {
        rc = cp_train(&s, &s.runs[j], ctx->seed, ctx, &runs[j]);
        cp_run *r = &runs[j];
        if (!rc)
            wl_exp_log(ctx, "  test error %.4f at step %zu, final %.4f; cosine0 %.3f; ratio %.3g "
                            "-> %.3g (best) -> %.3g; noisy: true acc %.3f at best, given acc "
                            "%.3f -> %.3f",
                       r->err_best, r->best_step, r->err_final, r->cos0, r->ratio0,
                       r->ratio_best, r->ratio_final, r->true_acc_best, r->noisy_acc_best,
                       r->noisy_acc_final);
    }
    if (!rc) rc = cp_write(ctx, &s, runs);
    if (!rc) claims(&s, runs, res);
    for (size_t j = 0; j < CP_MAX_RUNS; j++) cp_run_free(&runs[j]);
    free(runs);
    return rc;
}

const wl_exp wl_exp_clean_priority = {
    "clean-priority",
    "Liu, Abedsoltan, Belkin, On emergence of clean-priority learning in early stopped neural "
    "networks (2023)",
    "label noise: U-shaped test error, clean/noisy gradient ratio and cosine", run};
