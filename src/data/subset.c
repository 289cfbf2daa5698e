/* Row selection: select, random (stratified) subsets, splits, class subsets. */
#include "widelab/data.h"

#include <stdlib.h>
#include <string.h>

/* out = rows idx of src;  X: m x d, Y: m x k */
int wl_data_select(const wl_dataset *src, const size_t *idx, size_t m, wl_dataset *out) {
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < m; i++)
        if (idx[i] >= src->n)
            return wl_seterr(WL_EINVAL, "select: index %zu out of range (n = %zu)", idx[i], src->n);
    wl_dataset ds;
    int rc = wl_dataset_alloc(&ds, m, src->d, src->Y ? src->k : 0, src->labels != NULL);
    if (!rc && src->true_labels && !(ds.true_labels = wl_calloc(m ? m : 1, sizeof(int), "true labels")))
        rc = WL_ENOMEM;
    if (!rc && src->corrupted && !(ds.corrupted = wl_calloc(m ? m : 1, 1, "noise mask")))
        rc = WL_ENOMEM;
    if (rc) {
        wl_dataset_free(&ds);
        return rc;
    }
    for (size_t i = 0; i < m; i++) {
        size_t r = idx[i];
        if (src->d) memcpy(ds.X + i * src->d, src->X + r * src->d, src->d * sizeof(double));
        if (ds.Y) memcpy(ds.Y + i * src->k, src->Y + r * src->k, src->k * sizeof(double));
        if (ds.labels) ds.labels[i] = src->labels[r];
        if (ds.true_labels) ds.true_labels[i] = src->true_labels[r];
        if (ds.corrupted) ds.corrupted[i] = src->corrupted[r];
    }
    ds.n_classes = src->n_classes;
    ds.target_kind = src->target_kind;
    memcpy(ds.name, src->name, sizeof ds.name);
    *out = ds;
    return WL_OK;
}

static int cmp_size(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* take[c] = class c's share of m by largest remainders: floor(m n_c / n),
 * then one more for the largest remainders m n_c mod n (smaller c first on
 * ties). rem: C scratch. Exact in 64 bits for m n_c < 2^64. */
static void allocate(const size_t *counts, size_t C, size_t n, size_t m, size_t *take,
                     uint64_t *rem) {
    size_t given = 0;
    for (size_t c = 0; c < C; c++) {
        uint64_t prod = (uint64_t)m * counts[c];
        take[c] = (size_t)(prod / n);
        rem[c] = prod % n;
        given += take[c];
    }
    for (; given < m; given++) {
        size_t best = 0;
        for (size_t c = 1; c < C; c++)
            if (rem[c] > rem[best]) best = c;
        take[best]++;
        rem[best] = 0;
    }
}

/* chosen[0..m): sorted row indices of a (stratified) random subset */
static int choose_rows(const wl_dataset *src, size_t m, int stratify, wl_rng *rng, size_t *chosen) {
    if (!stratify) {
        int rc = wl_rng_sample(rng, src->n, m, chosen);
        if (rc) return rc;
        qsort(chosen, m, sizeof *chosen, cmp_size);
        return WL_OK;
    }
    if (!src->labels || src->n_classes == 0)
        return wl_seterr(WL_EINVAL, "stratified subset of '%s': the set has no class labels",
                         src->name);
    if (src->n > UINT32_MAX)
        return wl_seterr(WL_EUNSUP, "stratified subsets need n < 2^32 (n = %zu)", src->n);
    size_t C = src->n_classes;
    size_t *counts = wl_calloc(C, sizeof *counts, "class counts");
    size_t *take = wl_calloc(C, sizeof *take, "class shares");
    uint64_t *rem = wl_calloc(C, sizeof *rem, "class remainders");
    size_t *rows = wl_calloc(src->n ? src->n : 1, sizeof *rows, "rows by class");
    size_t *start = wl_calloc(C + 1, sizeof *start, "class starts");
    size_t *pick = wl_calloc(src->n ? src->n : 1, sizeof *pick, "picks");
    int rc = (!counts || !take || !rem || !rows || !start || !pick) ? WL_ENOMEM : WL_OK;
    if (!rc) rc = wl_dataset_class_counts(src, counts);
    if (!rc) {
        allocate(counts, C, src->n, m, take, rem);
        for (size_t c = 0; c < C; c++) start[c + 1] = start[c] + counts[c];
        size_t *fill = pick; /* reuse as cursors */
        memcpy(fill, start, C * sizeof *fill);
        for (size_t i = 0; i < src->n; i++) rows[fill[src->labels[i]]++] = i;
        size_t at = 0;
        for (size_t c = 0; c < C && !rc; c++) {
            rc = wl_rng_sample(rng, counts[c], take[c], pick);
            for (size_t j = 0; !rc && j < take[c]; j++) chosen[at++] = rows[start[c] + pick[j]];
        }
        qsort(chosen, m, sizeof *chosen, cmp_size);
    }
    free(counts);
    free(take);
    free(rem);
    free(rows);
    free(start);
    free(pick);
    return rc;
}

int wl_data_subset(const wl_dataset *src, size_t m, int stratify, wl_rng *rng, wl_dataset *out) {
    memset(out, 0, sizeof *out);
    if (m > src->n)
        return wl_seterr(WL_EINVAL, "subset of %zu samples asked from '%s', which has %zu", m,
                         src->name, src->n);
    size_t *idx = wl_calloc(m ? m : 1, sizeof *idx, "subset indices");
    if (!idx) return WL_ENOMEM;
    int rc = choose_rows(src, m, stratify, rng, idx);
    if (!rc) rc = wl_data_select(src, idx, m, out);
    free(idx);
    return rc;
}

int wl_data_split(const wl_dataset *src, size_t n_test, int stratify, wl_rng *rng,
                  wl_dataset *train, wl_dataset *test) {
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (n_test > src->n)
        return wl_seterr(WL_EINVAL, "split: %zu test samples asked from '%s', which has %zu",
                         n_test, src->name, src->n);
    size_t n = src->n;
    size_t *idx = wl_calloc(n ? n : 1, sizeof *idx, "split indices");
    unsigned char *in_test = wl_calloc(n ? n : 1, 1, "split mask");
    int rc = (!idx || !in_test) ? WL_ENOMEM : choose_rows(src, n_test, stratify, rng, idx);
    if (!rc) {
        for (size_t i = 0; i < n_test; i++) in_test[idx[i]] = 1;
        rc = wl_data_select(src, idx, n_test, test);
    }
    if (!rc) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (!in_test[i]) idx[m++] = i;
        rc = wl_data_select(src, idx, m, train);
    }
    free(idx);
    free(in_test);
    if (rc) {
        wl_dataset_free(train);
        wl_dataset_free(test);
    }
    return rc;
}

int wl_data_keep_classes(wl_dataset *ds, const int *classes, size_t c) {
    if (!ds->labels) return wl_seterr(WL_EINVAL, "'%s' has no class labels to select", ds->name);
    if (ds->true_labels)
        return wl_seterr(WL_EINVAL, "'%s': select classes before injecting label noise", ds->name);
    if (c == 0) return wl_seterr(WL_EINVAL, "no classes given");
    int *map = wl_calloc(ds->n_classes ? ds->n_classes : 1, sizeof *map, "class map");
    if (!map) return WL_ENOMEM;
    for (size_t j = 0; j < ds->n_classes; j++) map[j] = -1;
    for (size_t j = 0; j < c; j++) {
        if (classes[j] < 0 || (size_t)classes[j] >= ds->n_classes || map[classes[j]] >= 0) {
            int v = classes[j];
            free(map);
            return wl_seterr(WL_EINVAL, "class %d is %s (the set '%s' has classes 0..%zu)", v,
                             v >= 0 && (size_t)v < ds->n_classes ? "given twice" : "out of range",
                             ds->name, ds->n_classes ? ds->n_classes - 1 : 0);
        }
        map[classes[j]] = (int)j;
    }
    size_t *keep = wl_calloc(ds->n ? ds->n : 1, sizeof *keep, "kept rows");
    if (!keep) {
        free(map);
        return WL_ENOMEM;
    }
    size_t m = 0;
    for (size_t i = 0; i < ds->n; i++)
        if (map[ds->labels[i]] >= 0) keep[m++] = i;
    wl_dataset out;
    int rc = wl_data_select(ds, keep, m, &out);
    if (!rc) {
        for (size_t i = 0; i < m; i++) out.labels[i] = map[out.labels[i]];
        out.n_classes = c;
        int kind = out.target_kind;
        if (kind == WL_TARGETS_ONEHOT || kind == WL_TARGETS_PM1 || kind == WL_TARGETS_LABEL)
            rc = wl_data_targets(&out, kind == WL_TARGETS_PM1 && c != 2 ? WL_TARGETS_ONEHOT : kind);
        if (rc) wl_dataset_free(&out);
    }
    free(keep);
    free(map);
    if (rc) return rc;
    wl_dataset_free(ds);
    *ds = out;
    return WL_OK;
}
