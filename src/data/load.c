/* wl_data_load: one spec string -> a data set (named sets, files, synthetic). */
#include "widelab/data.h"
#include "data/data_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WL_FASHION_DIR "/usr/share/datasets/fashion-mnist"
#define SPEC_MAX 4096
#define SPEC_PARTS 16

static int file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Splits a copy of spec at ':' into parts; empty parts are kept. */
static int split_spec(const char *spec, char *buf, char **parts, int *np) {
    size_t len = strlen(spec);
    if (len == 0) return wl_seterr(WL_EINVAL, "empty data spec");
    if (len >= SPEC_MAX) return wl_seterr(WL_EINVAL, "data spec is too long (%zu chars)", len);
    memcpy(buf, spec, len + 1);
    *np = 0;
    char *s = buf;
    for (;;) {
        if (*np >= SPEC_PARTS)
            return wl_seterr(WL_EINVAL, "data spec '%s' has too many ':' parts", spec);
        parts[(*np)++] = s;
        char *c = strchr(s, ':');
        if (!c) break;
        *c = 0;
        s = c + 1;
    }
    return WL_OK;
}

/* train = 1, test = 0 from an optional "train"/"test" part */
static int parse_part(const char *spec, char **parts, int np, int first, int *train) {
    *train = 1;
    if (np <= first) return WL_OK;
    if (np > first + 1)
        return wl_seterr(WL_EINVAL, "data spec '%s': unexpected ':%s'", spec, parts[first + 1]);
    if (strcmp(parts[first], "train") == 0) *train = 1;
    else if (strcmp(parts[first], "test") == 0) *train = 0;
    else
        return wl_seterr(WL_EINVAL, "data spec '%s': expected ':train' or ':test', got ':%s'",
                         spec, parts[first]);
    return WL_OK;
}

/* IDX pair with the MNIST file names in dir, .gz or plain. */
static int load_mnist_dir(const char *dir, int train, const char *setname, wl_dataset *out) {
    const char *pre = train ? "train" : "t10k";
    char img[4200], lab[4200];
    snprintf(img, sizeof img, "%s/%s-images-idx3-ubyte.gz", dir, pre);
    snprintf(lab, sizeof lab, "%s/%s-labels-idx1-ubyte.gz", dir, pre);
    if (!file_exists(img)) {
        snprintf(img, sizeof img, "%s/%s-images-idx3-ubyte", dir, pre);
        snprintf(lab, sizeof lab, "%s/%s-labels-idx1-ubyte", dir, pre);
    }
    if (!file_exists(img))
        return wl_seterr(WL_EIO, "%s: no '%s-images-idx3-ubyte[.gz]' in '%s'", setname, pre, dir);
    int rc = wl_data_load_idx(img, lab, out);
    if (rc) return rc;
    snprintf(out->name, sizeof out->name, "%s:%s", setname, train ? "train" : "test");
    return WL_OK;
}

static int load_fashion(const char *spec, char **parts, int np, wl_dataset *out) {
    int train, rc = parse_part(spec, parts, np, 1, &train);
    if (rc) return rc;
    const char *dir = getenv("WL_FASHION_MNIST_DIR");
    if (!dir || !*dir) dir = WL_FASHION_DIR;
    char img[4200];
    snprintf(img, sizeof img, "%s/%s-images-idx3-ubyte.gz", dir, train ? "train" : "t10k");
    if (!file_exists(img))
        return wl_seterr(WL_EIO,
                         "Fashion-MNIST not found: '%s' is missing; install the Debian package "
                         "dataset-fashion-mnist (apt-get install dataset-fashion-mnist)",
                         img);
    return load_mnist_dir(dir, train, "fashion-mnist", out);
}

static int load_dir_set(const char *spec, char **parts, int np, wl_dataset *out, int cifar) {
    if (np < 2 || !parts[1][0])
        return wl_seterr(WL_EINVAL, "data spec '%s': expected %s:DIR[:train|:test]", spec,
                         parts[0]);
    int train, rc = parse_part(spec, parts, np, 2, &train);
    if (rc) return rc;
    if (cifar) return wl_data_load_cifar10(parts[1], train, out);
    return load_mnist_dir(parts[1], train, "mnist", out);
}

/* File kind from the first bytes: 'n' npy, 'i' idx (or gzip), 'c' text. */
static int sniff(const char *path, char *kind) {
    FILE *f = fopen(path, "rb");
    if (!f) return wl_seterr(WL_EIO, "cannot open '%s': %s", path, strerror(errno));
    unsigned char b[6] = {0};
    size_t got = fread(b, 1, 6, f);
    fclose(f);
    if (got == 6 && memcmp(b, "\x93NUMPY", 6) == 0) *kind = 'n';
    else if (got >= 3 && ((b[0] == 0x1f && b[1] == 0x8b) || (b[0] == 0 && b[1] == 0 && b[2] == 8)))
        *kind = 'i';
    else *kind = 'c';
    return WL_OK;
}

/* Guesses the labels file next to an IDX image file (images-idx3 -> labels-idx1). */
static const char *idx_sibling(const char *img, char *buf, size_t cap) {
    const char *m = strstr(img, "images-idx3");
    if (!m || strlen(img) >= cap) return NULL;
    size_t at = (size_t)(m - img);
    snprintf(buf, cap, "%.*slabels-idx1%s", (int)at, img, m + strlen("images-idx3"));
    return file_exists(buf) ? buf : NULL;
}

static int load_file(const char *spec, char **parts, int np, wl_dataset *out) {
    const char *path = parts[0], *labels = NULL, *targets = NULL;
    wl_csv_opts co;
    wl_csv_opts_default(&co);
    for (int i = 1; i < np; i++) {
        char *eq = strchr(parts[i], '=');
        if (!eq)
            return wl_seterr(WL_EINVAL, "data spec '%s': expected key=value, got ':%s'", spec,
                             parts[i]);
        *eq = 0;
        const char *k = parts[i], *v = eq + 1;
        if (strcmp(k, "labels") == 0) labels = v;
        else if (strcmp(k, "targets") == 0) targets = v;
        else if (strcmp(k, "label") == 0) co.label = v;
        else if (strcmp(k, "target") == 0) co.target = v;
        else if (strcmp(k, "header") == 0 && (!strcmp(v, "0") || !strcmp(v, "1")))
            co.header = v[0] - '0';
        else if (strcmp(k, "nonfinite") == 0 && (!strcmp(v, "0") || !strcmp(v, "1")))
            co.allow_nonfinite = v[0] - '0';
        else
            return wl_seterr(WL_EINVAL,
                             "data spec '%s': unknown option '%s=%s' (expected labels=, "
                             "targets=, label=, target=, header=0|1, nonfinite=0|1)",
                             spec, k, v);
    }
    if (!file_exists(path))
        return wl_seterr(WL_EINVAL,
                         "unknown data set '%s': not a named set (fashion-mnist, mnist:DIR, "
                         "cifar10:DIR, synth:NAME) and no file '%s'",
                         spec, path);
    char kind = 'c';
    int rc = sniff(path, &kind);
    if (rc) return rc;
    int csvopt = co.label || co.target || co.header >= 0 || co.allow_nonfinite;
    if (kind != 'c' && csvopt)
        return wl_seterr(WL_EINVAL, "data spec '%s': label=/target=/header=/nonfinite= apply "
                                    "to CSV files only", spec);
    if (kind == 'c' && (labels || targets))
        return wl_seterr(WL_EINVAL, "data spec '%s': labels=/targets= apply to .npy and IDX "
                                    "files; use label=COLUMN for CSV", spec);
    if (kind == 'n') return wl_data_load_npy_set(path, labels, targets, out);
    if (kind == 'i') {
        char sib[4200];
        if (targets)
            return wl_seterr(WL_EINVAL, "data spec '%s': targets= does not apply to IDX", spec);
        if (!labels) labels = idx_sibling(path, sib, sizeof sib);
        return wl_data_load_idx(path, labels, out);
    }
    return wl_data_load_csv(path, &co, out);
}

int wl_data_load_rng(const char *spec, const wl_rng *rng, wl_dataset *out) {
    char buf[SPEC_MAX], *parts[SPEC_PARTS];
    int np, rc;
    memset(out, 0, sizeof *out);
    if (!spec) return wl_seterr(WL_EINVAL, "no data spec given");
    if ((rc = split_spec(spec, buf, parts, &np))) return rc;
    if (strcmp(parts[0], "fashion-mnist") == 0) rc = load_fashion(spec, parts, np, out);
    else if (strcmp(parts[0], "mnist") == 0) rc = load_dir_set(spec, parts, np, out, 0);
    else if (strcmp(parts[0], "cifar10") == 0) rc = load_dir_set(spec, parts, np, out, 1);
    else if (strcmp(parts[0], "synth") == 0) {
        if (np < 2 || np > 3)
            return wl_seterr(WL_EINVAL, "data spec '%s': expected synth:NAME[:key=val,...]",
                             spec);
        rc = wl_data_synth(parts[1], np == 3 ? parts[2] : NULL, rng, out);
    } else rc = load_file(spec, parts, np, out);
    if (rc) wl_dataset_free(out);
    return rc;
}

int wl_data_load(const char *spec, wl_dataset *out) { return wl_data_load_rng(spec, NULL, out); }

int wl_data_spec_has_test(const char *spec) {
    char buf[SPEC_MAX], *parts[SPEC_PARTS];
    int np;
    if (!spec || split_spec(spec, buf, parts, &np)) return 0;
    if (strcmp(parts[0], "fashion-mnist") == 0) return np == 1;
    if (strcmp(parts[0], "mnist") == 0 || strcmp(parts[0], "cifar10") == 0) return np == 2;
    return 0;
}

int wl_data_spec_test(const char *spec, char *buf, size_t cap) {
    if (!wl_data_spec_has_test(spec))
        return wl_seterr(WL_EINVAL, "data spec '%s' has no separate test part", spec);
    int w = snprintf(buf, cap, "%s:test", spec);
    if (w < 0 || (size_t)w >= cap) return wl_seterr(WL_EINVAL, "data spec too long");
    return WL_OK;
}
