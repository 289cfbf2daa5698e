/* Dense op: every mode of z = s W a + beta b in one place.
 *
 * Batch form, row-major:  A: n x fan_in (input value), W: out x fan_in,
 * b: out, Z = s A W^T + beta 1 b^T: n x out. s = 1/sqrt(fan_in) and beta the
 * bias scale under NTK; s = beta = 1 under STD. V, vb: the direction v's
 * slices for W and b.
 */
#include "net_impl.h"

#include <string.h>

/* Z[i][o] += c * b[o]   Z: n x out */
static void add_row(double *Z, size_t n, size_t out, double c, const double *b) {
    for (size_t i = 0; i < n; i++) {
        double *z = Z + i * out;
        for (size_t o = 0; o < out; o++) z[o] += c * b[o];
    }
}

/* gb[o] (+)= c * sum_i G[i][o]   G: n x out; acc: add to gb instead of writing */
static void col_sum(const double *G, size_t n, size_t out, double c, double *gb, int acc) {
    if (!acc) memset(gb, 0, out * sizeof *gb);
    for (size_t i = 0; i < n; i++) {
        const double *g = G + i * out;
        for (size_t o = 0; o < out; o++) gb[o] += c * g[o];
    }
}

static void dense_forward(wl_net *net, wl_node *nd) {
    const wl_netrun *r = &net->run;
    const wl_node *in = &net->nodes[nd->in[0]];
    size_t n = r->n, fi = nd->fan_in, fo = nd->width;
    double s = nd->wscale, beta = nd->bscale;
    const double *W = r->w + nd->off_w, *A = in->buf[WL_BUF_A];
    /* Z = s A W^T + beta 1 b^T */
    wl_net_gemm(0, 1, n, fo, fi, s, A, fi, W, fi, 0.0, nd->buf[WL_BUF_A]);
    if (nd->has_bias) add_row(nd->buf[WL_BUF_A], n, fo, beta, r->w + nd->off_b);
    if (r->order < 1) return;
    const double *V = r->v + nd->off_w, *At = in->buf[WL_BUF_T];
    double *T = nd->buf[WL_BUF_T];
    /* Z' = s (A' W^T + A V^T) + beta 1 vb^T */
    if (wl_node_is_const(in)) {
        wl_net_gemm(0, 1, n, fo, fi, s, A, fi, V, fi, 0.0, T);
    } else {
        wl_net_gemm(0, 1, n, fo, fi, s, At, fi, W, fi, 0.0, T);
        wl_net_gemm(0, 1, n, fo, fi, s, A, fi, V, fi, 1.0, T);
    }
    if (nd->has_bias) add_row(T, n, fo, beta, r->v + nd->off_b);
    if (r->order < 2) return;
    /* Z'' = s (2 A' V^T + A'' W^T)   (Z is bilinear in (A, W), linear in b) */
    double *S = nd->buf[WL_BUF_S];
    if (wl_node_is_const(in)) {
        memset(S, 0, n * fo * sizeof *S);
    } else {
        wl_net_gemm(0, 1, n, fo, fi, 2.0 * s, At, fi, V, fi, 0.0, S);
        wl_net_gemm(0, 1, n, fo, fi, s, in->buf[WL_BUF_S], fi, W, fi, 1.0, S);
    }
}

static void dense_backward(wl_net *net, wl_node *nd) {
    const wl_netrun *r = &net->run;
    wl_node *in = &net->nodes[nd->in[0]];
    size_t n = r->n, fi = nd->fan_in, fo = nd->width;
    double s = nd->wscale, beta = nd->bscale;
    const double *W = r->w + nd->off_w, *A = in->buf[WL_BUF_A], *G = nd->buf[WL_BUF_G];
    int want_in = wl_node_wants_grad(net, in);
    double acc = r->accumulate ? 1.0 : 0.0; /* a later row chunk adds to gw */
    if (r->order == 0) {
        /* forward: Z = s A W^T + beta 1 b^T
         * gW = s G^T A  (out x fan_in);  gb = beta G^T 1;  gA += s G W */
        if (r->gw) {
            wl_net_gemm(1, 0, fo, fi, n, s, G, fo, A, fi, acc, r->gw + nd->off_w);
            if (nd->has_bias) col_sum(G, n, fo, beta, r->gw + nd->off_b, r->accumulate);
        }
        if (want_in) wl_net_gemm(0, 0, n, fi, fo, s, G, fo, W, fi, 1.0, in->buf[WL_BUF_G]);
        return;
    }
    /* hvp: tangents along v of the three lines above, with H = G':
     * hW = s (H^T A + G^T A');  hb = beta H^T 1;
     * gA += s G W;  hA += s (H W + G V) */
    const double *H = nd->buf[WL_BUF_H], *V = r->v + nd->off_w;
    if (r->gw) {
        double *hW = r->gw + nd->off_w;
        wl_net_gemm(1, 0, fo, fi, n, s, H, fo, A, fi, acc, hW);
        if (!wl_node_is_const(in))
            wl_net_gemm(1, 0, fo, fi, n, s, G, fo, in->buf[WL_BUF_T], fi, 1.0, hW);
        if (nd->has_bias) col_sum(H, n, fo, beta, r->gw + nd->off_b, r->accumulate);
    }
    if (want_in) {
        wl_net_gemm(0, 0, n, fi, fo, s, G, fo, W, fi, 1.0, in->buf[WL_BUF_G]);
        wl_net_gemm(0, 0, n, fi, fo, s, H, fo, W, fi, 1.0, in->buf[WL_BUF_H]);
        wl_net_gemm(0, 0, n, fi, fo, s, G, fo, V, fi, 1.0, in->buf[WL_BUF_H]);
    }
}

int wl_op_dense(wl_net *net, wl_node *nd, int pass) {
    if (pass == WL_PASS_FWD)
        dense_forward(net, nd);
    else
        dense_backward(net, nd);
    return WL_OK;
}
