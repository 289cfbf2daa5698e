/* Parameter files (.npy / .npz / run directories) and probe options. */
#include "train_io.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "run.h"

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

int cli_params_load(const char *path, const wl_model *m, double *w) {
    char buf[4096];
    if (is_dir(path)) path = cli_path(buf, sizeof buf, path, "params.npy");
    if (ends_with(path, ".npz")) {
        wl_npz_array *a;
        size_t n;
        int rc = wl_npz_read(path, &a, &n);
        if (rc) return rc;
        const wl_npz_array *flat = wl_npz_find(a, n, "params");
        int has_flat = flat != NULL;
        if (flat) {
            size_t cnt = flat->ndim ? flat->shape[0] : 1;
            if (flat->dtype != WL_F64 || flat->ndim != 1 || cnt != m->dim)
                rc = wl_seterr(WL_EINVAL, "%s: 'params' has %zu values, the model has %zu", path,
                               cnt, m->dim);
            else memcpy(w, flat->data, m->dim * sizeof(double));
        }
        wl_npz_free(a, n);
        /* per-block members, folded as for torch.nn.Linear */
        return has_flat || rc ? rc : wl_net_load_npz(m, path, 1, w);
    }
    double *data;
    int ndim;
    size_t shape[8];
    int rc = wl_npy_read(path, &data, &ndim, shape);
    if (rc) return rc;
    size_t cnt = 1;
    for (int d = 0; d < ndim; d++) cnt *= shape[d];
    if (cnt != m->dim)
        rc = wl_seterr(WL_EINVAL, "%s: %zu values, the model has %zu parameters", path, cnt, m->dim);
    else if (!wl_all_finite(cnt, data))
        rc = wl_seterr(WL_ENUMERIC, "%s: parameters contain NaN or Inf", path);
    else memcpy(w, data, cnt * sizeof(double));
    free(data);
    return rc;
}

int cli_params_init(const char *init, const char *run, uint64_t seed, wl_model *m, double **w) {
    *w = wl_dalloc(m->dim, "parameters");
    if (!*w) return WL_ENOMEM;
    int rc;
    if (init || run) {
        rc = cli_params_load(init ? init : run, m, *w);
    } else {
        wl_rng r;
        wl_rng_seed(&r, seed);
        rc = wl_model_init(m, &r, *w);
    }
    if (rc) {
        free(*w);
        *w = NULL;
    }
    return rc;
}

int cli_params_save(const char *dir, const wl_model *m, const double *w) {
    char path[4096];
    size_t shape[1] = {m->dim};
    int rc = wl_npy_write(cli_path(path, sizeof path, dir, "params.npy"), w, 1, shape);
    if (rc || m->n_blocks == 0) return rc;
    return wl_net_save_npz(m, w, cli_path(path, sizeof path, dir, "params.npz"), 1);
}

int cli_add_probes(wl_trainer *t, const char *list) {
    if (!list || !*list) return WL_OK;
    char *copy = strdup(list), *save = NULL;
    int rc = WL_OK;
    for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save))
        rc = wl_trainer_add_probe(t, tok);
    free(copy);
    return rc;
}

int cli_run_model(const char *dir, wl_model **m, double **w) {
    const char *model = NULL, *arch = NULL;
    const cli_opt o[] = {{"model", CLI_STR, &model, NULL, NULL}, {"arch", CLI_STR, &arch, NULL, NULL}};
    char path[4096];
    int rc = cli_opts_load_json(cli_path(path, sizeof path, dir, "config.json"), o, 2);
    if (rc) return rc;
    if (!model) return wl_seterr(WL_EFORMAT, "%s/config.json: no \"model\" option", dir);
    const char *spec = (!strcmp(model, "linear") || !strcmp(model, "quadratic")) && arch ? arch : model;
    if ((rc = wl_net_from_spec(spec, m))) return rc;
    *w = wl_dalloc((*m)->dim, "run parameters");
    if (!*w) rc = WL_ENOMEM;
    if (!rc) rc = cli_params_load(dir, *m, *w);
    if (rc) {
        free(*w);
        wl_model_free(*m);
        *m = NULL;
        *w = NULL;
    }
    return rc;
}

int cli_agop_target(wl_trainer *t, const char *spec, const wl_dataset *ds) {
    int rc;
    wl_mat G;
    if (!is_dir(spec)) {
        double *data;
        int ndim;
        size_t shape[8];
        if ((rc = wl_npy_read(spec, &data, &ndim, shape))) return rc;
        if (ndim != 2 || shape[0] != shape[1]) {
            free(data);
            return wl_seterr(WL_EINVAL, "%s: AGOP target must be a square matrix", spec);
        }
        G = wl_mat_view(data, shape[0], shape[1]);
        rc = wl_trainer_set_agop_target(t, &G);
        free(data);
        return rc;
    }
    wl_model *ref;
    double *w;
    if ((rc = cli_run_model(spec, &ref, &w))) return rc;
    size_t n = ds->n < 1000 ? ds->n : 1000;
    wl_mat X = wl_mat_view(ds->X, n, ds->d);
    if (!(rc = wl_mat_alloc(&G, ds->d, ds->d))) {
        rc = wl_agop(ref, w, &X, &G);
        if (!rc) rc = wl_trainer_set_agop_target(t, &G);
        wl_mat_free(&G);
    }
    free(w);
    wl_model_free(ref);
    return rc;
}
