/* The shared data options of every command. */
#include "data_opts.h"

size_t cli_data_opts_append(cli_opt *opts, size_t n, size_t cap, wl_data_opts *o,
                            const char *default_data) {
    if (n > cap || cap - n < CLI_DATA_NOPTS) return n;
    wl_data_opts_default(o);
    const cli_opt add[CLI_DATA_NOPTS] = {
        {"data", CLI_STR, &o->data, default_data,
         "data set: fashion-mnist[:train|:test], mnist:DIR, cifar10:DIR, FILE.npy|.csv|IDX, "
         "synth:NAME[:k=v,...] (see docs/data.md)"},
        {"test-data", CLI_STR, &o->test_data, NULL,
         "test set spec (default: the test part of a named set, else --n-test rows split off "
         "--data)"},
        {"n-train", CLI_SIZE, &o->n_train, "0", "training samples, a random subset (0 = all)"},
        {"n-test", CLI_SIZE, &o->n_test, "0", "test samples (0 = all of the test set)"},
        {"classes", CLI_STR, &o->classes, NULL, "keep these classes, e.g. 3,5 (relabelled 0..c-1)"},
        {"normalize", CLI_STR, &o->normalize, "none",
         "none|standardize|unit|sym (per feature, with training-set statistics)"},
        {"sphere", CLI_FLAG, &o->sphere, NULL, "project samples onto the unit sphere"},
        {"targets", CLI_STR, &o->targets, "auto", "auto|onehot|pm1|raw"},
        {"label-noise", CLI_DOUBLE, &o->label_noise, "0",
         "fraction of training labels flipped to another class"},
        {"stratify", CLI_FLAG, &o->stratify, NULL, "class-stratified subsets and splits"},
        {"data-seed", CLI_U64, &o->seed, "0", "seed of subsets, splits, label noise, synth sets"},
    };
    for (size_t i = 0; i < CLI_DATA_NOPTS; i++) opts[n + i] = add[i];
    return n + CLI_DATA_NOPTS;
}
