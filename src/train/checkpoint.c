/* Checkpoints (run_dir/checkpoint.npz + metrics.csv) and exact resumption. */
#include "train_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { META_STEP, META_BEST_VAL, META_BEST_STEP, META_BAD, META_STOPPED, META_T_TRAIN,
       META_T_EVAL, META_T_PROBE, META_LAST_LOSS, META_DIM, META_LEN };

int wl_trainer_checkpoint(wl_trainer *t) {
    if (!t->tc.run_dir) return WL_OK;
    size_t p = t->model->dim;
    size_t os = wl_optim_state_size(t->opt), bs = wl_batcher_state_size(t->batcher);
    double meta[META_LEN] = {(double)t->step, t->best_val, (double)t->best_step,
                             (double)t->bad_evals, (double)t->early_stopped, t->t_train,
                             t->t_eval, t->t_probe, t->last_batch_loss, (double)p};
    double *ostate = wl_dalloc(os, "optimizer state"), *bstate = wl_dalloc(bs, "batcher state");
    wl_npz_array arr[8 + WL_TRAIN_MAX_PROBES];
    double *pstate[WL_TRAIN_MAX_PROBES] = {0};
    size_t n = 0;
    int rc = (!ostate || !bstate) ? WL_ENOMEM : WL_OK;
    if (!rc) rc = wl_optim_state_save(t->opt, ostate);
    if (!rc) rc = wl_batcher_state_save(t->batcher, bstate);
    if (rc) goto done;
#define ADD(nm, ptr, len)                                                                     \
    do {                                                                                      \
        memset(&arr[n], 0, sizeof arr[n]);                                                    \
        snprintf(arr[n].name, sizeof arr[n].name, "%s", nm);                                  \
        arr[n].dtype = WL_F64;                                                                \
        arr[n].ndim = 1;                                                                      \
        arr[n].shape[0] = (len);                                                              \
        arr[n].data = (void *)(ptr);                                                          \
        n++;                                                                                  \
    } while (0)
    ADD("params", t->w, p);
    ADD("init_params", t->w0, p);
    ADD("optim_state", ostate, os);
    ADD("batcher_state", bstate, bs);
    ADD("meta", meta, (size_t)META_LEN);
    if (t->w_best) ADD("best_params", t->w_best, p);
    for (size_t i = 0; i < t->nprobes; i++) {
        wl_probe *pr = t->probes[i];
        if (!pr->state_size) continue;
        size_t len = pr->state_size(pr);
        if (!(pstate[i] = wl_dalloc(len, "probe state"))) {
            rc = WL_ENOMEM;
            goto done;
        }
        pr->state_save(pr, pstate[i]);
        char nm[64];
        snprintf(nm, sizeof nm, "probe_%s", pr->name);
        ADD(nm, pstate[i], len);
    }
#undef ADD
    char path[4096];
    snprintf(path, sizeof path, "%s/metrics.csv", t->tc.run_dir);
    if ((rc = wl_table_write_csv(t->metrics, path))) goto done;
    snprintf(path, sizeof path, "%s/checkpoint.npz", t->tc.run_dir);
    rc = wl_npz_write(path, arr, n);
done:
    free(ostate);
    free(bstate);
    for (size_t i = 0; i < WL_TRAIN_MAX_PROBES; i++) free(pstate[i]);
    return rc;
}

static const double *member(const wl_npz_array *a, size_t n, const char *name, size_t len,
                            const char *path, int *rc) {
    const wl_npz_array *m = wl_npz_find(a, n, name);
    if (!m || m->dtype != WL_F64 || m->ndim != 1 || (len && m->shape[0] != len)) {
        if (!*rc)
            *rc = wl_seterr(WL_EFORMAT, "%s: member '%s' missing or of the wrong size%s", path,
                            name, len ? " (checkpoint of another model or setting?)" : "");
        return NULL;
    }
    return m->data;
}

int wl_trainer_resume(wl_trainer *t, const char *ckpt) {
    wl_npz_array *a;
    size_t n;
    int rc = wl_npz_read(ckpt, &a, &n);
    if (rc) return rc;
    size_t p = t->model->dim;
    const double *meta = member(a, n, "meta", META_LEN, ckpt, &rc);
    const double *w = member(a, n, "params", p, ckpt, &rc);
    const double *w0 = member(a, n, "init_params", p, ckpt, &rc);
    const wl_npz_array *os = wl_npz_find(a, n, "optim_state");
    const wl_npz_array *bs = wl_npz_find(a, n, "batcher_state");
    if (!rc && (!os || !bs)) rc = wl_seterr(WL_EFORMAT, "%s: optimizer or batch state missing", ckpt);
    if (!rc) rc = wl_optim_state_load(t->opt, os->data, os->shape[0]);
    if (!rc) rc = wl_batcher_state_load(t->batcher, bs->data, bs->shape[0]);
    if (rc) goto done;
    memcpy(t->w, w, p * sizeof(double));
    memcpy(t->w0, w0, p * sizeof(double));
    t->step = (size_t)meta[META_STEP];
    t->best_val = meta[META_BEST_VAL];
    t->best_step = (size_t)meta[META_BEST_STEP];
    t->bad_evals = (size_t)meta[META_BAD];
    t->early_stopped = meta[META_STOPPED] != 0;
    t->t_train = meta[META_T_TRAIN];
    t->t_eval = meta[META_T_EVAL];
    t->t_probe = meta[META_T_PROBE];
    t->last_batch_loss = meta[META_LAST_LOSS];
    const wl_npz_array *best = wl_npz_find(a, n, "best_params");
    if (best && best->shape[0] == p) {
        if (!t->w_best && !(t->w_best = wl_dalloc(p, "best parameters"))) {
            rc = WL_ENOMEM;
            goto done;
        }
        memcpy(t->w_best, best->data, p * sizeof(double));
    }
    for (size_t i = 0; i < t->nprobes; i++) {
        wl_probe *pr = t->probes[i];
        if (!pr->state_size) continue;
        char nm[64];
        snprintf(nm, sizeof nm, "probe_%s", pr->name);
        const double *st = member(a, n, nm, pr->state_size(pr), ckpt, &rc);
        if (rc) goto done;
        pr->state_load(pr, st);
    }
    /* metrics up to the checkpoint's step */
    if (t->tc.run_dir) {
        char path[4096];
        wl_table *old;
        snprintf(path, sizeof path, "%s/metrics.csv", t->tc.run_dir);
        if ((rc = wl_table_read_csv(path, &old))) goto done;
        if (wl_table_ncols(old) != wl_table_ncols(t->metrics)) {
            wl_table_free(old);
            rc = wl_seterr(WL_EFORMAT, "%s: %zu columns, this run has %zu (other probes?)", path,
                           wl_table_ncols(old), wl_table_ncols(t->metrics));
            goto done;
        }
        size_t keep = 0;
        while (keep < wl_table_nrows(old) && wl_table_get(old, keep, 0) <= (double)t->step) keep++;
        wl_table_truncate(old, keep);
        wl_table_free(t->metrics);
        t->metrics = old;
    }
done:
    wl_npz_free(a, n);
    return rc;
}
