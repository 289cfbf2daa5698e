/* Parameter files and probe options of `widelab train` (shared with the
 * commands that read run directories). */
#ifndef WL_CLI_TRAIN_IO_H
#define WL_CLI_TRAIN_IO_H

#include "cli.h"

/* Loads parameters for model m into w (dim) from a flat .npy, or an .npz
 * holding either "params" (flat) or one member per parameter block
 * ("0.weight", "0.bias", ... as in a PyTorch state_dict), or a run directory
 * (its params.npy). Sizes are checked and named in errors. */
int cli_params_load(const char *path, const wl_model *m, double *w);

/* Allocates *w (dim) and fills it from `init` (as cli_params_load), else
 * from the run directory `run` (its params.npy), else draws it from seed. */
int cli_params_init(const char *init, const char *run, uint64_t seed, wl_model *m, double **w);

/* Writes DIR/params.npy (flat) and DIR/params.npz (one member per block,
 * weights out x in) atomically. */
int cli_params_save(const char *dir, const wl_model *m, const double *w);

/* Attaches the comma-separated probes "NAME[:EVERY[:crit]],..." (NULL: none). */
int cli_add_probes(wl_trainer *t, const char *list);

/* AGOP target: a d x d .npy matrix, or a run directory whose trained model's
 * AGOP on the first (up to 1000) samples of ds is used. */
int cli_agop_target(wl_trainer *t, const char *spec, const wl_dataset *ds);

/* Loads a trained model from a run directory: its network spec (the "model"
 * option of config.json; "arch" for a Taylor model) and params.npy. */
int cli_run_model(const char *dir, wl_model **m, double **w);

#endif
