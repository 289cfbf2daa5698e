/* widelab ntk: empirical tangent kernels, their spectra, condition numbers and
 * gradient angles; depth x activation sweeps (the ReLU-conditioning table). */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "data_opts.h"
#include "ntk_infinite.h"
#include "run.h"
#include "train_io.h"

const char cmd_ntk_summary[] = "empirical tangent kernel: spectrum, condition number, angles";

typedef struct ntk_cli {
    wl_data_opts data; /* the shared data options (--data, --n-train, --sphere, ...) */
    const char *model, *init, *run, *mode, *method, *mem, *out, *depths, *acts;
    size_t n, d, tile, threads, width, lanczos;
    int csigma;
    uint64_t seed;
    int infinite; /* --infinite: wl_ntk_infinite of the same architecture */
    const cli_opt *opts; /* for config.json */
    size_t nopts;
} ntk_cli;

static const double DEG = 57.29577951308232; /* degrees per radian */

/* "512M", "2G", "1.5GiB", "1e9" -> bytes (binary units); 0 = default budget */
static int parse_bytes(const char *s, double *out) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || !(v >= 0)) return -1;
    while (*end == ' ') end++;
    const char *units = "KMGT";
    const char *u = *end ? strchr(units, toupper((unsigned char)*end)) : NULL;
    if (*end && !u) return -1;
    if (u) {
        v *= pow(1024.0, (double)(u - units + 1));
        end++;
        if (*end == 'i' || *end == 'I') end++;
        if (*end == 'B' || *end == 'b') end++;
    } else if (*end == 'B' || *end == 'b') end++;
    if (*end) return -1;
    *out = v;
    return 0;
}


/* points: the data options' training set (its first --n rows), or --n points
 * uniform on the sphere S^{d-1}; d = 0 takes the data's dimension */
static int load_points(const ntk_cli *c, size_t d, wl_mat *X) {
    wl_dataset ds = {0};
    wl_rng r;
    wl_rng_seed(&r, c->seed + 1);
    int rc;
    if (c->data.data) rc = wl_data_prepare(&c->data, &ds, NULL);
    else {
        char args[128];
        snprintf(args, sizeof args, "n=%zu,d=%zu,seed=%llu", c->n, d,
                 (unsigned long long)c->seed + 1);
        rc = wl_data_synth("sphere", args, &r, &ds);
    }
    if (rc) return rc;
    size_t n = c->n && c->n < ds.n ? c->n : ds.n;
    if (!d) d = ds.d;
    if (ds.d != d) rc = wl_seterr(WL_EINVAL, "the data has %zu features, the model takes %zu", ds.d, d);
    if (!rc) rc = wl_mat_alloc(X, n, d);
    if (!rc) memcpy(X->data, ds.X, n * d * sizeof(double));
    wl_dataset_free(&ds);
    return rc;
}

static int fill_opts(const ntk_cli *c, wl_ntk_opts *o, const char *kpath) {
    wl_ntk_opts_default(o);
    int rc = wl_ntk_mode_parse(c->mode, &o->mode);
    if (!rc) rc = wl_ntk_method_parse(c->method, &o->method);
    if (!rc && parse_bytes(c->mem, &o->mem_limit))
        rc = wl_seterr(WL_EINVAL, "--mem-limit '%s' is not a size (e.g. 512M, 4G, 0)", c->mem);
    o->tile = c->tile;
    o->threads = (int)c->threads;
    o->out_path = kpath;
    return rc;
}

static void print_summary(const wl_ntk_summary *s, int angles) {
    printf("lambda_max      %.6e\nlambda_min      %.6e\ncondition       %.6e\n", s->lambda_max,
           s->lambda_min, s->cond);
    if (s->flags & WL_NTK_WARN_NONPOS) printf("warning         lambda_min <= 0: kernel singular\n");
    else if (s->flags & WL_NTK_WARN_ILLCOND)
        printf("warning         lambda_min < n eps lambda_max: numerically singular\n");
    if (s->trace > 0)
        printf("trace           %.6e\neff_rank        %.4f (trace / lambda_max)\n"
               "eff_rank_entropy %.4f (exp of spectral entropy)\n",
               s->trace, s->eff_rank, s->eff_rank_entropy);
    if (angles)
        printf("min_angle       %.4f deg\nmean_angle      %.4f deg\n", s->angle_min * DEG,
               s->angle_mean * DEG);
}

static void json_summary(wl_json *j, const wl_ntk_summary *s, int angles) {
    wl_json_int(j, "n", (long long)s->n);
    wl_json_num(j, "lambda_max", s->lambda_max);
    wl_json_num(j, "lambda_min", s->lambda_min);
    wl_json_num(j, "condition_number", s->cond);
    wl_json_num(j, "trace", s->trace);
    wl_json_num(j, "eff_rank", s->eff_rank);
    wl_json_num(j, "eff_rank_entropy", s->eff_rank_entropy);
    if (angles) {
        wl_json_num(j, "min_angle_deg", s->angle_min * DEG);
        wl_json_num(j, "mean_angle_deg", s->angle_mean * DEG);
    }
    wl_json_bool(j, "singular", (s->flags & WL_NTK_WARN_NONPOS) != 0);
    wl_json_bool(j, "ill_conditioned", (s->flags & WL_NTK_WARN_ILLCOND) != 0);
}

/* spectrum plot: eigenvalues in decreasing order against their rank */
static int plot_spectrum(const char *dir, const double *eig, size_t n) {
    double *x = wl_dalloc(n, "plot"), *y = wl_dalloc(n, "plot");
    if (!x || !y) {
        free(x);
        free(y);
        return WL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        x[i] = (double)(i + 1);
        y[i] = eig[n - 1 - i];
    }
    wl_plot p;
    wl_plot_init(&p, "tangent kernel spectrum", "rank i", "lambda_i");
    p.log_y = 1;
    p.log_x = n > 20;
    char path[4096];
    int rc = wl_plot_series(&p, "eigenvalues", n, x, y);
    if (!rc) rc = wl_plot_write_svg(&p, cli_path(path, sizeof path, dir, "spectrum.svg"));
    free(x);
    free(y);
    return rc;
}

/* top and bottom eigenvalues by Lanczos on the operator (kernel never stored) */
static int lanczos_summary(const ntk_cli *c, wl_model *m, const double *w, const wl_mat *X,
                           wl_ntk_mode mode, wl_ntk_summary *s, double *top, double *bot) {
    wl_rng r;
    wl_rng_seed(&r, c->seed + 2);
    wl_ntk_lanczos_info a, b;
    size_t k = c->lanczos;
    int rc = wl_ntk_lanczos(m, w, X, mode, k, +1, 1e-8, 0, &r, top, &a);
    if (!rc) rc = wl_ntk_lanczos(m, w, X, mode, k, -1, 1e-8, 0, &r, bot, &b);
    if (rc) return rc;
    memset(s, 0, sizeof *s);
    s->n = X->rows * (mode == WL_NTK_FULL ? m->n_out : 1);
    s->lambda_max = top[0];
    s->lambda_min = bot[0];
    s->cond = bot[0] > 0 ? top[0] / bot[0] : INFINITY;
    if (bot[0] <= 0) s->flags |= WL_NTK_WARN_NONPOS;
    fprintf(stderr, "lanczos: %zu + %zu iterations, %s\n", a.iters, b.iters,
            a.converged && b.converged ? "converged" : "NOT converged (raise n or lower tol)");
    return WL_OK;
}

static int write_outputs(const ntk_cli *c, const wl_mat *K, const double *eig, size_t ne,
                         const wl_ntk_summary *s, int angles, const wl_ntk_plan *plan,
                         double secs) {
    char path[4096];
    int rc = WL_OK;
    if (K->data) {
        size_t sh[2] = {K->rows, K->cols};
        rc = wl_npy_write(cli_path(path, sizeof path, c->out, "kernel.npy"), K->data, 2, sh);
    }
    if (!rc && eig) rc = wl_npy_write(cli_path(path, sizeof path, c->out, "eigenvalues.npy"), eig, 1, &ne);
    if (!rc && eig && ne == s->n) rc = plot_spectrum(c->out, eig, ne);
    cli_summary sm;
    if (!rc) rc = cli_summary_begin(&sm, c->out, "ntk");
    if (rc) return rc;
    wl_json_str(&sm.json, "model", c->model);
    wl_json_str(&sm.json, "mode", c->mode);
    wl_json_str(&sm.json, "method", c->infinite ? "infinite"
                                    : c->lanczos ? "lanczos-ntkvp"
                                                 : wl_ntk_method_name(plan->method));
    wl_json_int(&sm.json, "rows", (long long)plan->rows);
    wl_json_int(&sm.json, "cols", (long long)plan->cols);
    wl_json_bool(&sm.json, "kernel_on_disk", plan->to_disk && !c->lanczos);
    wl_json_bool(&sm.json, "lanczos", c->lanczos > 0);
    wl_json_num(&sm.json, "seconds", secs);
    if (s) json_summary(&sm.json, s, angles);
    return cli_summary_end(&sm);
}

/* one kernel: compute, summarize, print, write */
static int run_one(const ntk_cli *c) {
    wl_model *m = NULL;
    double *w = NULL, *eig = NULL;
    wl_mat X = {0}, K = {0};
    wl_ntk_opts o;
    char kpath[4096];
    const char *kp = c->out ? cli_path(kpath, sizeof kpath, c->out, "kernel.npy") : NULL;
    int rc = fill_opts(c, &o, kp);
    if (!rc) rc = wl_net_from_spec(c->model, &m);
    if (!rc && !c->infinite) rc = cli_params_init(c->init, c->run, c->seed, m, &w);
    if (!rc) rc = load_points(c, m->n_in, &X);
    wl_ntk_plan plan = {0};
    if (!rc && !c->infinite) rc = wl_ntk_plan_make(m, X.rows, 0, &o, &plan);
    plan.rows = plan.cols = c->infinite ? X.rows : plan.rows;
    if (rc) goto done;
    char b1[32];
    if (!c->infinite)
        fprintf(stderr, "ntk: %s kernel %zu x %zu of %s (%zu parameters), method %s, tiles of %zu, %s%s\n",
            c->mode, plan.rows, plan.cols, c->model, m->dim, wl_ntk_method_name(plan.method),
            plan.tile, wl_fmt_bytes(plan.result_bytes, b1, sizeof b1),
            plan.to_disk ? " streamed to disk" : "");
    if (c->out && (rc = cli_run_begin(c->out, "ntk", c->seed, c->opts, c->nopts))) goto done;
    wl_ntk_summary s = {0}, *sp = NULL;
    double t0 = wl_time(), top[64], bot[64];
    int angles = 0;
    size_t ne = 0;
    wl_mat S = {0};
    if (c->infinite) {
        rc = cli_ntk_infinite(c->model, &X, &K, c->out ? &S : NULL);
        ne = K.rows;
        eig = rc ? NULL : wl_dalloc(ne, "eigenvalues");
        if (!rc) rc = eig ? wl_ntk_summarize(&K, eig, &s) : WL_ENOMEM;
        if (!rc && S.data) {
            char p[4096];
            size_t sh[2] = {S.rows, S.cols};
            rc = wl_npy_write(cli_path(p, sizeof p, c->out, "nngp.npy"), S.data, 2, sh);
        }
        wl_mat_free(&S);
        sp = &s;
        angles = 1;
    } else if (c->lanczos && o.mode != WL_NTK_DIAG) {
        rc = lanczos_summary(c, m, w, &X, o.mode, &s, top, bot);
        sp = &s;
    } else {
        rc = wl_ntk_empirical(m, w, &X, NULL, &o, &K);
        if (!rc && K.data && o.mode != WL_NTK_DIAG) {
            ne = K.rows;
            eig = wl_dalloc(ne, "eigenvalues");
            rc = eig ? wl_ntk_summarize(&K, eig, &s) : WL_ENOMEM;
            sp = &s;
            angles = 1;
        } else if (!rc && !K.data) {
            fprintf(stderr, "ntk: kernel written to %s; use --lanczos K for its extreme eigenvalues\n", kp);
        }
    }
    double secs = wl_time() - t0;
    if (rc) goto done;
    printf("kernel          %s %zu x %zu (%s), %.3f s\n", c->mode, plan.rows, plan.cols,
           c->infinite ? "infinite" : wl_ntk_method_name(plan.method), secs);
    if (sp) print_summary(sp, angles);
    if (o.mode == WL_NTK_DIAG && K.data) {
        double mn = INFINITY, mx = 0, mean = 0;
        for (size_t i = 0; i < K.rows * K.cols; i++) {
            mn = fmin(mn, K.data[i]);
            mx = fmax(mx, K.data[i]);
            mean += K.data[i] / (double)(K.rows * K.cols);
        }
        printf("diag_min        %.6e\ndiag_mean       %.6e\ndiag_max        %.6e\n", mn, mean, mx);
    }
    if (c->out) {
        rc = write_outputs(c, &K, eig ? eig : c->lanczos ? top : NULL, eig ? ne : c->lanczos, sp,
                           angles, &plan, secs);
        if (!rc) printf("wrote           %s/{config.json,summary.json%s}\n", c->out,
                        K.data || plan.to_disk ? ",kernel.npy,eigenvalues.npy,spectrum.svg" : "");
    }
done:
    wl_mat_free(&K);
    wl_mat_free(&X);
    free(w);
    free(eig);
    wl_model_free(m);
    return rc;
}

/* "0..10" or "1,2,5" into list (at most cap) */
static int parse_depths(const char *s, size_t *list, size_t cap, size_t *n) {
    unsigned long a, b;
    int used;
    *n = 0;
    if (sscanf(s, "%lu..%lu%n", &a, &b, &used) == 2 && !s[used] && a <= b && b - a < cap) {
        for (unsigned long d = a; d <= b; d++) list[(*n)++] = d;
        return 0;
    }
    for (const char *p = s; *p;) {
        char *end;
        if (!isdigit((unsigned char)*p) || *n >= cap) return -1;
        list[(*n)++] = strtoul(p, &end, 10);
        p = end;
        if (*p == ',') p++;
        else if (*p) return -1;
    }
    return *n ? 0 : -1;
}

/* depth x activation table for mlp networks of the given width, one output */
static int run_sweep(ntk_cli c) {
    size_t depths[64], nd, d = c.d ? c.d : c.n;
    if (parse_depths(c.depths, depths, 64, &nd))
        return wl_seterr(WL_EINVAL, "--depths '%s': expected A..B or a list like 1,2,4", c.depths);
    char acts[256], spec[256];
    snprintf(acts, sizeof acts, "%s", c.acts);
    wl_mat X = {0};
    int rc = load_points(&c, c.data.data ? 0 : d, &X);
    if (rc) return rc;
    d = X.cols;
    wl_table *t = NULL;
    const char *cols[] = {"act", "depth", "lambda_min", "lambda_max", "condition", "min_angle_deg", "mean_angle_deg"};
    if (c.out && !(rc = cli_run_begin(c.out, "ntk", c.seed, c.opts, c.nopts))) rc = wl_table_new(7, cols, &t);
    printf("%-10s %5s %14s %14s %14s %10s %10s\n", "act", "depth", "lambda_min", "lambda_max",
           "condition", "min_ang", "mean_ang");
    char *save = NULL;
    int ai = 0;
    for (char *a = strtok_r(acts, ",", &save); a && !rc; a = strtok_r(NULL, ",", &save), ai++)
        for (size_t i = 0; i < nd && !rc; i++) {
            const char *cs = c.csigma && depths[i] ? ":csigma" : "";
            if (depths[i] == 0) snprintf(spec, sizeof spec, "mlp:%zu-1:%s:ntk", d, a);
            else snprintf(spec, sizeof spec, "mlp:%zu-%zux%zu-1:%s:ntk%s", d, c.width, depths[i], a, cs);
            ntk_cli one = c;
            one.model = spec;
            wl_model *m = NULL;
            double *w = NULL, *eig = wl_dalloc(X.rows, "eigenvalues");
            wl_mat K = {0};
            wl_ntk_opts o;
            wl_ntk_summary s;
            rc = eig ? fill_opts(&one, &o, NULL) : WL_ENOMEM;
            if (!rc && c.infinite) rc = cli_ntk_infinite(spec, &X, &K, NULL);
            if (!rc && !c.infinite) rc = wl_net_from_spec(spec, &m);
            if (!rc && !c.infinite) rc = cli_params_init(one.init, one.run, one.seed, m, &w);
            if (!rc && !c.infinite) rc = wl_ntk_empirical(m, w, &X, NULL, &o, &K);
            if (!rc) rc = wl_ntk_summarize(&K, eig, &s);
            if (!rc) {
                printf("%-10s %5zu %14.6e %14.6e %14.6e %10.4f %10.4f\n", a, depths[i],
                       s.lambda_min, s.lambda_max, s.cond, s.angle_min * DEG, s.angle_mean * DEG);
                fflush(stdout);
                double row[7] = {ai, (double)depths[i], s.lambda_min, s.lambda_max, s.cond,
                                 s.angle_min * DEG, s.angle_mean * DEG};
                if (t) rc = wl_table_append(t, row);
            }
            wl_mat_free(&K);
            free(w);
            free(eig);
            wl_model_free(m);
        }
    char path[4096];
    if (!rc && t) rc = wl_table_write_csv(t, cli_path(path, sizeof path, c.out, "sweep.csv"));
    wl_table_free(t);
    wl_mat_free(&X);
    return rc;
}

int cmd_ntk(int argc, char **argv) {
    static ntk_cli c;
    cli_opt opts[18 + CLI_DATA_NOPTS] = {
        {"model", CLI_STR, &c.model, "mlp:784-256x3-10:relu:ntk", "network spec (docs/models.md)"},
        {"init", CLI_STR, &c.init, NULL, "parameters from a .npy (default: drawn from --seed)"},
        {"run", CLI_STR, &c.run, NULL, "parameters from a run directory (DIR/params.npy)"},
        {"n", CLI_SIZE, &c.n, "100", "number of points: the first n of the data (default: n points on the unit sphere)"},
        {"d", CLI_SIZE, &c.d, "0", "input dimension of the sweep's sphere points (0: = n)"},
        {"mode", CLI_STR, &c.mode, "trace", "trace (n x n) | full (nk x nk) | diag (n x k)"},
        {"method", CLI_STR, &c.method, "auto", "auto | structured | jacobian | ntkvp"},
        {"tile", CLI_SIZE, &c.tile, "0", "points per tile (0: chosen from memory and threads)"},
        {"mem-limit", CLI_STR, &c.mem, "0", "memory budget, e.g. 4G (0: half the RAM)"},
        {"lanczos", CLI_SIZE, &c.lanczos, "0", "K > 0: top/bottom K eigenvalues by Lanczos, kernel never stored"},
        {"threads", CLI_SIZE, &c.threads, "0", "threads (0 = all cores)"},
        {"seed", CLI_U64, &c.seed, "0", "random seed (parameters, sphere points)"},
        {"depths", CLI_STR, &c.depths, NULL, "sweep depths, e.g. 0..10 (mlp, one output)"},
        {"act", CLI_STR, &c.acts, "relu,identity", "sweep activations, comma separated"},
        {"width", CLI_SIZE, &c.width, "512", "sweep hidden width"},
        {"csigma", CLI_FLAG, &c.csigma, NULL, "sweep: scale activations by sqrt(c_sigma) (2 for relu)"},
        {"out", CLI_STR, &c.out, NULL, "run directory: kernel.npy, eigenvalues.npy, summary.json, spectrum.svg"},
        {"infinite", CLI_FLAG, &c.infinite, NULL, "infinite-width NTK of the same architecture, per output (docs/kernels.md; --out adds nngp.npy)"},
    };
    const cli_cmd cmd = {"ntk", "[options]",
                         "Computes the empirical tangent kernel K = J J^T of a network at its\n"
                         "parameters on a set of points, and prints lambda_max, lambda_min, the\n"
                         "condition number and the gradient angles. With --depths, prints the\n"
                         "condition number and angles for mlp networks of each depth and activation."};
    size_t npos, nopts = cli_data_opts_append(opts, 18, sizeof opts / sizeof opts[0], &c.data, NULL);
    int help;
    int rc = cli_parse(&cmd, argc, argv, opts, nopts, NULL, 0, &npos, &help);
    if (rc || help) return rc;
    c.opts = opts;
    c.nopts = nopts;
    if (c.init && c.run) return cli_usage_error("ntk", "give --init or --run, not both");
    if (c.lanczos > 64) return cli_usage_error("ntk", "--lanczos takes at most 64");
    if (c.n == 0) return cli_usage_error("ntk", "--n must be at least 1");
    wl_set_threads((int)c.threads);
    if (c.infinite && (strcmp(c.mode, "trace") || c.lanczos))
        return cli_usage_error("ntk", "--infinite gives the per-output kernel: no --mode full/diag or --lanczos");
    rc = c.depths ? run_sweep(c) : run_one(&c);
    return rc ? cli_fail("ntk", rc) : CLI_OK;
}
