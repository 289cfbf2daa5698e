/* wl_data_prepare: the data path shared by every command (load, classes,
 * split, subsets, normalize, sphere, label noise, targets). */
#include "widelab/data.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CLASSES 4096

void wl_data_opts_default(wl_data_opts *o) {
    memset(o, 0, sizeof *o);
    o->normalize = "none";
    o->targets = "auto";
}

/* "3,5,7" -> classes (distinctness is checked by wl_data_keep_classes) */
static int parse_classes(const char *s, int *cls, size_t *nc) {
    *nc = 0;
    const char *p = s;
    for (;;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > 1000000 || (*end && *end != ','))
            return wl_seterr(WL_EINVAL, "classes '%s': expected a comma-separated list of class "
                                        "numbers", s);
        if (*nc >= MAX_CLASSES) return wl_seterr(WL_EINVAL, "classes '%s': too many", s);
        cls[(*nc)++] = (int)v;
        if (!*end) break;
        p = end + 1;
    }
    return WL_OK;
}

static int parse_targets(const char *s, int *kind) {
    if (!s || !strcmp(s, "auto")) *kind = -1;
    else if (!strcmp(s, "onehot")) *kind = WL_TARGETS_ONEHOT;
    else if (!strcmp(s, "pm1")) *kind = WL_TARGETS_PM1;
    else if (!strcmp(s, "raw")) *kind = WL_TARGETS_RAW;
    else return wl_seterr(WL_EINVAL, "targets '%s': expected auto, onehot, pm1 or raw", s);
    return WL_OK;
}

static int check_normalize(const char *s) {
    if (!s || !strcmp(s, "none") || !strcmp(s, "standardize") || !strcmp(s, "unit") ||
        !strcmp(s, "sym"))
        return WL_OK;
    return wl_seterr(WL_EINVAL, "normalize '%s': expected none, standardize, unit or sym", s);
}

/* Replaces *ds by a subset of m rows when 0 < m < n (m > n is an error). */
static int take_subset(wl_dataset *ds, size_t m, int stratify, wl_rng *rng, const char *which) {
    if (m == 0 || (m == ds->n && !stratify)) return WL_OK;
    if (m > ds->n)
        return wl_seterr(WL_EINVAL, "--n-%s %zu is larger than the %zu samples of '%s'", which, m,
                         ds->n, ds->name);
    wl_dataset sub;
    int rc = wl_data_subset(ds, m, stratify, rng, &sub);
    if (rc) return rc;
    wl_dataset_free(ds);
    *ds = sub;
    return WL_OK;
}

static int normalize(const char *how, wl_dataset *tr, wl_dataset *te) {
    if (!how || !strcmp(how, "none")) return WL_OK;
    int rc = WL_OK;
    /* the test set first: it needs train's statistics before train changes */
    if (!strcmp(how, "standardize")) {
        if (te && te->n) rc = wl_data_standardize(te, tr);
        if (!rc) rc = wl_data_standardize(tr, NULL);
    } else {
        double lo = !strcmp(how, "sym") ? -1.0 : 0.0;
        if (te && te->n) rc = wl_data_scale(te, tr, lo, 1.0, 1);
        if (!rc) rc = wl_data_scale(tr, NULL, lo, 1.0, 1);
    }
    return rc;
}

static int make_targets(wl_dataset *ds, int kind) {
    if (kind < 0) {
        int k = ds->target_kind;
        if (k == WL_TARGETS_ONEHOT || k == WL_TARGETS_PM1 || k == WL_TARGETS_RAW) return WL_OK;
        if (ds->labels) return wl_data_targets(ds, WL_TARGETS_ONEHOT);
        return WL_OK;
    }
    if (kind == WL_TARGETS_RAW && !(ds->Y && ds->target_kind == WL_TARGETS_RAW))
        return ds->labels ? wl_data_targets(ds, WL_TARGETS_LABEL) : wl_data_targets(ds, kind);
    return wl_data_targets(ds, kind);
}

static int load_test(const wl_data_opts *o, const wl_rng *root, wl_dataset *te, int *have) {
    *have = 0;
    char spec[4200];
    const char *ts = o->test_data;
    if (!ts && wl_data_spec_has_test(o->data)) {
        int rc = wl_data_spec_test(o->data, spec, sizeof spec);
        if (rc) return rc;
        ts = spec;
    }
    if (!ts) return WL_OK;
    wl_rng r = wl_rng_split(root, 1);
    int rc = wl_data_load_rng(ts, &r, te);
    if (rc) return wl_adderr(rc, "test data");
    *have = 1;
    return WL_OK;
}

static int prepare(const wl_data_opts *o, wl_dataset *tr, wl_dataset *te) {
    int kind = -1, rc, have_test = 0;
    int cls[MAX_CLASSES];
    size_t nc = 0;
    if (!o->data) return wl_seterr(WL_EINVAL, "no data set given (--data SPEC)");
    if ((rc = parse_targets(o->targets, &kind)) || (rc = check_normalize(o->normalize))) return rc;
    if (o->classes && (rc = parse_classes(o->classes, cls, &nc))) return rc;
    wl_rng root, r;
    wl_rng_seed(&root, o->seed);
    r = wl_rng_split(&root, 0);
    if ((rc = wl_data_load_rng(o->data, &r, tr))) return rc;
    if (te && (rc = load_test(o, &root, te, &have_test))) return rc;
    if (have_test && tr->labels && te->labels) { /* one class count for both */
        size_t c = tr->n_classes > te->n_classes ? tr->n_classes : te->n_classes;
        tr->n_classes = te->n_classes = c;
    }
    if (have_test && te->d != tr->d)
        return wl_seterr(WL_EINVAL, "test data '%s' has %zu features, train data '%s' has %zu",
                         te->name, te->d, tr->name, tr->d);
    if (nc && (rc = wl_data_keep_classes(tr, cls, nc))) return rc;
    if (nc && have_test && (rc = wl_data_keep_classes(te, cls, nc))) return wl_adderr(rc, "test data");
    if (te && !have_test && o->n_test) {
        wl_dataset a, b;
        r = wl_rng_split(&root, 2);
        if ((rc = wl_data_split(tr, o->n_test, o->stratify, &r, &a, &b))) return rc;
        wl_dataset_free(tr);
        *tr = a;
        *te = b;
    } else if (have_test) {
        r = wl_rng_split(&root, 4);
        if ((rc = take_subset(te, o->n_test, o->stratify, &r, "test"))) return rc;
    }
    r = wl_rng_split(&root, 3);
    if ((rc = take_subset(tr, o->n_train, o->stratify, &r, "train"))) return rc;
    if ((rc = normalize(o->normalize, tr, te))) return rc;
    if (o->sphere && (rc = wl_data_sphere(tr))) return rc;
    if (o->sphere && te && te->n && (rc = wl_data_sphere(te))) return rc;
    if (o->label_noise > 0) {
        r = wl_rng_split(&root, 5);
        if ((rc = wl_data_label_noise(tr, o->label_noise, &r))) return rc;
    } else if (o->label_noise < 0)
        return wl_seterr(WL_EINVAL, "label noise %g is negative", o->label_noise);
    if ((rc = make_targets(tr, kind))) return rc;
    if (te && te->n && (rc = make_targets(te, kind))) return wl_adderr(rc, "test data");
    return WL_OK;
}

int wl_data_prepare(const wl_data_opts *o, wl_dataset *train, wl_dataset *test) {
    memset(train, 0, sizeof *train);
    if (test) memset(test, 0, sizeof *test);
    int rc = prepare(o, train, test);
    if (rc) {
        wl_dataset_free(train);
        if (test) wl_dataset_free(test);
    }
    return rc;
}
