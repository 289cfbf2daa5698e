/* catapult experiment: shared state of exp_catapult.c and catapult_out.c. */
#ifndef WL_EXP_CATAPULT_H
#define WL_EXP_CATAPULT_H

#include "widelab/exp.h"
#include "widelab/train.h"

enum { N_MODELS = 3, MAX_LR = 8 };
extern const char *const wl_catapult_model_names[3];

/* Thresholds of the claims (also in docs/papers/catapult.md). */
#define CONVERGED_FRAC 1e-2 /* converged: final loss < 1e-2 L0 */
#define MONO_RISE 1.05      /* monotone-ish: loss never above 1.05 L0 */
#define CATAPULT_RISE 2.0   /* catapult: peak loss > 2 L0, then converged */
#define DIVERGE_RISE 1e3    /* diverged: NaN/Inf or final loss > 1e3 L0 */

typedef struct cat_setting {
    size_t n, d, width, steps, kernel_every;
    const char *act;
    size_t nlr;
    double factors[MAX_LR];
} cat_setting;

typedef struct cat_run {
    double L0, peak, final, lam_final; /* lam: lambda_max(K)/n */
    int diverged, converged, mono, catapult;
    size_t nsteps, nk;  /* curve lengths */
    double *steps, *loss, *ksteps, *klam;
} cat_run;

typedef struct cat_state {
    cat_setting s;
    wl_dataset ds;
    wl_model *models[N_MODELS];
    double *w0;
    double lam0, eta_crit;
    cat_run runs[N_MODELS][MAX_LR];
} cat_state;

/* catapult.csv, curves.csv, the three plots and the summary values. */
int cat_write(const wl_exp_ctx *ctx, cat_state *st);

#endif
