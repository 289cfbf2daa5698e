/* Top-k loss-Hessian eigenvalues: widelab's Lanczos against a PyHessian-style
 * PyTorch computation (bench/hessian_torch.py: double-backward Hessian-vector
 * products, power iteration with deflation), side by side in one run.
 *
 *   bench_hessian [--n 1000] [--k 10] [--tol 1e-3] [--reps 3] [--threads 2]
 *                 [--torch-reps R] [--torch-max-iter N] [--criterion residual|pyhessian]
 *                 [--spec mlp:784-512x2-10:relu:ntk]
 *                 [--no-torch] [--python /usr/bin/python3]
 *
 * Both sides: the same weights (exported as .npy), the same first n
 * Fashion-MNIST training images ([0,1] pixels) with one-hot targets, MSE
 * L = (1/n) sum 1/2 ||f - y||^2, float64, the same thread count, and the same
 * stopping rule: every returned pair has ||H v - lambda v|| <= tol lambda_1 (the
 * PyTorch side: <= tol |lambda_j|, see hessian_torch.py)
 * (--criterion pyhessian lets the PyTorch side stop as PyHessian does, on a
 * relative eigenvalue change below tol, at most 100 iterations per pair).
 * Prints the medians of the wall times, the products used and the ratio. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "widelab.h"

typedef struct args {
    size_t n, k, reps, torch_reps, torch_max_iter;
    int threads, torch;
    double tol;
    const char *criterion, *spec, *python;
} args;

static int parse(int argc, char **argv, args *a) {
    *a = (args){1000, 10, 3, 0, 0, 2, 1, 1e-3, "residual", "mlp:784-512x2-10:relu:ntk", "/usr/bin/python3"};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "--no-torch")) { a->torch = 0; continue; }
        if (!v) return fprintf(stderr, "bench_hessian: %s needs a value\n", o), -1;
        if (!strcmp(o, "--n")) a->n = strtoull(v, NULL, 10);
        else if (!strcmp(o, "--k")) a->k = strtoull(v, NULL, 10);
        else if (!strcmp(o, "--reps")) a->reps = strtoull(v, NULL, 10);
        else if (!strcmp(o, "--torch-reps")) a->torch_reps = strtoull(v, NULL, 10);
        else if (!strcmp(o, "--torch-max-iter")) a->torch_max_iter = strtoull(v, NULL, 10);
        else if (!strcmp(o, "--threads")) a->threads = atoi(v);
        else if (!strcmp(o, "--tol")) a->tol = atof(v);
        else if (!strcmp(o, "--criterion")) a->criterion = v;
        else if (!strcmp(o, "--spec")) a->spec = v;
        else if (!strcmp(o, "--python")) a->python = v;
        else return fprintf(stderr, "bench_hessian: unknown option %s\n", o), -1;
        i++;
    }
    if (!a->torch_reps) a->torch_reps = a->reps;
    return a->n && a->k && a->reps ? 0 : -1;
}

static int cmp(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static double median(double *v, size_t n) {
    qsort(v, n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Exports X, Y and every dense weight (W0.npy, W1.npy, ...) for the peer. */
static int export(const char *dir, const wl_model *m, const double *w, const wl_mat *X,
                  const wl_mat *Y) {
    char path[4096];
    size_t sx[2] = {X->rows, X->cols}, sy[2] = {Y->rows, Y->cols};
    snprintf(path, sizeof path, "%s/X.npy", dir);
    int rc = wl_npy_write(path, X->data, 2, sx);
    snprintf(path, sizeof path, "%s/Y.npy", dir);
    if (!rc) rc = wl_npy_write(path, Y->data, 2, sy);
    for (size_t b = 0, l = 0; !rc && b < m->n_blocks; b++) {
        const wl_param_block *bl = &m->blocks[b];
        if (bl->ndim != 2) return wl_seterr(WL_EUNSUP, "bench: biases are not exported");
        size_t s[2] = {bl->rows, bl->cols};
        snprintf(path, sizeof path, "%s/W%zu.npy", dir, l++);
        rc = wl_npy_write(path, w + bl->offset, 2, s);
    }
    return rc;
}

/* First n training images, one-hot targets. */
static int load_data(size_t n, wl_mat *X, wl_mat *Y) {
    wl_dataset ds;
    memset(&ds, 0, sizeof ds);
    int rc = wl_data_load("fashion-mnist", &ds);
    if (rc) return rc;
    if (n > ds.n) n = ds.n;
    if (wl_mat_alloc(X, n, ds.d) || wl_mat_alloc(Y, n, 10)) return WL_ENOMEM;
    memcpy(X->data, ds.X, n * ds.d * sizeof(double));
    for (size_t i = 0; i < n; i++) WL_AT(Y, i, ds.labels[i]) = 1.0;
    wl_dataset_free(&ds);
    return WL_OK;
}

typedef struct run_stats {
    double sec, cpu, maxres;
    size_t matvecs;
    double *eigs;
} run_stats;

static int run_widelab(wl_objective *obj, const double *w, const args *a, run_stats *st) {
    wl_hessian *h;
    int rc = wl_hessian_loss_new(obj, w, NULL, 0, WL_HESS_LOSS, &h);
    if (rc) return rc;
    wl_linop H = wl_hessian_op(h);
    wl_lanczos_opts o;
    wl_lanczos_opts_default(&o);
    o.k = a->k;
    o.which = WL_EIG_LA;
    o.tol = a->tol;
    double *t = calloc(a->reps, sizeof(double)), *cpu = calloc(a->reps, sizeof(double));
    for (size_t r = 0; !rc && r < a->reps; r++) {
        wl_rng rng;
        wl_rng_seed(&rng, 100 + r);
        wl_eig_result res;
        double t0 = wl_time();
        clock_t c0 = clock();
        rc = wl_lanczos(&H, &o, &rng, 0, &res);
        t[r] = wl_time() - t0;
        cpu[r] = (double)(clock() - c0) / CLOCKS_PER_SEC;
        if (rc) break;
        fprintf(stderr, "widelab run %zu: %.3f s (cpu %.3f s), %zu products, %zu restarts, max residual/lambda_1 %.2e%s\n",
                r, t[r], cpu[r], res.matvecs, res.restarts, res.max_residual / res.values[0],
                res.converged ? "" : " (NOT converged)");
        st->matvecs = res.matvecs;
        st->maxres = res.max_residual / res.values[0];
        memcpy(st->eigs, res.values, a->k * sizeof(double));
        wl_eig_result_free(&res);
    }
    st->sec = median(t, a->reps);
    st->cpu = median(cpu, a->reps);
    free(t);
    free(cpu);
    wl_hessian_free(h);
    return rc;
}

static int run_torch(const char *dir, const args *a, run_stats *st) {
    char script[4096], cmd[8192], path[4096];
    snprintf(script, sizeof script, "%s", __FILE__);
    char *slash = strrchr(script, '/');
    if (slash) strcpy(slash + 1, "hessian_torch.py");
    snprintf(cmd, sizeof cmd, "OMP_NUM_THREADS=%d '%s' '%s' '%s' --k %zu --tol %g --reps %zu --threads %d --criterion %s --max-iter %zu",
             a->threads, a->python, script, dir, a->k, a->tol, a->torch_reps, a->threads, a->criterion, a->torch_max_iter);
    if (system(cmd) != 0) return wl_seterr(WL_EIO, "bench: the PyTorch side failed: %s", cmd);
    double *e = NULL, *s = NULL;
    int nd;
    size_t shape[8];
    snprintf(path, sizeof path, "%s/torch_eigs.npy", dir);
    int rc = wl_npy_read(path, &e, &nd, shape);
    snprintf(path, sizeof path, "%s/torch_stats.npy", dir);
    if (!rc) rc = wl_npy_read(path, &s, &nd, shape);
    if (!rc) {
        memcpy(st->eigs, e, a->k * sizeof(double));
        st->sec = s[0];
        st->matvecs = (size_t)s[1];
        st->maxres = s[2];
        st->cpu = shape[0] > 4 ? s[4] : NAN;
    }
    free(e);
    free(s);
    return rc;
}

static void report(const args *a, const run_stats *c, const run_stats *t, size_t n, size_t p) {
    printf("top-%zu loss-Hessian eigenvalues, %s, n = %zu Fashion-MNIST images, p = %zu, MSE, "
           "float64, %d threads, ||Hv - lambda v|| <= %g lambda_1\n",
           a->k, a->spec, n, p, a->threads, a->tol);
    printf("%4s %18s %18s %12s\n", "j", "widelab", "pytorch", "rel. diff");
    double maxd = 0;
    for (size_t j = 0; j < a->k; j++) {
        double d = a->torch ? fabs(c->eigs[j] - t->eigs[j]) / c->eigs[0] : NAN;
        if (d > maxd) maxd = d;
        printf("%4zu %18.10g %18.10g %12.2e\n", j + 1, c->eigs[j], a->torch ? t->eigs[j] : NAN, d);
    }
    printf("widelab Lanczos : %8.3f s (median of %zu; cpu %.3f s), %5zu Hessian-vector products, "
           "max residual %.1e\n", c->sec, a->reps, c->cpu, c->matvecs, c->maxres);
    if (!a->torch) return;
    printf("pytorch power   : %8.3f s (median of %zu; cpu %.3f s), %5zu Hessian-vector products, "
           "max residual %.1e (stopping rule: %s)\n", t->sec, a->torch_reps, t->cpu, t->matvecs,
           t->maxres, a->criterion);
    printf("speed-up %.2fx in wall time, %.2fx in CPU time, %.2fx in products; "
           "max |lambda diff| / lambda_1 = %.2e\n", t->sec / c->sec, t->cpu / c->cpu,
           (double)t->matvecs / (double)c->matvecs, maxd);
}

int main(int argc, char **argv) {
    args a;
    if (parse(argc, argv, &a)) return 2;
    wl_set_threads(a.threads);
    wl_mat X = {0}, Y = {0};
    wl_model *m = NULL;
    wl_objective *obj = NULL;
    double *w = NULL;
    run_stats c = {0}, t = {0};
    c.eigs = calloc(a.k, sizeof(double));
    t.eigs = calloc(a.k, sizeof(double));
    char dir[] = "/tmp/bench_hessianXXXXXX";
    int rc = mkdtemp(dir) ? WL_OK : wl_seterr(WL_EIO, "bench: no temporary directory");
    if (!rc) rc = load_data(a.n, &X, &Y);
    if (!rc) rc = wl_net_from_spec(a.spec, &m);
    if (!rc && (w = malloc(m->dim * sizeof(double))) == NULL) rc = WL_ENOMEM;
    wl_rng rng;
    wl_rng_seed(&rng, 0);
    if (!rc) rc = wl_model_init(m, &rng, w);
    if (!rc) rc = export(dir, m, w, &X, &Y);
    if (!rc) rc = wl_objective_new(m, WL_LOSS_MSE, &X, &Y, &obj);
    if (!rc) rc = run_widelab(obj, w, &a, &c);
    if (!rc && a.torch) rc = run_torch(dir, &a, &t);
    if (!rc) report(&a, &c, &t, X.rows, m->dim);
    else fprintf(stderr, "bench_hessian: %s\n", wl_errmsg());
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "bench_hessian: could not remove %s\n", dir);
    wl_objective_free(obj);
    wl_model_free(m);
    wl_mat_free(&X);
    wl_mat_free(&Y);
    free(w);
    free(c.eigs);
    free(t.eigs);
    return rc ? 1 : 0;
}
