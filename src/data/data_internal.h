/* Helpers shared inside the data module. */
#ifndef WL_DATA_INTERNAL_H
#define WL_DATA_INTERNAL_H

#include "widelab/data.h"

/* labels[i] = v[i] (integers >= 0 required); n_classes = max + 1. */
int wl_data_labels_from_doubles(const char *path, const double *v, size_t n, int *labels,
                                size_t *n_classes);
/* Sets ds->name to the last path component of path. */
void wl_data_set_name(wl_dataset *ds, const char *path);

/* A .npy data set; with neither labels nor targets given, the siblings
 * PATH_labels.npy, PATH_targets.npy (and PATH_true_labels.npy with
 * PATH_corrupted.npy) written by wl_data_write are picked up. */
int wl_data_load_npy_set(const char *path, const char *labels, const char *targets,
                         wl_dataset *out);

#endif
