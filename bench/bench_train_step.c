/* Training-step throughput of a network against the machine's dgemm.
 *
 *   bench_train_step [SPEC] [BATCH] [REPS] [--torch]
 *   (defaults: mlp:784-1024x3-10:relu:ntk 128 7)
 *
 * A step is forward + vjp (wl_model_vjp runs both). Its flop count is exact
 * for the dense layers: forward 2 n fi fo, weight gradient 2 n fi fo, input
 * adjoint 2 n fi fo (not for the first layer). The reference is a plain dgemm
 * C (n x 1024) = A (n x 1024) B (1024 x 1024), the shape of the hidden
 * layers, measured in the same run. Each number is the median of REPS runs,
 * each run long enough (>= 0.2 s). Also timed: forward + vjp (what a loss
 * value and gradient cost through the generic interface) against forward +
 * wl_net_vjp_last (the backward pass reusing that forward). With --torch, the same step is timed in
 * PyTorch (float64, same thread count) through python3 for comparison.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "widelab.h"

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *x, int n) {
    qsort(x, (size_t)n, sizeof *x, cmp);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

typedef int (*step_fn)(void *ctx);

/* seconds per call, over one run of >= 0.2 s */
static double time_run(step_fn f, void *ctx) {
    int calls = 0;
    double t0 = wl_time(), el;
    do {
        if (f(ctx)) return -1;
        calls++;
        el = wl_time() - t0;
    } while (el < 0.2);
    return el / calls;
}

typedef struct {
    wl_model *m;
    double *w, *g, *v;
    wl_mat X, G, F;
} step_ctx;

static int net_jvp(void *p) {
    step_ctx *c = p;
    return wl_model_jvp(c->m, c->w, &c->X, c->v, &c->F);
}

static int net_hvp(void *p) {
    step_ctx *c = p;
    return wl_model_hvp(c->m, c->w, &c->X, &c->G, c->v, c->g);
}

static int net_step(void *p) {
    step_ctx *c = p;
    return wl_model_vjp(c->m, c->w, &c->X, &c->G, c->g);
}

/* what an objective does for a loss value and gradient: forward, then vjp */
static int forward_vjp(void *p) {
    step_ctx *c = p;
    int rc = wl_model_forward(c->m, c->w, &c->X, &c->F);
    return rc ? rc : wl_model_vjp(c->m, c->w, &c->X, &c->G, c->g);
}

/* the same with the backward pass continuing from that forward pass */
static int forward_vjp_last(void *p) {
    step_ctx *c = p;
    int rc = wl_model_forward(c->m, c->w, &c->X, &c->F);
    return rc ? rc : wl_net_vjp_last(c->m, &c->G, c->g);
}

typedef struct {
    size_t n, k, m;
    double *A, *B, *C;
} gemm_ctx;

static int gemm_step(void *p) {
    gemm_ctx *c = p;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)c->n, (int)c->m, (int)c->k, 1.0,
                c->A, (int)c->k, c->B, (int)c->m, 0.0, c->C, (int)c->m);
    return 0;
}

/* exact flops of forward + vjp over the dense layers */
static double step_flops(const wl_model *m, size_t n) {
    double f = 0;
    for (size_t l = 0, L = wl_net_dense_count(m); l < L; l++) {
        size_t fi, fo;
        wl_net_dense_info(m, l, &fi, &fo, NULL);
        f += (l == 0 ? 4.0 : 6.0) * (double)n * (double)fi * (double)fo;
    }
    return f;
}

/* PyTorch float64 step time for an mlp with the given widths (seconds, < 0 on failure) */
static double torch_step(const char *widths, size_t n, int reps) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 - <<'EOF' 2>/dev/null\n"
             "import time, statistics, torch\n"
             "torch.set_num_threads(%d)\n"
             "ws=[int(s) for s in '%s'.split()]\n"
             "layers=[]\n"
             "for i in range(len(ws)-1):\n"
             "    layers.append(torch.nn.Linear(ws[i], ws[i+1], bias=False).double())\n"
             "    if i < len(ws)-2: layers.append(torch.nn.ReLU())\n"
             "net=torch.nn.Sequential(*layers)\n"
             "x=torch.randn(%zu, ws[0], dtype=torch.float64); g=torch.randn(%zu, ws[-1], dtype=torch.float64)\n"
             "def step():\n"
             "    net.zero_grad(set_to_none=True); y=net(x); y.backward(g)\n"
             "step()\n"
             "ts=[]\n"
             "for r in range(%d):\n"
             "    c=0; t0=time.perf_counter()\n"
             "    while True:\n"
             "        step(); c+=1; el=time.perf_counter()-t0\n"
             "        if el>=0.2: break\n"
             "    ts.append(el/c)\n"
             "print(statistics.median(ts))\n"
             "EOF",
             wl_get_threads(), widths, n, n, reps);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    double t = -1;
    if (fscanf(p, "%lf", &t) != 1) t = -1;
    pclose(p);
    return t;
}

int main(int argc, char **argv) {
    const char *spec = "mlp:784-1024x3-10:relu:ntk";
    size_t n = 128;
    int reps = 7, torch = 0, pos = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--torch")) torch = 1;
        else if (pos == 0 && ++pos) spec = argv[i];
        else if (pos == 1 && ++pos) n = (size_t)strtoull(argv[i], NULL, 10);
        else if (pos == 2 && ++pos) reps = atoi(argv[i]);
    }
    if (n == 0 || reps < 1) {
        fprintf(stderr, "usage: bench_train_step [SPEC] [BATCH] [REPS] [--torch]\n");
        return 2;
    }
    step_ctx c = {0};
    if (wl_net_from_spec(spec, &c.m)) {
        fprintf(stderr, "bench_train_step: %s\n", wl_errmsg());
        return 2;
    }
    wl_rng r;
    wl_rng_seed(&r, 1);
    c.w = wl_dalloc(c.m->dim, "w");
    c.g = wl_dalloc(c.m->dim, "g");
    double *x = wl_dalloc(n * c.m->n_in, "x"), *gy = wl_dalloc(n * c.m->n_out, "G");
    double *fy = wl_dalloc(n * c.m->n_out, "F");
    if (!c.w || !c.g || !x || !gy || !fy) return 1;
    c.F = wl_mat_view(fy, n, c.m->n_out);
    c.v = wl_dalloc(c.m->dim, "v");
    if (!c.v) return 1;
    wl_model_init(c.m, &r, c.w);
    wl_rng_normal_fill(&r, x, n * c.m->n_in, 0, 1);
    wl_rng_normal_fill(&r, gy, n * c.m->n_out, 0, 1);
    wl_rng_normal_fill(&r, c.v, c.m->dim, 0, 1);
    c.X = wl_mat_view(x, n, c.m->n_in);
    c.G = wl_mat_view(gy, n, c.m->n_out);

    gemm_ctx gc = {n, 1024, 1024, NULL, NULL, NULL};
    gc.A = wl_dalloc(gc.n * gc.k, "A");
    gc.B = wl_dalloc(gc.k * gc.m, "B");
    gc.C = wl_dalloc(gc.n * gc.m, "C");
    if (!gc.A || !gc.B || !gc.C) return 1;
    wl_rng_normal_fill(&r, gc.A, gc.n * gc.k, 0, 1);
    wl_rng_normal_fill(&r, gc.B, gc.k * gc.m, 0, 1);

    /* alternate the two so that both see the same machine load (shared cores) */
    double tg[64], ts[64], ratio[64], tfv[64], tfl[64], tj[64], th[64];
    double flops = step_flops(c.m, n), gflop_gemm = 2.0 * (double)(gc.n * gc.k * gc.m);
    if (reps > 64) reps = 64;
    gemm_step(&gc);
    if (net_step(&c)) {
        fprintf(stderr, "bench_train_step: %s\n", wl_errmsg());
        return 1;
    }
    for (int k = 0; k < reps; k++) {
        tg[k] = time_run(gemm_step, &gc);
        ts[k] = time_run(net_step, &c);
        ratio[k] = (flops / ts[k]) / (gflop_gemm / tg[k]);
        tfv[k] = time_run(forward_vjp, &c);
        tfl[k] = time_run(forward_vjp_last, &c);
        tj[k] = time_run(net_jvp, &c);
        th[k] = time_run(net_hvp, &c);
    }
    double t_gemm = median(tg, reps), t_step = median(ts, reps);
    double gf_gemm = gflop_gemm / t_gemm * 1e-9, gf_step = flops / t_step * 1e-9;
    printf("threads %d, batch %zu, %d runs (median)\n", wl_get_threads(), n, reps);
    printf("dgemm %zux%zux%zu        %8.3f ms  %7.2f GFLOP/s\n", gc.n, gc.k, gc.m, t_gemm * 1e3,
           gf_gemm);
    printf("%s step  %8.3f ms  %7.2f GFLOP/s  %7.1f steps/s\n", spec, t_step * 1e3, gf_step,
           1.0 / t_step);
    printf("ratio step/dgemm GFLOP/s: %.3f (median of per-run ratios)\n", median(ratio, reps));
    printf("loss + gradient: forward + vjp %8.3f ms, forward + vjp_last %8.3f ms\n",
           median(tfv, reps) * 1e3, median(tfl, reps) * 1e3);
    printf("jvp %8.3f ms, hvp %8.3f ms (%.2f x the step)\n", median(tj, reps) * 1e3,
           median(th, reps) * 1e3, median(th, reps) / t_step);
    if (torch) {
        /* the mlp widths for the PyTorch twin, from the dense layers */
        char widths[1024] = "";
        size_t L = wl_net_dense_count(c.m), len = 0;
        for (size_t l = 0; l < L; l++) {
            size_t fi, fo;
            wl_net_dense_info(c.m, l, &fi, &fo, NULL);
            if (l == 0) len += (size_t)snprintf(widths + len, sizeof widths - len, "%zu", fi);
            len += (size_t)snprintf(widths + len, sizeof widths - len, " %zu", fo);
        }
        double t_torch = torch_step(widths, n, reps);
        if (t_torch > 0)
            printf("torch float64 step %8.3f ms  %7.2f GFLOP/s  (widelab/torch time ratio %.3f)\n",
                   t_torch * 1e3, flops / t_torch * 1e-9, t_step / t_torch);
        else
            printf("torch: not available\n");
    }
    wl_model_free(c.m);
    free(c.w);
    free(c.g);
    free(x);
    free(gy);
    free(fy);
    free(c.v);
    free(gc.A);
    free(gc.B);
    free(gc.C);
    return 0;
}
