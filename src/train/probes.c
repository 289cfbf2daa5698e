/* Probes: the papers' measurements attached to a training run. Each fills its
 * columns of the metrics row every `every` steps, on the fixed probe sample
 * (t->Xp, probe_n points of the training set) unless stated. */
#include "train_internal.h"

#include "widelab/curv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const probe_names[] = {"kernel", "sharpness", "pl", "hessian-norm",
                                          "linearity", "agop", "noise", "spikes", NULL};

const char *const *wl_train_probe_names(void) { return probe_names; }

int wl_train_kernel(wl_trainer *t, const double *w, const wl_mat *X, wl_mat *K) {
    int rc = wl_mat_alloc(K, X->rows, X->rows);
    if (rc) return rc;
    if ((rc = wl_ntk_empirical(t->model, w, X, NULL, NULL, K))) {
        wl_mat_free(K);
        return rc;
    }
    wl_scal(X->rows * X->rows, 1.0 / (double)t->model->n_out, K->data);
    return WL_OK;
}

/* ---- kernel: lambda_max, lambda_min, condition number, change from K_0 ---- */

typedef struct kernel_data {
    wl_mat K0;
} kernel_data;

static int kernel_measure(wl_probe *p, wl_trainer *t, double *v) {
    kernel_data *d = p->data;
    wl_mat K;
    int rc;
    if (!d->K0.data && (rc = wl_train_kernel(t, t->w0, &t->Xp, &d->K0))) return rc;
    if ((rc = wl_train_kernel(t, t->w, &t->Xp, &K))) return rc;
    double *eig = wl_dalloc(K.rows, "kernel eigenvalues");
    if (!eig) rc = WL_ENOMEM;
    wl_ntk_summary s;
    if (!rc) rc = wl_ntk_eigvals(&K, eig);
    if (!rc) rc = wl_ntk_summary_from_eigs(eig, K.rows, &s);
    if (!rc) {
        v[0] = s.lambda_max;
        v[1] = s.lambda_min;
        v[2] = s.cond;
        rc = wl_ntk_rel_diff(&d->K0, &K, &v[3]);
    }
    free(eig);
    wl_mat_free(&K);
    return rc;
}

static void kernel_free(wl_probe *p) {
    kernel_data *d = p->data;
    wl_mat_free(&d->K0);
    free(d);
}

/* ---- sharpness: top eigenvalue of the loss Hessian on the probe sample ---- */

static int top_eig(const wl_linop *H, wl_eig_which which, uint64_t stream, wl_trainer *t,
                   double *val) {
    wl_lanczos_opts o;
    wl_lanczos_opts_default(&o);
    o.k = 1;
    o.which = which;
    o.tol = 1e-6;
    wl_rng r = wl_rng_split(&t->rng, stream);
    wl_eig_result res;
    int rc = wl_lanczos(H, &o, &r, 0, &res);
    if (!rc) *val = which == WL_EIG_LM ? fabs(res.values[0]) : res.values[0];
    wl_eig_result_free(&res);
    return rc;
}

static int sharpness_measure(wl_probe *p, wl_trainer *t, double *v) {
    wl_hessian *h;
    int rc = wl_hessian_loss_new(t->obj_probe, t->w, NULL, 0, WL_HESS_LOSS, &h);
    if (rc) return rc;
    wl_linop H = wl_hessian_op(h);
    rc = top_eig(&H, WL_EIG_LA, 100 + t->step, t, &v[0]);
    wl_hessian_free(h);
    double lr = wl_optim_lr(t->opt);
    v[1] = lr > 0 ? 2.0 / lr : NAN;
    (void)p;
    return rc;
}

/* ---- pl: ||grad L||^2 / (2 L) and the bound lambda_min(K)/n (MSE) ---------- */

static int pl_measure(wl_probe *p, wl_trainer *t, double *v) {
    double L;
    int rc = wl_objective_grad(t->obj_probe, t->w, NULL, 0, &L, t->g);
    if (rc) return rc;
    double g2 = wl_dot(t->model->dim, t->g, t->g);
    v[0] = L > 0 ? g2 / (2.0 * L) : NAN;
    /* mean MSE: ||grad||^2 = r^T K r / n^2 >= (lambda_min(K)/n) * 2L */
    wl_mat K;
    if ((rc = wl_train_kernel(t, t->w, &t->Xp, &K))) return rc;
    double *eig = wl_dalloc(K.rows, "kernel eigenvalues");
    if (!eig) rc = WL_ENOMEM;
    if (!rc) rc = wl_ntk_eigvals(&K, eig);
    if (!rc) v[1] = eig[0] / (double)t->probe_n;
    v[2] = L;
    free(eig);
    wl_mat_free(&K);
    (void)p;
    return rc;
}

/* ---- hessian-norm: ||H_f(x)|| on the probe sample (mean and max) ----------- */

static int hnorm_measure(wl_probe *p, wl_trainer *t, double *v) {
    wl_rng r = wl_rng_split(&t->rng, 200 + t->step);
    size_t m = t->probe_n < 10 ? t->probe_n : 10; /* a few points: one Lanczos each */
    wl_mat X = wl_mat_rows(&t->Xp, 0, m);
    wl_hf_norms hn;
    int rc = wl_model_hessian_norms(t->model, t->w, &X, 1e-6, &r, &hn);
    if (rc) return rc;
    double mean = 0;
    for (size_t c = 0; c < hn.k; c++) mean += hn.mean[c] / (double)hn.k;
    v[0] = mean;
    v[1] = hn.max_all;
    wl_hf_norms_free(&hn);
    (void)p;
    return WL_OK;
}

/* ---- linearity: distance of f from its linearization at w0 ---------------- */

static int linearity_measure(wl_probe *p, wl_trainer *t, double *v) {
    (void)p;
    return wl_linearity_gap(t->model, t->w0, t->w, &t->Xp, NULL, &v[0], &v[1]);
}

/* ---- agop: AGOP on the probe sample and its alignment with a target ------- */

static int agop_measure(wl_probe *p, wl_trainer *t, double *v) {
    wl_mat G;
    int rc = wl_mat_alloc(&G, t->train->d, t->train->d);
    if (rc) return rc;
    if (!(rc = wl_agop(t->model, t->w, &t->Xp, &G))) {
        double tr = 0;
        for (size_t i = 0; i < G.rows; i++) tr += WL_AT(&G, i, i);
        v[0] = tr;
        v[1] = t->agop_target.data ? wl_agop_alignment(&G, &t->agop_target) : NAN;
    }
    wl_mat_free(&G);
    (void)p;
    return rc;
}

/* ---- noise: clean vs corrupted samples of the whole training set ---------- */

static int noise_measure(wl_probe *p, wl_trainer *t, double *v) {
    wl_noise_stats s;
    int rc = wl_noise_measure(t->obj, t->w, t->train->corrupted, t->train->labels,
                              t->train->true_labels, &s);
    if (rc) return rc;
    double vals[] = {s.loss_clean, s.loss_noisy,  s.acc_clean,  s.acc_noisy,
                     s.acc_noisy_true, s.gnorm_ratio, s.cosine};
    memcpy(v, vals, sizeof vals);
    (void)p;
    return WL_OK;
}

/* ---- spikes: catapults in the training loss; optional batch critical lr --- */

static int spikes_measure(wl_probe *p, wl_trainer *t, double *v) {
    wl_spikes *s = p->data;
    if (t->step > 0) wl_spikes_update(s, t->step, t->last_batch_loss);
    v[0] = s->in_spike;
    v[1] = (double)s->count;
    if (p->option && t->step > 0 && t->last_nb > 0) {
        /* critical lr of the batch: 2 / lambda_max(K_b / (k |b|)) */
        wl_mat Xb, K;
        int rc = wl_mat_alloc(&Xb, t->last_nb, t->train->d);
        if (rc) return rc;
        for (size_t i = 0; i < t->last_nb; i++)
            memcpy(&WL_AT(&Xb, i, 0), &WL_AT(&t->Xtr, t->last_batch[i], 0),
                   t->train->d * sizeof(double));
        /* the batch of the last step, at the parameters before it is not kept:
           the kernel is measured at the current parameters */
        rc = wl_train_kernel(t, t->w, &Xb, &K);
        double *eig = rc ? NULL : wl_dalloc(K.rows, "batch kernel eigenvalues");
        if (!rc && !eig) rc = WL_ENOMEM;
        if (!rc) rc = wl_ntk_eigvals(&K, eig);
        if (!rc) v[2] = 2.0 * (double)t->last_nb / eig[K.rows - 1];
        free(eig);
        wl_mat_free(&K);
        wl_mat_free(&Xb);
        return rc;
    }
    return WL_OK;
}

static size_t spikes_state_size(const wl_probe *p) {
    (void)p;
    return 7;
}
static void spikes_state_save(const wl_probe *p, double *b) {
    const wl_spikes *s = p->data;
    b[0] = s->factor, b[1] = s->run_min, b[2] = s->in_spike, b[3] = (double)s->count;
    b[4] = (double)s->start, b[5] = s->peak, b[6] = s->last_peak_ratio;
}
static void spikes_state_load(wl_probe *p, const double *b) {
    wl_spikes *s = p->data;
    s->factor = b[0], s->run_min = b[1], s->in_spike = (int)b[2], s->count = (size_t)b[3];
    s->start = (size_t)b[4], s->peak = b[5], s->last_peak_ratio = b[6];
}

static void plain_free(wl_probe *p) { free(p->data); }

/* ---- registry --------------------------------------------------------------- */

static void set_cols(wl_probe *p, const char *const *cols) {
    for (p->ncols = 0; cols[p->ncols]; p->ncols++)
        snprintf(p->cols[p->ncols], sizeof p->cols[0], "%s", cols[p->ncols]);
}

int wl_probe_create(wl_trainer *t, const char *name, size_t every, int option, wl_probe **out) {
    wl_probe *p = wl_calloc(1, sizeof *p, "probe");
    if (!p) return WL_ENOMEM;
    snprintf(p->name, sizeof p->name, "%s", name);
    p->option = option;
    int rc = WL_OK;
    if (!strcmp(name, "kernel")) {
        static const char *c[] = {"ntk_lambda_max", "ntk_lambda_min", "ntk_cond", "ntk_change", NULL};
        set_cols(p, c);
        p->measure = kernel_measure;
        p->free = kernel_free;
        p->data = wl_calloc(1, sizeof(kernel_data), "kernel probe");
    } else if (!strcmp(name, "sharpness")) {
        static const char *c[] = {"sharpness", "two_over_lr", NULL};
        set_cols(p, c);
        p->measure = sharpness_measure;
    } else if (!strcmp(name, "pl")) {
        static const char *c[] = {"pl_ratio", "pl_bound", "probe_loss", NULL};
        set_cols(p, c);
        p->measure = pl_measure;
    } else if (!strcmp(name, "hessian-norm")) {
        static const char *c[] = {"hf_norm_mean", "hf_norm_max", NULL};
        set_cols(p, c);
        p->measure = hnorm_measure;
    } else if (!strcmp(name, "linearity")) {
        static const char *c[] = {"lin_gap", "lin_gap_rel", NULL};
        set_cols(p, c);
        p->measure = linearity_measure;
    } else if (!strcmp(name, "agop")) {
        static const char *c[] = {"agop_trace", "agop_align", NULL};
        set_cols(p, c);
        p->measure = agop_measure;
    } else if (!strcmp(name, "noise")) {
        if (!t->train->corrupted)
            rc = wl_seterr(WL_EINVAL, "probe noise: the training set has no injected label "
                                      "noise (use --label-noise P)");
        static const char *c[] = {"loss_clean", "loss_noisy", "acc_clean", "acc_noisy",
                                  "acc_noisy_true", "gnorm_ratio", "grad_cosine", NULL};
        set_cols(p, c);
        p->measure = noise_measure;
    } else if (!strcmp(name, "spikes")) {
        static const char *c[] = {"in_spike", "spikes", NULL};
        set_cols(p, c);
        if (option) snprintf(p->cols[p->ncols++], sizeof p->cols[0], "batch_crit_lr");
        p->measure = spikes_measure;
        p->free = plain_free;
        p->state_size = spikes_state_size;
        p->state_save = spikes_state_save;
        p->state_load = spikes_state_load;
        p->data = wl_calloc(1, sizeof(wl_spikes), "spikes probe");
        if (p->data) wl_spikes_init(p->data, t->tc.spike_factor);
    } else {
        rc = wl_seterr(WL_EINVAL, "unknown probe '%s' (kernel, sharpness, pl, hessian-norm, "
                                  "linearity, agop, noise, spikes)", name);
    }
    if (!rc && p->free && !p->data) rc = WL_ENOMEM;
    if (!rc && option && strcmp(name, "spikes"))
        rc = wl_seterr(WL_EINVAL, "probe %s takes no option", name);
    if (rc) {
        wl_probe_destroy(p);
        return rc;
    }
    /* default cadence: every step for spikes, else every 10 steps */
    p->every = every ? every : (!strcmp(name, "spikes") ? 1 : 10);
    *out = p;
    return WL_OK;
}

void wl_probe_destroy(wl_probe *p) {
    if (!p) return;
    if (p->free) p->free(p);
    free(p);
}
