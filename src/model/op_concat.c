/* Concat op: a = [in_0, in_1, ...] side by side. in_j: n x m_j,
 * A: n x (sum_j m_j). Linear: tangents and adjoints are copied likewise. */
#include "net_impl.h"

#include <string.h>

/* Y[:, off_j : off_j + m_j] = X_j over buffer b */
static void cat_fwd_buf(wl_net *net, wl_node *nd, int b) {
    size_t n = net->run.n, m = nd->width, off = 0;
    double *Y = nd->buf[b];
    for (size_t j = 0; j < nd->n_in; j++) {
        const wl_node *in = &net->nodes[nd->in[j]];
        size_t mj = in->width;
        const double *X = in->buf[b];
        for (size_t i = 0; i < n; i++) memcpy(Y + i * m + off, X + i * mj, mj * sizeof *Y);
        off += mj;
    }
}

/* forward: a = [in_0, in_1, ...]  =>  g_in_j += g[:, off_j : off_j + m_j] */
static void cat_bwd_buf(wl_net *net, wl_node *nd, int b) {
    size_t n = net->run.n, m = nd->width, off = 0;
    const double *Y = nd->buf[b];
    for (size_t j = 0; j < nd->n_in; j++) {
        wl_node *in = &net->nodes[nd->in[j]];
        size_t mj = in->width;
        if (wl_node_wants_grad(net, in)) {
            double *X = in->buf[b];
            for (size_t i = 0; i < n; i++)
                for (size_t c = 0; c < mj; c++) X[i * mj + c] += Y[i * m + off + c];
        }
        off += mj;
    }
}

int wl_op_concat(wl_net *net, wl_node *nd, int pass) {
    int order = net->run.order;
    if (pass == WL_PASS_FWD) {
        cat_fwd_buf(net, nd, WL_BUF_A);
        if (order >= 1) cat_fwd_buf(net, nd, WL_BUF_T);
        if (order >= 2) cat_fwd_buf(net, nd, WL_BUF_S);
    } else {
        cat_bwd_buf(net, nd, WL_BUF_G);
        if (order == 1) cat_bwd_buf(net, nd, WL_BUF_H);
    }
    return WL_OK;
}
