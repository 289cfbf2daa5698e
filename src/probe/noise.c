/* Label noise: loss, accuracy and gradient of clean vs corrupted samples. */
#include "widelab/probe.h"

#include <math.h>
#include <stdlib.h>

double wl_pred_accuracy(const wl_mat *F, const int *labels) {
    if (!F->rows) return NAN;
    size_t hit = 0;
    for (size_t i = 0; i < F->rows; i++) {
        int pred;
        if (F->cols == 1) pred = WL_AT(F, i, 0) > 0 ? 1 : 0;
        else {
            size_t best = 0;
            for (size_t c = 1; c < F->cols; c++)
                if (WL_AT(F, i, c) > WL_AT(F, i, best)) best = c;
            pred = (int)best;
        }
        hit += pred == labels[i];
    }
    return (double)hit / (double)F->rows;
}

/* Mean loss, sum-scaled gradient (n_part/n) * grad L_part and predictions on
 * one part (idx, m). */
static int measure_part(wl_objective *o, const double *w, const size_t *idx, size_t m,
                        double *loss, double *g) {
    size_t p = wl_objective_model(o)->dim, n = wl_objective_n(o);
    if (m == 0) {
        *loss = NAN;
        for (size_t j = 0; j < p; j++) g[j] = 0;
        return WL_OK;
    }
    int rc = wl_objective_grad(o, w, idx, m, loss, g);
    if (rc) return rc;
    wl_scal(p, (double)m / (double)n, g); /* (1/n) sum_{i in part} l'(f_i) grad f_i */
    return WL_OK;
}

static double part_accuracy(wl_model *mod, const double *w, const wl_mat *X, const size_t *idx,
                            size_t m, const int *labels, int *ok) {
    if (!labels || !m) return NAN;
    wl_mat Xs, F;
    *ok = wl_mat_alloc(&Xs, m, X->cols);
    if (*ok) return NAN;
    *ok = wl_mat_alloc(&F, m, mod->n_out);
    if (*ok) {
        wl_mat_free(&Xs);
        return NAN;
    }
    int *lab = malloc(m * sizeof *lab);
    double acc = NAN;
    if (!lab) {
        *ok = wl_seterr(WL_ENOMEM, "noise probe: out of memory");
        goto done;
    }
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < X->cols; j++) WL_AT(&Xs, i, j) = WL_AT(X, idx[i], j);
        lab[i] = labels[idx[i]];
    }
    *ok = wl_model_forward(mod, w, &Xs, &F);
    if (!*ok) acc = wl_pred_accuracy(&F, lab);
done:
    free(lab);
    wl_mat_free(&Xs);
    wl_mat_free(&F);
    return acc;
}

int wl_noise_measure(wl_objective *o, const double *w, const wl_mat *X,
                     const unsigned char *corrupted, const int *labels, const int *true_labels,
                     wl_noise_stats *out) {
    wl_model *mod = wl_objective_model(o);
    size_t n = wl_objective_n(o), p = mod->dim;
    if (X->rows != n)
        return wl_seterr(WL_EINVAL, "noise probe: %zu input rows for an objective of %zu samples",
                         X->rows, n);
    size_t *clean = malloc(n * sizeof *clean), *noisy = malloc(n * sizeof *noisy);
    double *gc = wl_dalloc(p, "clean gradient"), *gn = wl_dalloc(p, "noisy gradient");
    int rc = WL_OK;
    if (!clean || !noisy || !gc || !gn) {
        rc = wl_seterr(WL_ENOMEM, "noise probe: out of memory");
        goto done;
    }
    size_t nc = 0, nn = 0;
    for (size_t i = 0; i < n; i++) {
        if (corrupted && corrupted[i]) noisy[nn++] = i;
        else clean[nc++] = i;
    }
    out->n_clean = nc;
    out->n_noisy = nn;
    if ((rc = measure_part(o, w, clean, nc, &out->loss_clean, gc))) goto done;
    if ((rc = measure_part(o, w, noisy, nn, &out->loss_noisy, gn))) goto done;
    out->gnorm_clean = wl_nrm2(p, gc);
    out->gnorm_noisy = wl_nrm2(p, gn);
    out->gnorm_ratio = out->gnorm_noisy > 0 ? out->gnorm_clean / out->gnorm_noisy : NAN;
    double den = out->gnorm_clean * out->gnorm_noisy;
    out->cosine = den > 0 ? wl_dot(p, gc, gn) / den : NAN;
    int ok = WL_OK;
    out->acc_clean = part_accuracy(mod, w, X, clean, nc, labels, &ok);
    if (!ok) out->acc_noisy = part_accuracy(mod, w, X, noisy, nn, labels, &ok);
    if (!ok) out->acc_noisy_true = part_accuracy(mod, w, X, noisy, nn, true_labels, &ok);
    rc = ok;
done:
    free(clean);
    free(noisy);
    free(gc);
    free(gn);
    return rc;
}
