/* widelab data: inspect (info) and convert (convert) data sets. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "data_opts.h"

const char cmd_data_summary[] = "inspect and convert data sets (info, convert)";

static const char *kind_name(int k) {
    switch (k) {
    case WL_TARGETS_RAW: return "raw";
    case WL_TARGETS_ONEHOT: return "onehot";
    case WL_TARGETS_PM1: return "pm1";
    case WL_TARGETS_LABEL: return "label";
    default: return "none";
    }
}

/* Prints n, d, k, classes with counts, value range, mean, memory, corrupted. */
static int print_info(const char *title, const wl_dataset *ds) {
    double lo = INFINITY, hi = -INFINITY, sum = 0.0;
    size_t cnt = ds->n * ds->d;
    for (size_t i = 0; i < cnt; i++) {
        double v = ds->X[i];
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        sum += v;
    }
    double bytes = (double)cnt * 8 + (double)ds->n * (double)ds->k * 8 +
                   (double)ds->n * ((ds->labels ? 4 : 0) + (ds->true_labels ? 4 : 0) +
                                    (ds->corrupted ? 1 : 0));
    char mem[32];
    printf("%s\n  name       %s\n  n          %zu\n  d          %zu\n  k          %zu (%s)\n",
           title, ds->name, ds->n, ds->d, ds->k, kind_name(ds->target_kind));
    if (cnt) printf("  range      [%.6g, %.6g]\n  mean       %.6g\n", lo, hi, sum / (double)cnt);
    printf("  memory     %s\n", wl_fmt_bytes(bytes, mem, sizeof mem));
    if (ds->labels) {
        size_t *c = calloc(ds->n_classes ? ds->n_classes : 1, sizeof *c);
        if (!c) return wl_seterr(WL_ENOMEM, "out of memory");
        int rc = wl_dataset_class_counts(ds, c);
        if (rc) {
            free(c);
            return rc;
        }
        printf("  classes    %zu\n", ds->n_classes);
        for (size_t j = 0; j < ds->n_classes; j++) printf("    class %-4zu %zu\n", j, c[j]);
        free(c);
    } else printf("  classes    0 (regression)\n");
    printf("  corrupted  %zu\n", wl_dataset_n_corrupted(ds));
    return WL_OK;
}

static int run_info(int argc, char **argv) {
    static const cli_cmd cmd = {"data info", "SPEC [options]",
                                "Loads SPEC (any data spec; the data options apply) and prints "
                                "n, d, k, classes with counts, value range, mean, memory and the "
                                "number of corrupted labels."};
    wl_data_opts d;
    cli_opt opts[CLI_DATA_NOPTS];
    size_t n = cli_data_opts_append(opts, 0, CLI_DATA_NOPTS, &d, NULL);
    char *pos[1];
    size_t npos;
    int help, rc = cli_parse(&cmd, argc, argv, opts, n, pos, 1, &npos, &help);
    if (rc || help) return rc;
    if (npos == 1) d.data = pos[0];
    if (!d.data) return cli_usage_error(cmd.name, "give a data spec (SPEC or --data)");
    wl_dataset tr, te;
    if ((rc = wl_data_prepare(&d, &tr, &te))) return cli_fail(cmd.name, rc);
    rc = print_info("train", &tr);
    if (!rc && te.n) rc = print_info("test", &te);
    wl_dataset_free(&tr);
    wl_dataset_free(&te);
    return rc ? cli_fail(cmd.name, rc) : CLI_OK;
}

static int has_ext(const char *p) {
    size_t n = strlen(p);
    return n > 4 && (!strcmp(p + n - 4, ".npy") || !strcmp(p + n - 4, ".csv"));
}

static int run_convert(int argc, char **argv) {
    static const cli_cmd cmd = {
        "data convert", "IN OUT.npy|OUT.csv [options]",
        "Loads IN (any data spec), applies the data options (classes, subsets, normalization, "
        "sphere, targets, label noise) and writes OUT: .npy features with OUT_labels.npy, "
        "OUT_targets.npy (and OUT_true_labels.npy, OUT_corrupted.npy after label noise) next to "
        "it, or one .csv with a header. --test-out writes the test part the same way."};
    wl_data_opts d;
    const char *test_out = NULL;
    cli_opt opts[1 + CLI_DATA_NOPTS] = {
        {"test-out", CLI_STR, &test_out, NULL, "also write the test set here (.npy or .csv)"}};
    size_t n = cli_data_opts_append(opts, 1, 1 + CLI_DATA_NOPTS, &d, NULL);
    char *pos[2];
    size_t npos;
    int help, rc = cli_parse(&cmd, argc, argv, opts, n, pos, 2, &npos, &help);
    if (rc || help) return rc;
    if (npos != 2) return cli_usage_error(cmd.name, "expected IN and OUT");
    d.data = pos[0];
    wl_dataset tr, te;
    if ((rc = wl_data_prepare(&d, &tr, test_out ? &te : NULL))) return cli_fail(cmd.name, rc);
    /* check what can be checked before anything is written */
    if (test_out && te.n == 0)
        rc = wl_seterr(WL_EINVAL, "--test-out: '%s' has no test part (give --test-data or "
                                  "--n-test)", d.data);
    if (!rc && test_out && !has_ext(test_out))
        rc = wl_seterr(WL_EINVAL, "--test-out '%s': expected a .npy or .csv file name", test_out);
    if (!rc) rc = wl_data_write(&tr, pos[1]);
    if (!rc && test_out) rc = wl_data_write(&te, test_out);
    if (!rc) printf("wrote %s (%zu x %zu)\n", pos[1], tr.n, tr.d);
    if (!rc && test_out) printf("wrote %s (%zu x %zu)\n", test_out, te.n, te.d);
    wl_dataset_free(&tr);
    if (test_out) wl_dataset_free(&te);
    return rc ? cli_fail(cmd.name, rc) : CLI_OK;
}

int cmd_data(int argc, char **argv) {
    if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        FILE *f = argc < 1 ? stderr : stdout;
        fprintf(f, "usage: widelab data info SPEC [options]\n"
                   "       widelab data convert IN OUT.npy|OUT.csv [options]\n\n"
                   "SPEC: fashion-mnist[:train|:test], mnist:DIR[:train|:test], "
                   "cifar10:DIR[:train|:test],\n      FILE.npy[:labels=L.npy][:targets=T.npy], "
                   "FILE.csv[:label=COL][:target=COL], an IDX file,\n      "
                   "synth:linreg|teacher|gauss1d|sphere|mixture[:key=val,...]\n"
                   "'widelab data info --help' and 'widelab data convert --help' list the "
                   "options.\n");
        return argc < 1 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[0], "info")) return run_info(argc - 1, argv + 1);
    if (!strcmp(argv[0], "convert")) return run_convert(argc - 1, argv + 1);
    return cli_usage_error("data", "unknown subcommand '%s' (expected info or convert)", argv[0]);
}
