/* clean-priority experiment: shared state of exp_clean_priority.c and
 * clean_priority_run.c. */
#ifndef WL_EXP_CLEAN_PRIORITY_H
#define WL_EXP_CLEAN_PRIORITY_H

#include "widelab/exp.h"
#include "widelab/train.h"

#define CP_MAX_RUNS 8
/* Thresholds of the claims (also in docs/papers/clean-priority.md). */
#define CP_U_MARGIN 0.01     /* final test error >= best + 0.01 (1 point) */
#define CP_COS0 (-0.5)       /* clean/noisy gradient cosine at step 0 below this */
#define CP_RATIO0_FACTOR 2.0 /* ratio at step 0 within this factor of (1-delta)/delta */
#define CP_RATIO_HALF 0.5    /* |log ratio| at the best step <= 0.5 |log ratio at 0| */
#define CP_TRUE_ACC 0.5      /* corrupted samples: accuracy w.r.t. true labels at the best step */
#define CP_MEMORIZE 0.1      /* ... and their given-label accuracy rises by 0.1 after it */

typedef struct cp_spec {
    const char *classes; /* "0,1" or NULL (all ten) */
    double delta;        /* label noise rate */
} cp_spec;

typedef struct cp_setting {
    size_t n_train, n_test, width, steps, every, batch;
    size_t nruns;
    cp_spec runs[CP_MAX_RUNS];
} cp_setting;

typedef struct cp_run {
    size_t nclasses;
    double delta, lr;
    size_t best_step, last_step;
    double err_best, err_final, cos0, ratio0, ratio_best, ratio_final;
    double true_acc_best, noisy_acc_best, noisy_acc_final;
    size_t n;                                 /* evaluation rows */
    double *step, *err, *ratio, *cosine, *acc_true, *acc_noisy, *acc_clean;
} cp_run;

/* Loads the data, trains the network and fills r. */
int cp_train(const cp_setting *s, const cp_spec *spec, uint64_t seed, const wl_exp_ctx *ctx,
             cp_run *r);
void cp_run_free(cp_run *r);
/* CSV tables, plots, summary values. */
int cp_write(const wl_exp_ctx *ctx, const cp_setting *s, cp_run *runs);

#endif
