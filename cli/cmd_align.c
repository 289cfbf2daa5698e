/* widelab align: orthogonal Procrustes and Wasserstein Procrustes (one- and
 * two-sided) between two point clouds X and Y (.npy or .csv). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run.h"

const char cmd_align_summary[] = "Procrustes / Wasserstein Procrustes alignment of two point clouds";

typedef struct align_cli {
    const char *method, *init, *out;
    double reg;
    int exact, rotation, save_plan;
    size_t restarts, iters, relax_iters, dim;
    uint64_t seed;
} align_cli;

typedef struct align_out {
    wl_mat Q1, Q2, P;  /* maps and plan (P empty for procrustes) */
    size_t *match;     /* n: matched row of Y for each row of X */
    double *weight;    /* n: plan mass of that match, or 1/n */
    wl_wproc_result res;
    double seconds;
} align_out;

static void out_free(align_out *a) {
    wl_mat_free(&a->Q1);
    wl_mat_free(&a->Q2);
    wl_mat_free(&a->P);
    free(a->match);
    free(a->weight);
}

/* Loads a .npy / .csv point cloud (any data spec wl_data_load reads). */
static int load_cloud(const char *spec, const char *name, wl_mat *M) {
    wl_dataset ds = {0};
    int rc = wl_data_load(spec, &ds);
    if (rc) return wl_adderr(rc, "%s '%s'", name, spec);
    if (ds.n == 0 || ds.d == 0) rc = wl_seterr(WL_EINVAL, "%s '%s' is empty (%zu x %zu)", name, spec, ds.n, ds.d);
    if (!rc) rc = wl_mat_alloc(M, ds.n, ds.d);
    if (!rc) memcpy(M->data, ds.X, ds.n * ds.d * sizeof(double));
    if (!rc && !wl_all_finite(ds.n * ds.d, M->data))
        rc = wl_seterr(WL_EINVAL, "%s '%s' has NaN or Inf entries", name, spec);
    wl_dataset_free(&ds);
    return rc;
}

/* Plain Procrustes: rows correspond, Q = argmin ||X Q - Y||, cost = mean squared residual. */
static int run_procrustes(const align_cli *c, const wl_mat *X, const wl_mat *Y, align_out *a) {
    if (X->rows != Y->rows || X->cols != Y->cols)
        return wl_seterr(WL_EINVAL, "procrustes needs X and Y of the same shape (rows correspond), "
                                    "got %zu x %zu and %zu x %zu; use --method wasserstein",
                         X->rows, X->cols, Y->rows, Y->cols);
    int rc = wl_mat_alloc(&a->Q1, X->cols, X->cols);
    if (!rc) rc = wl_procrustes(X, Y, c->rotation, &a->Q1);
    wl_mat XQ;
    if (!rc) rc = wl_mat_alloc(&XQ, X->rows, X->cols);
    if (rc) return rc;
    rc = wl_gemm(0, 0, 1.0, X, &a->Q1, 0.0, &XQ);
    double s = 0.0;
    for (size_t i = 0; i < X->rows; i++) {
        a->match[i] = i;
        a->weight[i] = 1.0 / (double)X->rows;
        for (size_t j = 0; j < X->cols; j++) s += pow(WL_AT(&XQ, i, j) - WL_AT(Y, i, j), 2);
    }
    a->res.cost = s / (double)X->rows;
    a->res.converged = 1;
    wl_mat_free(&XQ);
    return rc;
}

static int run_wasserstein(const align_cli *c, int two_sided, const wl_mat *X, const wl_mat *Y,
                           align_out *a) {
    wl_wproc_opts o;
    wl_wproc_opts_default(&o);
    o.eps = c->exact ? 0.0 : c->reg;
    o.iters = c->iters;
    o.restarts = c->restarts;
    o.relax = strcmp(c->init, "relax") == 0;
    if (!o.relax && o.restarts == 0) o.restarts = 1;
    o.relax_iters = c->relax_iters;
    o.rotation = c->rotation;
    o.k = c->dim;
    size_t d1 = X->cols, d2 = Y->cols, k = two_sided ? (c->dim ? c->dim : (d1 < d2 ? d1 : d2)) : d1;
    if (two_sided && k > (d1 < d2 ? d1 : d2))
        return wl_seterr(WL_EINVAL, "--dim %zu exceeds min(d1, d2) = %zu", k, d1 < d2 ? d1 : d2);
    wl_rng rng;
    wl_rng_seed(&rng, c->seed);
    int rc = wl_mat_alloc(&a->Q1, d1, k);
    if (!rc && two_sided) rc = wl_mat_alloc(&a->Q2, d2, k);
    if (!rc) rc = wl_mat_alloc(&a->P, X->rows, Y->rows);
    if (rc) return rc;
    rc = two_sided ? wl_wproc2(X, Y, &o, &rng, &a->Q1, &a->Q2, &a->P, &a->res)
                   : wl_wproc(X, Y, &o, &rng, &a->Q1, &a->P, &a->res);
    if (!rc) rc = wl_plan_match(&a->P, a->match);
    for (size_t i = 0; i < X->rows && !rc; i++) a->weight[i] = WL_AT(&a->P, i, a->match[i]);
    return rc;
}

/* matching.csv: x_row,y_row,weight */
static int write_match_csv(const char *path, const align_out *a, size_t n) {
    wl_out o;
    int rc = wl_out_open(&o, path);
    if (rc) return rc;
    fprintf(o.f, "x_row,y_row,weight\n");
    for (size_t i = 0; i < n; i++) fprintf(o.f, "%zu,%zu,%.17g\n", i, a->match[i], a->weight[i]);
    return wl_out_commit(&o);
}

static int write_outputs(const align_cli *c, const wl_mat *X, const wl_mat *Y, const align_out *a) {
    char p[4096];
    size_t n = X->rows;
    size_t sq1[2] = {a->Q1.rows, a->Q1.cols}, sq2[2] = {a->Q2.rows, a->Q2.cols}, sn[1] = {n};
    int two = a->Q2.data != NULL;
    int rc = wl_npy_write(cli_path(p, sizeof p, c->out, two ? "Q1.npy" : "Q.npy"), a->Q1.data, 2, sq1);
    if (!rc && two) rc = wl_npy_write(cli_path(p, sizeof p, c->out, "Q2.npy"), a->Q2.data, 2, sq2);
    int *mi = malloc(n * sizeof *mi);
    if (!mi) rc = rc ? rc : wl_seterr(WL_ENOMEM, "align: out of memory");
    for (size_t i = 0; i < n && mi; i++) mi[i] = (int)a->match[i];
    if (!rc) rc = wl_npy_write_int(cli_path(p, sizeof p, c->out, "matching.npy"), mi, 1, sn);
    free(mi);
    if (!rc) rc = write_match_csv(cli_path(p, sizeof p, c->out, "matching.csv"), a, n);
    if (!rc && c->save_plan && a->P.data) {
        size_t sp[2] = {a->P.rows, a->P.cols};
        rc = wl_npy_write(cli_path(p, sizeof p, c->out, "plan.npy"), a->P.data, 2, sp);
    }
    cli_summary s;
    if (!rc) rc = cli_summary_begin(&s, c->out, "align");
    if (rc) return rc;
    wl_json_str(&s.json, "method", c->method);
    wl_json_int(&s.json, "n", (long long)X->rows);
    wl_json_int(&s.json, "m", (long long)Y->rows);
    wl_json_int(&s.json, "d_x", (long long)X->cols);
    wl_json_int(&s.json, "d_y", (long long)Y->cols);
    wl_json_int(&s.json, "k", (long long)a->Q1.cols);
    wl_json_num(&s.json, "reg", c->exact ? 0.0 : c->reg);
    wl_json_num(&s.json, "cost", a->res.cost);
    wl_json_int(&s.json, "iterations", (long long)a->res.iters);
    wl_json_bool(&s.json, "converged", a->res.converged);
    wl_json_int(&s.json, "best_start", (long long)a->res.best_start);
    wl_json_num(&s.json, "seconds", a->seconds);
    return cli_summary_end(&s);
}

static int check_opts(const align_cli *c) {
    if (strcmp(c->method, "procrustes") && strcmp(c->method, "wasserstein") && strcmp(c->method, "two-sided"))
        return cli_usage_error("align", "--method must be procrustes, wasserstein or two-sided, got '%s'", c->method);
    if (strcmp(c->init, "relax") && strcmp(c->init, "random"))
        return cli_usage_error("align", "--init must be relax or random, got '%s'", c->init);
    if (!(c->reg >= 0.0)) return cli_usage_error("align", "--reg must be >= 0, got %g", c->reg);
    if (c->exact && c->reg > 0.0)
        return cli_usage_error("align", "--exact and --reg %g > 0 contradict each other", c->reg);
    if (c->rotation && strcmp(c->method, "two-sided") == 0)
        return cli_usage_error("align", "--rotation applies to procrustes and wasserstein only");
    if (c->iters == 0) return cli_usage_error("align", "--iters must be >= 1");
    return CLI_OK;
}

int cmd_align(int argc, char **argv) {
    align_cli c;
    cli_opt opts[] = {
        {"method", CLI_STR, &c.method, "wasserstein",
         "procrustes (rows correspond), wasserstein (unknown matching) or two-sided (X Q1 ~ P Y Q2)"},
        {"reg", CLI_DOUBLE, &c.reg, "0", "entropic regularization of the transport step, cost units (0 = exact)"},
        {"exact", CLI_FLAG, &c.exact, NULL, "exact transport (assignment / network simplex): --reg 0"},
        {"rotation", CLI_FLAG, &c.rotation, NULL, "proper rotations only (det Q = +1)"},
        {"init", CLI_STR, &c.init, "relax", "relax (convex relaxation start) or random"},
        {"restarts", CLI_SIZE, &c.restarts, "0", "random orthogonal restarts, best kept"},
        {"iters", CLI_SIZE, &c.iters, "100", "alternations per start"},
        {"relax-iters", CLI_SIZE, &c.relax_iters, "30", "Frank-Wolfe iterations of the relaxation"},
        {"dim", CLI_SIZE, &c.dim, "0", "two-sided: common dimension k (0 = min(d_x, d_y))"},
        {"save-plan", CLI_FLAG, &c.save_plan, NULL, "also write the n x m plan as plan.npy"},
        {"seed", CLI_U64, &c.seed, "0", "random seed (restarts)"},
        {"out", CLI_STR, &c.out, NULL, "run directory for Q.npy, matching.npy/.csv, summary.json"},
    };
    size_t nopts = sizeof opts / sizeof opts[0], npos;
    char *pos[2];
    int help;
    cli_cmd cmd = {"align", "X Y [options]",
                   "Aligns point cloud X (n x d) to Y (m x d') given as .npy or .csv: finds an\n"
                   "orthogonal Q with X Q ~ Y, and with --method wasserstein the unknown matching\n"
                   "too (min over Q and transport plans P of sum P_ij ||x_i Q - y_j||^2)."};
    int rc = cli_parse(&cmd, argc, argv, opts, nopts, pos, 2, &npos, &help);
    if (rc || help) return rc;
    if (npos != 2) return cli_usage_error("align", "expected two point files X and Y, got %zu", npos);
    if ((rc = check_opts(&c))) return rc;
    wl_mat X = {0}, Y = {0};
    align_out a;
    memset(&a, 0, sizeof a);
    rc = load_cloud(pos[0], "X", &X);
    if (!rc) rc = load_cloud(pos[1], "Y", &Y);
    if (!rc) {
        a.match = malloc(X.rows * sizeof *a.match);
        a.weight = wl_dalloc(X.rows, "align weights");
        if (!a.match || !a.weight) rc = wl_seterr(WL_ENOMEM, "align: out of memory for %zu rows", X.rows);
    }
    if (!rc && c.out) rc = cli_run_begin(c.out, "align", c.seed, opts, nopts);
    if (!rc && strcmp(c.method, "procrustes") && strcmp(c.init, "relax") == 0 &&
        (double)X.rows * (double)Y.rows > 4e6)
        fprintf(stderr, "widelab align: note: the relaxation start costs O(n^2 m) per iteration "
                        "(n = %zu, m = %zu); --init random --restarts R is faster\n", X.rows, Y.rows);
    double t0 = wl_time();
    if (!rc) {
        if (strcmp(c.method, "procrustes") == 0) rc = run_procrustes(&c, &X, &Y, &a);
        else rc = run_wasserstein(&c, strcmp(c.method, "two-sided") == 0, &X, &Y, &a);
    }
    a.seconds = wl_time() - t0;
    if (!rc && c.out) rc = write_outputs(&c, &X, &Y, &a);
    if (!rc) {
        printf("method      %s\nn, m        %zu, %zu\ndims        %zu, %zu -> %zu\n", c.method, X.rows,
               Y.rows, X.cols, Y.cols, a.Q1.cols);
        printf("cost        %.10g\niterations  %zu\nconverged   %s\nseconds     %.3f\n", a.res.cost,
               a.res.iters, a.res.converged ? "yes" : "no", a.seconds);
        if (c.out) printf("written     %s/\n", c.out);
    }
    out_free(&a);
    wl_mat_free(&X);
    wl_mat_free(&Y);
    return rc ? cli_fail("align", rc) : CLI_OK;
}
