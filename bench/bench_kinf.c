/* Infinite-width NTK, Gaussian kernel and kernel regression, side by side in
 * one run with numpy / scipy / sklearn (bench/kinf_numpy.py) on the same data
 * and the same thread count: medians of several repetitions, time ratios and
 * the largest relative difference between the two results.
 *
 *   bench_kinf [--n 2000] [--m 500] [--d 20] [--reps 5] [--threads 2]
 *              [--script bench/kinf_numpy.py] [--tmp DIR]
 * Run from the source root (or give --script).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "widelab.h"

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n) {
    qsort(v, n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* max |a - b| / max |b| against the peer's .npy (NAN if unreadable) */
static double diff_npy(const char *dir, const char *name, const double *a, size_t len) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    double *b, num = 0, den = 0;
    int nd;
    size_t sh[8], tot = 1;
    if (wl_npy_read(path, &b, &nd, sh)) return NAN;
    for (int i = 0; i < nd; i++) tot *= sh[i];
    if (tot != len) {
        free(b);
        return NAN;
    }
    for (size_t i = 0; i < len; i++) {
        num = fmax(num, fabs(a[i] - b[i]));
        den = fmax(den, fabs(b[i]));
    }
    free(b);
    return num / den;
}

static int save(const char *dir, const char *name, const wl_mat *M) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t sh[2] = {M->rows, M->cols};
    return wl_npy_write(path, M->data, 2, sh);
}

typedef struct peer {
    double ntk, gauss, flow, krr;
} peer;

static int run_peer(const char *script, const char *dir, int reps, int threads, peer *p) {
    char cmd[24000];
    snprintf(cmd, sizeof cmd,
             "OMP_NUM_THREADS=%d OPENBLAS_NUM_THREADS=%d MKL_NUM_THREADS=%d /usr/bin/python3 %s "
             "%s/X.npy %s/Xs.npy %s/Y.npy %d %s",
             threads, threads, threads, script, dir, dir, dir, reps, dir);
    FILE *f = popen(cmd, "r");
    if (!f) return -1;
    char key[64];
    double v;
    memset(p, 0, sizeof *p);
    while (fscanf(f, "%63s %lf", key, &v) == 2) {
        if (!strcmp(key, "ntk_relu")) p->ntk = v;
        else if (!strcmp(key, "gaussian")) p->gauss = v;
        else if (!strcmp(key, "flow_20_times")) p->flow = v;
        else if (!strcmp(key, "krr")) p->krr = v;
    }
    return pclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
    size_t n = 2000, m = 500, d = 20;
    int reps = 5, threads = 2;
    const char *script = "bench/kinf_numpy.py", *tmp = "/tmp";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--n")) n = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--m")) m = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--d")) d = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--script")) script = argv[i + 1];
        else if (!strcmp(argv[i], "--tmp")) tmp = argv[i + 1];
    }
    if (reps < 1 || reps > 100) reps = 5;
    wl_set_threads(threads);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/bench_kinf_XXXXXX", tmp);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    wl_rng rng;
    wl_rng_seed(&rng, 7);
    wl_mat X, Xs, Y, K, Ks, G, A, F;
    wl_mat_alloc(&X, n, d);
    wl_mat_alloc(&Xs, m, d);
    wl_mat_alloc(&Y, n, 1);
    wl_mat_alloc(&K, n, n);
    wl_mat_alloc(&Ks, m, n);
    wl_mat_alloc(&G, n, n);
    wl_mat_alloc(&A, n, 1);
    const size_t nt = 20;
    wl_mat_alloc(&F, nt * m, 1);
    wl_rng_normal_fill(&rng, X.data, n * d, 0, 1);
    wl_rng_normal_fill(&rng, Xs.data, m * d, 0, 1);
    for (size_t i = 0; i < n; i++) WL_AT(&Y, i, 0) = sin(WL_AT(&X, i, 0)) + 0.5 * WL_AT(&X, i, 1);
    if (save(dir, "X.npy", &X) || save(dir, "Xs.npy", &Xs) || save(dir, "Y.npy", &Y)) {
        fprintf(stderr, "%s\n", wl_errmsg());
        return 1;
    }
    wl_inf_arch arch;
    wl_inf_arch_from_spec("mlp:20-1x3-1:relu:ntk:bias=0.1", &arch, NULL, NULL);
    wl_kfun gk = {.kind = WL_KFUN_GAUSSIAN, .bandwidth = 3.0};
    double *t_ntk = calloc((size_t)reps, sizeof(double)), *t_g = calloc((size_t)reps, sizeof(double));
    double *t_flow = calloc((size_t)reps, sizeof(double)), *t_krr = calloc((size_t)reps, sizeof(double));
    double times[20];
    for (size_t j = 0; j < nt; j++) times[j] = pow(10.0, 6.0 * (double)j / (double)(nt - 1));
    int rc = 0;
    for (int r = 0; r < reps && !rc; r++) {
        double t0 = wl_time();
        rc |= wl_ntk_infinite(&arch, &X, NULL, &K, NULL);
        t_ntk[r] = wl_time() - t0;
        t0 = wl_time();
        rc |= wl_kfun_eval(&gk, &X, NULL, &G);
        t_g[r] = wl_time() - t0;
        rc |= wl_ntk_infinite(&arch, &Xs, &X, &Ks, NULL);
        wl_kreg *kr = NULL;
        t0 = wl_time();
        rc |= wl_kreg_new(&K, &Y, NULL, 0.0, 0.0, &kr);
        if (!rc) rc |= wl_kreg_predict_times(kr, &Ks, NULL, 1.0, times, nt, &F);
        t_flow[r] = wl_time() - t0;
        wl_kreg_free(kr);
        /* kernel ridge regression, alpha = 1e-3: a Cholesky solve (sklearn's choice) */
        t0 = wl_time();
        wl_mat L;
        rc |= wl_mat_alloc(&L, n, n);
        if (!rc) {
            wl_mat_copy(&L, &K);
            for (size_t i = 0; i < n; i++) WL_AT(&L, i, i) += 1e-3;
            wl_mat_copy(&A, &Y);
            rc |= wl_cholesky(&L);
            if (!rc) rc |= wl_chol_solve(&L, &A);
        }
        wl_mat_free(&L);
        t_krr[r] = wl_time() - t0;
    }
    if (rc) {
        fprintf(stderr, "widelab failed: %s\n", wl_errmsg());
        return 1;
    }
    peer p;
    if (run_peer(script, dir, reps, threads, &p)) {
        fprintf(stderr, "peer script %s failed\n", script);
        return 1;
    }
    /* comparisons of values */
    double e_ntk = diff_npy(dir, "py_ntk.npy", K.data, n * n);
    double e_g = diff_npy(dir, "py_gauss.npy", G.data, n * n);
    double e_flow = diff_npy(dir, "py_flow.npy", F.data, nt * m);
    wl_mat Fk;
    wl_mat_alloc(&Fk, m, 1);
    wl_gemm(0, 0, 1.0, &Ks, &A, 0.0, &Fk);
    double e_krr = diff_npy(dir, "py_krr.npy", Fk.data, m);
    double w[4] = {median(t_ntk, (size_t)reps), median(t_g, (size_t)reps),
                   median(t_flow, (size_t)reps), median(t_krr, (size_t)reps)};
    double py[4] = {p.ntk, p.gauss, p.flow, p.krr};
    double err[4] = {e_ntk, e_g, e_flow, e_krr};
    const char *what[4] = {"relu NTK, depth 3 (n x n)", "Gaussian kernel (n x n)",
                           "gradient flow, 20 times (eigh)", "kernel ridge fit (Cholesky)"};
    printf("n = %zu train, m = %zu test, d = %zu, %d threads, median of %d\n", n, m, d, threads, reps);
    printf("%-32s %12s %12s %8s %12s\n", "task", "widelab s", "numpy s", "ratio", "max rel diff");
    for (int i = 0; i < 4; i++)
        printf("%-32s %12.4f %12.4f %8.2f %12.2e\n", what[i], w[i], py[i], py[i] / w[i], err[i]);
    wl_mat *ms[] = {&X, &Xs, &Y, &K, &Ks, &G, &A, &F, &Fk};
    for (int i = 0; i < 9; i++) wl_mat_free(ms[i]);
    free(t_ntk);
    free(t_g);
    free(t_flow);
    free(t_krr);
    return 0;
}
