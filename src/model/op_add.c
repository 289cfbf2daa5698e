/* Add op (skip connections): a = k sum_j in_j, every input n x m, A: n x m.
 * k = 1/sqrt(in-degree) by default under NTK, 1 under STD. Linear, so every
 * derivative mode applies the same map to tangents and adjoints. */
#include "net_impl.h"

/* Y = k sum_j X_j over the inputs' buffer b   (each n x m) */
static void add_fwd_buf(wl_net *net, wl_node *nd, int b) {
    size_t N = net->run.n * nd->width;
    double *Y = nd->buf[b], k = nd->scale;
    const double *X0 = net->nodes[nd->in[0]].buf[b];
    for (size_t i = 0; i < N; i++) Y[i] = X0[i];
    for (size_t j = 1; j < nd->n_in; j++) {
        const double *Xj = net->nodes[nd->in[j]].buf[b];
        for (size_t i = 0; i < N; i++) Y[i] += Xj[i];
    }
    for (size_t i = 0; i < N; i++) Y[i] *= k;
}

/* forward: a = k sum_j in_j  =>  g_in_j += k g   (and h likewise for hvp) */
static void add_bwd_buf(wl_net *net, wl_node *nd, int b) {
    size_t N = net->run.n * nd->width;
    const double *Y = nd->buf[b];
    double k = nd->scale;
    for (size_t j = 0; j < nd->n_in; j++) {
        wl_node *in = &net->nodes[nd->in[j]];
        if (!wl_node_wants_grad(net, in)) continue;
        double *X = in->buf[b];
        for (size_t i = 0; i < N; i++) X[i] += k * Y[i];
    }
}

int wl_op_add(wl_net *net, wl_node *nd, int pass) {
    int order = net->run.order;
    if (pass == WL_PASS_FWD) {
        add_fwd_buf(net, nd, WL_BUF_A);
        if (order >= 1) add_fwd_buf(net, nd, WL_BUF_T);
        if (order >= 2) add_fwd_buf(net, nd, WL_BUF_S);
    } else {
        add_bwd_buf(net, nd, WL_BUF_G);
        if (order == 1) add_bwd_buf(net, nd, WL_BUF_H);
    }
    return WL_OK;
}
