/* Scale op: a = c in (A, in: n x m). Linear: tangents and adjoints scale too. */
#include "net_impl.h"

int wl_op_scale(wl_net *net, wl_node *nd, int pass) {
    wl_node *in = &net->nodes[nd->in[0]];
    size_t N = net->run.n * nd->width;
    double c = nd->scale;
    int order = net->run.order;
    if (pass == WL_PASS_FWD) {
        int nb = order >= 2 ? 3 : order + 1; /* A, then T, then S */
        static const int bufs[3] = {WL_BUF_A, WL_BUF_T, WL_BUF_S};
        for (int b = 0; b < nb; b++) {
            const double *X = in->buf[bufs[b]];
            double *Y = nd->buf[bufs[b]];
            for (size_t i = 0; i < N; i++) Y[i] = c * X[i];
        }
        return WL_OK;
    }
    if (!wl_node_wants_grad(net, in)) return WL_OK;
    /* forward: a = c in  =>  g_in += c g  (h_in += c h for hvp) */
    for (int b = WL_BUF_G; b <= (order == 1 ? WL_BUF_H : WL_BUF_G); b++) {
        const double *Y = nd->buf[b];
        double *X = in->buf[b];
        for (size_t i = 0; i < N; i++) X[i] += c * Y[i];
    }
    return WL_OK;
}
