/* The sweep of the linearity measurements over architectures and sizes:
 * runs wl_linm_measure, fits log-log slopes against the size, writes the
 * table, the plots and the summary. */
#include "linearity_measure.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* spec from a template: every '@' becomes the size. */
static int fill_template(const char *tpl, size_t size, char *buf, size_t cap) {
    size_t k = 0;
    for (const char *c = tpl; *c; c++) {
        int wrote = *c == '@' ? snprintf(buf + k, cap - k, "%zu", size)
                              : snprintf(buf + k, cap - k, "%c", *c);
        if (wrote < 0 || (size_t)wrote >= cap - k)
            return wl_seterr(WL_EINVAL, "linearity: spec template \"%s\" too long", tpl);
        k += (size_t)wrote;
    }
    return WL_OK;
}

enum { Q_H, Q_KB, Q_KG, Q_GAP, Q_N };

static double quantity(const wl_linm *m, int q) {
    return q == Q_H ? m->hnorm : q == Q_KB ? m->kchange_ball : q == Q_KG ? m->kchange_gd : m->gap_gd;
}

static int write_table(const wl_exp_ctx *ctx, const wl_linm_sweep *s) {
    const char *cols[] = {"arch", "size", "dim", "hessian_norm", "hessian_norm_max", "grad_norm",
                          "kernel_change_ball", "kernel_change_gd", "dist_gd", "linearity_gap",
                          "linearity_gap_rel", "loss0", "loss_gd", "lr"};
    wl_table *t = NULL;
    int rc = wl_table_new(14, cols, &t);
    for (size_t a = 0; a < s->narch && !rc; a++)
        for (size_t i = 0; i < s->nsize && !rc; i++) {
            const wl_linm *m = &s->m[a][i];
            double row[14] = {(double)a, s->sizes[i], (double)m->dim, m->hnorm, m->hnorm_max,
                              m->grad_norm, m->kchange_ball, m->kchange_gd, m->dist_gd,
                              m->gap_gd, m->gap_rel, m->loss0, m->loss_gd, m->lr};
            rc = wl_table_append(t, row);
        }
    if (!rc) rc = wl_exp_write_csv(ctx, "linearity.csv", t);
    if (t) wl_table_free(t);
    return rc;
}

static int write_plots(const wl_exp_ctx *ctx, const wl_linm_sweep *s, const char *xlabel) {
    static const char *files[] = {"hessian_norm.svg", "kernel_change.svg", "linearity_gap.svg"};
    static const char *titles[] = {"model Hessian norm ||H_f(x)|| at init",
                                   "relative tangent-kernel change ||K - K0||_F / ||K0||_F",
                                   "distance from the linearization after GD"};
    double y[Q_N][WL_LINM_MAX_ARCH][WL_LINM_MAX_SIZES];
    for (int q = 0; q < Q_N; q++)
        for (size_t a = 0; a < s->narch; a++)
            for (size_t i = 0; i < s->nsize; i++) y[q][a][i] = quantity(&s->m[a][i], q);
    int rc = WL_OK;
    char path[4096], lab[64];
    for (int f = 0; f < 3 && !rc; f++) {
        wl_plot p;
        wl_plot_init(&p, titles[f], xlabel, f == 0 ? "||H_f||" : f == 1 ? "kernel change" : "gap");
        p.log_x = p.log_y = 1;
        for (size_t a = 0; a < s->narch; a++) {
            if (f == 1) {
                snprintf(lab, sizeof lab, "%s, after GD", s->names[a]);
                wl_plot_series(&p, lab, s->nsize, s->sizes, y[Q_KG][a]);
                snprintf(lab, sizeof lab, "%s, ball radius R", s->names[a]);
                wl_plot_series(&p, lab, s->nsize, s->sizes, y[Q_KB][a]);
            } else {
                wl_plot_series(&p, s->names[a], s->nsize, s->sizes, y[f == 0 ? Q_H : Q_GAP][a]);
            }
        }
        snprintf(path, sizeof path, "%s/%s", ctx->out_dir, files[f]);
        rc = wl_plot_write_svg(&p, path);
    }
    return rc;
}

static void write_summary(const wl_exp_ctx *ctx, const wl_linm_sweep *s, const wl_linm_cfg *cfg) {
    wl_json *j = ctx->summary;
    wl_json_obj(j, "setting");
    wl_json_num(j, "radius", cfg->radius);
    wl_json_int(j, "gd_steps", (long long)cfg->gd_steps);
    wl_json_num(j, "lr_frac", cfg->lr_frac);
    wl_json_int(j, "hessian_points", (long long)cfg->hpoints);
    wl_json_int(j, "initializations", (long long)(cfg->reps ? cfg->reps : 1));
    wl_json_obj_end(j);
    wl_json_nums(j, "sizes", s->sizes, s->nsize);
    wl_json_arr(j, "architectures");
    for (size_t a = 0; a < s->narch; a++) {
        double v[WL_LINM_MAX_SIZES];
        wl_json_obj(j, NULL);
        wl_json_str(j, "name", s->names[a]);
        for (int q = 0; q < Q_N; q++) {
            static const char *keys[] = {"hessian_norm", "kernel_change_ball", "kernel_change_gd",
                                         "linearity_gap"};
            for (size_t i = 0; i < s->nsize; i++) v[i] = quantity(&s->m[a][i], q);
            wl_json_nums(j, keys[q], v, s->nsize);
        }
        for (size_t i = 0; i < s->nsize; i++) v[i] = s->m[a][i].loss_gd / s->m[a][i].loss0;
        wl_json_nums(j, "loss_ratio_gd", v, s->nsize);
        wl_json_num(j, "slope_hessian_norm", s->slope_h[a]);
        wl_json_num(j, "slope_kernel_change_ball", s->slope_kb[a]);
        wl_json_num(j, "slope_kernel_change_gd", s->slope_kg[a]);
        wl_json_num(j, "slope_linearity_gap", s->slope_gap[a]);
        int conv = 1;
        for (size_t i = 0; i < s->nsize; i++) conv &= s->m[a][i].converged;
        wl_json_bool(j, "lanczos_converged", conv);
        wl_json_obj_end(j);
    }
    wl_json_arr_end(j);
}

/* The mean of cfg->reps measurements from independent initializations
 * (seeds seed, seed + 100003, ...); max of the maxima, all-converged. */
static int measure_reps(const char *spec, const wl_dataset *ds, const wl_linm_cfg *cfg,
                        uint64_t seed, wl_linm *out) {
    size_t reps = cfg->reps ? cfg->reps : 1;
    int rc = wl_linm_measure(spec, ds, cfg, seed, out);
    for (size_t r = 1; r < reps && !rc; r++) {
        wl_linm m;
        rc = wl_linm_measure(spec, ds, cfg, seed + 100003 * r, &m);
        if (rc) break;
        out->hnorm += m.hnorm;
        out->hnorm_max = m.hnorm_max > out->hnorm_max ? m.hnorm_max : out->hnorm_max;
        out->grad_norm += m.grad_norm;
        out->kchange_ball += m.kchange_ball;
        out->kchange_gd += m.kchange_gd;
        out->gap_gd += m.gap_gd;
        out->gap_rel += m.gap_rel;
        out->dist_gd += m.dist_gd;
        out->loss0 += m.loss0;
        out->loss_gd += m.loss_gd;
        out->lr += m.lr;
        out->hvps += m.hvps;
        out->converged &= m.converged;
    }
    if (rc) return rc;
    double k = (double)reps;
    out->hnorm /= k;
    out->grad_norm /= k;
    out->kchange_ball /= k;
    out->kchange_gd /= k;
    out->gap_gd /= k;
    out->gap_rel /= k;
    out->dist_gd /= k;
    out->loss0 /= k;
    out->loss_gd /= k;
    out->lr /= k;
    return WL_OK;
}

int wl_linm_sweep_run(const wl_exp_ctx *ctx, const wl_dataset *ds, const wl_linm_cfg *cfg,
                      size_t narch, const char *const *names, const char *const *templates,
                      size_t nsize, const size_t *sizes, const char *xlabel, wl_linm_sweep *out) {
    if (narch == 0 || narch > WL_LINM_MAX_ARCH || nsize < 2 || nsize > WL_LINM_MAX_SIZES)
        return wl_seterr(WL_EINVAL, "linearity sweep: %zu architectures, %zu sizes", narch, nsize);
    memset(out, 0, sizeof *out);
    out->narch = narch;
    out->nsize = nsize;
    int rc = WL_OK;
    char spec[256];
    for (size_t a = 0; a < narch && !rc; a++) {
        out->names[a] = names[a];
        for (size_t i = 0; i < nsize && !rc; i++) {
            out->sizes[i] = (double)sizes[i];
            rc = fill_template(templates[a], sizes[i], spec, sizeof spec);
            if (!rc) rc = measure_reps(spec, ds, cfg, ctx->seed + 1000 * a + i, &out->m[a][i]);
            wl_linm *m = &out->m[a][i];
            if (!rc)
                wl_exp_log(ctx, "%-12s %-34s ||H_f|| %.4g  dK(ball) %.4g  dK(GD) %.4g  gap %.4g  loss %.3g -> %.3g",
                           names[a], spec, m->hnorm, m->kchange_ball, m->kchange_gd, m->gap_gd,
                           m->loss0, m->loss_gd);
        }
        double y[Q_N][WL_LINM_MAX_SIZES], b;
        for (int q = 0; q < Q_N; q++)
            for (size_t i = 0; i < nsize; i++) y[q][i] = quantity(&out->m[a][i], q);
        if (!rc) {
            wl_loglog_slope(nsize, out->sizes, y[Q_H], &out->slope_h[a], &b);
            wl_loglog_slope(nsize, out->sizes, y[Q_KB], &out->slope_kb[a], &b);
            wl_loglog_slope(nsize, out->sizes, y[Q_KG], &out->slope_kg[a], &b);
            wl_loglog_slope(nsize, out->sizes, y[Q_GAP], &out->slope_gap[a], &b);
        }
    }
    if (!rc) rc = write_table(ctx, out);
    if (!rc) rc = write_plots(ctx, out, xlabel);
    if (!rc) write_summary(ctx, out, cfg);
    return rc;
}

int wl_linm_teacher_sweep(const wl_exp_ctx *ctx, size_t n, size_t d, const wl_linm_cfg *cfg,
                          size_t narch, const char *const *names, const char *const *templates,
                          size_t nsize, const size_t *sizes, const char *xlabel,
                          wl_linm_sweep *out) {
    wl_rng r;
    wl_rng_seed(&r, ctx->seed);
    wl_dataset ds = {0};
    int rc = wl_synth_teacher(&r, n, d, 64, 1, WL_SYNTH_TANH, 0.0, &ds);
    if (rc) return rc;
    wl_exp_log(ctx, "teacher data: n = %zu, d = %zu; %s %zu..%zu", n, d, xlabel, sizes[0],
               sizes[nsize - 1]);
    rc = wl_linm_sweep_run(ctx, &ds, cfg, narch, names, templates, nsize, sizes, xlabel, out);
    wl_dataset_free(&ds);
    return rc;
}
