/* Pieces of 'widelab hessian' (cli/cmd_hessian.c, cli/hessian_*.c). */
#ifndef WL_CLI_HESSIAN_H
#define WL_CLI_HESSIAN_H

#include "cli.h"

/* The width sweep: for each m in the comma-separated list, the 2-layer ReLU
 * network mlp:d-m-1:relu:ntk at a fixed point x ~ N(0, I_d) (from seed):
 * measured ||H_f(x)|| (Lanczos), the closed form ||x|| / sqrt(m d), and the
 * fitted log-log slope. Writes widths.csv, hf_norm.svg and summary.json in
 * out when out != NULL. Returns an exit code. */
int hessian_widths(const char *widths, size_t d, uint64_t seed, double tol, const char *out);

/* Everything one 'widelab hessian' run measured (fields unused when skipped). */
typedef struct hessian_report {
    const char *model, *data, *which, *order, *loss;
    size_t p, n, nk;
    wl_eig_result eig;            /* top-k */
    int have_lmax;                /* lambda_max known (order la, or lm with a positive value) */
    double lambda_max;
    int have_trace;
    wl_trace_result trace;
    int have_density;
    wl_slq_result slq;
    size_t n_layers;              /* per-layer breakdown (0: not asked) */
    char (*layer_names)[64];
    double *layer_top;
    int have_hf;
    wl_hf_norms hf;
    size_t matvecs;
    double seconds;
} hessian_report;

/* Prints the results to stdout. */
void hessian_print(const hessian_report *r);
/* Writes eigenvalues.npy, density.npy (+ slq_nodes.npy, slq_weights.npy,
 * density.svg), hf_norms.npy and summary.json into dir. */
int hessian_write(const hessian_report *r, const char *dir);

#endif
