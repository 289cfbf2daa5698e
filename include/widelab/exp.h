/* widelab exp: experiments that reproduce the papers' central results.
 *
 * Each experiment runs a measurement, writes a run directory (CSV, SVG plots,
 * summary.json) and checks the paper's claims against what it measured: every
 * verdict is computed from the data.
 *
 *   const wl_exp *e = wl_exp_find("catapult");
 *   wl_exp_ctx ctx = {.out_dir = "runs/catapult", .quick = 1, .seed = 0};
 *   wl_exp_result r;
 *   if (wl_exp_run(e, &ctx, &r) == WL_OK)
 *       for (size_t i = 0; i < r.nclaims; i++)
 *           printf("%s: %s\n", r.claims[i].claim, r.claims[i].supported ? "yes" : "no");
 */
#ifndef WIDELAB_EXP_H
#define WIDELAB_EXP_H

#include "widelab/report.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WL_EXP_MAX_CLAIMS 8

typedef struct wl_claim {
    char claim[256];     /* the paper's claim, in words */
    char measured[512];  /* what was measured, with the numbers */
    int supported;       /* 1 if the measurement supports the claim */
} wl_claim;

typedef struct wl_exp_result {
    size_t nclaims;
    wl_claim claims[WL_EXP_MAX_CLAIMS];
    double seconds;
} wl_exp_result;

/* Progress messages from an experiment (the library never prints). */
typedef void (*wl_exp_log_fn)(void *ctx, const char *msg);

typedef struct wl_exp_ctx {
    const char *out_dir;  /* this experiment's run directory (created) */
    int quick;            /* 1: small setting (under a minute) */
    uint64_t seed;
    wl_exp_log_fn log;    /* may be NULL */
    void *log_ctx;
    wl_json *summary;     /* set by wl_exp_run: the open summary.json object
                             where the experiment writes its measured values */
} wl_exp_ctx;

typedef struct wl_exp {
    const char *name;     /* "catapult" */
    const char *paper;    /* short citation */
    const char *summary;  /* one line: what it measures */
    int (*run)(const wl_exp_ctx *ctx, wl_exp_result *res);
} wl_exp;

/* All experiments, in a fixed order (array of n pointers). */
const wl_exp *const *wl_exp_list(size_t *n);
const wl_exp *wl_exp_find(const char *name);
/* Runs e: creates ctx->out_dir, opens out_dir/summary.json for the
 * experiment's measured values, appends its "claims" (claim, measured,
 * supported) and the time taken, and commits the file atomically. */
int wl_exp_run(const wl_exp *e, const wl_exp_ctx *ctx, wl_exp_result *res);

/* For experiment code: adds a claim with its verdict; measured is printf-like. */
void wl_exp_claim(wl_exp_result *res, const char *claim, int supported, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* For experiment code: writes t as ctx->out_dir/name (CSV) or p as
 * ctx->out_dir/name (SVG), atomically. */
int wl_exp_write_csv(const wl_exp_ctx *ctx, const char *name, const wl_table *t);
int wl_exp_write_svg(const wl_exp_ctx *ctx, const char *name, const wl_plot *p);

/* For experiment code: a progress message through ctx->log. */
void wl_exp_log(const wl_exp_ctx *ctx, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#ifdef __cplusplus
}
#endif
#endif
