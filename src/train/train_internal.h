/* Internals of the training loop shared by its files. */
#ifndef WL_TRAIN_INTERNAL_H
#define WL_TRAIN_INTERNAL_H

#include "widelab/kernel.h"
#include "widelab/probe.h"
#include "widelab/train.h"

#define WL_PROBE_MAX_COLS 8
#define WL_TRAIN_MAX_PROBES 12

typedef struct wl_probe wl_probe;

/* One probe: every `every` steps, fills ncols values. State that must
 * survive a resume is saved as doubles. */
struct wl_probe {
    char name[32];
    size_t every;
    int option;                     /* probe-specific flag from "NAME:EVERY:OPTION" */
    size_t ncols;
    char cols[WL_PROBE_MAX_COLS][40];
    int (*measure)(wl_probe *p, wl_trainer *t, double *vals);
    size_t (*state_size)(const wl_probe *p);
    void (*state_save)(const wl_probe *p, double *buf);
    void (*state_load)(wl_probe *p, const double *buf);
    void (*free)(wl_probe *p);
    void *data;
    double seconds;
};

struct wl_trainer {
    wl_model *model;
    wl_loss_kind loss;
    const wl_dataset *train, *test, *val;
    wl_mat Xtr, Ytr, Xte, Yte, Xva, Yva;
    wl_objective *obj, *obj_test, *obj_val;
    wl_optim_config ocfg;
    wl_train_config tc;
    wl_optim *opt;
    wl_batcher *batcher;
    wl_rng rng;                     /* probe samples */
    double *w, *w0, *g;
    size_t step;
    double last_batch_loss;
    const size_t *last_batch;       /* indices of the last batch (valid in probes) */
    size_t last_nb;
    /* evaluation sample of the training set */
    size_t *eval_idx;
    size_t eval_n;
    /* fixed probe sample */
    size_t *probe_idx;
    size_t probe_n;
    wl_mat Xp, Yp;
    wl_objective *obj_probe;
    wl_probe *probes[WL_TRAIN_MAX_PROBES];
    size_t nprobes;
    wl_table *metrics;
    wl_mat agop_target;
    /* early stopping */
    double best_val;
    size_t best_step, bad_evals;
    double *w_best;
    int early_stopped;
    double t_train, t_eval, t_probe;
};

/* Creates the probe named by spec (wl_trainer_add_probe's parser). */
int wl_probe_create(wl_trainer *t, const char *name, size_t every, int option, wl_probe **out);
void wl_probe_destroy(wl_probe *p);

/* Trace NTK of the trainer's model at w on X, divided by the number of
 * outputs (the per-output kernel of the loss Hessian): K: n x n allocated. */
int wl_train_kernel(wl_trainer *t, const double *w, const wl_mat *X, wl_mat *K);

#endif
