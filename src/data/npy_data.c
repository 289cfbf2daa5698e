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

/* PATH.npy -> PATH_what.npy when that file exists */
static const char *npy_sibling(const char *path, const char *what, char *buf, size_t cap) {
    size_t n = strlen(path);
    if (n < 4 || strcmp(path + n - 4, ".npy") != 0) return NULL;
    int w = snprintf(buf, cap, "%.*s_%s.npy", (int)(n - 4), path, what);
    if (w < 0 || (size_t)w >= cap) return NULL;
    FILE *f = fopen(buf, "rb");
    if (!f) return NULL;
    fclose(f);
    return buf;
}

/* true_labels and corrupted siblings, as written by wl_data_write */
static int attach_noise(wl_dataset *ds, const char *tl, const char *cm) {
    double *a = NULL, *b = NULL;
    size_t na, nb, ca, cb;
    int rc = read_rows(tl, &a, &na, &ca);
    if (!rc) rc = read_rows(cm, &b, &nb, &cb);
    if (!rc && (na != ds->n || nb != ds->n || ca != 1 || cb != 1))
        rc = wl_seterr(WL_EFORMAT, "dimension mismatch: '%s' and '%s' must hold %zu values", tl, cm,
                       ds->n);
    size_t nc = 0;
    if (!rc && !(ds->true_labels = wl_calloc(ds->n ? ds->n : 1, sizeof(int), "true labels")))
        rc = WL_ENOMEM;
    if (!rc) rc = wl_data_labels_from_doubles(tl, a, ds->n, ds->true_labels, &nc);
    if (!rc && !(ds->corrupted = wl_calloc(ds->n ? ds->n : 1, 1, "noise mask"))) rc = WL_ENOMEM;
    for (size_t i = 0; !rc && i < ds->n; i++) {
        if (b[i] != 0.0 && b[i] != 1.0)
            rc = wl_seterr(WL_EFORMAT, "'%s': entry %zu is %g, not 0 or 1", cm, i, b[i]);
        else ds->corrupted[i] = b[i] != 0.0;
    }
    if (!rc && nc > ds->n_classes) ds->n_classes = nc;
    free(a);
    free(b);
    return rc;
}

/* WL_TARGETS_ONEHOT / PM1 when Y is exactly that encoding of the labels. */
static int detect_kind(const wl_dataset *ds) {
    if (!ds->labels || !ds->Y) return ds->Y ? WL_TARGETS_RAW : WL_TARGETS_NONE;
    int onehot = ds->k == ds->n_classes, pm1 = ds->k == 1 && ds->n_classes == 2;
    for (size_t i = 0; i < ds->n && (onehot || pm1); i++) {
        const double *y = ds->Y + i * ds->k;
        if (pm1 && y[0] != (ds->labels[i] ? 1.0 : -1.0)) pm1 = 0;
        for (size_t c = 0; onehot && c < ds->k; c++)
            if (y[c] != ((size_t)ds->labels[i] == c ? 1.0 : 0.0)) onehot = 0;
    }
    return onehot ? WL_TARGETS_ONEHOT : pm1 ? WL_TARGETS_PM1 : WL_TARGETS_RAW;
}

int wl_data_load_npy_set(const char *path, const char *labels, const char *targets,
                         wl_dataset *out) {
    char lb[4200], tb[4200], tl[4200], cm[4200];
    int automatic = !labels && !targets;
    if (automatic) {
        labels = npy_sibling(path, "labels", lb, sizeof lb);
        targets = npy_sibling(path, "targets", tb, sizeof tb);
    }
    int rc = wl_data_load_npy(path, labels, targets, out);
    if (rc) return rc;
    const char *t = automatic && labels ? npy_sibling(path, "true_labels", tl, sizeof tl) : NULL;
    const char *c = t ? npy_sibling(path, "corrupted", cm, sizeof cm) : NULL;
    if (t && c && (rc = attach_noise(out, t, c))) {
        wl_dataset_free(out);
        return rc;
    }
    out->target_kind = detect_kind(out);
    return WL_OK;
}
