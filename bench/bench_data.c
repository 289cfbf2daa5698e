/* Data loading and writing against NumPy, side by side in one run.
 *
 *   bench_data [REPS]     (default 5)
 *
 * Cases (each the median of REPS runs, same files for both sides):
 *   fashion  Fashion-MNIST training set, IDX .gz -> 60000 x 784 doubles in
 *            [0, 1] + labels (NumPy: gzip + frombuffer + astype / 255)
 *   npy-w    write a 60000 x 784 float64 .npy (np.save)
 *   npy-r    read it back (np.load)
 *   csv-r    read a 2000 x 784 CSV written with %.17g (np.loadtxt)
 * NumPy runs through /usr/bin/python3; ratio = numpy time / widelab time.
 * The two sides alternate twice; each keeps its better median.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "widelab.h"

#define FASHION "/usr/share/datasets/fashion-mnist"

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *x, int n) {
    qsort(x, (size_t)n, sizeof *x, cmp);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

typedef struct {
    const char *dir;
    wl_dataset big, small;
} ctx;

static int run_case(ctx *c, const char *name) {
    char p[512];
    wl_dataset ds;
    int rc = WL_OK;
    if (!strcmp(name, "fashion")) {
        rc = wl_data_load("fashion-mnist:train", &ds);
        if (!rc) wl_dataset_free(&ds);
    } else if (!strcmp(name, "npy-w")) {
        size_t sh[2] = {c->big.n, c->big.d};
        snprintf(p, sizeof p, "%s/big.npy", c->dir);
        rc = wl_npy_write(p, c->big.X, 2, sh);
    } else if (!strcmp(name, "npy-r")) {
        double *a;
        int nd;
        size_t sh[8];
        snprintf(p, sizeof p, "%s/big.npy", c->dir);
        rc = wl_npy_read(p, &a, &nd, sh);
        if (!rc) free(a);
    } else {
        wl_csv_opts o;
        wl_csv_opts_default(&o);
        o.header = 0;
        snprintf(p, sizeof p, "%s/small.csv", c->dir);
        rc = wl_data_load_csv(p, &o, &ds);
        if (!rc) wl_dataset_free(&ds);
    }
    return rc;
}

/* Runs the NumPy side; fills t[4] (seconds, -1 when missing). */
static void numpy_side(const char *dir, int reps, double *t) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "OPENBLAS_NUM_THREADS=1 /usr/bin/python3 - '%s' %d <<'EOF' 2>/dev/null\n"
             "import sys, time, gzip, numpy as np\n"
             "d, reps = sys.argv[1], int(sys.argv[2])\n"
             "def med(f):\n"
             "    ts = []\n"
             "    for _ in range(reps):\n"
             "        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)\n"
             "    return sorted(ts)[len(ts) // 2]\n"
             "def fashion():\n"
             "    with gzip.open('" FASHION "/train-images-idx3-ubyte.gz') as f: b = f.read()\n"
             "    X = np.frombuffer(b, np.uint8, offset=16).reshape(-1, 784).astype(np.float64) / 255\n"
             "    with gzip.open('" FASHION "/train-labels-idx1-ubyte.gz') as f: l = f.read()\n"
             "    y = np.frombuffer(l, np.uint8, offset=8).astype(np.int64)\n"
             "X = np.load(d + '/big.npy')\n"
             "print(med(fashion))\n"
             "print(med(lambda: np.save(d + '/np.npy', X)))\n"
             "print(med(lambda: np.load(d + '/big.npy')))\n"
             "print(med(lambda: np.loadtxt(d + '/small.csv', delimiter=',')))\n"
             "EOF",
             dir, reps);
    for (int i = 0; i < 4; i++) t[i] = -1;
    FILE *p = popen(cmd, "r");
    if (!p) return;
    for (int i = 0; i < 4; i++)
        if (fscanf(p, "%lf", &t[i]) != 1) break;
    pclose(p);
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    if (reps < 1) reps = 1;
    char dir[] = "/tmp/wlbench_data_XXXXXX";
    if (!mkdtemp(dir)) return 1;
    ctx c = {dir, {0}, {0}};
    if (wl_data_load("fashion-mnist:train", &c.big)) {
        fprintf(stderr, "bench_data: %s\n", wl_errmsg());
        return 1;
    }
    size_t idx[2000];
    for (size_t i = 0; i < 2000; i++) idx[i] = i;
    char p[512];
    snprintf(p, sizeof p, "%s/small.csv", dir);
    wl_dataset s;
    if (wl_data_select(&c.big, idx, 2000, &s) || wl_data_write_csv(&s, p)) {
        fprintf(stderr, "bench_data: %s\n", wl_errmsg());
        return 1;
    }
    /* write_csv adds a header and label column; rewrite features only */
    free(s.labels);
    s.labels = NULL;
    if (wl_data_write_csv(&s, p)) return 1;
    char cmd[700];
    snprintf(cmd, sizeof cmd, "sed -i 1d '%s'", p);
    if (system(cmd) != 0) return 1;
    wl_dataset_free(&s);
    const char *cases[4] = {"fashion", "npy-w", "npy-r", "csv-r"};
    double ours[4], np[4], tmp4[4];
    /* the disk and cores are shared: alternate the two sides twice and keep
     * each side's better median */
    for (int round = 0; round < 2; round++) {
        for (int k = 0; k < 4; k++) {
            double t[64];
            for (int r = 0; r < reps && r < 64; r++) {
                double t0 = wl_time();
                if (run_case(&c, cases[k])) {
                    fprintf(stderr, "bench_data %s: %s\n", cases[k], wl_errmsg());
                    return 1;
                }
                t[r] = wl_time() - t0;
            }
            double m = median(t, reps < 64 ? reps : 64);
            ours[k] = round == 0 || m < ours[k] ? m : ours[k];
        }
        numpy_side(dir, reps, tmp4);
        for (int k = 0; k < 4; k++)
            np[k] = round == 0 || (tmp4[k] > 0 && tmp4[k] < np[k]) ? tmp4[k] : np[k];
    }
    printf("%-8s %12s %12s %8s\n", "case", "widelab s", "numpy s", "ratio");
    for (int k = 0; k < 4; k++)
        printf("%-8s %12.4f %12.4f %8.2f\n", cases[k], ours[k], np[k],
               np[k] > 0 ? np[k] / ours[k] : 0.0);
    wl_dataset_free(&c.big);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
