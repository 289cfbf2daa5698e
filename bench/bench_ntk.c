/* Trace NTK speed and memory, side by side in one run:
 *   widelab (structured kernel; OpenMP over tiles and BLAS-threaded tiles)
 *   functorch (vmap(jacrev) per chunk of 50 images, then matmul), float64,
 * on the same weights and the same Fashion-MNIST images, 2 threads each.
 * Each side runs in its own process so its peak resident memory (wait4
 * maxrss) is its own. Then widelab alone on larger networks and n.
 *
 *   bench_ntk [--n 400] [--reps 5] [--torch-reps 3] [--threads 2] [--no-torch]
 *             [--big] [--disk] [--tmp DIR] [--script bench/ntk_functorch.py]
 * Run from the source root (or give --script).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
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

/* child: bench_ntk --child X.npy W.npy SPEC REPS PAR THREADS OUT.npy [MEMLIMIT] */
static int child(char **a) {
    double *x, *w;
    int nd;
    size_t sx[8], sw[8];
    if (wl_npy_read(a[0], &x, &nd, sx) || wl_npy_read(a[1], &w, &nd, sw)) {
        fprintf(stderr, "%s\n", wl_errmsg());
        return 1;
    }
    wl_model *m;
    if (wl_net_from_spec(a[2], &m)) {
        fprintf(stderr, "%s\n", wl_errmsg());
        return 1;
    }
    int reps = atoi(a[3]);
    wl_set_threads(atoi(a[5]));
    wl_mat X = wl_mat_view(x, sx[0], sx[1]), K = {0};
    wl_ntk_opts o;
    wl_ntk_opts_default(&o);
    o.parallel = (wl_ntk_par)atoi(a[4]);
    if (a[7]) {
        o.mem_limit = atof(a[7]);
        o.out_path = a[6];
    }
    double t[64];
    for (int r = 0; r < reps && r < 64; r++) {
        wl_mat_free(&K);
        double t0 = wl_time();
        if (wl_ntk_empirical(m, w, &X, NULL, &o, &K)) {
            fprintf(stderr, "%s\n", wl_errmsg());
            return 1;
        }
        t[r] = wl_time() - t0;
    }
    wl_ntk_plan p;
    wl_ntk_plan_make(m, X.rows, 0, &o, &p);
    if (K.data) {
        size_t sh[2] = {K.rows, K.cols};
        wl_npy_write(a[6], K.data, 2, sh);
    }
    printf("times");
    for (int r = 0; r < reps; r++) printf(" %.6f", t[r]);
    printf("\nmedian %.6f\ntile %zu\ncache %d\ndisk %d\n", median(t, (size_t)reps), p.tile,
           p.cache, p.to_disk);
    return 0;
}

/* runs argv, captures stdout into out, returns exit status; *rss peak bytes */
static double g_cpu; /* CPU seconds (user + system) of the last spawned process */

static int spawn(char *const argv[], char *out, size_t cap, double *rss) {
    int fd[2];
    if (pipe(fd)) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fd[1]);
    size_t len = 0;
    ssize_t got;
    while ((got = read(fd[0], out + len, cap - 1 - len)) > 0) len += (size_t)got;
    out[len] = 0;
    close(fd[0]);
    int st;
    struct rusage ru;
    wait4(pid, &st, 0, &ru);
    *rss = (double)ru.ru_maxrss * 1024.0;
    g_cpu = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
            (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double field(const char *out, const char *key) {
    const char *p = strstr(out, key);
    return p ? atof(p + strlen(key)) : -1.0;
}

/* max |A - B| / max |B| between two .npy kernels */
static double kernel_diff(const char *a, const char *b) {
    double *x, *y;
    int nd;
    size_t sa[8], sb[8];
    if (wl_npy_read(a, &x, &nd, sa) || wl_npy_read(b, &y, &nd, sb)) return -1;
    double num = 0, den = 0;
    for (size_t i = 0; i < sa[0] * sa[1]; i++) {
        double d = x[i] - y[i];
        num = d < 0 ? (-d > num ? -d : num) : (d > num ? d : num);
        den = y[i] > den ? y[i] : -y[i] > den ? -y[i] : den;
    }
    free(x);
    free(y);
    return num / den;
}

/* writes X.npy (first n Fashion-MNIST images), W.npy (flat) and one .npy per block */
static int prepare(const char *dir, const char *spec, size_t n, wl_model **mout) {
    wl_dataset ds = {0};
    char path[1024];
    int rc = wl_data_load("fashion-mnist:train", &ds);
    if (rc) return rc;
    size_t sh[2] = {n, ds.d};
    snprintf(path, sizeof path, "%s/X.npy", dir);
    rc = wl_npy_write(path, ds.X, 2, sh);
    wl_dataset_free(&ds);
    wl_model *m;
    if (rc || (rc = wl_net_from_spec(spec, &m))) return rc;
    double *w = wl_dalloc(m->dim, "w");
    wl_rng r;
    wl_rng_seed(&r, 0);
    wl_model_init(m, &r, w);
    snprintf(path, sizeof path, "%s/W.npy", dir);
    rc = wl_npy_write(path, w, 1, &m->dim);
    for (size_t b = 0; !rc && b < m->n_blocks; b++) {
        const wl_param_block *pb = &m->blocks[b];
        size_t s2[2] = {pb->rows, pb->cols};
        snprintf(path, sizeof path, "%s/w/%s.npy", dir, pb->name);
        rc = wl_npy_write(path, w + pb->offset, pb->ndim, s2);
    }
    free(w);
    *mout = m;
    return rc;
}

static void run_widelab(const char *self, const char *dir, const char *spec, int par,
                        int reps, const char *threads, const char *mem, const char *label,
                        double *med, double *rss) {
    char xp[1024], wp[1024], kp[1024], rs[16], ps[16], out[4096];
    snprintf(xp, sizeof xp, "%s/X.npy", dir);
    snprintf(wp, sizeof wp, "%s/W.npy", dir);
    snprintf(kp, sizeof kp, "%s/K_widelab.npy", dir);
    snprintf(rs, sizeof rs, "%d", reps);
    snprintf(ps, sizeof ps, "%d", par);
    char *argv[] = {(char *)self, "--child", xp, wp, (char *)spec, rs, ps, (char *)threads, kp,
                    (char *)mem, NULL};
    int rc = spawn(argv, out, sizeof out, rss);
    *med = field(out, "median ");
    char b[32];
    printf("%-34s %9.4f s  cpu/run %8.3f s  peak %10s  tile %4.0f%s%s%s\n", label, *med,
           g_cpu / reps, wl_fmt_bytes(*rss, b, sizeof b), field(out, "tile "),
           field(out, "cache ") > 0 ? "  factors cached" : "",
           field(out, "disk ") > 0 ? "  kernel streamed to disk" : "", rc ? "  FAILED" : "");
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--child") == 0) return child(argv + 2);
    size_t n = 400;
    int reps = 5, treps = 3, torch = 1, big = 0, disk = 0;
    const char *threads = "2", *tmp = NULL, *script = "bench/ntk_functorch.py";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--n") && i + 1 < argc) n = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--torch-reps") && i + 1 < argc) treps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = argv[++i];
        else if (!strcmp(argv[i], "--tmp") && i + 1 < argc) tmp = argv[++i];
        else if (!strcmp(argv[i], "--script") && i + 1 < argc) script = argv[++i];
        else if (!strcmp(argv[i], "--no-torch")) torch = 0;
        else if (!strcmp(argv[i], "--big")) big = 1;
        else if (!strcmp(argv[i], "--disk")) disk = 1;
        else {
            fprintf(stderr, "usage: bench_ntk [--n N] [--reps R] [--torch-reps R] [--threads T] "
                            "[--no-torch] [--big] [--disk] [--tmp DIR] [--script PY]\n");
            return 2;
        }
    }
    char dir[1024], wdir[1100], self[4096];
    snprintf(dir, sizeof dir, "%s/bench_ntkXXXXXX", tmp ? tmp : "/tmp");
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (!mkdtemp(dir) || sl <= 0) return 1;
    self[sl] = 0;
    snprintf(wdir, sizeof wdir, "%s/w", dir);
    wl_mkdirs(wdir);
    const char *spec = "mlp:784-256x3-10:relu:ntk";
    wl_model *m;
    if (prepare(dir, spec, n, &m)) {
        fprintf(stderr, "bench_ntk: %s\n", wl_errmsg());
        return 1;
    }
    printf("trace NTK of %s (%zu parameters) on %zu Fashion-MNIST images, float64, %s threads\n",
           spec, m->dim, n, threads);
    wl_model_free(m);
    double tt, rt, tb, rb, tp = -1, rp = 0;
    run_widelab(self, dir, spec, WL_NTK_PAR_TILES, reps, threads, NULL,
                "widelab structured, omp tiles", &tt, &rt);
    run_widelab(self, dir, spec, WL_NTK_PAR_BLAS, reps, threads, NULL,
                "widelab structured, blas tiles", &tb, &rb);
    if (torch) {
        char xp[1100], kp[1100], rs[16], out[8192];
        snprintf(xp, sizeof xp, "%s/X.npy", dir);
        snprintf(kp, sizeof kp, "%s/K_torch.npy", dir);
        snprintf(rs, sizeof rs, "%d", treps);
        char *pa[] = {"/usr/bin/python3", (char *)script, xp, wdir, kp, rs, (char *)threads, "50", NULL};
        double rbase;
        char *pb[] = {"/usr/bin/python3", "-c", "import torch, functorch, numpy", NULL};
        spawn(pb, out, sizeof out, &rbase);
        double cbase = g_cpu;
        int rc = spawn(pa, out, sizeof out, &rp);
        tp = field(out, "functorch_median ");
        char b1[32], b2[32];
        printf("%-34s %9.4f s  cpu/run %8.3f s  peak %10s  (python + torch import alone: %s)%s\n",
               "functorch vmap(jacrev) + matmul", tp, (g_cpu - cbase) / treps,
               wl_fmt_bytes(rp, b1, sizeof b1), wl_fmt_bytes(rbase, b2, sizeof b2),
               rc ? "  FAILED" : "");
        const char *runs = strstr(out, "functorch_times");
        printf("functorch runs (s): %.*s\n", runs ? (int)strcspn(runs + 16, "\n") : 1,
               runs ? runs + 16 : "?");
        char ka[1100];
        snprintf(ka, sizeof ka, "%s/K_widelab.npy", dir);
        double best = tt < tb ? tt : tb, brss = tt < tb ? rt : rb;
        printf("speed-up (functorch / widelab best)  %.1fx\n", tp / best);
        printf("memory ratio (functorch / widelab)   %.1fx  (%.1fx over the import baseline)\n",
               rp / brss, (rp - rbase) / brss);
        printf("max |K_widelab - K_functorch| / max |K|  %.3e\n", kernel_diff(ka, kp));
    }
    if (big) {
        const char *spec2 = "mlp:784-1024x3-10:relu:ntk";
        size_t ns[2] = {1000, 10000};
        for (int i = 0; i < 2; i++) {
            char label[128];
            if (prepare(dir, spec2, ns[i], &m)) return 1;
            printf("\nwidelab alone: trace NTK of %s (%zu parameters), n = %zu\n", spec2,
                   m->dim, ns[i]);
            wl_model_free(m);
            snprintf(label, sizeof label, "widelab omp tiles, n = %zu", ns[i]);
            run_widelab(self, dir, spec2, WL_NTK_PAR_TILES, i ? 1 : 3, threads, NULL, label, &tt, &rt);
            if (i) continue; /* the n = 10000 run once, in the faster layout */
            snprintf(label, sizeof label, "widelab blas tiles, n = %zu", ns[i]);
            run_widelab(self, dir, spec2, WL_NTK_PAR_BLAS, 3, threads, NULL, label, &tt, &rt);
        }
    }
    if (disk) {
        if (prepare(dir, "mlp:784-1024x3-10:relu:ntk", 10000, &m)) return 1;
        wl_model_free(m);
        run_widelab(self, dir, "mlp:784-1024x3-10:relu:ntk", WL_NTK_PAR_AUTO, 1, threads,
                    "3435973837", "n = 10000, mem limit 3.2 GiB", &tt, &rt);
    }
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
