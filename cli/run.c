/* Run directories (config.json, summary.json) and the terminal progress bar. */
#include "run.h"

#include <string.h>
#include <time.h>

const char *cli_path(char *buf, size_t cap, const char *dir, const char *name) {
    snprintf(buf, cap, "%s/%s", dir, name);
    return buf;
}

int cli_run_begin(const char *dir, const char *cmd, uint64_t seed, const cli_opt *opts,
                  size_t nopts) {
    int rc = wl_mkdirs(dir);
    if (rc) return rc;
    char path[4096];
    wl_out o;
    if ((rc = wl_out_open(&o, cli_path(path, sizeof path, dir, "config.json")))) return rc;
    time_t now = time(NULL);
    char stamp[64];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    fprintf(o.f, "{\n  \"command\": ");
    wl_json_quote(o.f, cmd);
    fprintf(o.f, ",\n  \"version\": \"%s\",\n  \"seed\": %llu,\n  \"created\": \"%s\",\n  \"threads\": %d,\n  \"options\": {\n",
            wl_version(), (unsigned long long)seed, stamp, wl_get_threads());
    cli_opts_json(o.f, opts, nopts, 4);
    fprintf(o.f, "  }\n}\n");
    return wl_out_commit(&o);
}

int cli_summary_begin(cli_summary *s, const char *dir, const char *cmd) {
    char path[4096];
    int rc = wl_out_open(&s->out, cli_path(path, sizeof path, dir, "summary.json"));
    if (rc) return rc;
    wl_json_begin(&s->json, s->out.f);
    wl_json_str(&s->json, "command", cmd);
    wl_json_str(&s->json, "version", wl_version());
    return WL_OK;
}

int cli_summary_end(cli_summary *s) {
    wl_json_end(&s->json);
    return wl_out_commit(&s->out);
}

void cli_progress_start(cli_progress *p, const char *label, size_t total) {
    p->label = label;
    p->total = total;
    p->t0 = p->last = wl_time();
    p->tty = cli_stderr_tty();
}

void cli_progress_update(cli_progress *p, size_t done, const char *status) {
    if (!p->tty) return;
    double now = wl_time();
    if (now - p->last < 0.1 && done < p->total) return;
    p->last = now;
    const int width = 30;
    double frac = p->total ? (double)done / (double)p->total : 0.0;
    if (frac > 1) frac = 1;
    int fill = (int)(frac * width);
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = 0;
    double el = now - p->t0, eta = frac > 0 ? el * (1 - frac) / frac : 0;
    fprintf(stderr, "\r%s [%s] %zu/%zu %.0fs<%.0fs %s\033[K", p->label, bar, done, p->total, el,
            eta, status ? status : "");
    fflush(stderr);
}

void cli_progress_done(cli_progress *p) {
    if (p->tty) fprintf(stderr, "\n");
}
