/* widelab data sets: loaders (IDX, CSV, NPY, CIFAR-10), named sets, synthetic
 * generators, transforms, label noise and writers.
 *
 *   wl_dataset tr = {0}, te = {0};
 *   if (wl_data_load("fashion-mnist:train", &tr)) puts(wl_errmsg());
 *   // tr.X: 60000 x 784 in [0, 1], tr.labels in 0..9
 *
 *   wl_data_opts o; wl_data_opts_default(&o);
 *   o.data = "fashion-mnist"; o.n_train = 1000; o.n_test = 500;
 *   o.classes = "0,1"; o.targets = "pm1"; o.label_noise = 0.1;
 *   wl_data_prepare(&o, &tr, &te);
 *   wl_dataset_free(&tr); wl_dataset_free(&te);
 *
 * Pixel data (IDX, CIFAR-10) is stored as bytes 0..255 and loaded as doubles
 * divided by 255, so features lie in [0, 1].
 */
#ifndef WIDELAB_DATA_H
#define WIDELAB_DATA_H

#include "widelab/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What Y holds. */
enum {
    WL_TARGETS_NONE = 0, /* k = 0, Y = NULL */
    WL_TARGETS_RAW,      /* regression targets, independent of any labels */
    WL_TARGETS_ONEHOT,   /* Y_ic = [labels_i == c], k = n_classes */
    WL_TARGETS_PM1,      /* two classes: Y_i = +1 for label 1, -1 for label 0, k = 1 */
    WL_TARGETS_LABEL     /* Y_i = labels_i as a number, k = 1 */
};

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
    int target_kind;       /* WL_TARGETS_*: how Y was made from the labels */
} wl_dataset;

/* ---- the dataset object --------------------------------------------------- */

/* Frees every array and zeroes *ds (safe on a zeroed struct). */
void wl_dataset_free(wl_dataset *ds);
/* Allocates X (n x d, zeroed), Y (n x k) when k > 0 and labels when
 * with_labels; *ds is overwritten (not freed). */
int wl_dataset_alloc(wl_dataset *ds, size_t n, size_t d, size_t k, int with_labels);
/* Deep copy: dst gets its own arrays (dst is overwritten, not freed). */
int wl_dataset_copy(wl_dataset *dst, const wl_dataset *src);
/* Views of X (n x d) and Y (n x k). */
wl_mat wl_dataset_X(const wl_dataset *ds);
wl_mat wl_dataset_Y(const wl_dataset *ds);
/* counts[c] = number of samples of class c, c < n_classes. */
int wl_dataset_class_counts(const wl_dataset *ds, size_t *counts);
/* Number of corrupted samples (0 when there is no mask). */
size_t wl_dataset_n_corrupted(const wl_dataset *ds);

/* ---- NumPy .npy ------------------------------------------------------------ */

/* Reads a .npy array (versions 1.0/2.0/3.0; dtypes <f8 <f4 |u1 <i8 <i4 <i2 |i1
 * <u2 <u4 <u8 |b1, converted to double; C order only) into a malloc'd
 * buffer. ndim <= 8 (0-d arrays read as ndim 0, one element). */
int wl_npy_read(const char *path, double **data, int *ndim, size_t shape[8]);
/* Writes a little-endian float64 C-order .npy atomically. */
int wl_npy_write(const char *path, const double *data, int ndim, const size_t *shape);
/* Writes an int array as '<i8' (labels). */
int wl_npy_write_int(const char *path, const int *data, int ndim, const size_t *shape);
/* Writes a byte array as '|u1' (masks). */
int wl_npy_write_u8(const char *path, const unsigned char *data, int ndim, const size_t *shape);

/* Streaming .npy writer: header first, then rows in blocks (a row is the
 * product of shape[1..ndim)); commit checks every row of shape[0] arrived and
 * renames the file into place; abort deletes it. */
typedef struct wl_npy_stream {
    wl_out out;
    size_t row_elems;   /* doubles per row */
    size_t rows_total;  /* shape[0] */
    size_t rows_done;
    int open;
} wl_npy_stream;
int wl_npy_stream_open(wl_npy_stream *s, const char *path, int ndim, const size_t *shape);
int wl_npy_stream_write(wl_npy_stream *s, const double *rows, size_t nrows);
int wl_npy_stream_commit(wl_npy_stream *s);
void wl_npy_stream_abort(wl_npy_stream *s);

/* ---- loaders ----------------------------------------------------------------- */

/* Reads an IDX file (plain or gzip) of unsigned bytes (type 0x08): *data is
 * malloc'd, dims[0..ndim) its shape. */
int wl_idx_read(const char *path, unsigned char **data, int *ndim, size_t dims[8]);
/* Images (IDX, n x rows x cols, or n x d) scaled by 1/255, and labels (IDX,
 * n, may be NULL). */
int wl_data_load_idx(const char *images, const char *labels, wl_dataset *out);

typedef struct wl_csv_opts {
    const char *label;   /* class-label column: name or 0-based index; NULL none */
    const char *target;  /* regression-target column: name or index; NULL none */
    int header;          /* -1 auto-detect, 0 none, 1 first line is a header */
    int allow_nonfinite; /* accept nan/inf cells */
    char delim;          /* 0: ',' (or ';' / tab when the first line has no ',') */
} wl_csv_opts;
void wl_csv_opts_default(wl_csv_opts *o);
/* Numeric CSV; every row must have the same number of cells. Label cells must
 * be integers >= 0; n_classes = max label + 1. */
int wl_data_load_csv(const char *path, const wl_csv_opts *o, wl_dataset *out);

/* Features from a .npy (n x ...: flattened to n x d, or 1-D: n x 1), optional
 * labels (.npy of n integers) and targets (.npy, n or n x k). */
int wl_data_load_npy(const char *features, const char *labels, const char *targets,
                     wl_dataset *out);

/* CIFAR-10 binary batches in dir: train = data_batch_1..5.bin, test =
 * test_batch.bin. X: n x 3072 (R, G, B planes of 32 x 32) in [0, 1]. */
int wl_data_load_cifar10(const char *dir, int train, wl_dataset *out);

/* The one entry point. spec is one of
 *   fashion-mnist[:train|:test]          /usr/share/datasets/fashion-mnist
 *   mnist:DIR[:train|:test]              IDX files with the MNIST names in DIR
 *   cifar10:DIR[:train|:test]
 *   PATH.npy[:labels=L.npy][:targets=T.npy]
 *   PATH.csv[:label=NAME_OR_INDEX][:target=NAME_OR_INDEX][:header=0|1][:nonfinite=1]
 *   PATH (an IDX image file)[:labels=LABELS]
 *   synth:NAME[:key=val,...]             see wl_data_synth
 * Without a :train/:test suffix the named sets load the training part. */
int wl_data_load(const char *spec, wl_dataset *out);
/* As wl_data_load; synthetic sets without seed= in the spec draw from rng
 * (NULL: seed 0). */
int wl_data_load_rng(const char *spec, const wl_rng *rng, wl_dataset *out);
/* 1 when spec names a set that has a separate test part (fashion-mnist, mnist,
 * cifar10) and selects neither part explicitly. */
int wl_data_spec_has_test(const char *spec);
/* The test-part spec of such a set ("fashion-mnist" -> "fashion-mnist:test"). */
int wl_data_spec_test(const char *spec, char *buf, size_t cap);

/* ---- synthetic sets ------------------------------------------------------------ */

enum { WL_SYNTH_RELU = 0, WL_SYNTH_TANH = 1 };

/* Gaussian linear regression: x ~ N(0, diag(eigs)) rotated by a random
 * orthogonal Q (covariance Q diag(eigs) Q^T; rotate = 0 keeps it diagonal),
 * y = x . w* + noise N(0, noise^2), w* ~ N(0, I/d). eigs NULL:
 * eigs_i = 10^(-decades i/(d-1)). w_star (d, may be NULL) receives w*. */
int wl_synth_linreg(wl_rng *rng, size_t n, size_t d, const double *eigs, double decades,
                    int rotate, double noise, wl_dataset *out, double *w_star);
/* Teacher network: x ~ N(0, I_d), y = (1/sqrt(m)) A act(W x / sqrt(d) + b)
 * + noise, W (m x d), b (m), A (k x m) ~ N(0, 1), drawn in that order from
 * rng, then X; act WL_SYNTH_RELU/TANH. */
int wl_synth_teacher(wl_rng *rng, size_t n, size_t d, size_t width, size_t k, int act,
                     double noise, wl_dataset *out);
/* Two Gaussians on the line: label 0 ~ N(-mu, sd^2), label 1 ~ N(+mu, sd^2),
 * equal classes (n/2 each, interleaved); targets -1/+1 (k = 1). */
int wl_synth_two_gauss(wl_rng *rng, size_t n, double mu, double sd, wl_dataset *out);
/* x uniform on the unit sphere S^{d-1} (d >= 2), target y = x1 x2 (k = 1). */
int wl_synth_sphere(wl_rng *rng, size_t n, size_t d, wl_dataset *out);
/* Binary Gaussian mixture in d dims: class c in {0, 1} with probability 1/2,
 * x ~ N((2c - 1) (sep/2) e_1, sd^2 I); labels 0/1, targets -1/+1 (k = 1). */
int wl_synth_mixture(wl_rng *rng, size_t n, size_t d, double sep, double sd,
                     wl_dataset *out);
/* Generator by name with "key=val,..." arguments (args may be NULL):
 *   linreg   n d noise decades eigs=e1/e2/... rotate=0|1
 *   teacher  n d width k act=relu|tanh noise
 *   gauss1d  n mu sd
 *   sphere   n d
 *   mixture  n d sep sd
 * all take seed=S (else rng is used; NULL rng: seed 0). */
int wl_data_synth(const char *name, const char *args, const wl_rng *rng, wl_dataset *out);

/* ---- transforms ------------------------------------------------------------------ */

/* out = rows idx[0..m) of src (deep copy, every array). */
int wl_data_select(const wl_dataset *src, const size_t *idx, size_t m, wl_dataset *out);
/* Random subset of m rows, kept in their original order (stratified: class
 * proportions kept by largest remainders, ties to the smaller class index;
 * each class sampled without replacement). */
int wl_data_subset(const wl_dataset *src, size_t m, int stratify, wl_rng *rng,
                   wl_dataset *out);
/* Random split: n_test rows to test, the rest to train (stratified
 * optional); both keep the original order. */
int wl_data_split(const wl_dataset *src, size_t n_test, int stratify, wl_rng *rng,
                  wl_dataset *train, wl_dataset *test);
/* Keeps the samples of classes[0..c) (distinct) and relabels classes[j] -> j,
 * n_classes = c; Y made from labels is rebuilt. In place; not after noise. */
int wl_data_keep_classes(wl_dataset *ds, const int *classes, size_t c);
/* Per-feature mean and standard deviation (1/n) of ref. */
int wl_data_feature_stats(const wl_dataset *ref, double *mean, double *sd);
/* x_ij = (x_ij - mean_j) / sd_j with the statistics of ref (NULL: ds itself);
 * features with sd_j = 0 are only centred. */
int wl_data_standardize(wl_dataset *ds, const wl_dataset *ref);
/* Affine map of the range of ref (NULL: ds) onto [lo, hi]: per feature when
 * per_feature, else one range for all entries. Constant ranges map to lo.
 * Entries of ds outside ref's range land outside [lo, hi]. */
int wl_data_scale(wl_dataset *ds, const wl_dataset *ref, double lo, double hi,
                  int per_feature);
/* x_i = x_i / ||x_i||; WL_ENUMERIC for a zero row. */
int wl_data_sphere(wl_dataset *ds);
/* Rebuilds Y from the labels: WL_TARGETS_ONEHOT, WL_TARGETS_PM1 (two
 * classes), WL_TARGETS_LABEL (labels as one column) or WL_TARGETS_NONE (drop
 * Y). WL_TARGETS_RAW keeps regression targets (error if there are none). */
int wl_data_targets(wl_dataset *ds, int kind);
/* Flips exactly round(p n) labels, chosen uniformly without replacement, each
 * to a different class chosen uniformly; keeps true_labels and corrupted, and
 * rebuilds Y when it was made from the labels (onehot, pm1, label). Applying
 * it twice is an error. */
int wl_data_label_noise(wl_dataset *ds, double p, wl_rng *rng);

/* ---- one code path for every command ----------------------------------------- */

typedef struct wl_data_opts {
    const char *data;       /* spec of the training set */
    const char *test_data;  /* spec of the test set, or NULL */
    size_t n_train, n_test; /* 0 = all (n_test: 0 = none when split from train) */
    const char *classes;    /* "3,5": keep these classes, relabelled 0..c-1; NULL all */
    const char *normalize;  /* none|standardize|unit|sym (NULL none) */
    int sphere;             /* project rows onto the unit sphere */
    const char *targets;    /* auto|onehot|pm1|raw (NULL auto) */
    double label_noise;     /* fraction of training labels flipped */
    int stratify;           /* class-stratified subsets */
    uint64_t seed;          /* subsets, splits, noise, synthetic sets */
} wl_data_opts;
void wl_data_opts_default(wl_data_opts *o);
/* Loads and transforms, in this order:
 *   1. load train (o->data) and, when test != NULL, the test set: o->test_data,
 *      else the test part of a named set (fashion-mnist, mnist, cifar10);
 *   2. keep classes (both sets);
 *   3. when test != NULL has no source yet and n_test > 0: split n_test rows
 *      off train (stratified if asked);
 *   4. subsets of n_train and n_test rows (stratified if asked);
 *   5. normalize with the statistics of train (standardize: per feature mean
 *      0 / sd 1; unit: per feature min-max to [0, 1]; sym: to [-1, 1]);
 *   6. sphere (rows to unit norm);
 *   7. label noise (train only);
 *   8. targets: auto keeps one-hot/pm1 targets a set came with, one-hot for
 *      other labelled sets, raw for regression; onehot | pm1 | raw.
 * Random streams are wl_rng_split(seed) 0 (synthetic train), 1 (synthetic
 * test), 2 (split), 3 (train subset), 4 (test subset), 5 (label noise).
 * test may be NULL; test->n == 0 when there is no test set. */
int wl_data_prepare(const wl_data_opts *o, wl_dataset *train, wl_dataset *test);

/* ---- writers ----------------------------------------------------------------------- */

/* Numeric CSV with a header x0..x{d-1}, then "label" (and "true_label",
 * "corrupted" after label noise), or y0..y{k-1} for regression; %.17g. */
int wl_data_write_csv(const wl_dataset *ds, const char *path);
/* PATH.npy: features; siblings PATH_labels.npy (<i8), PATH_targets.npy,
 * PATH_true_labels.npy and PATH_corrupted.npy (|u1) when present.
 * PATH.csv: wl_data_write_csv. */
int wl_data_write(const wl_dataset *ds, const char *path);

#ifdef __cplusplus
}
#endif
#endif
