/* widelab probe: measurements of the papers taken on a model during training.
 *
 * Each measurement is a plain function here; the training loop attaches them
 * as probes (see train.h) that add columns to metrics.csv.
 *
 * Conventions: the loss is the mean loss of loss.h (MSE: (1/n) sum 1/2||f-y||^2).
 */
#ifndef WIDELAB_PROBE_H
#define WIDELAB_PROBE_H

#include "widelab/loss.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- AGOP (average gradient outer product) -------------------------------- */

/* AGOP = (1/n) sum_i sum_c grad_x f_c(x_i) grad_x f_c(x_i)^T    G: d x d
 * (uses the model's xvjp; WL_EUNSUP for models without input gradients). */
int wl_agop(wl_model *m, const double *w, const wl_mat *X, wl_mat *G);
/* <A, B>_F / (||A||_F ||B||_F); NaN if either is zero. */
double wl_agop_alignment(const wl_mat *A, const wl_mat *B);

/* ---- linearity ------------------------------------------------------------- */

/* Distance of f from its linearization at w0 on X:
 *   abs = ||f(w) - f(w0) - J(w0)(w - w0)||_F / sqrt(n)
 *   rel = ||f(w) - f(w0) - J(w0)(w - w0)||_F / ||f(w) - f(w0)||_F
 * F0 (n x k, may be NULL) is f(w0; X) if already known. */
int wl_linearity_gap(wl_model *m, const double *w0, const double *w, const wl_mat *X,
                     const wl_mat *F0, double *abs_gap, double *rel_gap);

/* ---- label noise: clean vs corrupted samples ------------------------------ */

typedef struct wl_noise_stats {
    size_t n_clean, n_noisy;
    double loss_clean, loss_noisy;         /* mean loss on each part */
    double acc_clean, acc_noisy;           /* accuracy w.r.t. the given labels */
    double acc_noisy_true;                 /* corrupted samples: accuracy w.r.t. true labels */
    double gnorm_clean, gnorm_noisy;       /* ||sum_{i in part} l'(f_i) grad f_i|| / n */
    double gnorm_ratio;                    /* gnorm_clean / gnorm_noisy */
    double cosine;                         /* cos(g_clean, g_noisy) */
} wl_noise_stats;

/* Splits the training objective's samples by the corrupted mask (n flags)
 * and measures both parts; labels/true_labels (n, may be NULL) give the
 * accuracies (wl_predict_class: argmax for k > 1, sign for k = 1). The
 * gradients are the two parts of the full-data gradient, so
 * g = g_clean + g_noisy exactly. */
int wl_noise_measure(wl_objective *o, const double *w, const unsigned char *corrupted,
                     const int *labels, const int *true_labels, wl_noise_stats *out);

/* ---- catapult / spike detection -------------------------------------------- */

/* A spike: the loss rises above `factor` times its running minimum, then
 * falls back below it. Feed the training loss step by step. */
typedef struct wl_spikes {
    double factor;
    double run_min;   /* running minimum before the current spike */
    int in_spike;
    size_t count;     /* completed spikes */
    size_t start;     /* step where the current/last spike started */
    double peak;      /* peak loss of the current/last spike */
    double last_peak_ratio; /* peak / run_min of the last completed spike */
} wl_spikes;

void wl_spikes_init(wl_spikes *s, double factor);
/* Returns 1 when a spike starts at this step, 2 when one ends, 0 otherwise.
 * A non-finite loss counts as rising (divergence never "ends"). */
int wl_spikes_update(wl_spikes *s, size_t step, double loss);

#ifdef __cplusplus
}
#endif
#endif
