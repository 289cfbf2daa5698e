/* Run directories and progress reporting shared by the commands. */
#ifndef WL_CLI_RUN_H
#define WL_CLI_RUN_H

#include "cli.h"

/* Creates DIR (and parents) and writes DIR/config.json: the command, the
 * version, the seed and every resolved option. Atomic. */
int cli_run_begin(const char *dir, const char *cmd, uint64_t seed, const cli_opt *opts,
                  size_t nopts);

/* Joins dir and name into buf ("dir/name"); returns buf. */
const char *cli_path(char *buf, size_t cap, const char *dir, const char *name);

/* Opens DIR/summary.json for writing (atomic) with the top-level object
 * begun and "command", "version" written; finish with cli_summary_end. */
typedef struct cli_summary {
    wl_out out;
    wl_json json;
} cli_summary;
int cli_summary_begin(cli_summary *s, const char *dir, const char *cmd);
int cli_summary_end(cli_summary *s);

/* A progress bar on stderr, drawn only when stderr is a terminal and at most
 * ~10 times a second; silent otherwise. */
typedef struct cli_progress {
    const char *label;
    size_t total;
    double t0, last;
    int tty;
} cli_progress;
void cli_progress_start(cli_progress *p, const char *label, size_t total);
/* Redraws with the current count and an optional short status text. */
void cli_progress_update(cli_progress *p, size_t done, const char *status);
void cli_progress_done(cli_progress *p);

#endif
