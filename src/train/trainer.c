/* The training loop: batches, optimizer steps, evaluation rows, probes and
 * early stopping. Checkpoints and resumption live in checkpoint.c. */
#include "train_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const base_cols[] = {"step",     "epoch",   "batch_loss", "train_loss",
                                        "train_acc", "test_loss", "test_acc", "lr",
                                        "grad_norm", "dist_init", "time"};

void wl_train_defaults(wl_train_config *c) {
    memset(c, 0, sizeof *c);
    c->steps = 1000;
    c->eval_every = 100;
    c->eval_max = 10000;
    c->probe_n = 100;
    c->spike_factor = 2.0;
    c->keep_best = 1;
}

/* Draws k distinct sorted indices of 0..n-1 (all of them when k >= n). */
static size_t *sample_sorted(wl_rng *rng, size_t n, size_t k, size_t *got) {
    if (k == 0 || k > n) k = n;
    size_t *idx = malloc((k ? k : 1) * sizeof *idx);
    if (!idx) {
        wl_seterr(WL_ENOMEM, "train: out of memory for a sample of %zu", k);
        return NULL;
    }
    if (k == n) {
        for (size_t i = 0; i < n; i++) idx[i] = i;
    } else {
        if (wl_rng_sample(rng, n, k, idx)) {
            free(idx);
            return NULL;
        }
        /* sorted for cache-friendly gathers */
        for (size_t i = 1; i < k; i++)
            for (size_t j = i; j > 0 && idx[j - 1] > idx[j]; j--) {
                size_t tmp = idx[j];
                idx[j] = idx[j - 1];
                idx[j - 1] = tmp;
            }
    }
    *got = k;
    return idx;
}

static int make_objective(wl_model *m, wl_loss_kind loss, const wl_dataset *ds, wl_mat *X,
                          wl_mat *Y, wl_objective **o) {
    *X = wl_dataset_X(ds);
    *Y = wl_dataset_Y(ds);
    if (ds->k != m->n_out)
        return wl_seterr(WL_EINVAL, "train: data set '%s' has %zu targets per sample, the model "
                                    "has %zu outputs", ds->name, ds->k, m->n_out);
    return wl_objective_new(m, loss, X, Y, o);
}

int wl_trainer_new(wl_model *m, wl_loss_kind loss, const wl_dataset *train,
                   const wl_dataset *test, const wl_dataset *val, const wl_optim_config *ocfg,
                   const wl_train_config *tc, const double *w_init, wl_trainer **out) {
    *out = NULL;
    if (!train || train->n == 0) return wl_seterr(WL_EINVAL, "train: empty training set");
    wl_trainer *t = wl_calloc(1, sizeof *t, "trainer");
    if (!t) return WL_ENOMEM;
    t->model = m;
    t->loss = loss;
    t->train = train;
    t->test = test && test->n ? test : NULL;
    t->val = val && val->n ? val : NULL;
    t->ocfg = *ocfg;
    t->tc = *tc;
    t->best_val = INFINITY;
    wl_rng_seed(&t->rng, tc->seed ^ 0x5eedULL);
    int rc = make_objective(m, loss, train, &t->Xtr, &t->Ytr, &t->obj);
    if (!rc && t->test) rc = make_objective(m, loss, t->test, &t->Xte, &t->Yte, &t->obj_test);
    if (!rc && t->val) rc = make_objective(m, loss, t->val, &t->Xva, &t->Yva, &t->obj_val);
    if (!rc) rc = wl_optim_new(ocfg, m->dim, &t->opt);
    if (rc) goto fail;
    wl_rng brng;
    wl_rng_seed(&brng, tc->seed);
    if ((rc = wl_batcher_new(train->n, ocfg->batch, 0, &brng, &t->batcher))) goto fail;
    t->w = wl_dalloc(m->dim, "parameters");
    t->w0 = wl_dalloc(m->dim, "initial parameters");
    t->g = wl_dalloc(m->dim, "gradient");
    if (!t->w || !t->w0 || !t->g) {
        rc = WL_ENOMEM;
        goto fail;
    }
    memcpy(t->w, w_init, m->dim * sizeof(double));
    memcpy(t->w0, w_init, m->dim * sizeof(double));
    wl_rng srng = wl_rng_split(&t->rng, 1);
    if (!(t->eval_idx = sample_sorted(&srng, train->n, tc->eval_max, &t->eval_n))) {
        rc = wl_errcode();
        goto fail;
    }
    srng = wl_rng_split(&t->rng, 2);
    if (!(t->probe_idx = sample_sorted(&srng, train->n, tc->probe_n, &t->probe_n))) {
        rc = wl_errcode();
        goto fail;
    }
    if ((rc = wl_mat_alloc(&t->Xp, t->probe_n, train->d)) ||
        (rc = wl_mat_alloc(&t->Yp, t->probe_n, train->k)))
        goto fail;
    for (size_t i = 0; i < t->probe_n; i++) {
        memcpy(&WL_AT(&t->Xp, i, 0), &WL_AT(&t->Xtr, t->probe_idx[i], 0), train->d * sizeof(double));
        memcpy(&WL_AT(&t->Yp, i, 0), &WL_AT(&t->Ytr, t->probe_idx[i], 0), train->k * sizeof(double));
    }
    if ((rc = wl_objective_new(m, loss, &t->Xp, &t->Yp, &t->obj_probe))) goto fail;
    size_t nb = sizeof base_cols / sizeof base_cols[0];
    if ((rc = wl_table_new(nb, base_cols, &t->metrics))) goto fail;
    if (t->val) {
        if ((rc = wl_table_add_col(t->metrics, "val_loss")) ||
            (rc = wl_table_add_col(t->metrics, "val_acc")))
            goto fail;
    }
    *out = t;
    return WL_OK;
fail:
    wl_trainer_free(t);
    return rc;
}

void wl_trainer_free(wl_trainer *t) {
    if (!t) return;
    for (size_t i = 0; i < t->nprobes; i++) wl_probe_destroy(t->probes[i]);
    wl_objective_free(t->obj);
    wl_objective_free(t->obj_test);
    wl_objective_free(t->obj_val);
    wl_objective_free(t->obj_probe);
    wl_optim_free(t->opt);
    wl_batcher_free(t->batcher);
    free(t->w);
    free(t->w0);
    free(t->g);
    free(t->w_best);
    free(t->eval_idx);
    free(t->probe_idx);
    wl_mat_free(&t->Xp);
    wl_mat_free(&t->Yp);
    wl_mat_free(&t->agop_target);
    wl_table_free(t->metrics);
    free(t);
}

int wl_trainer_add_probe(wl_trainer *t, const char *spec) {
    if (wl_table_nrows(t->metrics))
        return wl_seterr(WL_EINVAL, "probe '%s': probes are added before training starts", spec);
    if (t->nprobes >= WL_TRAIN_MAX_PROBES)
        return wl_seterr(WL_EINVAL, "probe '%s': at most %d probes", spec, WL_TRAIN_MAX_PROBES);
    char name[32] = {0};
    size_t every = 0;
    int option = 0;
    const char *c1 = strchr(spec, ':');
    size_t len = c1 ? (size_t)(c1 - spec) : strlen(spec);
    if (len == 0 || len >= sizeof name) return wl_seterr(WL_EINVAL, "bad probe spec '%s'", spec);
    memcpy(name, spec, len);
    if (c1) {
        char *end;
        unsigned long long v = strtoull(c1 + 1, &end, 10);
        if (end == c1 + 1 || (*end && *end != ':') || v == 0)
            return wl_seterr(WL_EINVAL, "probe '%s': EVERY must be a positive integer", spec);
        every = (size_t)v;
        if (*end == ':') {
            if (strcmp(end + 1, "crit") == 0) option = 1;
            else return wl_seterr(WL_EINVAL, "probe '%s': unknown option '%s'", spec, end + 1);
        }
    }
    wl_probe *p;
    int rc = wl_probe_create(t, name, every, option, &p);
    if (rc) return rc;
    for (size_t c = 0; c < p->ncols && !rc; c++) rc = wl_table_add_col(t->metrics, p->cols[c]);
    if (rc) {
        wl_probe_destroy(p);
        return rc;
    }
    t->probes[t->nprobes++] = p;
    return WL_OK;
}

int wl_trainer_set_agop_target(wl_trainer *t, const wl_mat *G) {
    if (G->rows != t->train->d || G->cols != t->train->d)
        return wl_seterr(WL_EINVAL, "AGOP target is %zu x %zu, the data have %zu features",
                         G->rows, G->cols, t->train->d);
    wl_mat_free(&t->agop_target);
    int rc = wl_mat_alloc(&t->agop_target, G->rows, G->cols);
    return rc ? rc : wl_mat_copy(&t->agop_target, G);
}

/* Loss and accuracy of objective o on idx (NULL: all); accuracy NaN when the
 * data set has no classes. */
static int evaluate(wl_objective *o, const wl_dataset *ds, const double *w, const size_t *idx,
                    size_t n, double *loss, double *acc) {
    int rc = wl_objective_value(o, w, idx, n, loss);
    *acc = NAN;
    if (!rc && ds->n_classes > 0) rc = wl_objective_accuracy(o, w, idx, n, acc);
    return rc;
}

static int eval_row(wl_trainer *t) {
    double t0 = wl_time(), loss, acc, gl;
    int rc = evaluate(t->obj, t->train, t->w, t->eval_n == t->train->n ? NULL : t->eval_idx,
                      t->eval_n, &loss, &acc);
    if (rc) return rc;
    wl_table_set(t->metrics, "train_loss", loss);
    wl_table_set(t->metrics, "train_acc", acc);
    if ((rc = wl_objective_grad(t->obj, t->w, t->eval_n == t->train->n ? NULL : t->eval_idx,
                                t->eval_n, &gl, t->g)))
        return rc;
    wl_table_set(t->metrics, "grad_norm", wl_nrm2(t->model->dim, t->g));
    double d2 = 0;
    for (size_t i = 0; i < t->model->dim; i++) d2 += (t->w[i] - t->w0[i]) * (t->w[i] - t->w0[i]);
    wl_table_set(t->metrics, "dist_init", sqrt(d2));
    if (t->test) {
        if ((rc = evaluate(t->obj_test, t->test, t->w, NULL, t->test->n, &loss, &acc))) return rc;
        wl_table_set(t->metrics, "test_loss", loss);
        wl_table_set(t->metrics, "test_acc", acc);
    }
    /* early stopping on the validation set (else the test set) */
    const wl_dataset *vs = t->val ? t->val : t->test;
    wl_objective *vo = t->val ? t->obj_val : t->obj_test;
    if (vs) {
        if (t->val) {
            if ((rc = evaluate(vo, vs, t->w, NULL, vs->n, &loss, &acc))) return rc;
            wl_table_set(t->metrics, "val_loss", loss);
            wl_table_set(t->metrics, "val_acc", acc);
        }
        double err = vs->n_classes ? 1.0 - acc : loss;
        if (err < t->best_val) {
            t->best_val = err;
            t->best_step = t->step;
            t->bad_evals = 0;
            if (t->tc.early_stop && t->tc.keep_best) {
                if (!t->w_best && !(t->w_best = wl_dalloc(t->model->dim, "best parameters")))
                    return WL_ENOMEM;
                memcpy(t->w_best, t->w, t->model->dim * sizeof(double));
            }
        } else if (t->tc.early_stop && ++t->bad_evals >= t->tc.early_stop) {
            t->early_stopped = 1;
        }
    }
    t->t_eval += wl_time() - t0;
    return WL_OK;
}

/* Adds the row of the current step if the evaluation or a probe is due. */
static int record(wl_trainer *t, int force_eval) {
    size_t s = t->step;
    int eval_due = force_eval || s == 0 || (t->tc.eval_every && s % t->tc.eval_every == 0);
    int any = eval_due;
    for (size_t i = 0; i < t->nprobes; i++) any |= s % t->probes[i]->every == 0;
    if (!any) return WL_OK;
    int rc = wl_table_append(t->metrics, NULL);
    if (rc) return rc;
    double epoch = t->ocfg.batch && t->ocfg.batch < t->train->n
                       ? (double)s * (double)t->ocfg.batch / (double)t->train->n
                       : (double)s;
    wl_table_set(t->metrics, "step", (double)s);
    wl_table_set(t->metrics, "epoch", epoch);
    wl_table_set(t->metrics, "batch_loss", t->last_batch_loss);
    wl_table_set(t->metrics, "lr", wl_optim_lr(t->opt));
    wl_table_set(t->metrics, "time", t->t_train);
    if (eval_due && (rc = eval_row(t))) return rc;
    for (size_t i = 0; i < t->nprobes; i++) {
        wl_probe *p = t->probes[i];
        if (s % p->every) continue;
        double vals[WL_PROBE_MAX_COLS], t0 = wl_time();
        for (size_t c = 0; c < p->ncols; c++) vals[c] = NAN;
        if ((rc = p->measure(p, t, vals))) return wl_adderr(rc, "probe %s at step %zu", p->name, s);
        p->seconds += wl_time() - t0;
        t->t_probe += wl_time() - t0;
        for (size_t c = 0; c < p->ncols; c++) wl_table_set(t->metrics, p->cols[c], vals[c]);
    }
    if (eval_due && t->tc.run_dir) rc = wl_trainer_checkpoint(t);
    return rc;
}

int wl_trainer_run(wl_trainer *t, wl_train_callback cb, void *ctx) {
    int rc = WL_OK;
    if (wl_table_nrows(t->metrics) == 0) {
        t->last_batch_loss = NAN;
        if ((rc = record(t, 0))) return rc;
        if (cb && cb(ctx, t)) return WL_OK;
    }
    while (t->step < t->tc.steps && !t->early_stopped) {
        const size_t *idx;
        size_t nb;
        if ((rc = wl_batcher_next(t->batcher, &idx, &nb))) return rc;
        double t0 = wl_time(), loss = NAN;
        rc = wl_optim_step(t->opt, t->obj, t->w, idx, nb, &loss);
        t->t_train += wl_time() - t0;
        if (rc == WL_ENUMERIC)
            return wl_seterr(WL_ENUMERIC,
                             "training diverged at step %zu: the loss or its gradient is not "
                             "finite (%s); parameters kept at step %zu%s",
                             t->step + 1, wl_errmsg(), t->step,
                             t->tc.run_dir ? ", last checkpoint kept" : "");
        if (rc) return rc;
        t->last_batch = idx;
        t->last_nb = nb;
        t->last_batch_loss = loss;
        t->step++;
        size_t before = wl_table_nrows(t->metrics);
        if ((rc = record(t, t->step == t->tc.steps))) return rc;
        if (cb && wl_table_nrows(t->metrics) > before && cb(ctx, t)) break;
    }
    if (t->early_stopped && t->w_best)
        memcpy(t->w, t->w_best, t->model->dim * sizeof(double));
    if (t->tc.run_dir && (t->early_stopped || t->step == t->tc.steps))
        rc = wl_trainer_checkpoint(t);
    return rc;
}

const wl_table *wl_trainer_metrics(const wl_trainer *t) { return t->metrics; }
const double *wl_trainer_params(const wl_trainer *t) { return t->w; }
const double *wl_trainer_init_params(const wl_trainer *t) { return t->w0; }
size_t wl_trainer_step(const wl_trainer *t) { return t->step; }
wl_optim *wl_trainer_optim(wl_trainer *t) { return t->opt; }
wl_objective *wl_trainer_objective(wl_trainer *t) { return t->obj; }

void wl_trainer_status(const wl_trainer *t, wl_train_status *s) {
    s->step = t->step;
    s->early_stopped = t->early_stopped;
    s->best_step = t->best_step;
    s->best_val_error = t->best_val;
    s->probe_seconds = t->t_probe;
    s->train_seconds = t->t_train;
    s->eval_seconds = t->t_eval;
}
