/* aiming experiment: shared state of exp_aiming.c and aiming_run.c. */
#ifndef WL_EXP_AIMING_H
#define WL_EXP_AIMING_H

#include "widelab/exp.h"
#include "widelab/train.h"

/* Thresholds of the claims (also in docs/papers/aiming.md). */
#define AIM_FLOOR 100.0   /* judge a_t where L(w_t) >= 100 L(w_T) */
#define AIM_MIN_ROWS 5    /* at least this many such evaluations */
#define AIM_THETA 0.5     /* aiming: min_t a_t >= 0.5 */
#define AIM_R2 0.9        /* geometric decay: log-linear fit R^2 >= 0.9 ... */
#define AIM_QUARTER 2.0   /* ... and every quarter of the run cuts the loss >= 2x */

typedef struct aim_setting {
    size_t n, d, width, batch, steps, every;
} aim_setting;

typedef struct aim_run {
    size_t n;                     /* evaluations */
    double *step, *loss, *a, *dist; /* per evaluation: L(w_t), a_t, ||w_t - w_T|| */
    size_t nvalid;
    double theta, a_median, a_max; /* over the judged evaluations */
    double loss0, loss_T, dist_T;  /* dist_T = ||w_T - w_0|| */
    double rate, r2;               /* log L = c + log(rate) t fit, R^2 */
    double quarter[4];             /* L(start of quarter) / L(end of quarter) */
} aim_run;

typedef struct aim_state {
    char spec[96];
    wl_dataset ds;
    wl_model *net, *lin;
    double *w0;
    double lr;
    aim_run runs[2]; /* network, linearized */
} aim_state;

int aim_setup(const aim_setting *s, uint64_t seed, aim_state *st);
/* Trains model k (0 network, 1 linearization) and measures a_t. */
int aim_train(const aim_setting *s, aim_state *st, int k, uint64_t seed, aim_run *r);
int aim_write(const wl_exp_ctx *ctx, const aim_setting *s, aim_state *st);
void aim_state_free(aim_state *st);

#endif
