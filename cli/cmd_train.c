/* widelab train: train a network, its linearization or its quadratic model;
 * writes a run directory. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data_opts.h"
#include "run.h"
#include "train_io.h"

const char cmd_train_summary[] = "train a model (network, linearized or quadratic); writes a run directory";

#define DEFAULT_MODEL "mlp:784-1024x3-10:relu:ntk"

typedef struct train_args {
    wl_data_opts data;
    const char *model, *arch, *init, *resume, *loss, *optim, *lr, *momentum, *kappa_tilde;
    const char *schedule, *probes, *agop_target, *out;
    double epochs, eta2, beta1, beta2, eps, weight_decay, spike_factor;
    size_t steps, batch, warmup, eval_every, eval_max, early_stop, probe_n, auto_n, threads, val;
    uint64_t seed;
    int quiet;
} train_args;

/* Parses "auto" (returns 1) or a number into *v (returns 0); -1 on error. */
static int auto_or_number(const char *opt, const char *s, double *v) {
    if (!s || strcmp(s, "auto") == 0) return 1;
    char *end;
    *v = strtod(s, &end);
    if (end == s || *end || !isfinite(*v)) {
        cli_usage_error("train", "option --%s expects a number or 'auto', got '%s'", opt, s);
        return -1;
    }
    return 0;
}

static int progress_cb(void *ctx, const wl_trainer *t) {
    train_args *a = ctx;
    const wl_table *m = wl_trainer_metrics(t);
    size_t r = wl_table_nrows(m) - 1;
    double tl = wl_table_get(m, r, (size_t)wl_table_col(m, "train_loss"));
    if (isnan(tl) || a->quiet) return 0; /* probe-only row */
    double ta = wl_table_get(m, r, (size_t)wl_table_col(m, "train_acc"));
    double sl = wl_table_get(m, r, (size_t)wl_table_col(m, "test_loss"));
    double sa = wl_table_get(m, r, (size_t)wl_table_col(m, "test_acc"));
    fprintf(stderr, "step %6zu  epoch %6.2f  train loss %.5g", wl_trainer_step(t),
            wl_table_get(m, r, (size_t)wl_table_col(m, "epoch")), tl);
    if (!isnan(ta)) fprintf(stderr, " acc %.4f", ta);
    if (!isnan(sl)) fprintf(stderr, "  test loss %.5g", sl);
    if (!isnan(sa)) fprintf(stderr, " acc %.4f", sa);
    fprintf(stderr, "  (%.1fs)\n", wl_table_get(m, r, (size_t)wl_table_col(m, "time")));
    return 0;
}

/* Builds the model to train (network, or a Taylor model of --arch) and its
 * initial parameters (from --init, else drawn from the seed). */
static int build_model(const train_args *a, wl_model **model, wl_model **base, double **w) {
    int order = strcmp(a->model, "linear") == 0 ? 1 : strcmp(a->model, "quadratic") == 0 ? 2 : 0;
    const char *spec = order ? a->arch : a->model;
    wl_model *net;
    int rc = wl_net_from_spec(spec, &net);
    if (rc) return rc;
    double *w0 = wl_dalloc(net->dim, "parameters");
    if (!w0) {
        wl_model_free(net);
        return WL_ENOMEM;
    }
    wl_rng rng;
    wl_rng_seed(&rng, a->seed);
    rc = a->init ? cli_params_load(a->init, net, w0) : wl_model_init(net, &rng, w0);
    if (!rc && order) {
        wl_model *tay;
        rc = wl_taylor_new(net, w0, order, &tay);
        if (!rc) {
            *base = net;
            *model = tay;
            *w = w0;
            return WL_OK;
        }
    }
    if (rc) {
        free(w0);
        wl_model_free(net);
        return rc;
    }
    *base = NULL;
    *model = net;
    *w = w0;
    return WL_OK;
}

static int configure_optimizer(const train_args *a, wl_model *m, const double *w,
                               const wl_dataset *tr, wl_optim_config *oc, int *tuned,
                               wl_spectral *sp) {
    wl_optim_kind kind;
    int rc = wl_optim_parse(a->optim, &kind);
    if (rc) return rc;
    *oc = wl_optim_defaults(kind);
    oc->batch = a->batch;
    if (kind == WL_OPT_GD) oc->batch = 0;
    oc->beta1 = a->beta1;
    oc->beta2 = a->beta2;
    oc->eps = a->eps;
    oc->weight_decay = a->weight_decay;
    if (a->schedule && (rc = wl_schedule_parse(a->schedule, &oc->sched))) return rc;
    oc->sched.warmup = a->warmup;
    double lr = 0, mom = 0, kt = 0;
    int lr_auto = auto_or_number("lr", a->lr, &lr), mom_auto = auto_or_number("momentum", a->momentum, &mom);
    int kt_auto = auto_or_number("kappa-tilde", a->kappa_tilde, &kt);
    if (lr_auto < 0 || mom_auto < 0 || kt_auto < 0) return WL_EINVAL;
    *tuned = 0;
    int need_auto = lr_auto || (mom_auto && (kind == WL_OPT_NESTEROV || kind == WL_OPT_MASS));
    if (need_auto && kind == WL_OPT_ADAM) {
        if (lr_auto) return wl_seterr(WL_EINVAL, "--lr auto is not defined for adam; give --lr");
        need_auto = 0;
    }
    if (need_auto) {
        /* constants from the tangent kernel of a sample of the training set */
        size_t ns = a->auto_n < tr->n ? a->auto_n : tr->n;
        wl_rng r;
        wl_rng_seed(&r, a->seed ^ 0xa070ULL);
        size_t *idx = malloc(ns * sizeof *idx);
        wl_mat Xs;
        if (!idx || wl_mat_alloc(&Xs, ns, tr->d)) {
            free(idx);
            return wl_seterr(WL_ENOMEM, "out of memory for the auto-tuning sample");
        }
        rc = wl_rng_sample(&r, tr->n, ns, idx);
        for (size_t i = 0; i < ns && !rc; i++)
            memcpy(&WL_AT(&Xs, i, 0), tr->X + idx[i] * tr->d, tr->d * sizeof(double));
        wl_optim_config tunedcfg = *oc;
        if (!rc) rc = wl_train_auto(m, w, &Xs, oc->batch ? oc->batch : tr->n, &tunedcfg, sp);
        free(idx);
        wl_mat_free(&Xs);
        if (rc) return rc;
        if (lr_auto) oc->lr = tunedcfg.lr;
        if (mom_auto) oc->momentum = tunedcfg.momentum;
        if (kind == WL_OPT_MASS) {
            oc->mass_eta2 = tunedcfg.mass_eta2;
            if (!kt_auto) { /* user's kappa-tilde: eta2 from it */
                oc->mass_kappa_tilde = kt;
                oc->mass_eta2 = -1;
            }
        }
        *tuned = 1;
    }
    if (!lr_auto) oc->lr = lr;
    if (!mom_auto) oc->momentum = mom;
    if (kind == WL_OPT_MASS && !kt_auto && !need_auto) {
        oc->mass_kappa_tilde = kt;
        oc->mass_eta2 = -1;
    }
    if (kind == WL_OPT_MASS && a->eta2 >= 0) oc->mass_eta2 = a->eta2;
    return WL_OK;
}

static void write_plots(const wl_table *m, const char *dir) {
    size_t n = wl_table_nrows(m), k = 0;
    double *x = malloc(n * sizeof *x), *cols[4];
    const char *names[4] = {"train_loss", "test_loss", "train_acc", "test_acc"};
    for (int c = 0; c < 4; c++) cols[c] = malloc(n * sizeof(double));
    /* evaluation rows only */
    for (size_t r = 0; r < n; r++) {
        double tl = wl_table_get(m, r, (size_t)wl_table_col(m, "train_loss"));
        if (isnan(tl)) continue;
        x[k] = wl_table_get(m, r, 0);
        for (int c = 0; c < 4; c++) cols[c][k] = wl_table_get(m, r, (size_t)wl_table_col(m, names[c]));
        k++;
    }
    char path[4096];
    wl_plot p;
    wl_plot_init(&p, "loss", "step", "loss");
    p.log_y = 1;
    wl_plot_series(&p, "train", k, x, cols[0]);
    wl_plot_series(&p, "test", k, x, cols[1]);
    wl_plot_write_svg(&p, cli_path(path, sizeof path, dir, "loss.svg"));
    wl_plot_init(&p, "accuracy", "step", "accuracy");
    wl_plot_series(&p, "train", k, x, cols[2]);
    wl_plot_series(&p, "test", k, x, cols[3]);
    wl_plot_write_svg(&p, cli_path(path, sizeof path, dir, "accuracy.svg"));
    free(x);
    for (int c = 0; c < 4; c++) free(cols[c]);
}

static double last_value(const wl_table *m, const char *col) {
    long c = wl_table_col(m, col);
    for (size_t r = wl_table_nrows(m); c >= 0 && r-- > 0;) {
        double v = wl_table_get(m, r, (size_t)c);
        if (!isnan(v)) return v;
    }
    return NAN;
}

static int write_summary(const train_args *a, wl_trainer *t, wl_model *m, const wl_optim_config *oc,
                         int tuned, const wl_spectral *sp, int status, const char *err) {
    cli_summary s;
    int rc = cli_summary_begin(&s, a->out, "train");
    if (rc) return rc;
    wl_json *j = &s.json;
    const wl_table *mt = wl_trainer_metrics(t);
    wl_train_status st;
    wl_trainer_status(t, &st);
    wl_json_str(j, "model", a->model);
    wl_json_str(j, "model_kind", m->kind);
    wl_json_int(j, "parameters", (long long)m->dim);
    wl_json_str(j, "status", status ? "diverged" : st.early_stopped ? "early-stopped" : "finished");
    if (err) wl_json_str(j, "error", err);
    wl_json_int(j, "steps", (long long)st.step);
    static const char *finals[] = {"train_loss", "train_acc", "test_loss", "test_acc",
                                   "grad_norm", "dist_init", "epoch"};
    wl_json_obj(j, "final");
    for (size_t i = 0; i < sizeof finals / sizeof finals[0]; i++)
        wl_json_num(j, finals[i], last_value(mt, finals[i]));
    wl_json_obj_end(j);
    wl_json_obj(j, "optimizer");
    char buf[512];
    wl_json_str(j, "describe", wl_optim_describe(wl_trainer_optim(t), buf, sizeof buf));
    wl_json_num(j, "lr", oc->lr);
    wl_json_num(j, "momentum", oc->momentum);
    wl_json_int(j, "batch", (long long)oc->batch);
    wl_json_bool(j, "auto", tuned);
    if (tuned) {
        wl_json_num(j, "L", sp->L);
        wl_json_num(j, "mu", sp->mu);
        wl_json_num(j, "beta", sp->beta);
        wl_json_num(j, "L1", sp->L1);
        wl_json_num(j, "kappa_tilde", sp->kappa_tilde);
        wl_json_num(j, "critical_batch", sp->m_star);
        wl_json_num(j, "mass_eta2", sp->mass_eta2);
    }
    wl_json_obj_end(j);
    wl_json_obj(j, "early_stopping");
    wl_json_bool(j, "stopped", st.early_stopped);
    wl_json_int(j, "best_step", (long long)st.best_step);
    wl_json_num(j, "best_val_error", st.best_val_error);
    wl_json_obj_end(j);
    wl_json_obj(j, "seconds");
    wl_json_num(j, "train", st.train_seconds);
    wl_json_num(j, "eval", st.eval_seconds);
    wl_json_num(j, "probes", st.probe_seconds);
    wl_json_obj_end(j);
    return cli_summary_end(&s);
}

int cmd_train(int argc, char **argv) {
    static train_args a;
    cli_opt opts[48 + CLI_DATA_NOPTS] = {
        {"model", CLI_STR, &a.model, DEFAULT_MODEL, "network spec, or 'linear' / 'quadratic' for the Taylor model of --arch"},
        {"arch", CLI_STR, &a.arch, DEFAULT_MODEL, "network whose Taylor model --model linear|quadratic trains"},
        {"init", CLI_STR, &a.init, NULL, "initial parameters: flat .npy, or .npz (state_dict names or 'params')"},
        {"resume", CLI_STR, &a.resume, NULL, "continue the run in this directory from its checkpoint"},
        {"loss", CLI_STR, &a.loss, "mse", "mse (mean of 1/2 ||f - y||^2) or xent"},
        {"optim", CLI_STR, &a.optim, "sgd", "gd, sgd, heavyball, nesterov, adam, mass"},
        {"lr", CLI_STR, &a.lr, "auto", "step size (MaSS: eta1), or auto from the tangent kernel"},
        {"momentum", CLI_STR, &a.momentum, "auto", "heavy-ball mu / Nesterov and MaSS gamma, or auto"},
        {"kappa-tilde", CLI_STR, &a.kappa_tilde, "auto", "MaSS kappa-tilde (sets eta2), or auto"},
        {"eta2", CLI_DOUBLE, &a.eta2, "-1", "MaSS compensation step eta2 (negative: from kappa-tilde / auto)"},
        {"beta1", CLI_DOUBLE, &a.beta1, "0.9", "Adam beta1"},
        {"beta2", CLI_DOUBLE, &a.beta2, "0.999", "Adam beta2"},
        {"eps", CLI_DOUBLE, &a.eps, "1e-8", "Adam epsilon"},
        {"weight-decay", CLI_DOUBLE, &a.weight_decay, "0", "L2 weight decay"},
        {"batch", CLI_SIZE, &a.batch, "64", "mini-batch size (gd: full batch)"},
        {"epochs", CLI_DOUBLE, &a.epochs, "3", "epochs (used when --steps is 0)"},
        {"steps", CLI_SIZE, &a.steps, "0", "optimizer steps (0: from --epochs)"},
        {"schedule", CLI_STR, &a.schedule, "const", "const, step:D1,D2:FACTOR, cosine:TOTAL[:FINAL]"},
        {"warmup", CLI_SIZE, &a.warmup, "0", "linear warm-up steps"},
        {"eval-every", CLI_SIZE, &a.eval_every, "0", "evaluate (and checkpoint) every N steps (0: 10 times per run)"},
        {"eval-max", CLI_SIZE, &a.eval_max, "2000", "evaluate the training loss and gradient on at most N samples"},
        {"early-stop", CLI_SIZE, &a.early_stop, "0", "stop after N evaluations without a better validation error"},
        {"val", CLI_SIZE, &a.val, "0", "hold out N training samples for validation (early stopping; 0: the test set)"},
        {"probe", CLI_STR, &a.probes, NULL, "probes NAME[:EVERY],... (kernel, sharpness, pl, hessian-norm, linearity, agop, noise, spikes[:EVERY:crit])"},
        {"probe-n", CLI_SIZE, &a.probe_n, "100", "size of the fixed probe sample"},
        {"agop-target", CLI_STR, &a.agop_target, NULL, "AGOP alignment target: d x d .npy, or a run directory (its params)"},
        {"spike-factor", CLI_DOUBLE, &a.spike_factor, "2", "spikes probe: rise over the running minimum"},
        {"auto-n", CLI_SIZE, &a.auto_n, "512", "samples of the tangent kernel used by auto settings"},
        {"seed", CLI_U64, &a.seed, "0", "seed of the initialization, batches and probes"},
        {"threads", CLI_SIZE, &a.threads, "0", "threads (0 = all cores)"},
        {"out", CLI_STR, &a.out, "runs/train", "run directory"},
        {"quiet", CLI_FLAG, &a.quiet, NULL, "no per-evaluation lines on stderr"},
    };
    size_t nopts = 32;
    nopts = cli_data_opts_append(opts, nopts, sizeof opts / sizeof opts[0], &a.data, "fashion-mnist");
    const cli_cmd cmd = {"train", "[options]",
                         "Trains a network (or its linearization / quadratic model) with GD, SGD,\n"
                         "heavy-ball, Nesterov, Adam or MaSS, step sizes chosen from the tangent\n"
                         "kernel's spectrum ('auto'). Writes OUT/config.json, metrics.csv,\n"
                         "summary.json, loss.svg, accuracy.svg, checkpoint.npz, params.npy and\n"
                         "params.npz (PyTorch state_dict names)."};
    char *pos[1];
    size_t npos;
    int help, rc = cli_parse(&cmd, argc, argv, opts, nopts, pos, 0, &npos, &help);
    if (rc || help) return rc;
    if (a.resume) {
        const char *dir = a.resume;
        char path[4096];
        if ((rc = cli_opts_load_json(cli_path(path, sizeof path, dir, "config.json"), opts, nopts)))
            return cli_fail("train", rc);
        a.resume = dir;
        a.out = dir;
    }
    wl_set_threads((int)a.threads);
    wl_loss_kind loss;
    if ((rc = wl_loss_parse(a.loss, &loss))) return cli_fail("train", rc);

    /* data */
    wl_dataset tr = {0}, te = {0}, full = {0}, va = {0};
    if ((rc = wl_data_prepare(&a.data, &full, &te))) return cli_fail("train", rc);
    if (a.val) {
        wl_rng vr;
        wl_rng_seed(&vr, a.seed ^ 0x7a1ULL);
        rc = wl_data_split(&full, a.val, a.data.stratify, &vr, &tr, &va);
        wl_dataset_free(&full);
        if (rc) return cli_fail("train", rc);
    } else {
        tr = full;
    }
    wl_model *model = NULL, *base = NULL;
    double *w = NULL;
    wl_trainer *t = NULL;
    wl_optim_config oc;
    wl_spectral sp;
    int tuned = 0, exit_code = CLI_OK;
    memset(&sp, 0, sizeof sp);
    if ((rc = build_model(&a, &model, &base, &w))) goto fail;
    if (model->n_in != tr.d || model->n_out != tr.k) {
        rc = wl_seterr(WL_EINVAL, "the model takes %zu inputs and gives %zu outputs, the data "
                                  "'%s' have %zu features and %zu targets (change --model)",
                       model->n_in, model->n_out, tr.name, tr.d, tr.k);
        goto fail;
    }
    if ((rc = configure_optimizer(&a, model, w, &tr, &oc, &tuned, &sp))) goto fail;
    if (tuned && !a.quiet) {
        char buf[2048];
        fprintf(stderr, "auto settings from the tangent kernel of %zu samples:\n%s\n",
                a.auto_n < tr.n ? a.auto_n : tr.n, wl_spectral_format(&sp, buf, sizeof buf));
    }
    wl_train_config tc;
    wl_train_defaults(&tc);
    size_t per_epoch = oc.batch && oc.batch < tr.n ? (tr.n + oc.batch - 1) / oc.batch : 1;
    tc.steps = a.steps ? a.steps : (size_t)ceil(a.epochs * (double)per_epoch);
    tc.eval_every = a.eval_every ? a.eval_every : (tc.steps >= 10 ? tc.steps / 10 : 1);
    tc.eval_max = a.eval_max;
    tc.early_stop = a.early_stop;
    tc.probe_n = a.probe_n;
    tc.spike_factor = a.spike_factor;
    tc.seed = a.seed;
    tc.run_dir = a.out;
    if (!a.resume && (rc = cli_run_begin(a.out, "train", a.seed, opts, nopts))) goto fail;
    if ((rc = wl_trainer_new(model, loss, &tr, te.n ? &te : NULL, va.n ? &va : NULL, &oc, &tc, w, &t)))
        goto fail;
    if ((rc = cli_add_probes(t, a.probes))) goto fail;
    if (a.agop_target && (rc = cli_agop_target(t, a.agop_target, &tr)))
        goto fail;
    if (a.resume) {
        char path[4096];
        if ((rc = wl_trainer_resume(t, cli_path(path, sizeof path, a.out, "checkpoint.npz")))) goto fail;
        fprintf(stderr, "resuming %s at step %zu of %zu\n", a.out, wl_trainer_step(t), tc.steps);
    }
    if (!a.quiet) {
        char buf[512];
        fprintf(stderr, "training %s (%zu parameters) on %zu samples, %zu steps: %s\n", a.model,
                model->dim, tr.n, tc.steps, wl_optim_describe(wl_trainer_optim(t), buf, sizeof buf));
    }
    rc = wl_trainer_run(t, progress_cb, &a);
    int diverged = rc == WL_ENUMERIC;
    char err[1024] = "";
    if (rc && !diverged) goto fail;
    if (diverged) snprintf(err, sizeof err, "%s", wl_errmsg());
    /* outputs: parameters, plots, summary (kept even when training diverged) */
    int wrc = WL_OK;
    if (!diverged) wrc = cli_params_save(a.out, base ? base : model, wl_trainer_params(t));
    if (!wrc) {
        write_plots(wl_trainer_metrics(t), a.out);
        wrc = write_summary(&a, t, model, &oc, tuned, &sp, diverged, diverged ? err : NULL);
    }
    if (diverged) {
        fprintf(stderr, "widelab train: error: %s\n", err);
        exit_code = CLI_FAIL;
    } else if (wrc) {
        exit_code = cli_fail("train", wrc);
    } else {
        const wl_table *m = wl_trainer_metrics(t);
        wl_train_status st;
        wl_trainer_status(t, &st);
        printf("steps: %zu\ntrain loss: %.6g\ntest loss: %.6g\ntest accuracy: %.4f\n", st.step,
               last_value(m, "train_loss"), last_value(m, "test_loss"), last_value(m, "test_acc"));
        if (st.early_stopped)
            printf("early stopped: best validation error %.4f at step %zu\n", st.best_val_error,
                   st.best_step);
        printf("run directory: %s\n", a.out);
    }
    goto done;
fail:
    exit_code = cli_fail("train", rc);
done:
    wl_trainer_free(t);
    wl_model_free(model);
    wl_model_free(base);
    free(w);
    wl_dataset_free(&tr);
    wl_dataset_free(&te);
    wl_dataset_free(&va);
    return exit_code;
}
