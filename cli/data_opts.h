/* The data options every command shares (--data, --n-train, --classes, ...),
 * bound to a wl_data_opts so that wl_data_prepare gives every command the
 * same data path.
 *
 *   wl_data_opts d;
 *   cli_opt opts[4 + CLI_DATA_NOPTS] = {{"seed", CLI_U64, &seed, "0", "random seed"}};
 *   size_t n = cli_data_opts_append(opts, 1, sizeof opts / sizeof opts[0], &d, "fashion-mnist");
 *   ... cli_parse(&cmd, argc, argv, opts, n, ...) ...
 *   wl_dataset train, test;
 *   if ((rc = wl_data_prepare(&d, &train, &test))) return cli_fail("train", rc);
 */
#ifndef WL_CLI_DATA_OPTS_H
#define WL_CLI_DATA_OPTS_H

#include "cli.h"

/* How many options cli_data_opts_append adds. */
#define CLI_DATA_NOPTS 11

/* Writes the shared data options, bound to *o, into opts[n ..) and returns
 * the new count; default_data is the default of --data (NULL: none). When
 * cap - n < CLI_DATA_NOPTS nothing is added and n is returned. */
size_t cli_data_opts_append(cli_opt *opts, size_t n, size_t cap, wl_data_opts *o,
                            const char *default_data);

#endif
