/* widelab cluster: Bregman hard/soft clustering of a data set, and the 1-D
 * asymptotic study (k^2 E_k against the predicted constant). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run.h"

const char cmd_cluster_summary[] = "Bregman clustering (hard, soft) and its k -> infinity asymptotics";

typedef struct cl_args {
    const char *k, *div, *metric, *out, *density;
    size_t restarts, max_iter, threads, n;
    double tol, beta;
    uint64_t seed;
    int soft, asym;
} cl_args;

/* Comma-separated list of integers >= 1 into ks (at most cap). */
static int parse_ks(const char *s, size_t *ks, size_t cap, size_t *nk) {
    *nk = 0;
    while (*s) {
        char *end;
        errno = 0;
        if (*s == '-') return wl_seterr(WL_EINVAL, "--k: negative value in '%s'", s);
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s || v == 0 || (*end && *end != ','))
            return wl_seterr(WL_EINVAL, "--k expects positive integers separated by commas, got '%s'", s);
        if (*nk == cap) return wl_seterr(WL_EINVAL, "--k: at most %zu values", cap);
        ks[(*nk)++] = (size_t)v;
        s = *end ? end + 1 : end;
    }
    return *nk ? WL_OK : wl_seterr(WL_EINVAL, "--k is empty");
}

static int make_div(const cl_args *a, size_t d, wl_div **div) {
    if (strcmp(a->div, "mahalanobis") != 0) {
        if (a->metric) return wl_seterr(WL_EINVAL, "--metric is only for --div mahalanobis");
        return wl_div_from_name(a->div, div);
    }
    if (!a->metric) return wl_seterr(WL_EINVAL, "--div mahalanobis needs --metric A.npy (d x d SPD)");
    double *A = NULL;
    int ndim;
    size_t shape[8];
    int rc = wl_npy_read(a->metric, &A, &ndim, shape);
    if (rc) return rc;
    if (ndim != 2 || shape[0] != d || shape[1] != d) {
        free(A);
        return wl_seterr(WL_EINVAL, "--metric %s: expected a %zu x %zu matrix, got %d-d (%zu x %zu)",
                         a->metric, d, d, ndim, ndim > 0 ? shape[0] : 0, ndim > 1 ? shape[1] : 0);
    }
    wl_mat M = wl_mat_view(A, d, d);
    rc = wl_div_new_mahalanobis(&M, div);
    free(A);
    return rc;
}

static int write_labels_csv(const char *path, const int *labels, size_t n) {
    wl_out o;
    int rc = wl_out_open(&o, path);
    if (rc) return rc;
    fprintf(o.f, "index,label\n");
    for (size_t i = 0; i < n; i++) fprintf(o.f, "%zu,%d\n", i, labels[i]);
    return wl_out_commit(&o);
}

static int write_trace(const char *path, const wl_cluster_result *r, int soft) {
    const char *cols[] = {"iteration", soft ? "loglik" : "objective"};
    wl_table *t;
    int rc = wl_table_new(2, cols, &t);
    for (size_t i = 0; !rc && i < r->ntrace; i++) rc = wl_table_append(t, (double[]){(double)i, r->trace[i]});
    if (!rc) rc = wl_table_write_csv(t, path);
    wl_table_free(t);
    return rc;
}

static int write_cluster_outputs(const cl_args *a, const wl_div *div, const wl_dataset *ds,
                                 const wl_cluster_result *r, double ari, double secs) {
    char p[4096];
    size_t shl[1] = {r->n}, shc[2] = {r->k, r->d};
    int rc;
    if ((rc = wl_npy_write_int(cli_path(p, sizeof p, a->out, "labels.npy"), r->labels, 1, shl)) ||
        (rc = write_labels_csv(cli_path(p, sizeof p, a->out, "labels.csv"), r->labels, r->n)) ||
        (rc = wl_npy_write(cli_path(p, sizeof p, a->out, "centres.npy"), r->centres, 2, shc)) ||
        (rc = write_trace(cli_path(p, sizeof p, a->out, "metrics.csv"), r, a->soft)))
        return rc;
    cli_summary s;
    if ((rc = cli_summary_begin(&s, a->out, "cluster"))) return rc;
    wl_json *j = &s.json;
    wl_json_str(j, "data", ds->name);
    wl_json_str(j, "divergence", wl_div_name(div));
    wl_json_str(j, "mode", a->soft ? "soft" : "hard");
    wl_json_int(j, "n", (long long)r->n);
    wl_json_int(j, "d", (long long)r->d);
    wl_json_int(j, "k", (long long)r->k);
    wl_json_num(j, "objective", r->objective);
    if (a->soft) wl_json_num(j, "loglik", r->loglik);
    wl_json_int(j, "iterations", (long long)r->iterations);
    wl_json_bool(j, "converged", r->converged);
    wl_json_int(j, "restarts", (long long)a->restarts);
    wl_json_int(j, "best_restart", (long long)r->best_restart);
    wl_json_int(j, "empty_clusters_reseeded", (long long)r->reseeded);
    wl_json_nums(j, "weights", r->weights, r->k);
    if (!isnan(ari)) wl_json_num(j, "ari_vs_labels", ari);
    wl_json_num(j, "seconds", secs);
    return cli_summary_end(&s);
}

static int run_cluster(const cl_args *a, const char *spec, const cli_opt *opts, size_t nopts) {
    size_t k;
    int rc = parse_ks(a->k ? a->k : "", &k, 1, &(size_t){0});
    if (rc) return cli_fail("cluster", rc);
    wl_dataset ds = {0};
    wl_rng rng;
    wl_rng_seed(&rng, a->seed);
    if ((rc = wl_data_load_rng(spec, &rng, &ds))) return cli_fail("cluster", rc);
    wl_div *div = NULL;
    wl_cluster_result r = {0};
    if ((rc = make_div(a, ds.d, &div))) goto fail;
    wl_cluster_opts o;
    wl_cluster_opts_default(&o);
    o.k = k, o.restarts = a->restarts, o.max_iter = a->max_iter, o.tol = a->tol;
    o.soft = a->soft, o.beta = a->beta;
    wl_mat X = wl_dataset_X(&ds);
    double t0 = wl_time();
    if ((rc = wl_cluster_fit(div, &X, &o, &rng, &r))) goto fail;
    double secs = wl_time() - t0;
    double ari = ds.labels ? wl_cluster_ari(r.labels, ds.labels, ds.n) : NAN;
    printf("%s clustering of %s (%zu x %zu), divergence %s, k = %zu\n", a->soft ? "soft" : "hard",
           ds.name, ds.n, ds.d, wl_div_name(div), k);
    printf("objective (mean divergence) %.10g\n", r.objective);
    if (a->soft) printf("log-likelihood (per point, without base measure) %.10g\n", r.loglik);
    printf("iterations %zu, converged %s, best of %zu start(s): #%zu, empty clusters re-seeded %zu\n",
           r.iterations, r.converged ? "yes" : "no", a->restarts, r.best_restart, r.reseeded);
    if (!isnan(ari)) printf("adjusted Rand index vs the data's labels %.4f\n", ari);
    printf("time %.3f s\n", secs);
    if (a->out) {
        if ((rc = cli_run_begin(a->out, "cluster", a->seed, opts, nopts)) ||
            (rc = write_cluster_outputs(a, div, &ds, &r, ari, secs)))
            goto fail;
        printf("wrote %s/{labels.npy,labels.csv,centres.npy,metrics.csv,summary.json}\n", a->out);
    }
    wl_cluster_result_free(&r);
    wl_div_free(div);
    wl_dataset_free(&ds);
    return CLI_OK;
fail:
    wl_cluster_result_free(&r);
    wl_div_free(div);
    wl_dataset_free(&ds);
    return cli_fail("cluster", rc);
}

static int write_asym_outputs(const char *dir, const wl_div *div, const wl_density *p,
                              const wl_asym_row *rows, size_t nk, const double *c) {
    const char *cols[] = {"k", "k2E_measured", "k2E_train", "k2E_predicted", "ratio",
                          "iterations", "converged"};
    wl_table *t;
    char path[4096];
    int rc = wl_table_new(7, cols, &t);
    for (size_t i = 0; !rc && i < nk; i++) {
        const wl_asym_row *r = &rows[i];
        rc = wl_table_append(t, (double[]){(double)r->k, r->measured, r->train, r->predicted,
                                           r->measured / r->predicted, (double)r->iterations,
                                           (double)r->converged});
    }
    if (!rc) rc = wl_table_write_csv(t, cli_path(path, sizeof path, dir, "asymptotics.csv"));
    wl_table_free(t);
    if (rc) return rc;
    size_t kmax = rows[nk - 1].k;
    const char *ccols[] = {"centre"};
    if ((rc = wl_table_new(1, ccols, &t))) return rc;
    for (size_t j = 0; !rc && j < kmax; j++) rc = wl_table_append(t, &c[j]);
    if (!rc) rc = wl_table_write_csv(t, cli_path(path, sizeof path, dir, "centres.csv"));
    wl_table_free(t);
    if (rc) return rc;
    return wl_cluster_asym_svg(cli_path(path, sizeof path, dir, "asymptotics.svg"), div, p, rows,
                               nk, c, kmax);
}

static int run_asymptotics(const cl_args *a, const cli_opt *opts, size_t nopts) {
    size_t ks[64], nk;
    wl_density p;
    wl_div *div = NULL;
    int rc;
    if (!a->density) return cli_usage_error("cluster", "--asymptotics needs --density");
    if ((rc = parse_ks(a->k ? a->k : "4,8,16,32,64", ks, 64, &nk)) ||
        (rc = wl_density_parse(a->density, &p)))
        return cli_fail("cluster", rc);
    cl_args one = *a;
    if ((rc = make_div(&one, 1, &div))) return cli_fail("cluster", rc);
    wl_asym_row rows[64];
    double *c = wl_dalloc(ks[nk - 1], "centres");
    wl_rng rng;
    wl_rng_seed(&rng, a->seed);
    const char *dir = a->out ? a->out : "cluster-asymptotics";
    if (!c || (rc = wl_cluster_asym_sweep(div, &p, a->n, ks, nk, &rng, rows, c))) goto done;
    printf("divergence %s, density %s, n = %zu (+ %zu held out)\n", wl_div_name(div), a->density,
           a->n, a->n);
    printf("%6s %16s %16s %16s %8s\n", "k", "k^2 E_k", "k^2 E_k (train)", "predicted", "ratio");
    for (size_t i = 0; i < nk; i++)
        printf("%6zu %16.8g %16.8g %16.8g %8.4f%s\n", rows[i].k, rows[i].measured, rows[i].train,
               rows[i].predicted, rows[i].measured / rows[i].predicted,
               rows[i].converged ? "" : "  (not converged)");
    if ((rc = cli_run_begin(dir, "cluster", a->seed, opts, nopts)) ||
        (rc = write_asym_outputs(dir, div, &p, rows, nk, c)))
        goto done;
    cli_summary s;
    if ((rc = cli_summary_begin(&s, dir, "cluster"))) goto done;
    wl_json_str(&s.json, "divergence", wl_div_name(div));
    wl_json_str(&s.json, "density", a->density);
    wl_json_num(&s.json, "predicted", rows[0].predicted);
    wl_json_int(&s.json, "k_max", (long long)rows[nk - 1].k);
    wl_json_num(&s.json, "measured_at_k_max", rows[nk - 1].measured);
    wl_json_num(&s.json, "ratio_at_k_max", rows[nk - 1].measured / rows[nk - 1].predicted);
    if ((rc = cli_summary_end(&s))) goto done;
    printf("wrote %s/{asymptotics.csv,asymptotics.svg,centres.csv,summary.json}\n", dir);
done:
    free(c);
    wl_div_free(div);
    return rc ? cli_fail("cluster", rc) : CLI_OK;
}

int cmd_cluster(int argc, char **argv) {
    static cl_args a;
    const cli_opt opts[] = {
        {"k", CLI_STR, &a.k, NULL, "clusters (asymptotics: a list, default 4,8,16,32,64)"},
        {"div", CLI_STR, &a.div, "sqeuclid", "divergence: sqeuclid, mahalanobis, kl, is, logistic, exp"},
        {"metric", CLI_STR, &a.metric, NULL, "mahalanobis: .npy with the d x d SPD matrix A"},
        {"restarts", CLI_SIZE, &a.restarts, "1", "k-means++ starts; the best objective is kept"},
        {"max-iter", CLI_SIZE, &a.max_iter, "300", "iteration cap per start"},
        {"tol", CLI_DOUBLE, &a.tol, "1e-6", "stop when the relative objective change <= tol"},
        {"soft", CLI_FLAG, &a.soft, NULL, "soft clustering: mixture of exponential families (EM)"},
        {"beta", CLI_DOUBLE, &a.beta, "1", "soft: posterior ~ pi_h exp(-beta D(x, mu_h))"},
        {"seed", CLI_U64, &a.seed, "0", "random seed"},
        {"threads", CLI_SIZE, &a.threads, "0", "threads (0 = all cores)"},
        {"out", CLI_STR, &a.out, NULL, "run directory (asymptotics: default cluster-asymptotics)"},
        {"asymptotics", CLI_FLAG, &a.asym, NULL, "1-D study: k^2 E_k against (1/24)(int (p phi'')^{1/3})^3"},
        {"density", CLI_STR, &a.density, NULL, "asymptotics: uniform[:LO,HI], beta:A,B, exp[:RATE[,SHIFT]]"},
        {"n", CLI_SIZE, &a.n, "200000", "asymptotics: sample size (and as many held out)"},
    };
    const cli_cmd cmd = {"cluster", "DATA --k K [--div NAME] [options]\n"
                                    "       widelab cluster --asymptotics --density SPEC --div NAME [--k 4,8,...]",
                         "Clusters the rows of DATA (a data spec: fashion-mnist, PATH.npy, PATH.csv, ...)\n"
                         "with a Bregman divergence D(x, y) = phi(x) - phi(y) - <grad phi(y), x - y>;\n"
                         "k-means++ starts, Lloyd (hard) or EM (--soft). With --asymptotics, clusters\n"
                         "large 1-D samples for growing k and compares k^2 E_k with its predicted limit."};
    char *pos[2];
    size_t npos, nopts = sizeof opts / sizeof opts[0];
    int help;
    int rc = cli_parse(&cmd, argc, argv, opts, nopts, pos, 2, &npos, &help);
    if (rc || help) return rc;
    wl_set_threads((int)a.threads);
    if (a.asym) {
        if (npos) return cli_usage_error("cluster", "--asymptotics takes no DATA argument");
        return run_asymptotics(&a, opts, nopts);
    }
    if (npos != 1) return cli_usage_error("cluster", "expected one DATA argument");
    if (!a.k) return cli_usage_error("cluster", "--k is required");
    if (a.density) return cli_usage_error("cluster", "--density is only for --asymptotics");
    return run_cluster(&a, pos[0], opts, nopts);
}
