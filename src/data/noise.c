/* Label noise: flip exactly round(p n) labels to another class. */
#include "widelab/data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* For m = round(p n) distinct rows i: labels_i <- c != labels_i, uniform. */
int wl_data_label_noise(wl_dataset *ds, double p, wl_rng *rng) {
    if (!(p >= 0.0 && p <= 1.0))
        return wl_seterr(WL_EINVAL, "label noise rate %g is not in [0, 1]", p);
    if (!ds->labels) return wl_seterr(WL_EINVAL, "'%s' has no class labels to corrupt", ds->name);
    if (ds->n_classes < 2)
        return wl_seterr(WL_EINVAL, "label noise needs >= 2 classes; '%s' has %zu", ds->name,
                         ds->n_classes);
    if (ds->true_labels)
        return wl_seterr(WL_EINVAL, "label noise was already injected into '%s'", ds->name);
    size_t n = ds->n, m = (size_t)llround(p * (double)n);
    int *truth = wl_calloc(n ? n : 1, sizeof *truth, "true labels");
    unsigned char *mask = wl_calloc(n ? n : 1, 1, "noise mask");
    size_t *idx = wl_calloc(m ? m : 1, sizeof *idx, "noisy rows");
    int rc = (!truth || !mask || !idx) ? WL_ENOMEM : wl_rng_sample(rng, n, m, idx);
    if (rc) {
        free(truth);
        free(mask);
        free(idx);
        return rc ? rc : WL_ENOMEM;
    }
    memcpy(truth, ds->labels, n * sizeof *truth);
    for (size_t j = 0; j < m; j++) {
        size_t i = idx[j];
        int c = (int)wl_rng_below(rng, ds->n_classes - 1);
        if (c >= ds->labels[i]) c++;
        ds->labels[i] = c;
        mask[i] = 1;
    }
    free(idx);
    ds->true_labels = truth;
    ds->corrupted = mask;
    int kind = ds->target_kind;
    if (kind == WL_TARGETS_ONEHOT || kind == WL_TARGETS_PM1 || kind == WL_TARGETS_LABEL)
        return wl_data_targets(ds, kind);
    return WL_OK;
}
