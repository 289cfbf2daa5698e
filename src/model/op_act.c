/* Activation op: every mode of a = g sigma(z), elementwise.
 *
 * Z: n x m (input value), A: n x m; g = sqrt(c_sigma) or 1. The forward
 * pass keeps D = sigma'(z) (n x m) so that the backward pass needs no
 * transcendental function.
 */
#include "act_impl.h"

/* 1 if the loop over N elements of this activation is worth threads */
static int go_parallel(int act, size_t N) {
    return N > WL_NET_PAR_MIN && act != WL_ACT_IDENTITY && act != WL_ACT_RELU &&
           act != WL_ACT_LEAKY && act != WL_ACT_SQUARE;
}

static void act_forward(wl_net *net, wl_node *nd) {
    const wl_node *in = &net->nodes[nd->in[0]];
    const wl_netrun *r = &net->run;
    size_t N = r->n * nd->width;
    const double *Z = in->buf[WL_BUF_A], *Zt = in->buf[WL_BUF_T], *Zs = in->buf[WL_BUF_S];
    double *A = nd->buf[WL_BUF_A], *At = nd->buf[WL_BUF_T], *As = nd->buf[WL_BUF_S];
    double *D = nd->buf[WL_BUF_D];
    double g = nd->gain, slope = nd->slope;
    int act = nd->act, order = r->order;
#pragma omp parallel for schedule(static) if (go_parallel(act, N))
    for (size_t i = 0; i < N; i++) {
        double f, d1, d2;
        wl_act_point(act, slope, Z[i], &f, &d1, &d2);
        A[i] = g * f;                                        /* a = g sigma(z) */
        D[i] = d1;
        if (order >= 1) At[i] = g * d1 * Zt[i];              /* a' = g sigma'(z) z' */
        if (order >= 2)                                      /* a'' = g (sigma'' z'^2 + sigma' z'') */
            As[i] = g * (d2 * Zt[i] * Zt[i] + d1 * Zs[i]);
    }
}

static void act_backward(wl_net *net, wl_node *nd) {
    wl_node *in = &net->nodes[nd->in[0]];
    const wl_netrun *r = &net->run;
    if (!wl_node_wants_grad(net, in)) return;
    size_t N = r->n * nd->width;
    const double *Z = in->buf[WL_BUF_A], *Zt = in->buf[WL_BUF_T], *D = nd->buf[WL_BUF_D];
    const double *G = nd->buf[WL_BUF_G], *H = nd->buf[WL_BUF_H];
    double *Gz = in->buf[WL_BUF_G], *Hz = in->buf[WL_BUF_H];
    double g = nd->gain, slope = nd->slope;
    int act = nd->act;
    if (r->order == 0) {
        /* forward: a = g sigma(z)  =>  gz += g sigma'(z) ga */
        for (size_t i = 0; i < N; i++) Gz[i] += g * D[i] * G[i];
        return;
    }
#pragma omp parallel for schedule(static) if (go_parallel(act, N))
    for (size_t i = 0; i < N; i++) {
        double f, d1, d2;
        wl_act_point(act, slope, Z[i], &f, &d1, &d2);
        Gz[i] += g * d1 * G[i];
        /* hvp, the tangent of that line: hz += g (sigma''(z) z' ga + sigma'(z) ha) */
        Hz[i] += g * (d2 * Zt[i] * G[i] + d1 * H[i]);
    }
}

int wl_op_act(wl_net *net, wl_node *nd, int pass) {
    if (pass == WL_PASS_FWD)
        act_forward(net, nd);
    else
        act_backward(net, nd);
    return WL_OK;
}
