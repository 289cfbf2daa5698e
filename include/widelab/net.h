/* widelab net: networks as DAGs of ops, the linear model, spec strings.
 *
 *   wl_model *m;
 *   if (wl_net_from_spec("mlp:784-1024x3-10:relu:ntk", &m)) puts(wl_errmsg());
 *
 * or, op by op (a residual block; ids are node handles):
 *
 *   wl_net *net; size_t x, h, a, r, y;
 *   wl_net_new(WL_PARAM_NTK, &net);
 *   wl_net_add_input(net, 784, &x);
 *   wl_net_add_dense(net, x, 256, 0, 0.0, &h);          // h = W0 x / sqrt(784)
 *   wl_net_add_act(net, h, WL_ACT_RELU, 0.0, 0, &a);    // a = relu(h)
 *   wl_net_add_dense(net, a, 256, 0, 0.0, &r);          // r = W1 a / sqrt(256)
 *   size_t in2[2] = {h, r};
 *   wl_net_add_add(net, in2, 2, 0.0, &h);               // h = (h + r) / sqrt(2)
 *   wl_net_add_dense(net, h, 10, 0, 0.0, &y);
 *   wl_net_set_output(net, y);
 *   wl_net_finish(net, &m);                             // net is consumed
 *
 * Parametrizations (docs/models.md):
 *   NTK: every weight N(0,1); dense z = W a / sqrt(fan_in) + beta b (b N(0,1));
 *        add z = (sum of inputs) / sqrt(in-degree).
 *   STD: dense z = W a + b, W ~ N(0, c / fan_in) (c = 2 after relu-like
 *        activations (He), 1 otherwise (LeCun)), b ~ N(0, beta^2); add z = sum.
 * Optional c_sigma scaling: a = sqrt(c_sigma) sigma(z), c_sigma = 1/E[sigma(g)^2].
 */
#ifndef WIDELAB_NET_H
#define WIDELAB_NET_H

#include "widelab/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Builds a model from a spec string, e.g. "mlp:784-1024x3-10:relu:ntk",
 * "resmlp:...", "linear:784-10" (grammar documented in docs/models.md). */
int wl_net_from_spec(const char *spec, wl_model **out);

/* The linear model f(w; x) = W x (+ b): W is k x d (w[0..kd) row-major), the
 * bias (if any) follows. Its model Hessian is zero. */
int wl_linear_new(size_t d, size_t k, int bias, wl_model **out);

/* ---- parametrizations and activations ------------------------------------ */

typedef enum wl_param_kind { WL_PARAM_NTK = 0, WL_PARAM_STD = 1 } wl_param_kind;

typedef enum wl_act_kind {
    WL_ACT_IDENTITY = 0,
    WL_ACT_RELU,
    WL_ACT_LEAKY,    /* max(z, slope z) */
    WL_ACT_TANH,
    WL_ACT_ERF,
    WL_ACT_SIGMOID,
    WL_ACT_SOFTPLUS, /* log(1 + e^z) */
    WL_ACT_GELU,     /* z Phi(z), exact (erf-based) */
    WL_ACT_SQUARE,   /* z^2 */
    WL_ACT_COUNT
} wl_act_kind;

/* Default bias scale beta used by the spec option "bias" without a value. */
#define WL_NET_BIAS_SCALE 0.1

/* "relu" -> WL_ACT_RELU, ... (WL_EINVAL naming the bad name). */
int wl_act_from_name(const char *name, int *act);
const char *wl_act_name(int act);
/* sigma(z), sigma'(z), sigma''(z) (any pointer may be NULL); relu-like
 * activations have second derivative 0 and, at 0, PyTorch's first
 * derivative (relu'(0) = 0, leaky'(0) = slope). */
void wl_act_eval(int act, double slope, double z, double *f, double *d1, double *d2);
/* c_sigma = 1 / E[sigma(g)^2], g ~ N(0,1): closed form for identity, relu,
 * leaky relu and square, Gauss-Hermite quadrature (96 nodes) otherwise. */
double wl_act_csigma(int act, double slope);
/* E[h(g)] for g ~ N(0,1) by Gauss-Hermite quadrature with `nodes` nodes
 * (<= 200); h(z, ctx). */
int wl_gauss_hermite_mean(double (*h)(double, void *), void *ctx, int nodes, double *out);

/* ---- building a DAG ------------------------------------------------------- */

typedef struct wl_net wl_net;

int wl_net_new(int param, wl_net **out);
/* Discards a network that was not finished. */
void wl_net_free(wl_net *net);
/* The network input x (d features); exactly one per network. */
int wl_net_add_input(wl_net *net, size_t d, size_t *id);
/* z = s W a + beta b, W: width x fan_in (s, beta per parametrization, above).
 * bias = 0: no bias parameters; bias_scale is then ignored. */
int wl_net_add_dense(wl_net *net, size_t in, size_t width, int bias, double bias_scale,
                     size_t *id);
/* a = g sigma(z), g = sqrt(c_sigma) when csigma != 0, else 1; slope is the
 * leaky-relu slope (ignored otherwise). */
int wl_net_add_act(wl_net *net, size_t in, int act, double slope, int csigma, size_t *id);
/* a = scale * (sum of the inputs), all of one width; scale = 0 picks the
 * parametrization's default: 1/sqrt(n_ins) (NTK) or 1 (STD). */
int wl_net_add_add(wl_net *net, const size_t *ins, size_t n_ins, double scale, size_t *id);
/* a = [in_0, in_1, ...] (features side by side, in the given order). */
int wl_net_add_concat(wl_net *net, const size_t *ins, size_t n_ins, size_t *id);
/* a = c * in. */
int wl_net_add_scale(wl_net *net, size_t in, double c, size_t *id);
/* The node whose value is f(w; x); default: the last node added. */
int wl_net_set_output(wl_net *net, size_t id);
/* Turns the network into a model. The net is consumed (also on failure). */
int wl_net_finish(wl_net *net, wl_model **out);

/* ---- structure, for tangent kernels -------------------------------------- */

/* Number of dense layers, in parameter order (0 if m is not a network). */
size_t wl_net_dense_count(const wl_model *m);
/* Dense layer l: fan_in, fan_out and the bias scale (dz/db: beta under NTK,
 * 1 under STD, 0 when the layer has no bias). Any pointer may be NULL. */
int wl_net_dense_info(const wl_model *m, size_t l, size_t *fan_in, size_t *fan_out,
                      double *bias_scale);
/* Layer-wise tangent-kernel factors at w on X (n x d). For every dense layer
 * l (caller-allocated matrices):
 *   A[l]                (n x fan_in)  = s_l a_{l-1}(X), so that dz/dW = A row;
 *   B[l * n_outs + j]   (n x fan_out) = df_c/dz_l, c = outs[j], per sample.
 * The trace tangent kernel over the outputs listed is then
 *   K = sum_l (A_l A_l^T) o (sum_j B_lj B_lj^T) + bias_scale_l^2 sum_j B_lj B_lj^T. */
int wl_net_ntk_factors(wl_model *m, const double *w, const wl_mat *X, const size_t *outs,
                       size_t n_outs, wl_mat *A, wl_mat *B);

/* ---- training without a second forward pass ------------------------------ */

/* gw = J^T G at the w and X of the most recent forward pass (forward, jvp,
 * jvp2, vjp, hvp, xvjp or ntk_factors) on this handle: the backward pass
 * alone, one third cheaper than wl_model_vjp after wl_model_forward (when
 * that batch was larger than one chunk, see wl_net_set_chunk_rows, the
 * whole vjp is recomputed instead: same numbers, no saving). The
 * caller must not have changed w or X since (the network reads w through
 * the pointer it was given). WL_EUNSUP for models that are not networks
 * (use wl_model_vjp), WL_EINVAL when no forward pass was made or G's shape
 * does not match it. */
int wl_net_vjp_last(wl_model *m, const wl_mat *G, double *gw);

/* Rows per internal pass: every operation processes a batch in chunks of
 * this many rows (gradients summed over chunks), which bounds the workspace.
 * 0 (default) picks about 256 MB per buffer kind (at least 256 rows). */
int wl_net_set_chunk_rows(wl_model *m, size_t rows);

/* ---- parameters as a state_dict ------------------------------------------ */

/* Writes w as a .npz with one member per parameter block (m->blocks: names
 * "0.weight" fan_out x fan_in, "0.bias" fan_out). fold != 0 multiplies each
 * NTK weight by 1/sqrt(fan_in) and each bias by its scale beta, so that the
 * members load into the equivalent torch.nn.Linear layers unchanged
 * (net.load_state_dict({k: torch.from_numpy(v) for k, v in np.load(p).items()})).
 * Works for any model with blocks (folding is then a no-op). Atomic. */
int wl_net_save_npz(const wl_model *m, const double *w, const char *path, int fold);
/* Reads w (m->dim) from such a .npz; unfold != 0 inverts the folding (for a
 * state_dict saved from PyTorch). WL_EFORMAT naming the member on a missing
 * block or a shape mismatch. */
int wl_net_load_npz(const wl_model *m, const char *path, int unfold, double *w);

#ifdef __cplusplus
}
#endif
#endif
