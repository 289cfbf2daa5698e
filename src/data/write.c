/* Dataset writers: CSV (%.17g, round-trips exactly) and .npy with siblings. */
#include "widelab/data.h"

#include <stdio.h>
#include <string.h>

static int ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static void csv_header(FILE *f, const wl_dataset *ds) {
    for (size_t j = 0; j < ds->d; j++) fprintf(f, "%sx%zu", j ? "," : "", j);
    const char *sep = ds->d ? "," : "";
    if (ds->labels) {
        fprintf(f, "%slabel", sep);
        if (ds->true_labels) fprintf(f, ",true_label");
        if (ds->corrupted) fprintf(f, ",corrupted");
    } else
        for (size_t c = 0; c < ds->k && ds->Y; c++) fprintf(f, "%sy%zu", c || ds->d ? "," : "", c);
    fputc('\n', f);
}

int wl_data_write_csv(const wl_dataset *ds, const char *path) {
    wl_out o;
    int rc = wl_out_open(&o, path);
    if (rc) return rc;
    FILE *f = o.f;
    csv_header(f, ds);
    for (size_t i = 0; i < ds->n; i++) {
        const double *x = ds->X + i * ds->d;
        for (size_t j = 0; j < ds->d; j++) fprintf(f, "%s%.17g", j ? "," : "", x[j]);
        const char *sep = ds->d ? "," : "";
        if (ds->labels) {
            fprintf(f, "%s%d", sep, ds->labels[i]);
            if (ds->true_labels) fprintf(f, ",%d", ds->true_labels[i]);
            if (ds->corrupted) fprintf(f, ",%d", ds->corrupted[i]);
        } else
            for (size_t c = 0; c < ds->k && ds->Y; c++)
                fprintf(f, "%s%.17g", c || ds->d ? "," : "", ds->Y[i * ds->k + c]);
        if (fputc('\n', f) == EOF) break;
    }
    return wl_out_commit(&o);
}

/* base + suffix into buf ("out.npy" -> "out_labels.npy") */
static int sibling(const char *path, const char *what, char *buf, size_t cap) {
    size_t n = strlen(path) - 4;
    int w = snprintf(buf, cap, "%.*s_%s.npy", (int)n, path, what);
    if (w < 0 || (size_t)w >= cap) return wl_seterr(WL_EINVAL, "output path too long: '%s'", path);
    return WL_OK;
}

/* Writes X to path and each present array to its sibling; on failure the
 * files already written are removed, so no partial set is left behind. */
static int write_npy_set(const wl_dataset *ds, const char *path) {
    char sib[4][4200];
    size_t sx[2] = {ds->n, ds->d}, sy[2] = {ds->n, ds->k}, n = ds->n;
    int done = 0;
    int rc = wl_npy_write(path, ds->X, 2, sx);
    if (rc) return rc;
    if (ds->labels && !(rc = sibling(path, "labels", sib[done], sizeof sib[0])))
        if (!(rc = wl_npy_write_int(sib[done], ds->labels, 1, &n))) done++;
    if (!rc && ds->Y && ds->k && !(rc = sibling(path, "targets", sib[done], sizeof sib[0])))
        if (!(rc = wl_npy_write(sib[done], ds->Y, 2, sy))) done++;
    if (!rc && ds->true_labels && !(rc = sibling(path, "true_labels", sib[done], sizeof sib[0])))
        if (!(rc = wl_npy_write_int(sib[done], ds->true_labels, 1, &n))) done++;
    if (!rc && ds->corrupted && !(rc = sibling(path, "corrupted", sib[done], sizeof sib[0])))
        if (!(rc = wl_npy_write_u8(sib[done], ds->corrupted, 1, &n))) done++;
    if (rc) {
        for (int i = 0; i < done; i++) remove(sib[i]);
        remove(path);
    }
    return rc;
}

int wl_data_write(const wl_dataset *ds, const char *path) {
    if (ends_with(path, ".npy")) return write_npy_set(ds, path);
    if (ends_with(path, ".csv")) return wl_data_write_csv(ds, path);
    return wl_seterr(WL_EINVAL, "output '%s': expected a .npy or .csv file name", path);
}
