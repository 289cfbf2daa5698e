/* Label noise: loss, accuracy and gradient of clean vs corrupted samples. */
#include "widelab/probe.h"

#include <math.h>
#include <stdlib.h>

/* Mean loss and the part's share of the full gradient, (1/n) sum_{i in part}
 * l'(f_i) grad f_i = (m/n) grad L_part, on the rows idx[0..m). */
static int measure_part(wl_objective *o, const double *w, const size_t *idx, size_t m,
                        double *loss, double *g) {
    size_t p = wl_objective_model(o)->dim, n = wl_objective_n(o);
    if (m == 0) {
        *loss = NAN;
        for (size_t j = 0; j < p; j++) g[j] = 0;
        return WL_OK;
    }
    int rc = wl_objective_grad(o, w, idx, m, loss, g);
    if (!rc) wl_scal(p, (double)m / (double)n, g);
    return rc;
}

/* Accuracy of f on rows idx[0..m) against labels[idx[i]] (NaN if none). */
static int part_accuracy(wl_objective *o, const double *w, const size_t *idx, size_t m,
                         const int *labels, double *acc) {
    *acc = NAN;
    if (!labels || !m) return WL_OK;
    wl_mat F;
    int rc = wl_mat_alloc(&F, m, wl_objective_model(o)->n_out);
    int *lab = malloc(m * sizeof *lab);
    if (rc || !lab) {
        free(lab);
        wl_mat_free(&F);
        return rc ? rc : wl_seterr(WL_ENOMEM, "noise probe: out of memory");
    }
    for (size_t i = 0; i < m; i++) lab[i] = labels[idx[i]];
    rc = wl_objective_forward(o, w, idx, m, &F);
    if (!rc) rc = wl_accuracy_labels(&F, lab, acc);
    free(lab);
    wl_mat_free(&F);
    return rc;
}

int wl_noise_measure(wl_objective *o, const double *w, const unsigned char *corrupted,
                     const int *labels, const int *true_labels, wl_noise_stats *out) {
    size_t n = wl_objective_n(o), p = wl_objective_model(o)->dim;
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
    if ((rc = part_accuracy(o, w, clean, nc, labels, &out->acc_clean))) goto done;
    if ((rc = part_accuracy(o, w, noisy, nn, labels, &out->acc_noisy))) goto done;
    rc = part_accuracy(o, w, noisy, nn, true_labels, &out->acc_noisy_true);
done:
    free(clean);
    free(noisy);
    free(gc);
    free(gn);
    return rc;
}
