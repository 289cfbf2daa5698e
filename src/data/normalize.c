/* Feature transforms (standardize, min-max scale, sphere) and targets. */
#include "widelab/data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* mean_j = (1/n) sum_i x_ij,  sd_j = sqrt((1/n) sum_i (x_ij - mean_j)^2) */
int wl_data_feature_stats(const wl_dataset *ref, double *mean, double *sd) {
    size_t n = ref->n, d = ref->d;
    if (n == 0) return wl_seterr(WL_EINVAL, "feature statistics of the empty set '%s'", ref->name);
    memset(mean, 0, d * sizeof *mean);
    memset(sd, 0, d * sizeof *sd);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) mean[j] += ref->X[i * d + j];
    for (size_t j = 0; j < d; j++) mean[j] /= (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            double e = ref->X[i * d + j] - mean[j];
            sd[j] += e * e;
        }
    for (size_t j = 0; j < d; j++) sd[j] = sqrt(sd[j] / (double)n);
    return WL_OK;
}

/* x_ij <- (x_ij - mean_j) / sd_j  (sd_j = 0: x_ij - mean_j) */
int wl_data_standardize(wl_dataset *ds, const wl_dataset *ref) {
    if (!ref) ref = ds;
    if (ref->d != ds->d)
        return wl_seterr(WL_EINVAL, "standardize: '%s' has %zu features, reference '%s' has %zu",
                         ds->name, ds->d, ref->name, ref->d);
    double *mean = wl_dalloc(ds->d ? ds->d : 1, "means"), *sd = wl_dalloc(ds->d ? ds->d : 1, "sds");
    int rc = (!mean || !sd) ? WL_ENOMEM : wl_data_feature_stats(ref, mean, sd);
    if (!rc) {
        for (size_t j = 0; j < ds->d; j++) sd[j] = sd[j] > 0 ? 1.0 / sd[j] : 1.0;
        for (size_t i = 0; i < ds->n; i++)
            for (size_t j = 0; j < ds->d; j++)
                ds->X[i * ds->d + j] = (ds->X[i * ds->d + j] - mean[j]) * sd[j];
    }
    free(mean);
    free(sd);
    return rc;
}

/* x_ij <- lo + (x_ij - min_j) (hi - lo) / (max_j - min_j) */
int wl_data_scale(wl_dataset *ds, const wl_dataset *ref, double lo, double hi, int per_feature) {
    if (!ref) ref = ds;
    size_t d = ds->d;
    if (ref->d != d)
        return wl_seterr(WL_EINVAL, "scale: '%s' has %zu features, reference '%s' has %zu",
                         ds->name, d, ref->name, ref->d);
    if (ref->n == 0) return wl_seterr(WL_EINVAL, "scale: the reference set '%s' is empty", ref->name);
    if (!(lo < hi)) return wl_seterr(WL_EINVAL, "scale: need lo < hi, got [%g, %g]", lo, hi);
    double *mn = wl_dalloc(d ? d : 1, "minima"), *mx = wl_dalloc(d ? d : 1, "maxima");
    if (!mn || !mx) {
        free(mn);
        free(mx);
        return WL_ENOMEM;
    }
    for (size_t j = 0; j < d; j++) mn[j] = mx[j] = ref->X[j];
    for (size_t i = 0; i < ref->n; i++)
        for (size_t j = 0; j < d; j++) {
            double v = ref->X[i * d + j];
            size_t t = per_feature ? j : 0;
            if (v < mn[t]) mn[t] = v;
            if (v > mx[t]) mx[t] = v;
        }
    for (size_t j = 0; j < d; j++) {
        size_t t = per_feature ? j : 0;
        double span = mx[t] - mn[t];
        double a = span > 0 ? (hi - lo) / span : 0.0;
        for (size_t i = 0; i < ds->n; i++) ds->X[i * d + j] = lo + (ds->X[i * d + j] - mn[t]) * a;
    }
    free(mn);
    free(mx);
    return WL_OK;
}

/* x_i <- x_i / ||x_i|| */
int wl_data_sphere(wl_dataset *ds) {
    for (size_t i = 0; i < ds->n; i++) {
        double *x = ds->X + i * ds->d;
        double r = wl_nrm2(ds->d, x);
        if (!(r > 0) || !isfinite(r))
            return wl_seterr(WL_ENUMERIC, "sphere: row %zu of '%s' has norm %g", i, ds->name, r);
        wl_scal(ds->d, 1.0 / r, x);
    }
    return WL_OK;
}

int wl_data_targets(wl_dataset *ds, int kind) {
    if (kind == WL_TARGETS_RAW) {
        if (!ds->Y || ds->target_kind != WL_TARGETS_RAW)
            return wl_seterr(WL_EINVAL, "'%s' has no regression targets (raw)", ds->name);
        return WL_OK;
    }
    if (kind == WL_TARGETS_NONE) {
        free(ds->Y);
        ds->Y = NULL;
        ds->k = 0;
        ds->target_kind = WL_TARGETS_NONE;
        return WL_OK;
    }
    if (kind != WL_TARGETS_ONEHOT && kind != WL_TARGETS_PM1 && kind != WL_TARGETS_LABEL)
        return wl_seterr(WL_EINVAL, "unknown target kind %d", kind);
    if (!ds->labels) return wl_seterr(WL_EINVAL, "'%s' has no class labels for targets", ds->name);
    if (kind == WL_TARGETS_PM1 && ds->n_classes != 2)
        return wl_seterr(WL_EINVAL, "+-1 targets need exactly 2 classes; '%s' has %zu (select "
                                    "two with --classes)", ds->name, ds->n_classes);
    size_t k = kind == WL_TARGETS_ONEHOT ? ds->n_classes : 1;
    double *Y = wl_dalloc(ds->n * k, "targets");
    if (!Y) return WL_ENOMEM;
    for (size_t i = 0; i < ds->n; i++) {
        int c = ds->labels[i];
        if (kind == WL_TARGETS_ONEHOT) Y[i * k + (size_t)c] = 1.0;
        else if (kind == WL_TARGETS_PM1) Y[i] = c ? 1.0 : -1.0;
        else Y[i] = c;
    }
    free(ds->Y);
    ds->Y = Y;
    ds->k = k;
    ds->target_kind = kind;
    return WL_OK;
}
