/* 'widelab hessian': printing and the run directory's files. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hessian_cli.h"
#include "run.h"

void hessian_print(const hessian_report *r) {
    printf("model %s (p = %zu), data %s (n = %zu), loss %s, Hessian: %s\n", r->model, r->p,
           r->data, r->n, r->loss, r->which);
    printf("top-%zu eigenvalues (%s; Lanczos, %zu products, %zu restarts, max residual %.2e, %s):\n",
           r->eig.k, r->order, r->eig.matvecs, r->eig.restarts, r->eig.max_residual,
           r->eig.converged ? "converged" : "NOT converged");
    for (size_t j = 0; j < r->eig.k; j++)
        printf("  %3zu  %.10g   (residual %.2e)\n", j + 1, r->eig.values[j], r->eig.residuals[j]);
    if (r->have_lmax)
        printf("sharpness lambda_max = %.10g   eta_crit = 2 / lambda_max = %.6g\n", r->lambda_max,
               2.0 / r->lambda_max);
    if (r->have_trace)
        printf("trace (Hutchinson, %zu Rademacher probes) = %.8g +- %.2g (standard error)\n",
               r->trace.probes, r->trace.trace, r->trace.std_err);
    for (size_t l = 0; l < r->n_layers; l++)
        printf("  block %-14s top eigenvalue %.10g\n", r->layer_names[l], r->layer_top[l]);
    if (r->have_density)
        printf("spectral density (SLQ, %zu starts x %zu steps, sigma %.3g): support [%.6g, %.6g], "
               "tr(H)/p ~ %.6g, tr(H^2)/p ~ %.6g\n",
               r->slq.n_vectors, r->slq.steps, r->slq.sigma, r->slq.lambda_min, r->slq.lambda_max,
               r->slq.moment1, r->slq.moment2);
    if (r->have_hf)
        for (size_t c = 0; c < r->hf.k; c++)
            printf("model Hessian ||H_f%zu(x)|| over %zu points: mean %.6g, max %.6g\n", c, r->hf.n,
                   r->hf.mean[c], r->hf.max[c]);
    printf("%zu Hessian-vector products in %.2f s\n", r->matvecs, r->seconds);
}

static int write_density(const hessian_report *r, const char *dir) {
    char path[4096];
    const wl_slq_result *s = &r->slq;
    size_t G = s->n_grid, sh[2] = {G, 2}, sn[2] = {s->n_vectors, s->steps};
    double *gd = wl_dalloc(2 * G, "density table");
    if (!gd) return WL_ENOMEM;
    for (size_t g = 0; g < G; g++) {
        gd[2 * g] = s->grid[g];
        gd[2 * g + 1] = s->density[g];
    }
    int rc = wl_npy_write(cli_path(path, sizeof path, dir, "density.npy"), gd, 2, sh);
    free(gd);
    if (!rc) rc = wl_npy_write(cli_path(path, sizeof path, dir, "slq_nodes.npy"), s->nodes, 2, sn);
    if (!rc) rc = wl_npy_write(cli_path(path, sizeof path, dir, "slq_weights.npy"), s->weights, 2, sn);
    char title[160];
    snprintf(title, sizeof title, "%s Hessian spectral density (SLQ)", r->which);
    if (!rc) rc = wl_slq_svg(s, title, cli_path(path, sizeof path, dir, "density.svg"));
    return rc;
}

static void summary_json(const hessian_report *r, wl_json *j) {
    wl_json_str(j, "mode", "spectrum");
    wl_json_str(j, "model", r->model);
    wl_json_str(j, "data", r->data);
    wl_json_str(j, "loss", r->loss);
    wl_json_str(j, "which", r->which);
    wl_json_str(j, "order", r->order);
    wl_json_int(j, "p", (long long)r->p);
    wl_json_int(j, "n", (long long)r->n);
    wl_json_nums(j, "eigenvalues", r->eig.values, r->eig.k);
    wl_json_nums(j, "residuals", r->eig.residuals, r->eig.k);
    wl_json_bool(j, "converged", r->eig.converged);
    wl_json_int(j, "lanczos_products", (long long)r->eig.matvecs);
    if (r->have_lmax) {
        wl_json_num(j, "lambda_max", r->lambda_max);
        wl_json_num(j, "eta_crit", 2.0 / r->lambda_max);
    }
    if (r->have_trace) {
        wl_json_num(j, "trace", r->trace.trace);
        wl_json_num(j, "trace_stderr", r->trace.std_err);
        wl_json_int(j, "trace_probes", (long long)r->trace.probes);
    }
    if (r->n_layers) {
        wl_json_obj(j, "layer_top_eigenvalue");
        for (size_t l = 0; l < r->n_layers; l++) wl_json_num(j, r->layer_names[l], r->layer_top[l]);
        wl_json_obj_end(j);
    }
    if (r->have_density) {
        wl_json_obj(j, "density");
        wl_json_num(j, "sigma", r->slq.sigma);
        wl_json_num(j, "lambda_min", r->slq.lambda_min);
        wl_json_num(j, "lambda_max", r->slq.lambda_max);
        wl_json_num(j, "trace_over_p", r->slq.moment1);
        wl_json_num(j, "trace_sq_over_p", r->slq.moment2);
        wl_json_obj_end(j);
    }
    if (r->have_hf) {
        wl_json_nums(j, "hf_norm_mean", r->hf.mean, r->hf.k);
        wl_json_nums(j, "hf_norm_max", r->hf.max, r->hf.k);
    }
    wl_json_int(j, "products", (long long)r->matvecs);
    wl_json_num(j, "seconds", r->seconds);
}

int hessian_write(const hessian_report *r, const char *dir) {
    char path[4096];
    size_t sk[1] = {r->eig.k};
    int rc = wl_npy_write(cli_path(path, sizeof path, dir, "eigenvalues.npy"), r->eig.values, 1, sk);
    if (!rc && r->have_density) rc = write_density(r, dir);
    if (!rc && r->have_hf) {
        size_t sh[2] = {r->hf.n, r->hf.k};
        rc = wl_npy_write(cli_path(path, sizeof path, dir, "hf_norms.npy"), r->hf.norms, 2, sh);
    }
    cli_summary s;
    if (!rc) rc = cli_summary_begin(&s, dir, "hessian");
    if (rc) return rc;
    summary_json(r, &s.json);
    return cli_summary_end(&s);
}
