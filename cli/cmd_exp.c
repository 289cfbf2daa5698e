/* widelab exp: list, run one, or run all of the papers' experiments. */
#include <string.h>

#include "cli.h"

const char cmd_exp_summary[] = "reproduce a paper's central result (list, run NAME, run all)";

static void log_line(void *ctx, const char *msg) {
    fprintf(stderr, "  [%s] %s\n", (const char *)ctx, msg);
}

static void print_result(const wl_exp *e, const wl_exp_result *r, const char *dir) {
    printf("== %s  (%s)  %.1f s, run directory %s\n", e->name, e->paper, r->seconds, dir);
    for (size_t i = 0; i < r->nclaims; i++) {
        const wl_claim *c = &r->claims[i];
        printf("  claim:    %s\n  measured: %s\n  verdict:  %s\n", c->claim, c->measured,
               c->supported ? "SUPPORTED" : "NOT SUPPORTED");
    }
}

int cmd_exp(int argc, char **argv) {
    static int quick, strict;
    static const char *out;
    static uint64_t seed;
    static size_t threads;
    const cli_opt opts[] = {
        {"quick", CLI_FLAG, &quick, NULL, "small setting (under a minute each), as the tests run"},
        {"out", CLI_STR, &out, "runs/exp", "parent directory; each experiment writes OUT/NAME/"},
        {"seed", CLI_U64, &seed, "0", "random seed"},
        {"threads", CLI_SIZE, &threads, "0", "threads (0 = all cores)"},
        {"strict", CLI_FLAG, &strict, NULL, "exit 1 if any claim is not supported"},
    };
    const cli_cmd cmd = {"exp", "list | run NAME|all [options]",
                         "Reproduces the central result of each paper: runs the measurement, writes\n"
                         "CSV, SVG plots and summary.json, and prints each claim next to what was\n"
                         "measured and whether the measurement supports it."};
    char *pos[3];
    size_t npos;
    int help;
    int rc = cli_parse(&cmd, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 3, &npos, &help);
    if (rc || help) return rc;
    if (npos == 0) return cli_usage_error("exp", "expected 'list' or 'run NAME|all'");
    wl_set_threads((int)threads);
    size_t n;
    const wl_exp *const *list = wl_exp_list(&n);
    if (strcmp(pos[0], "list") == 0) {
        if (npos != 1) return cli_usage_error("exp", "'list' takes no argument");
        for (size_t i = 0; i < n; i++)
            printf("%-18s %s\n%-18s   %s\n", list[i]->name, list[i]->summary, "", list[i]->paper);
        return CLI_OK;
    }
    if (strcmp(pos[0], "run") != 0) return cli_usage_error("exp", "unknown action '%s'", pos[0]);
    if (npos != 2) return cli_usage_error("exp", "'run' takes one experiment name or 'all'");
    const wl_exp *one = NULL;
    if (strcmp(pos[1], "all") != 0) {
        one = wl_exp_find(pos[1]);
        if (!one) return cli_fail("exp", WL_EINVAL);
    }
    size_t unsupported = 0, ran = 0;
    for (size_t i = 0; i < n; i++) {
        const wl_exp *e = list[i];
        if (one && e != one) continue;
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", out, e->name);
        wl_exp_ctx ctx = {.out_dir = dir, .quick = quick, .seed = seed, .log = log_line,
                          .log_ctx = (void *)e->name};
        wl_exp_result r;
        fprintf(stderr, "running %s%s ...\n", e->name, quick ? " (quick)" : "");
        rc = wl_exp_run(e, &ctx, &r);
        if (rc) return cli_fail("exp", rc);
        print_result(e, &r, dir);
        fflush(stdout);
        for (size_t c = 0; c < r.nclaims; c++) unsupported += !r.claims[c].supported;
        ran++;
    }
    printf("%zu experiment(s) run, %zu claim(s) not supported\n", ran, unsupported);
    return (strict && unsupported) ? CLI_FAIL : CLI_OK;
}
