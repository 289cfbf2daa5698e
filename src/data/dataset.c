/* The dataset object: allocation, deep copy, views, class counts. */
#include "widelab/data.h"
#include "data/data_internal.h"

#include <stdlib.h>
#include <string.h>

void wl_dataset_free(wl_dataset *ds) {
    if (!ds) return;
    free(ds->X);
    free(ds->Y);
    free(ds->labels);
    free(ds->true_labels);
    free(ds->corrupted);
    memset(ds, 0, sizeof *ds);
}

int wl_dataset_alloc(wl_dataset *ds, size_t n, size_t d, size_t k, int with_labels) {
    memset(ds, 0, sizeof *ds);
    if (d && n > SIZE_MAX / sizeof(double) / d)
        return wl_seterr(WL_ENOMEM, "dataset of %zu x %zu is too large", n, d);
    ds->X = wl_dalloc(n * d, "dataset features");
    if (!ds->X) return WL_ENOMEM;
    ds->n = n;
    ds->d = d;
    if (k) {
        if (n > SIZE_MAX / sizeof(double) / k) {
            wl_dataset_free(ds);
            return wl_seterr(WL_ENOMEM, "targets of %zu x %zu are too large", n, k);
        }
        ds->Y = wl_dalloc(n * k, "dataset targets");
        if (!ds->Y) {
            wl_dataset_free(ds);
            return WL_ENOMEM;
        }
        ds->k = k;
        ds->target_kind = WL_TARGETS_RAW;
    }
    if (with_labels) {
        ds->labels = wl_calloc(n, sizeof(int), "dataset labels");
        if (!ds->labels) {
            wl_dataset_free(ds);
            return WL_ENOMEM;
        }
    }
    return WL_OK;
}

/* Copies count elements of size sz, or leaves NULL when src is NULL. */
static int dup_array(void **dst, const void *src, size_t count, size_t sz, const char *what) {
    *dst = NULL;
    if (!src) return WL_OK;
    *dst = wl_calloc(count, sz, what);
    if (!*dst) return WL_ENOMEM;
    if (count) memcpy(*dst, src, count * sz);
    return WL_OK;
}

int wl_dataset_copy(wl_dataset *dst, const wl_dataset *src) {
    wl_dataset c = *src;
    c.X = NULL;
    c.Y = NULL;
    c.labels = c.true_labels = NULL;
    c.corrupted = NULL;
    int rc = dup_array((void **)&c.X, src->X, src->n * src->d, sizeof(double), "features");
    if (!rc) rc = dup_array((void **)&c.Y, src->Y, src->n * src->k, sizeof(double), "targets");
    if (!rc) rc = dup_array((void **)&c.labels, src->labels, src->n, sizeof(int), "labels");
    if (!rc)
        rc = dup_array((void **)&c.true_labels, src->true_labels, src->n, sizeof(int),
                       "true labels");
    if (!rc) rc = dup_array((void **)&c.corrupted, src->corrupted, src->n, 1, "noise mask");
    if (rc) {
        wl_dataset_free(&c);
        return rc;
    }
    *dst = c;
    return WL_OK;
}

wl_mat wl_dataset_X(const wl_dataset *ds) { return wl_mat_view(ds->X, ds->n, ds->d); }

wl_mat wl_dataset_Y(const wl_dataset *ds) { return wl_mat_view(ds->Y, ds->n, ds->k); }

int wl_dataset_class_counts(const wl_dataset *ds, size_t *counts) {
    if (!ds->labels) return wl_seterr(WL_EINVAL, "data set '%s' has no class labels", ds->name);
    memset(counts, 0, ds->n_classes * sizeof *counts);
    for (size_t i = 0; i < ds->n; i++) {
        int c = ds->labels[i];
        if (c < 0 || (size_t)c >= ds->n_classes)
            return wl_seterr(WL_EFORMAT, "data set '%s': label %d of sample %zu outside 0..%zu",
                             ds->name, c, i, ds->n_classes - 1);
        counts[c]++;
    }
    return WL_OK;
}

size_t wl_dataset_n_corrupted(const wl_dataset *ds) {
    size_t m = 0;
    if (ds->corrupted)
        for (size_t i = 0; i < ds->n; i++) m += ds->corrupted[i] != 0;
    return m;
}

void wl_data_set_name(wl_dataset *ds, const char *path) {
    const char *b = strrchr(path, '/');
    snprintf(ds->name, sizeof ds->name, "%s", b ? b + 1 : path);
}
