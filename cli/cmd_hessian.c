/* widelab hessian: top eigenvalues, trace and spectral density of the loss
 * Hessian (or its Gauss-Newton or model part), per-layer sharpness, model-
 * Hessian norms, and the width sweep of the 2-layer ReLU model-Hessian norm. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data_opts.h"
#include "hessian_cli.h"
#include "run.h"
#include "train_io.h"

const char cmd_hessian_summary[] = "Hessian spectra: top eigenvalues, trace, density, model-Hessian norms";

typedef struct hcli {
    const char *model, *init, *run, *which, *order, *loss, *out, *widths;
    size_t k, probes, slq_vectors, slq_steps, grid, hf_points, max_basis, dim, threads;
    double tol, sigma;
    int density, per_layer;
    uint64_t seed;
    wl_data_opts data;
} hcli;

static int parse_choices(const hcli *c, wl_hess_kind *kind, wl_eig_which *which,
                         wl_loss_kind *loss) {
    if (!strcmp(c->which, "loss")) *kind = WL_HESS_LOSS;
    else if (!strcmp(c->which, "gn")) *kind = WL_HESS_GN;
    else if (!strcmp(c->which, "model")) *kind = WL_HESS_MODEL;
    else return cli_usage_error("hessian", "--which must be loss, gn or model, got '%s'", c->which);
    if (!strcmp(c->order, "la")) *which = WL_EIG_LA;
    else if (!strcmp(c->order, "lm")) *which = WL_EIG_LM;
    else if (!strcmp(c->order, "sa")) *which = WL_EIG_SA;
    else return cli_usage_error("hessian", "--order must be la, lm or sa, got '%s'", c->order);
    if (wl_loss_parse(c->loss, loss)) return cli_usage_error("hessian", "%s", wl_errmsg());
    if (c->k == 0) return cli_usage_error("hessian", "--k must be at least 1");
    if (!(c->tol > 0) || c->tol >= 1) return cli_usage_error("hessian", "--tol must be in (0, 1)");
    if (c->density && (c->slq_vectors == 0 || c->slq_steps == 0 || c->grid < 2))
        return cli_usage_error("hessian", "--slq-vectors, --slq-steps must be >= 1, --grid >= 2");
    if (c->sigma < 0) return cli_usage_error("hessian", "--sigma must be >= 0");
    if (c->init && c->run) return cli_usage_error("hessian", "give --init or --run, not both");
    return CLI_OK;
}

/* Top eigenvalue of P H P for every parameter block. */
static int per_layer(wl_hessian *h, const wl_model *m, const hcli *c, wl_rng *rng,
                     hessian_report *r) {
    r->layer_names = calloc(m->n_blocks ? m->n_blocks : 1, sizeof *r->layer_names);
    r->layer_top = wl_dalloc(m->n_blocks ? m->n_blocks : 1, "per-layer eigenvalues");
    if (!r->layer_names || !r->layer_top) return WL_ENOMEM;
    wl_lanczos_opts o;
    wl_lanczos_opts_default(&o);
    o.which = WL_EIG_LA;
    o.tol = c->tol;
    int rc = WL_OK;
    for (size_t b = 0; !rc && b < m->n_blocks; b++) {
        wl_eig_result e;
        rc = wl_hessian_restrict_block(h, m->blocks[b].name);
        if (!rc) {
            wl_linop op = wl_hessian_op(h);
            wl_rng rb = wl_rng_split(rng, 1000 + b);
            rc = wl_lanczos(&op, &o, &rb, 0, &e);
        }
        if (rc) break;
        snprintf(r->layer_names[b], 64, "%s", m->blocks[b].name);
        r->layer_top[b] = e.values[0];
        r->n_layers = b + 1;
        wl_eig_result_free(&e);
    }
    if (!rc) rc = wl_hessian_restrict(h, 0, m->dim);
    return rc;
}

/* Everything after the Hessian operator exists. */
static int measure(const hcli *c, wl_hessian *h, wl_model *m, const double *w, const wl_mat *X,
                   wl_eig_which which, hessian_report *r) {
    wl_rng rng;
    wl_rng_seed(&rng, c->seed);
    wl_rng r1 = wl_rng_split(&rng, 1), r2 = wl_rng_split(&rng, 2), r3 = wl_rng_split(&rng, 3),
           r4 = wl_rng_split(&rng, 4), r5 = wl_rng_split(&rng, 5);
    wl_linop H = wl_hessian_op(h);
    wl_lanczos_opts o;
    wl_lanczos_opts_default(&o);
    o.k = c->k;
    o.which = which;
    o.tol = c->tol;
    o.max_basis = c->max_basis;
    int rc = wl_lanczos(&H, &o, &r1, 0, &r->eig);
    if (rc) return rc;
    for (size_t j = 0; j < r->eig.k; j++)
        if (which != WL_EIG_SA && r->eig.values[j] > 0 &&
            (!r->have_lmax || r->eig.values[j] > r->lambda_max)) {
            r->have_lmax = 1;
            r->lambda_max = r->eig.values[j];
        }
    /* in a largest-magnitude list the largest positive value is lambda_max only
     * if no larger positive eigenvalue could have been ranked out of the list */
    if (which == WL_EIG_LM && r->have_lmax && fabs(r->eig.values[r->eig.k - 1]) > r->lambda_max)
        r->have_lmax = 0;
    if (c->per_layer && (rc = per_layer(h, m, c, &r2, r))) return rc;
    if (c->probes) {
        rc = wl_hutchinson(&H, c->probes, 0.0, &r3, &r->trace);
        if (rc) return rc;
        r->have_trace = 1;
    }
    if (c->density) {
        wl_slq_opts so;
        wl_slq_opts_default(&so);
        so.n_vectors = c->slq_vectors;
        so.steps = c->slq_steps;
        so.n_grid = c->grid;
        so.sigma = c->sigma;
        if ((rc = wl_slq(&H, &so, &r4, &r->slq))) return rc;
        r->have_density = 1;
    }
    if (c->hf_points) {
        size_t np = c->hf_points < X->rows ? c->hf_points : X->rows;
        wl_mat Xp = wl_mat_rows(X, 0, np);
        if ((rc = wl_model_hessian_norms(m, w, &Xp, c->tol, &r5, &r->hf))) return rc;
        r->have_hf = 1;
    }
    return WL_OK;
}

static void report_free(hessian_report *r) {
    wl_eig_result_free(&r->eig);
    wl_slq_result_free(&r->slq);
    wl_hf_norms_free(&r->hf);
    free(r->layer_names);
    free(r->layer_top);
}

static int run_spectrum(const hcli *c, const cli_opt *opts, size_t nopts) {
    wl_hess_kind kind = WL_HESS_LOSS;
    wl_eig_which which = WL_EIG_LA;
    wl_loss_kind loss = WL_LOSS_MSE;
    int rc = parse_choices(c, &kind, &which, &loss);
    if (rc) return rc;
    wl_set_threads((int)c->threads);
    double t0 = wl_time();
    wl_model *m = NULL;
    double *w = NULL;
    wl_dataset train = {0};
    wl_objective *obj = NULL;
    wl_hessian *h = NULL;
    hessian_report r;
    memset(&r, 0, sizeof r);
    rc = wl_net_from_spec(c->model, &m);
    if (!rc) rc = cli_params_init(c->init, c->run, c->seed, m, &w);
    if (!rc) rc = wl_data_prepare(&c->data, &train, NULL);
    if (!rc && (train.d != m->n_in || train.k != m->n_out))
        rc = wl_seterr(WL_EINVAL, "the data %s is %zu x %zu with %zu targets; the model %s takes "
                       "%zu inputs and has %zu outputs", c->data.data, train.n, train.d, train.k,
                       c->model, m->n_in, m->n_out);
    if (!rc && train.n > 10000 && !c->widths)
        fprintf(stderr, "widelab hessian: note: the Hessian of the mean loss over all %zu samples "
                "(--n-train N takes a random subset)\n", train.n);
    wl_mat X = wl_mat_view(train.X, train.n, train.d), Y = wl_mat_view(train.Y, train.n, train.k);
    if (!rc) rc = wl_objective_new(m, loss, &X, &Y, &obj);
    if (!rc) rc = wl_hessian_loss_new(obj, w, NULL, 0, kind, &h);
    if (!rc && c->k > m->dim)
        rc = wl_seterr(WL_EINVAL, "--k %zu is larger than the %zu parameters", c->k, m->dim);
    if (!rc && c->out) rc = cli_run_begin(c->out, "hessian", c->seed, opts, nopts);
    if (!rc) rc = measure(c, h, m, w, &X, which, &r);
    if (!rc) {
        r.model = c->model;
        r.data = c->data.data;
        r.which = c->which;
        r.order = c->order;
        r.loss = c->loss;
        r.p = m->dim;
        r.n = train.n;
        r.matvecs = wl_hessian_matvecs(h);
        r.seconds = wl_time() - t0;
        hessian_print(&r);
        if (c->out) rc = hessian_write(&r, c->out);
        if (!rc && c->out) printf("wrote %s/{summary.json,config.json,eigenvalues.npy%s%s}\n", c->out,
                                  r.have_density ? ",density.npy,density.svg" : "",
                                  r.have_hf ? ",hf_norms.npy" : "");
    }
    report_free(&r);
    wl_hessian_free(h);
    wl_objective_free(obj);
    wl_dataset_free(&train);
    free(w);
    wl_model_free(m);
    return rc ? cli_fail("hessian", rc) : CLI_OK;
}

int cmd_hessian(int argc, char **argv) {
    static hcli c;
    cli_opt opts[24 + CLI_DATA_NOPTS] = {
        {"model", CLI_STR, &c.model, "mlp:784-256-10:relu:ntk", "model spec (docs/models.md)"},
        {"init", CLI_STR, &c.init, NULL, "parameters from a .npy file (default: drawn from --seed)"},
        {"run", CLI_STR, &c.run, NULL, "parameters from a run directory (DIR/params.npy)"},
        {"loss", CLI_STR, &c.loss, "mse", "mse or xent (mean over samples; MSE with the 1/2)"},
        {"which", CLI_STR, &c.which, "loss", "loss (full Hessian), gn (Gauss-Newton part) or model (model part)"},
        {"order", CLI_STR, &c.order, "la", "la (largest), lm (largest magnitude) or sa (smallest)"},
        {"k", CLI_SIZE, &c.k, "10", "number of eigenvalues"},
        {"tol", CLI_DOUBLE, &c.tol, "1e-6", "Lanczos: ||Hv - lambda v|| <= tol * max |lambda|"},
        {"max-basis", CLI_SIZE, &c.max_basis, "0", "Lanczos vectors kept before a restart (0: auto)"},
        {"probes", CLI_SIZE, &c.probes, "50", "Hutchinson trace probes (0: no trace)"},
        {"density", CLI_FLAG, &c.density, NULL, "spectral density by stochastic Lanczos quadrature"},
        {"slq-vectors", CLI_SIZE, &c.slq_vectors, "10", "SLQ random starts"},
        {"slq-steps", CLI_SIZE, &c.slq_steps, "80", "SLQ Lanczos steps per start"},
        {"grid", CLI_SIZE, &c.grid, "1000", "density grid points"},
        {"sigma", CLI_DOUBLE, &c.sigma, "0", "density broadening (0: 1% of the spectrum's range)"},
        {"per-layer", CLI_FLAG, &c.per_layer, NULL, "top eigenvalue of each parameter block's Hessian"},
        {"hf-points", CLI_SIZE, &c.hf_points, "0", "model-Hessian norms ||H_f(x)|| at the first N points"},
        {"widths", CLI_STR, &c.widths, NULL, "sweep mode: widths m of the 2-layer ReLU net, e.g. 100,1000,10000"},
        {"dim", CLI_SIZE, &c.dim, "10", "sweep mode: input dimension d"},
        {"seed", CLI_U64, &c.seed, "0", "random seed (parameters, probes, starts)"},
        {"threads", CLI_SIZE, &c.threads, "0", "threads (0 = all cores)"},
        {"out", CLI_STR, &c.out, NULL, "run directory for config.json, summary.json, .npy and .svg"},
    };
    size_t nopts = cli_data_opts_append(opts, 22, sizeof opts / sizeof opts[0], &c.data,
                                        "fashion-mnist");
    const cli_cmd cmd = {
        "hessian", "[options]",
        "Eigenvalues of the loss Hessian H = J^T l''(F) J + sum_i l'(F_i) H_f(x_i) of the mean\n"
        "loss over the data (or its Gauss-Newton or model part) by Lanczos, its trace by\n"
        "Hutchinson, its spectral density by stochastic Lanczos quadrature, the sharpness\n"
        "lambda_max and eta_crit = 2 / lambda_max. With --widths: the model-Hessian norm of\n"
        "the 2-layer ReLU network against ||x|| / sqrt(m d) and its log-log slope."};
    int help;
    size_t npos;
    int rc = cli_parse(&cmd, argc, argv, opts, nopts, NULL, 0, &npos, &help);
    if (rc || help) return rc;
    if (c.widths) {
        if (!(c.tol > 0) || c.tol >= 1) return cli_usage_error("hessian", "--tol must be in (0, 1)");
        wl_set_threads((int)c.threads);
        return hessian_widths(c.widths, c.dim, c.seed, fmin(c.tol, 1e-10), c.out);
    }
    return run_spectrum(&c, opts, nopts);
}
