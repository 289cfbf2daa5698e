/* The list of experiments (one src/exp/exp_<name>.c each) and their runner. */
#include "widelab/exp.h"

#include <stdarg.h>
#include <string.h>

#define WL_EXP_DEF(name) extern const wl_exp wl_exp_##name;
#include "exp_list.h"
#undef WL_EXP_DEF

static const wl_exp *const all[] = {
#define WL_EXP_DEF(name) &wl_exp_##name,
#include "exp_list.h"
#undef WL_EXP_DEF
    NULL};

const wl_exp *const *wl_exp_list(size_t *n) {
    /* stable order: the list sorted by the order in exp_order below, then name */
    static const wl_exp *sorted[sizeof all / sizeof all[0]];
    static const char *order[] = {"linearity", "dag-linearity", "assembly", "relu-conditioning",
                                  "pl-star", "catapult", "sgd-spikes", "clean-priority", "mass",
                                  "batch-size", "aiming"};
    size_t m = sizeof all / sizeof all[0] - 1, k = 0;
    for (size_t o = 0; o < sizeof order / sizeof order[0]; o++)
        for (size_t i = 0; i < m; i++)
            if (strcmp(all[i]->name, order[o]) == 0) sorted[k++] = all[i];
    for (size_t i = 0; i < m; i++) {
        int listed = 0;
        for (size_t o = 0; o < sizeof order / sizeof order[0]; o++)
            listed |= strcmp(all[i]->name, order[o]) == 0;
        if (!listed) sorted[k++] = all[i];
    }
    *n = k;
    return sorted;
}

const wl_exp *wl_exp_find(const char *name) {
    for (size_t i = 0; all[i]; i++)
        if (strcmp(all[i]->name, name) == 0) return all[i];
    wl_seterr(WL_EINVAL, "unknown experiment '%s' (see 'widelab exp list')", name);
    return NULL;
}

void wl_exp_claim(wl_exp_result *res, const char *claim, int supported, const char *fmt, ...) {
    if (res->nclaims >= WL_EXP_MAX_CLAIMS) return;
    wl_claim *c = &res->claims[res->nclaims++];
    snprintf(c->claim, sizeof c->claim, "%s", claim);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->measured, sizeof c->measured, fmt, ap);
    va_end(ap);
    c->supported = supported ? 1 : 0;
}

int wl_exp_write_csv(const wl_exp_ctx *ctx, const char *name, const wl_table *t) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", ctx->out_dir, name);
    return wl_table_write_csv(t, path);
}

int wl_exp_write_svg(const wl_exp_ctx *ctx, const char *name, const wl_plot *p) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", ctx->out_dir, name);
    return wl_plot_write_svg(p, path);
}

void wl_exp_log(const wl_exp_ctx *ctx, const char *fmt, ...) {
    if (!ctx->log) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ctx->log(ctx->log_ctx, buf);
}

int wl_exp_run(const wl_exp *e, const wl_exp_ctx *ctx, wl_exp_result *res) {
    memset(res, 0, sizeof *res);
    int rc = wl_mkdirs(ctx->out_dir);
    if (rc) return rc;
    char path[4096];
    snprintf(path, sizeof path, "%s/summary.json", ctx->out_dir);
    wl_out out;
    if ((rc = wl_out_open(&out, path))) return rc;
    wl_json js;
    wl_json_begin(&js, out.f);
    wl_json_str(&js, "experiment", e->name);
    wl_json_str(&js, "paper", e->paper);
    wl_json_str(&js, "version", wl_version());
    wl_json_bool(&js, "quick", ctx->quick);
    wl_json_int(&js, "seed", (long long)ctx->seed);
    wl_exp_ctx c = *ctx;
    c.summary = &js;
    double t0 = wl_time();
    rc = e->run(&c, res);
    res->seconds = wl_time() - t0;
    if (rc) {
        wl_out_abort(&out);
        return wl_adderr(rc, "experiment %s", e->name);
    }
    wl_json_arr(&js, "claims");
    for (size_t i = 0; i < res->nclaims; i++) {
        wl_json_obj(&js, NULL);
        wl_json_str(&js, "claim", res->claims[i].claim);
        wl_json_str(&js, "measured", res->claims[i].measured);
        wl_json_bool(&js, "supported", res->claims[i].supported);
        wl_json_obj_end(&js);
    }
    wl_json_arr_end(&js);
    wl_json_num(&js, "seconds", res->seconds);
    wl_json_end(&js);
    return wl_out_commit(&out);
}
