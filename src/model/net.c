/* Building a network DAG op by op, and its life cycle as a model: finish
 * (parameter layout, state_dict names, init scales), init, clone, free. */
#include "net_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int wl_net_new(int param, wl_net **out) {
    *out = NULL;
    if (param != WL_PARAM_NTK && param != WL_PARAM_STD)
        return wl_seterr(WL_EINVAL, "net: unknown parametrization %d (WL_PARAM_NTK or WL_PARAM_STD)",
                         param);
    wl_net *net = wl_calloc(1, sizeof *net, "network");
    if (!net) return WL_ENOMEM;
    net->param = param;
    *out = net;
    return WL_OK;
}

void wl_net_free(wl_net *net) {
    if (!net) return;
    for (size_t i = 0; i < net->n_nodes; i++) free(net->nodes[i].in);
    free(net->nodes);
    free(net->base.blocks);
    for (int b = 0; b < WL_BUF_COUNT; b++) free(net->ws[b]);
    free(net);
}

static int check_open(const wl_net *net, const char *what) {
    if (!net) return wl_seterr(WL_EINVAL, "net: %s on a NULL network", what);
    if (net->finished) return wl_seterr(WL_EINVAL, "net: %s after wl_net_finish", what);
    return WL_OK;
}

static int check_id(const wl_net *net, size_t id, const char *what) {
    if (id >= net->n_nodes)
        return wl_seterr(WL_EINVAL, "net: %s: input node %zu does not exist (%zu nodes so far)",
                         what, id, net->n_nodes);
    return WL_OK;
}

/* Appends a node of the given type and inputs; returns it (NULL on ENOMEM). */
static wl_node *push_node(wl_net *net, int type, const size_t *ins, size_t n_ins, size_t width) {
    if (net->n_nodes == net->cap_nodes) {
        size_t cap = net->cap_nodes ? 2 * net->cap_nodes : 16;
        wl_node *p = realloc(net->nodes, cap * sizeof *p);
        if (!p) {
            wl_seterr(WL_ENOMEM, "net: cannot grow the node list to %zu nodes", cap);
            return NULL;
        }
        net->nodes = p;
        net->cap_nodes = cap;
    }
    wl_node *nd = &net->nodes[net->n_nodes];
    memset(nd, 0, sizeof *nd);
    if (n_ins) {
        nd->in = wl_malloc(n_ins * sizeof *nd->in, "node inputs");
        if (!nd->in) return NULL;
        memcpy(nd->in, ins, n_ins * sizeof *ins);
    }
    nd->type = type;
    nd->n_in = n_ins;
    nd->width = width;
    net->n_nodes++;
    return nd;
}

int wl_net_add_input(wl_net *net, size_t d, size_t *id) {
    int rc = check_open(net, "add_input");
    if (rc) return rc;
    if (net->has_input) return wl_seterr(WL_EINVAL, "net: a network takes exactly one input node");
    if (d == 0) return wl_seterr(WL_EINVAL, "net: input width 0");
    if (!push_node(net, WL_NODE_INPUT, NULL, 0, d)) return wl_errcode();
    net->input = net->n_nodes - 1;
    net->has_input = 1;
    if (id) *id = net->input;
    return WL_OK;
}

int wl_net_add_dense(wl_net *net, size_t in, size_t width, int bias, double bias_scale,
                     size_t *id) {
    int rc = check_open(net, "add_dense");
    if (!rc) rc = check_id(net, in, "add_dense");
    if (rc) return rc;
    if (width == 0) return wl_seterr(WL_EINVAL, "net: dense layer of width 0");
    if (bias && !(bias_scale >= 0 && isfinite(bias_scale)))
        return wl_seterr(WL_EINVAL, "net: bias scale %g must be finite and >= 0", bias_scale);
    size_t fan_in = net->nodes[in].width;
    wl_node *nd = push_node(net, WL_NODE_DENSE, &in, 1, width);
    if (!nd) return wl_errcode();
    nd->fan_in = fan_in;
    nd->has_bias = bias != 0;
    if (net->param == WL_PARAM_NTK) {
        nd->wscale = 1.0 / sqrt((double)fan_in);
        nd->bscale = nd->has_bias ? bias_scale : 0.0;
        nd->bias_sd = 1.0;
    } else {
        nd->wscale = 1.0;
        nd->bscale = nd->has_bias ? 1.0 : 0.0;
        nd->bias_sd = bias_scale;
    }
    if (id) *id = net->n_nodes - 1;
    return WL_OK;
}

int wl_net_add_act(wl_net *net, size_t in, int act, double slope, int csigma, size_t *id) {
    int rc = check_open(net, "add_act");
    if (!rc) rc = check_id(net, in, "add_act");
    if (rc) return rc;
    if (act < 0 || act >= WL_ACT_COUNT) return wl_seterr(WL_EINVAL, "net: unknown activation %d", act);
    if (!isfinite(slope)) return wl_seterr(WL_EINVAL, "net: leaky slope %g is not finite", slope);
    double gain = 1.0;
    if (csigma) {
        double c = wl_act_csigma(act, slope);
        if (!(c > 0 && isfinite(c)))
            return wl_seterr(WL_ENUMERIC, "net: c_sigma of %s is not finite", wl_act_name(act));
        gain = sqrt(c);
    }
    wl_node *nd = push_node(net, WL_NODE_ACT, &in, 1, net->nodes[in].width);
    if (!nd) return wl_errcode();
    nd->act = act;
    nd->slope = act == WL_ACT_LEAKY ? slope : 0.0;
    nd->gain = gain;
    nd->csigma = csigma != 0;
    if (id) *id = net->n_nodes - 1;
    return WL_OK;
}

static int check_ins(const wl_net *net, const size_t *ins, size_t n_ins, const char *what) {
    if (!ins || n_ins == 0) return wl_seterr(WL_EINVAL, "net: %s of no inputs", what);
    for (size_t j = 0; j < n_ins; j++) {
        int rc = check_id(net, ins[j], what);
        if (rc) return rc;
    }
    return WL_OK;
}

int wl_net_add_add(wl_net *net, const size_t *ins, size_t n_ins, double scale, size_t *id) {
    int rc = check_open(net, "add_add");
    if (!rc) rc = check_ins(net, ins, n_ins, "add");
    if (rc) return rc;
    size_t m = net->nodes[ins[0]].width;
    for (size_t j = 1; j < n_ins; j++)
        if (net->nodes[ins[j]].width != m)
            return wl_seterr(WL_EINVAL, "net: add of node %zu (width %zu) and node %zu (width %zu)",
                             ins[0], m, ins[j], net->nodes[ins[j]].width);
    if (!isfinite(scale)) return wl_seterr(WL_EINVAL, "net: add scale %g is not finite", scale);
    if (scale == 0.0) scale = net->param == WL_PARAM_NTK ? 1.0 / sqrt((double)n_ins) : 1.0;
    wl_node *nd = push_node(net, WL_NODE_ADD, ins, n_ins, m);
    if (!nd) return wl_errcode();
    nd->scale = scale;
    if (id) *id = net->n_nodes - 1;
    return WL_OK;
}

int wl_net_add_concat(wl_net *net, const size_t *ins, size_t n_ins, size_t *id) {
    int rc = check_open(net, "add_concat");
    if (!rc) rc = check_ins(net, ins, n_ins, "concat");
    if (rc) return rc;
    size_t m = 0;
    for (size_t j = 0; j < n_ins; j++) m += net->nodes[ins[j]].width;
    if (!push_node(net, WL_NODE_CONCAT, ins, n_ins, m)) return wl_errcode();
    if (id) *id = net->n_nodes - 1;
    return WL_OK;
}

int wl_net_add_scale(wl_net *net, size_t in, double c, size_t *id) {
    int rc = check_open(net, "add_scale");
    if (!rc) rc = check_id(net, in, "add_scale");
    if (rc) return rc;
    if (!isfinite(c)) return wl_seterr(WL_EINVAL, "net: scale %g is not finite", c);
    wl_node *nd = push_node(net, WL_NODE_SCALE, &in, 1, net->nodes[in].width);
    if (!nd) return wl_errcode();
    nd->scale = c;
    if (id) *id = net->n_nodes - 1;
    return WL_OK;
}

int wl_net_set_output(wl_net *net, size_t id) {
    int rc = check_open(net, "set_output");
    if (!rc) rc = check_id(net, id, "set_output");
    if (rc) return rc;
    net->output = id;
    net->has_output = 1;
    return WL_OK;
}

/* STD init gain c in W ~ N(0, c/fan_in): He (2/(1+slope^2)) after an unscaled
 * relu-like activation, LeCun (1) otherwise. */
static double std_gain(const wl_net *net, const wl_node *nd) {
    const wl_node *in = &net->nodes[nd->in[0]];
    if (in->type != WL_NODE_ACT || in->csigma) return 1.0;
    if (in->act == WL_ACT_RELU) return 2.0;
    if (in->act == WL_ACT_LEAKY) return 2.0 / (1.0 + in->slope * in->slope);
    return 1.0;
}

/* Parameter offsets, init scales and the state_dict blocks. */
static int layout(wl_net *net) {
    size_t dim = 0, nb = 0, tw = 0;
    for (size_t i = 0; i < net->n_nodes; i++) {
        wl_node *nd = &net->nodes[i];
        nd->module = i - 1; /* the input is node 0: module numbers start at 0 */
        tw += nd->width;
        if (nd->type != WL_NODE_DENSE) continue;
        size_t cnt = nd->width * nd->fan_in + (nd->has_bias ? nd->width : 0);
        if (nd->fan_in > ((size_t)-1 / 2) / nd->width || cnt > (size_t)-1 / 2 - dim)
            return wl_seterr(WL_EINVAL, "net: dense layer %zu (%zu x %zu) makes the parameter count overflow",
                             nd->module, nd->width, nd->fan_in);
        nd->off_w = dim;
        dim += nd->width * nd->fan_in;
        nd->off_b = dim;
        if (nd->has_bias) dim += nd->width;
        nb += 1 + (nd->has_bias != 0);
        nd->init_sd = net->param == WL_PARAM_NTK ? 1.0 : sqrt(std_gain(net, nd) / (double)nd->fan_in);
    }
    wl_param_block *bl = nb ? wl_calloc(nb, sizeof *bl, "parameter blocks") : NULL;
    if (nb && !bl) return WL_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < net->n_nodes; i++) {
        const wl_node *nd = &net->nodes[i];
        if (nd->type != WL_NODE_DENSE) continue;
        snprintf(bl[k].name, sizeof bl[k].name, "%zu.weight", nd->module);
        bl[k].offset = nd->off_w;
        bl[k].rows = nd->width;
        bl[k].cols = nd->fan_in;
        bl[k++].ndim = 2;
        if (!nd->has_bias) continue;
        snprintf(bl[k].name, sizeof bl[k].name, "%zu.bias", nd->module);
        bl[k].offset = nd->off_b;
        bl[k].rows = nd->width;
        bl[k].cols = 1;
        bl[k++].ndim = 1;
    }
    net->base.dim = dim;
    net->base.n_blocks = nb;
    net->base.blocks = bl;
    net->total_width = tw;
    net->act_width = 0;
    for (size_t i = 0; i < net->n_nodes; i++) net->act_width += wl_node_cols(&net->nodes[i], WL_BUF_D);
    return WL_OK;
}

int wl_net_finish(wl_net *net, wl_model **out) {
    if (!out) {
        if (net && !net->finished) wl_net_free(net);
        return wl_seterr(WL_EINVAL, "net: finish with a NULL output pointer");
    }
    *out = NULL;
    int rc = check_open(net, "finish");
    if (rc) {
        if (net && !net->finished) wl_net_free(net);
        return rc;
    }
    if (!net->has_input) rc = wl_seterr(WL_EINVAL, "net: no input node");
    else if (net->n_nodes < 2) rc = wl_seterr(WL_EINVAL, "net: a network needs at least one op after its input");
    if (!rc) rc = layout(net);
    if (rc) {
        wl_net_free(net);
        return rc;
    }
    if (!net->has_output) net->output = net->n_nodes - 1;
    net->finished = 1;
    net->base.ops = &wl_net_ops;
    net->base.n_in = net->nodes[net->input].width;
    net->base.n_out = net->nodes[net->output].width;
    net->base.kind = "net";
    *out = &net->base;
    return WL_OK;
}

/* ---- model life cycle ------------------------------------------------------ */

/* NTK: W, b ~ N(0, 1); STD: W ~ N(0, c/fan_in), b ~ N(0, beta^2); drawn in
 * parameter order from one stream. */
static int net_init(wl_model *m, wl_rng *rng, double *w) {
    wl_net *net = (wl_net *)m;
    for (size_t i = 0; i < net->n_nodes; i++) {
        const wl_node *nd = &net->nodes[i];
        if (nd->type != WL_NODE_DENSE) continue;
        wl_rng_normal_fill(rng, w + nd->off_w, nd->width * nd->fan_in, 0.0, nd->init_sd);
        if (nd->has_bias) wl_rng_normal_fill(rng, w + nd->off_b, nd->width, 0.0, nd->bias_sd);
    }
    return WL_OK;
}

static wl_model *net_clone(const wl_model *m) {
    const wl_net *src = (const wl_net *)m;
    wl_net *net = wl_calloc(1, sizeof *net, "network clone");
    if (!net) return NULL;
    *net = *src;
    memset(net->cap_rows, 0, sizeof net->cap_rows);
    memset(net->ws, 0, sizeof net->ws);
    net->fwd_valid = 0;
    net->last_chunked = 0;
    net->nodes = NULL;
    net->base.blocks = NULL;
    net->n_nodes = 0;
    net->nodes = wl_calloc(src->cap_nodes, sizeof *net->nodes, "network clone");
    if (!net->nodes) goto fail;
    for (size_t i = 0; i < src->n_nodes; i++) {
        wl_node *nd = &net->nodes[i];
        *nd = src->nodes[i];
        memset(nd->buf, 0, sizeof nd->buf);
        nd->in = NULL;
        net->n_nodes = i + 1;
        if (nd->n_in) {
            nd->in = wl_malloc(nd->n_in * sizeof *nd->in, "network clone");
            if (!nd->in) goto fail;
            memcpy(nd->in, src->nodes[i].in, nd->n_in * sizeof *nd->in);
        }
    }
    if (src->base.n_blocks) {
        net->base.blocks = wl_malloc(src->base.n_blocks * sizeof *net->base.blocks, "network clone");
        if (!net->base.blocks) goto fail;
        memcpy(net->base.blocks, src->base.blocks, src->base.n_blocks * sizeof *net->base.blocks);
    }
    return &net->base;
fail:
    wl_net_free(net);
    return NULL;
}

static void net_free(wl_model *m) { wl_net_free((wl_net *)m); }

/* ---- structure queries ------------------------------------------------------ */

static const wl_node *dense_node(const wl_model *m, size_t l) {
    if (!m || m->ops != &wl_net_ops) return NULL;
    const wl_net *net = (const wl_net *)m;
    for (size_t i = 0, k = 0; i < net->n_nodes; i++)
        if (net->nodes[i].type == WL_NODE_DENSE && k++ == l) return &net->nodes[i];
    return NULL;
}

size_t wl_net_dense_count(const wl_model *m) {
    if (!m || m->ops != &wl_net_ops) return 0;
    const wl_net *net = (const wl_net *)m;
    size_t k = 0;
    for (size_t i = 0; i < net->n_nodes; i++) k += net->nodes[i].type == WL_NODE_DENSE;
    return k;
}

int wl_net_dense_info(const wl_model *m, size_t l, size_t *fan_in, size_t *fan_out,
                      double *bias_scale) {
    if (!m || m->ops != &wl_net_ops)
        return wl_seterr(WL_EINVAL, "dense_info: the model is not a network");
    const wl_node *nd = dense_node(m, l);
    if (!nd)
        return wl_seterr(WL_EINVAL, "dense_info: layer %zu of %zu dense layers", l,
                         wl_net_dense_count(m));
    if (fan_in) *fan_in = nd->fan_in;
    if (fan_out) *fan_out = nd->width;
    if (bias_scale) *bias_scale = nd->has_bias ? nd->bscale : 0.0;
    return WL_OK;
}

/* Hooks used by the ops table in net_run.c. */
int wl_net_init_params(wl_model *m, wl_rng *rng, double *w) { return net_init(m, rng, w); }
wl_model *wl_net_clone_model(const wl_model *m) { return net_clone(m); }
void wl_net_free_model(wl_model *m) { net_free(m); }
