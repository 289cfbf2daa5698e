/* Side by side with PyTorch (bench/optim_torch.py, float64) on
 * Fashion-MNIST (same thread count on both sides): softmax regression (linear 784 -> 10 with bias, mean
 * cross-entropy), one epoch of SGD and of MaSS with batch 128 over the rows
 * in order (same trajectory in both, so the final losses must agree), and
 * the full-data gradient and Hessian-vector product. Medians of repetitions.
 *
 *   bench_optim [N=60000] [REPS=5] [DATA_DIR=/usr/share/datasets/fashion-mnist] [THREADS=2]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "widelab.h"

enum { BATCH = 128, MAXREP = 32 };

typedef struct ctx {
    wl_model *m;
    wl_objective *o;
    size_t n, *order;
    double *w, *v, *g;
} ctx;

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* one epoch of kind over the rows in order; returns the full loss after it */
static double epoch(ctx *c, wl_optim_kind kind) {
    wl_optim_config cfg = wl_optim_defaults(kind);
    cfg.lr = 0.1, cfg.momentum = 0.9, cfg.mass_eta2 = 0.02, cfg.batch = BATCH;
    wl_optim *opt;
    if (wl_optim_new(&cfg, c->m->dim, &opt)) return -1;
    memset(c->w, 0, c->m->dim * sizeof(double));
    for (size_t s = 0; s < c->n; s += BATCH) {
        size_t nb = c->n - s < BATCH ? c->n - s : BATCH;
        if (wl_optim_step(opt, c->o, c->w, c->order + s, nb, NULL)) return -1;
    }
    wl_optim_free(opt);
    double L;
    return wl_objective_value(c->o, c->w, NULL, 0, &L) ? -1 : L;
}

static void set_w0(ctx *c) {
    size_t kd = 7840;
    for (size_t j = 0; j < c->m->dim; j++) c->w[j] = j < kd ? 0.01 * sin((double)j) : 0.0;
}

static double grad(ctx *c) {
    set_w0(c);
    if (wl_objective_grad(c->o, c->w, NULL, 0, NULL, c->g)) return -1;
    return wl_nrm2(c->m->dim, c->g);
}

static double hvp(ctx *c) {
    set_w0(c);
    if (wl_objective_hvp(c->o, c->w, NULL, 0, c->v, c->g)) return -1;
    return wl_dot(c->m->dim, c->v, c->g);
}

static double sgd(ctx *c) { return epoch(c, WL_OPT_SGD); }
static double mass(ctx *c) { return epoch(c, WL_OPT_MASS); }

int main(int argc, char **argv) {
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 60000;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    const char *dir = argc > 3 ? argv[3] : "/usr/share/datasets/fashion-mnist";
    int threads = argc > 4 ? atoi(argv[4]) : 2;
    if (reps < 1 || reps > MAXREP) reps = 5;
    if (threads < 1) threads = 2;
    wl_set_threads(threads);
    char ip[1024], lp[1024];
    snprintf(ip, sizeof ip, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(lp, sizeof lp, "%s/train-labels-idx1-ubyte.gz", dir);
    wl_dataset ds;
    if (wl_data_load_idx(ip, lp, &ds) || !ds.labels) {
        fprintf(stderr, "bench_optim: %s\n", wl_errmsg());
        return 1;
    }
    if (n > ds.n) n = ds.n;
    /* one-hot targets of the 10 classes */
    size_t k = 10;
    double *onehot = wl_dalloc(n * k, "targets");
    for (size_t i = 0; i < n; i++) onehot[i * k + (size_t)ds.labels[i]] = 1.0;
    wl_mat X = wl_mat_view(ds.X, n, ds.d), Y = wl_mat_view(onehot, n, k);
    ctx c = {0};
    c.n = n;
    if (wl_linear_new(ds.d, k, 1, &c.m) || wl_objective_new(c.m, WL_LOSS_XENT, &X, &Y, &c.o)) {
        fprintf(stderr, "bench_optim: %s\n", wl_errmsg());
        return 1;
    }
    c.order = malloc(n * sizeof(size_t));
    for (size_t i = 0; i < n; i++) c.order[i] = i;
    c.w = wl_dalloc(c.m->dim, "w"), c.v = wl_dalloc(c.m->dim, "v"), c.g = wl_dalloc(c.m->dim, "g");
    for (size_t j = 0; j < c.m->dim; j++) c.v[j] = 1e-2 * cos((double)j);

    const char *names[4] = {"sgd_epoch", "mass_epoch", "grad_full", "hvp_full"};
    double (*fns[4])(ctx *) = {sgd, mass, grad, hvp};
    double med[4], val[4];
    for (int f = 0; f < 4; f++) {
        double ts[MAXREP];
        for (int r = 0; r < reps; r++) {
            double t0 = wl_time();
            val[f] = fns[f](&c);
            ts[r] = wl_time() - t0;
        }
        qsort(ts, (size_t)reps, sizeof(double), cmp);
        med[f] = ts[reps / 2];
    }

    /* the peer: same runs in PyTorch */
    char script[1024], cmd[2300];
    snprintf(script, sizeof script, "%s", __FILE__);
    char *slash = strrchr(script, '/');
    if (slash) strcpy(slash + 1, "optim_torch.py");
    else snprintf(script, sizeof script, "bench/optim_torch.py");
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s %zu %d %d %d", script, dir, n, BATCH, reps, threads);
    FILE *p = popen(cmd, "r");
    double tmed[4] = {0}, tval[4] = {0};
    char line[512];
    while (p && fgets(line, sizeof line, p)) {
        char nm[64];
        double t, v;
        if (sscanf(line, "%63s %lf %lf", nm, &t, &v) != 3) continue;
        for (int f = 0; f < 4; f++)
            if (!strcmp(nm, names[f])) tmed[f] = t, tval[f] = v;
    }
    int prc = p ? pclose(p) : -1;
    printf("softmax regression on Fashion-MNIST, n = %zu, batch %d, float64, %d threads, median of %d\n", n,
           BATCH, threads, reps);
    printf("%-11s %12s %12s %9s %20s %20s\n", "run", "widelab s", "torch s", "torch/wl", "widelab value",
           "torch value");
    for (int f = 0; f < 4; f++)
        printf("%-11s %12.5f %12.5f %9.2f %20.12g %20.12g\n", names[f], med[f], tmed[f],
               med[f] > 0 ? tmed[f] / med[f] : 0.0, val[f], tval[f]);
    if (prc != 0) printf("(the PyTorch side failed: exit %d)\n", prc);
    free(c.order), free(c.w), free(c.v), free(c.g);
    wl_objective_free(c.o);
    wl_model_free(c.m);
    free(onehot);
    wl_dataset_free(&ds);
    return 0;
}
