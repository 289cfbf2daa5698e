/* 'widelab hessian --widths': the model-Hessian norm of the 2-layer ReLU
 * network against the closed form ||H_f(x)|| = ||x|| / sqrt(m d) (THEORY.md 2). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hessian_cli.h"
#include "run.h"

#define MAX_WIDTHS 64

/* "100,1000" -> m[], returns the count or 0 after printing a usage error. */
static size_t parse_widths(const char *s, size_t *m) {
    size_t n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno || end == p || (*end && *end != ',') || v == 0 || *p == '-' || n == MAX_WIDTHS) {
            cli_usage_error("hessian", "--widths expects up to %d positive integers separated by "
                            "commas, got '%s'", MAX_WIDTHS, s);
            return 0;
        }
        m[n++] = (size_t)v;
        p = *end ? end + 1 : end;
    }
    if (n == 0) cli_usage_error("hessian", "--widths is empty");
    return n;
}

/* ||H_f(x)|| of mlp:d-m-1:relu:ntk at x, parameters from rng. */
static int measure(size_t d, size_t m, const wl_mat *x, wl_rng *rng, double tol, double *norm,
                   size_t *mv) {
    char spec[96];
    snprintf(spec, sizeof spec, "mlp:%zu-%zu-1:relu:ntk", d, m);
    wl_model *mod;
    int rc = wl_net_from_spec(spec, &mod);
    if (rc) return rc;
    double *w = wl_dalloc(mod->dim, "parameters");
    rc = w ? wl_model_init(mod, rng, w) : WL_ENOMEM;
    wl_hf_norms hn;
    if (!rc) rc = wl_model_hessian_norms(mod, w, x, tol, rng, &hn);
    if (!rc) {
        *norm = hn.norms[0];
        *mv = hn.matvecs;
        if (!hn.converged) rc = wl_seterr(WL_ENOCONV, "Lanczos did not converge at width %zu", m);
        wl_hf_norms_free(&hn);
    }
    free(w);
    wl_model_free(mod);
    return rc;
}

static int write_out(const char *out, size_t n, const double *m, const double *meas,
                     const double *ref, size_t d, double nx, double slope, double slope_ref) {
    char path[4096];
    const char *cols[] = {"width", "hf_norm", "closed_form"};
    wl_table *t;
    int rc = wl_table_new(3, cols, &t);
    for (size_t i = 0; !rc && i < n; i++) rc = wl_table_append(t, (double[]){m[i], meas[i], ref[i]});
    if (!rc) rc = wl_table_write_csv(t, cli_path(path, sizeof path, out, "widths.csv"));
    wl_table_free(t);
    wl_plot p;
    wl_plot_init(&p, "model-Hessian norm of the 2-layer ReLU net", "width m", "||H_f(x)||");
    p.log_x = p.log_y = 1;
    if (!rc) rc = wl_plot_series(&p, "measured (Lanczos)", n, m, meas);
    if (!rc) rc = wl_plot_series(&p, "||x|| / sqrt(m d)", n, m, ref);
    if (!rc) p.series[0].points = 1;
    if (!rc) rc = wl_plot_write_svg(&p, cli_path(path, sizeof path, out, "hf_norm.svg"));
    cli_summary s;
    if (!rc) rc = cli_summary_begin(&s, out, "hessian");
    if (rc) return rc;
    wl_json_str(&s.json, "mode", "widths");
    wl_json_int(&s.json, "d", (long long)d);
    wl_json_num(&s.json, "x_norm", nx);
    wl_json_nums(&s.json, "widths", m, n);
    wl_json_nums(&s.json, "hf_norm", meas, n);
    wl_json_nums(&s.json, "closed_form", ref, n);
    wl_json_num(&s.json, "slope", slope);
    wl_json_num(&s.json, "slope_closed_form", slope_ref);
    return cli_summary_end(&s);
}

int hessian_widths(const char *widths, size_t d, uint64_t seed, double tol, const char *out) {
    size_t mw[MAX_WIDTHS];
    size_t n = parse_widths(widths, mw);
    if (n == 0) return CLI_USAGE;
    if (d == 0) return cli_usage_error("hessian", "--dim must be at least 1");
    wl_rng rng;
    wl_rng_seed(&rng, seed);
    wl_mat x;
    if (wl_mat_alloc(&x, 1, d)) return cli_fail("hessian", WL_ENOMEM);
    wl_rng_normal_fill(&rng, x.data, d, 0.0, 1.0);
    double nx = wl_nrm2(d, x.data), m[MAX_WIDTHS], meas[MAX_WIDTHS], ref[MAX_WIDTHS];
    printf("2-layer ReLU network f = v.relu(U x / sqrt d) / sqrt m (mlp:%zu-m-1:relu:ntk), "
           "fixed x ~ N(0, I), ||x|| = %.6g\n", d, nx);
    printf("%10s %18s %18s %12s %9s\n", "width m", "||H_f(x)||", "||x||/sqrt(m d)", "rel. error",
           "products");
    int rc = WL_OK;
    for (size_t i = 0; !rc && i < n; i++) {
        wl_rng r = wl_rng_split(&rng, mw[i]);
        size_t mv = 0;
        m[i] = (double)mw[i];
        ref[i] = nx / sqrt(m[i] * (double)d);
        rc = measure(d, mw[i], &x, &r, tol, &meas[i], &mv);
        if (!rc)
            printf("%10zu %18.10g %18.10g %12.2e %9zu\n", mw[i], meas[i], ref[i],
                   fabs(meas[i] - ref[i]) / ref[i], mv);
    }
    double slope = NAN, slope_ref = NAN, c;
    if (!rc && n >= 2) {
        wl_loglog_slope(n, m, meas, &slope, &c);
        wl_loglog_slope(n, m, ref, &slope_ref, &c);
        printf("log-log slope of ||H_f(x)|| in m: %.4f (closed form: %.4f)\n", slope, slope_ref);
    }
    if (!rc && out) {
        rc = wl_mkdirs(out);
        if (!rc) rc = write_out(out, n, m, meas, ref, d, nx, slope, slope_ref);
    }
    wl_mat_free(&x);
    return rc ? cli_fail("hessian", rc) : CLI_OK;
}
