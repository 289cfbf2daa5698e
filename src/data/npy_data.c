/* A data set from .npy files: features, optional labels and targets. */
#include "widelab/data.h"
#include "data/data_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Reads an array with n = shape[0] rows; cols = product of the rest (1-D: 1). */
static int read_rows(const char *path, double **a, size_t *n, size_t *cols) {
    int nd;
    size_t shape[8];
    int rc = wl_npy_read(path, a, &nd, shape);
    if (rc) return rc;
    if (nd < 1) {
        free(*a);
        *a = NULL;
        return wl_seterr(WL_EFORMAT, "'%s': a 0-d array cannot be a data set", path);
    }
    *n = shape[0];
    *cols = 1;
    for (int i = 1; i < nd; i++) *cols *= shape[i];
    return WL_OK;
}

/* labels must be integers in [0, 2^31) */
int wl_data_labels_from_doubles(const char *path, const double *v, size_t n, int *labels,
                                size_t *n_classes) {
    long mx = -1;
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] >= 0 && v[i] < 2147483647.0) || v[i] != floor(v[i]))
            return wl_seterr(WL_EFORMAT, "'%s': label %zu is %.17g, not an integer >= 0", path,
                             i, v[i]);
        labels[i] = (int)v[i];
        if (labels[i] > mx) mx = labels[i];
    }
    *n_classes = (size_t)(mx + 1);
    return WL_OK;
}

static int attach_labels(wl_dataset *ds, const char *path) {
    double *v;
    size_t n, c;
    int rc = read_rows(path, &v, &n, &c);
    if (rc) return rc;
    if (n != ds->n || c != 1) {
        free(v);
        return wl_seterr(WL_EFORMAT,
                         "dimension mismatch: features have %zu rows but labels '%s' hold %zu "
                         "x %zu (expected %zu labels)",
                         ds->n, path, n, c, ds->n);
    }
    ds->labels = wl_calloc(n ? n : 1, sizeof(int), "labels");
    if (!ds->labels) rc = WL_ENOMEM;
    else rc = wl_data_labels_from_doubles(path, v, n, ds->labels, &ds->n_classes);
    free(v);
    return rc;
}

static int attach_targets(wl_dataset *ds, const char *path) {
    double *v;
    size_t n, k;
    int rc = read_rows(path, &v, &n, &k);
    if (rc) return rc;
    if (n != ds->n) {
        free(v);
        return wl_seterr(WL_EFORMAT,
                         "dimension mismatch: features have %zu rows but targets '%s' have %zu",
                         ds->n, path, n);
    }
    ds->Y = v;
    ds->k = k;
    ds->target_kind = WL_TARGETS_RAW;
    return WL_OK;
}

int wl_data_load_npy(const char *features, const char *labels, const char *targets,
                     wl_dataset *out) {
    memset(out, 0, sizeof *out);
    wl_dataset ds;
    memset(&ds, 0, sizeof ds);
    int rc = read_rows(features, &ds.X, &ds.n, &ds.d);
    if (rc) return rc;
    wl_data_set_name(&ds, features);
    if (labels && (rc = attach_labels(&ds, labels))) goto fail;
    if (targets && (rc = attach_targets(&ds, targets))) goto fail;
    *out = ds;
    return WL_OK;
fail:
    wl_dataset_free(&ds);
    return rc;
}
