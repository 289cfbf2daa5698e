/* CIFAR-10 binary batches: records of 1 label byte + 3072 pixel bytes
 * (R, G, B planes of 32 x 32), 10000 records per batch file. */
#include "widelab/data.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CIFAR_D 3072
#define CIFAR_REC (CIFAR_D + 1)

/* Number of records in a batch file; the size must be a multiple of 3073. */
static int batch_records(const char *path, size_t *m) {
    struct stat st;
    if (stat(path, &st) != 0) return wl_seterr(WL_EIO, "cannot open '%s': %s", path, strerror(errno));
    size_t sz = (size_t)st.st_size;
    if (sz % CIFAR_REC)
        return wl_seterr(WL_EFORMAT,
                         "'%s': size %zu bytes is not a multiple of the 3073-byte CIFAR-10 "
                         "record (the last record, from byte %zu, is truncated)",
                         path, sz, sz - sz % CIFAR_REC);
    *m = sz / CIFAR_REC;
    return WL_OK;
}

/* Appends the records of one batch at row `row` of ds. */
static int read_batch(const char *path, wl_dataset *ds, size_t row, size_t m) {
    FILE *f = fopen(path, "rb");
    if (!f) return wl_seterr(WL_EIO, "cannot open '%s': %s", path, strerror(errno));
    unsigned char rec[CIFAR_REC];
    double table[256];
    for (int v = 0; v < 256; v++) table[v] = v / 255.0;
    for (size_t r = 0; r < m; r++) {
        if (fread(rec, 1, CIFAR_REC, f) != CIFAR_REC) {
            fclose(f);
            return wl_seterr(WL_EFORMAT, "'%s': truncated record at byte %zu", path, r * CIFAR_REC);
        }
        if (rec[0] > 9) {
            fclose(f);
            return wl_seterr(WL_EFORMAT, "'%s': label %d at byte %zu is not in 0..9", path, rec[0],
                             r * CIFAR_REC);
        }
        ds->labels[row + r] = rec[0];
        double *x = ds->X + (row + r) * CIFAR_D;
        for (int j = 0; j < CIFAR_D; j++) x[j] = table[rec[1 + j]];
    }
    fclose(f);
    return WL_OK;
}

int wl_data_load_cifar10(const char *dir, int train, wl_dataset *out) {
    memset(out, 0, sizeof *out);
    char paths[5][4200];
    int nb = train ? 5 : 1;
    size_t counts[5], n = 0;
    for (int b = 0; b < nb; b++) {
        if (train) snprintf(paths[b], sizeof paths[b], "%s/data_batch_%d.bin", dir, b + 1);
        else snprintf(paths[b], sizeof paths[b], "%s/test_batch.bin", dir);
        int rc = batch_records(paths[b], &counts[b]);
        if (rc) return rc;
        n += counts[b];
    }
    wl_dataset ds;
    int rc = wl_dataset_alloc(&ds, n, CIFAR_D, 0, 1);
    if (rc) return rc;
    size_t row = 0;
    for (int b = 0; b < nb; b++) {
        if ((rc = read_batch(paths[b], &ds, row, counts[b]))) {
            wl_dataset_free(&ds);
            return rc;
        }
        row += counts[b];
    }
    ds.n_classes = 10;
    snprintf(ds.name, sizeof ds.name, "cifar10:%s", train ? "train" : "test");
    *out = ds;
    return WL_OK;
}
