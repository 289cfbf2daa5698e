/* Euclidean k-means on Fashion-MNIST, timed: widelab's Lloyd (BLAS assignment)
 * with the settings given on the command line. Prints one JSON line per run.
 *   bench_cluster [n] [k] [n_init] [max_iter] [reps] [threads] [tol] [seed]
 * bench/cluster_sklearn.py runs this next to scikit-learn's KMeans. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "widelab.h"

int main(int argc, char **argv) {
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 60000, k = argc > 2 ? (size_t)atol(argv[2]) : 10;
    size_t n_init = argc > 3 ? (size_t)atol(argv[3]) : 1, max_iter = argc > 4 ? (size_t)atol(argv[4]) : 100;
    int reps = argc > 5 ? atoi(argv[5]) : 3, threads = argc > 6 ? atoi(argv[6]) : 2;
    double tol = argc > 7 ? atof(argv[7]) : 1e-4;
    uint64_t seed = argc > 8 ? (uint64_t)atoll(argv[8]) : 0;
    wl_set_threads(threads);
    wl_dataset ds = {0};
    if (wl_data_load("fashion-mnist:train", &ds)) {
        fprintf(stderr, "bench_cluster: %s\n", wl_errmsg());
        return 1;
    }
    if (n > ds.n) n = ds.n;
    wl_mat X = wl_mat_view(ds.X, n, ds.d);
    wl_div *div;
    wl_div_from_name("sqeuclid", &div);
    wl_cluster_opts o;
    wl_cluster_opts_default(&o);
    o.k = k, o.restarts = n_init, o.max_iter = max_iter, o.tol = tol;
    for (int r = 0; r < reps; r++) {
        wl_rng rng;
        wl_rng_seed(&rng, seed + (uint64_t)r);
        wl_cluster_result res;
        double t0 = wl_time();
        clock_t c0 = clock();
        if (wl_cluster_fit(div, &X, &o, &rng, &res)) {
            fprintf(stderr, "bench_cluster: %s\n", wl_errmsg());
            return 1;
        }
        double t = wl_time() - t0, cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
        /* inertia as scikit-learn reports it: sum of squared distances */
        printf("{\"tool\": \"widelab\", \"rep\": %d, \"seconds\": %.6f, \"cpu\": %.6f, \"inertia\": %.10g, "
               "\"iterations\": %zu, \"converged\": %d}\n",
               (int)(seed + (uint64_t)r), t, cpu, res.objective * (double)n, res.iterations, res.converged);
        fflush(stdout);
        wl_cluster_result_free(&res);
    }
    wl_div_free(div);
    wl_dataset_free(&ds);
    return 0;
}
