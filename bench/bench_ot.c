/* Transport timings for the side-by-side comparison with POT (bench/ot_pot.py).
 *
 *   bench_ot N M D EPS REPS DIR [exact]
 * draws X (N x D), Y (M x D) from N(0,1) (Y shifted by 0.5), writes them to
 * DIR/X.bin, DIR/Y.bin (float64, row-major), builds C = ||x - y||^2 / max,
 * and prints one JSON line per solver: median seconds over REPS, cost,
 * iterations, marginal error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "widelab.h"

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, int k) {
    qsort(t, (size_t)k, sizeof *t, cmp_d);
    return k % 2 ? t[k / 2] : 0.5 * (t[k / 2 - 1] + t[k / 2]);
}

static int dump(const char *dir, const char *name, const wl_mat *A) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return 1;
    size_t w = fwrite(A->data, sizeof(double), A->rows * A->cols, f);
    fclose(f);
    return w != A->rows * A->cols;
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: bench_ot N M D EPS REPS DIR [exact]\n");
        return 2;
    }
    size_t n = strtoul(argv[1], NULL, 10), m = strtoul(argv[2], NULL, 10), d = strtoul(argv[3], NULL, 10);
    double eps = atof(argv[4]);
    int reps = atoi(argv[5]), exact = argc > 7 && strcmp(argv[7], "exact") == 0;
    if (reps < 1 || reps > 100) reps = 5;
    wl_rng r;
    wl_rng_seed(&r, 2024);
    wl_mat X, Y, C, P;
    if (wl_mat_alloc(&X, n, d) || wl_mat_alloc(&Y, m, d) || wl_mat_alloc(&C, n, m) ||
        wl_mat_alloc(&P, n, m)) {
        fprintf(stderr, "%s\n", wl_errmsg());
        return 1;
    }
    wl_rng_normal_fill(&r, X.data, n * d, 0.0, 1.0);
    wl_rng_normal_fill(&r, Y.data, m * d, 0.5, 1.0);
    if (dump(argv[6], "X.bin", &X) || dump(argv[6], "Y.bin", &Y)) {
        fprintf(stderr, "cannot write to %s\n", argv[6]);
        return 1;
    }
    double t[100];
    for (int k = 0; k < reps; k++) {
        double t0 = wl_time();
        wl_ot_cost(&X, &Y, WL_OT_SQEUCLIDEAN, &C);
        t[k] = wl_time() - t0;
    }
    printf("{\"solver\": \"cost\", \"n\": %zu, \"m\": %zu, \"d\": %zu, \"seconds\": %.6f}\n", n, m, d,
           median(t, reps));
    double cmax = 0;
    for (size_t i = 0; i < n * m; i++) cmax = C.data[i] > cmax ? C.data[i] : cmax;
    wl_scal(n * m, 1.0 / cmax, C.data);
    wl_ot_result res;
    wl_sinkhorn_opts o;
    wl_sinkhorn_opts_default(&o);
    o.eps = eps;
    o.tol = 1e-9;
    o.max_iter = 1000;
    o.mode = WL_SK_SCALING;
    for (int k = 0; k < reps; k++) {
        double t0 = wl_time();
        if (wl_sinkhorn(&C, NULL, NULL, &o, &P, NULL, NULL, &res)) {
            fprintf(stderr, "sinkhorn: %s\n", wl_errmsg());
            return 1;
        }
        t[k] = wl_time() - t0;
    }
    printf("{\"solver\": \"sinkhorn\", \"n\": %zu, \"m\": %zu, \"eps\": %g, \"seconds\": %.6f, "
           "\"cost\": %.15g, \"iters\": %zu, \"err\": %.3g}\n",
           n, m, eps, median(t, reps), res.cost, res.iters, res.err);
    if (exact) {
        for (int k = 0; k < reps; k++) {
            double t0 = wl_time();
            if (wl_emd(&C, NULL, NULL, 0, &P, NULL, NULL, &res)) {
                fprintf(stderr, "emd: %s\n", wl_errmsg());
                return 1;
            }
            t[k] = wl_time() - t0;
        }
        printf("{\"solver\": \"emd\", \"n\": %zu, \"m\": %zu, \"seconds\": %.6f, \"cost\": %.15g, "
               "\"iters\": %zu, \"err\": %.3g}\n",
               n, m, median(t, reps), res.cost, res.iters, res.err);
    }
    fflush(stdout);
    wl_mat_free(&X);
    wl_mat_free(&Y);
    wl_mat_free(&C);
    wl_mat_free(&P);
    return 0;
}
