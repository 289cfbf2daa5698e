/* widelab train: the training loop shared by `widelab train` and the
 * experiments: mini-batches, evaluation, probes, early stopping, metrics,
 * checkpoints and exact resumption.
 *
 *   wl_train_config tc; wl_train_defaults(&tc);
 *   tc.steps = 1000; tc.eval_every = 100; tc.run_dir = "runs/a";
 *   wl_trainer *t;
 *   wl_trainer_new(model, WL_LOSS_MSE, &train, &test, &ocfg, &tc, w0, &t);
 *   wl_trainer_add_probe(t, "kernel:50");
 *   int rc = wl_trainer_run(t, NULL, NULL);     // WL_ENUMERIC on divergence
 *   const wl_table *m = wl_trainer_metrics(t);  // one row per measured step
 *
 * Rows of the metrics table: a row is added at every step where the
 * evaluation or a probe is due (eval columns are empty on probe-only rows).
 * Columns: step, epoch, batch_loss, train_loss, train_acc, test_loss,
 * test_acc, lr, grad_norm (full-batch gradient on the evaluation sample),
 * dist_init (||w - w0||), time (seconds of training, evaluation excluded),
 * then each probe's columns. Step s's row describes w after s steps.
 */
#ifndef WIDELAB_TRAIN_H
#define WIDELAB_TRAIN_H

#include "widelab/data.h"
#include "widelab/optim.h"
#include "widelab/report.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wl_train_config {
    size_t steps;           /* optimizer steps in all */
    size_t eval_every;      /* evaluate every N steps (and at 0 and the end); 0 = ends only */
    size_t eval_max;        /* evaluate train loss/accuracy on at most N samples (0 = all) */
    size_t early_stop;      /* stop after N evaluations without a better validation
                               error (0 = off); validation = the val set, else test */
    size_t probe_n;         /* size of the fixed probe sample (from train) */
    double spike_factor;    /* spikes probe: rise factor over the running minimum */
    uint64_t seed;          /* batches and probe samples */
    const char *run_dir;    /* checkpoint.npz and metrics.csv here (NULL: none) */
    int keep_best;          /* with early_stop: restore the best parameters at the end */
} wl_train_config;

void wl_train_defaults(wl_train_config *c);

typedef struct wl_trainer wl_trainer;

/* Training on `train` (X, Y, labels, corrupted...) of model m from w_init
 * (dim); test and val may be NULL. The data sets, model and configs are
 * referenced and must outlive the trainer. */
int wl_trainer_new(wl_model *m, wl_loss_kind loss, const wl_dataset *train,
                   const wl_dataset *test, const wl_dataset *val, const wl_optim_config *ocfg,
                   const wl_train_config *tc, const double *w_init, wl_trainer **out);
void wl_trainer_free(wl_trainer *t);

/* Attaches a probe "NAME[:EVERY]" (see probe list below); before running. */
int wl_trainer_add_probe(wl_trainer *t, const char *spec);
/* Names of the available probes, NULL-terminated. */
const char *const *wl_train_probe_names(void);
/* Sets the AGOP probe's target (d x d, copied). */
int wl_trainer_set_agop_target(wl_trainer *t, const wl_mat *G);

/* Continues from run_dir/checkpoint.npz: parameters, optimizer, batches,
 * probes and metrics resume exactly where the checkpoint was taken. */
int wl_trainer_resume(wl_trainer *t, const char *checkpoint);

/* Called after each metrics row; return non-zero to stop (e.g. a signal). */
typedef int (*wl_train_callback)(void *ctx, const wl_trainer *t);

/* Runs to tc->steps (or early stop). WL_ENUMERIC when the loss or gradient
 * becomes NaN/Inf: the message names the step; w stays at the last good
 * point and the last checkpoint is kept. */
int wl_trainer_run(wl_trainer *t, wl_train_callback cb, void *ctx);

const wl_table *wl_trainer_metrics(const wl_trainer *t);
const double *wl_trainer_params(const wl_trainer *t);
const double *wl_trainer_init_params(const wl_trainer *t);
size_t wl_trainer_step(const wl_trainer *t);
wl_optim *wl_trainer_optim(wl_trainer *t);
wl_objective *wl_trainer_objective(wl_trainer *t);

typedef struct wl_train_status {
    size_t step;              /* steps done */
    int early_stopped;        /* 1 if stopped by early stopping */
    size_t best_step;         /* step of the best validation error (early stopping) */
    double best_val_error;    /* 1 - accuracy (classification) or loss */
    double probe_seconds;     /* time spent in probes */
    double train_seconds;     /* time spent in optimizer steps */
    double eval_seconds;      /* time spent in evaluations */
} wl_train_status;
void wl_trainer_status(const wl_trainer *t, wl_train_status *s);

/* Spectral `auto` settings for any model (network, Taylor, kernel, linear)
 * from its tangent kernel on the sample Xs: K = trace NTK / k (per-output
 * kernel), wl_spectral_from_kernel, wl_spectral_choose(batch; 0 = |Xs|) and,
 * when cfg is not NULL, wl_spectral_configure(cfg). */
int wl_train_auto(wl_model *m, const double *w, const wl_mat *Xs, size_t batch,
                  wl_optim_config *cfg, wl_spectral *sp);

/* Writes run_dir/checkpoint.npz and metrics.csv now (also done at every
 * evaluation when run_dir is set). */
int wl_trainer_checkpoint(wl_trainer *t);

#ifdef __cplusplus
}
#endif
#endif
