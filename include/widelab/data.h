/* widelab data sets: loaders (IDX, CSV, NPY, CIFAR-10), named sets, synthetic
 * generators, transforms, label noise and writers.
 *
 * The functions of this area are declared below the struct by the data module.
 */
#ifndef WIDELAB_DATA_H
#define WIDELAB_DATA_H

#include "widelab/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A data set held in memory. All arrays are owned (free with wl_dataset_free).
 *   X: n x d features (row-major doubles)
 *   Y: n x k regression or one-hot targets
 *   labels: n class labels in [0, n_classes), or NULL for regression
 *   true_labels: labels before label noise was injected, or NULL
 *   corrupted: n flags, 1 where label noise flipped the label, or NULL */
typedef struct wl_dataset {
    size_t n, d, k;
    size_t n_classes;      /* 0 for regression */
    double *X;
    double *Y;
    int *labels;
    int *true_labels;
    unsigned char *corrupted;
    char name[128];
} wl_dataset;

void wl_dataset_free(wl_dataset *ds);

#ifdef __cplusplus
}
#endif
#endif
