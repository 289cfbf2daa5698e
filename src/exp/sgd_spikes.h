/* sgd-spikes experiment: shared state of exp_sgd_spikes.c and sgd_spikes_run.c. */
#ifndef WL_EXP_SGD_SPIKES_H
#define WL_EXP_SGD_SPIKES_H

#include "widelab/exp.h"
#include "widelab/train.h"

#define SP_MAX_B 8
/* Thresholds of the claims (also in docs/papers/sgd-spikes.md). */
#define SP_FACTOR 2.0      /* a spike: training loss > 2 x its running minimum */
#define SP_RHO_BATCH -0.5  /* Spearman(batch size, spikes) at most this */
#define SP_MIN_SPIKES 3    /* spikes needed to judge their effect on lambda_max */
#define SP_RATE_RATIO 2.0  /* lambda_max falls per step inside spikes at least this
                              many times faster than outside them */
#define SP_RHO_CORR 0.5    /* |Spearman| of spikes against alignment / test loss */

typedef struct sp_setting {
    size_t n, n_test, d, width, steps, probe_n, agop_every;
    double lr_factor; /* eta = lr_factor * full-batch eta_crit */
    size_t nb;
    size_t batches[SP_MAX_B];
} sp_setting;

typedef struct sp_run {
    size_t spikes, lam_drops;
    size_t steps_in, steps_out;  /* steps inside / outside spikes */
    double dlam_in, dlam_out;    /* total change of lambda_max(K) over them */
    int diverged;
    double frac_above_crit, lam0, lam_final, align0, align_final, train_final, test_final;
    size_t n;                        /* rows of the curves */
    double *step, *loss, *test, *lam; /* per step */
    size_t na;
    double *astep, *align;           /* AGOP alignment rows */
} sp_run;

typedef struct sp_state {
    sp_setting s;
    wl_dataset train, test;
    wl_mat G; /* true AGOP, d x d */
    wl_model *model;
    double *w0;
    double eta_crit, lr;
    sp_run runs[SP_MAX_B];
} sp_state;

/* Trains batch size st->s.batches[j] from w0 and fills st->runs[j]. */
int sp_train(sp_state *st, size_t j, uint64_t seed);
void sp_run_free(sp_run *r);
/* CSV tables, SVG plots and the summary values. */
int sp_write(const wl_exp_ctx *ctx, sp_state *st);
/* Spearman rank correlation (average ranks for ties); NaN if undefined. */
double sp_spearman(size_t n, const double *x, const double *y);

#endif
