/* Evaluating a network: workspace, forward and backward passes over the DAG,
 * and the wl_model operations built from them:
 *   forward = pass(order 0);  jvp = pass(order 1);  jvp2 = pass(order 2);
 *   vjp = pass(0) + back(0);  hvp = pass(1) + back(1) (forward-over-reverse);
 *   xvjp = pass(0) + back(0) keeping the input's adjoint. */
#include "net_impl.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

void wl_net_gemm(int tA, int tB, size_t M, size_t N, size_t K, double alpha, const double *A,
                 size_t lda, const double *B, size_t ldb, double beta, double *C) {
    if (M == 0 || N == 0) return;
    cblas_dgemm(CblasRowMajor, tA ? CblasTrans : CblasNoTrans, tB ? CblasTrans : CblasNoTrans,
                (int)M, (int)N, (int)K, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)N);
}

int wl_net_reserve(wl_net *net, size_t n, unsigned mask) {
    static const char *const what[WL_BUF_COUNT] = {"network values", "network tangents",
                                                   "network second tangents", "network adjoints",
                                                   "network adjoint tangents"};
    if (n == 0) n = 1;
    for (int b = 0; b < WL_BUF_COUNT; b++) {
        if (!(mask & (1u << b))) continue;
        if (net->cap_rows[b] < n) {
            size_t cap = n > 2 * net->cap_rows[b] ? n : 2 * net->cap_rows[b];
            if (net->total_width && cap > ((size_t)-1 / sizeof(double)) / net->total_width)
                return wl_seterr(WL_ENOMEM, "net: workspace for %zu rows overflows", cap);
            double *p = wl_dalloc(cap * net->total_width, what[b]);
            if (!p) return WL_ENOMEM;
            free(net->ws[b]);
            net->ws[b] = p;
            net->cap_rows[b] = cap;
        }
        /* node k's block: n x width at ws + cap * (sum of earlier widths) */
        size_t off = 0;
        for (size_t i = 0; i < net->n_nodes; i++) {
            net->nodes[i].buf[b] = net->ws[b] + net->cap_rows[b] * off;
            off += net->nodes[i].width;
        }
    }
    return WL_OK;
}

static int run_op(wl_net *net, wl_node *nd, int pass, const wl_mat *X) {
    switch (nd->type) {
    case WL_NODE_INPUT: return wl_op_input(net, nd, pass, X);
    case WL_NODE_DENSE: return wl_op_dense(net, nd, pass);
    case WL_NODE_ACT: return wl_op_act(net, nd, pass);
    case WL_NODE_ADD: return wl_op_add(net, nd, pass);
    case WL_NODE_CONCAT: return wl_op_concat(net, nd, pass);
    case WL_NODE_SCALE: return wl_op_scale(net, nd, pass);
    default: return wl_seterr(WL_EINVAL, "net: node of unknown type %d", nd->type);
    }
}

int wl_net_forward_pass(wl_net *net, const double *w, const double *v, const wl_mat *X,
                        int order) {
    unsigned mask = 1u << WL_BUF_A;
    if (order >= 1) mask |= 1u << WL_BUF_T;
    if (order >= 2) mask |= 1u << WL_BUF_S;
    int rc = wl_net_reserve(net, X->rows, mask);
    if (rc) return rc;
    net->run.n = X->rows;
    net->run.w = w;
    net->run.v = v;
    net->run.gw = NULL;
    net->run.order = order;
    net->run.xgrad = 0;
    for (size_t i = 0; i <= net->output; i++) {
        rc = run_op(net, &net->nodes[i], WL_PASS_FWD, X);
        if (rc) return rc;
    }
    return WL_OK;
}

/* Copies Y (n x k, ld k) into M (n x k, any ld), or back when to_buf. */
static void copy_rows(double *Y, wl_mat *M, size_t n, size_t k, int to_buf) {
    for (size_t i = 0; i < n; i++) {
        if (to_buf)
            memcpy(Y + i * k, M->data + i * M->ld, k * sizeof *Y);
        else
            memcpy(M->data + i * M->ld, Y + i * k, k * sizeof *Y);
    }
}

int wl_net_backward_pass(wl_net *net, const wl_mat *G, double *gw, int order, int xgrad) {
    unsigned mask = 1u << WL_BUF_G;
    if (order == 1) mask |= 1u << WL_BUF_H;
    size_t n = net->run.n;
    int rc = wl_net_reserve(net, n, mask);
    if (rc) return rc;
    net->run.gw = gw;
    net->run.order = order;
    net->run.xgrad = xgrad;
    for (size_t i = 0; i <= net->output; i++) {
        wl_node *nd = &net->nodes[i];
        memset(nd->buf[WL_BUF_G], 0, n * nd->width * sizeof(double));
        if (order == 1) memset(nd->buf[WL_BUF_H], 0, n * nd->width * sizeof(double));
    }
    /* parameters of nodes past the output do not move f */
    for (size_t i = net->output + 1; gw && i < net->n_nodes; i++) {
        const wl_node *nd = &net->nodes[i];
        if (nd->type == WL_NODE_DENSE)
            memset(gw + nd->off_w, 0,
                   (nd->width * nd->fan_in + (nd->has_bias ? nd->width : 0)) * sizeof(double));
    }
    wl_node *out = &net->nodes[net->output];
    copy_rows(out->buf[WL_BUF_G], (wl_mat *)G, n, out->width, 1);
    for (size_t i = net->output + 1; i-- > 0;) {
        rc = run_op(net, &net->nodes[i], WL_PASS_BWD, NULL);
        if (rc) return rc;
    }
    return WL_OK;
}

/* ---- wl_model operations ----------------------------------------------------- */

static int net_forward(wl_model *m, const double *w, const wl_mat *X, wl_mat *F) {
    wl_net *net = (wl_net *)m;
    int rc = wl_net_forward_pass(net, w, NULL, X, 0);
    if (!rc) copy_rows(net->nodes[net->output].buf[WL_BUF_A], F, X->rows, m->n_out, 0);
    return rc;
}

static int net_vjp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G, double *gw) {
    wl_net *net = (wl_net *)m;
    int rc = wl_net_forward_pass(net, w, NULL, X, 0);
    return rc ? rc : wl_net_backward_pass(net, G, gw, 0, 0);
}

static int net_jvp(wl_model *m, const double *w, const wl_mat *X, const double *v, wl_mat *JV) {
    wl_net *net = (wl_net *)m;
    int rc = wl_net_forward_pass(net, w, v, X, 1);
    if (!rc) copy_rows(net->nodes[net->output].buf[WL_BUF_T], JV, X->rows, m->n_out, 0);
    return rc;
}

static int net_jvp2(wl_model *m, const double *w, const wl_mat *X, const double *v, wl_mat *Q) {
    wl_net *net = (wl_net *)m;
    int rc = wl_net_forward_pass(net, w, v, X, 2);
    if (!rc) copy_rows(net->nodes[net->output].buf[WL_BUF_S], Q, X->rows, m->n_out, 0);
    return rc;
}

static int net_hvp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G,
                   const double *v, double *hv) {
    wl_net *net = (wl_net *)m;
    int rc = wl_net_forward_pass(net, w, v, X, 1);
    return rc ? rc : wl_net_backward_pass(net, G, hv, 1, 0);
}

static int net_xvjp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G, wl_mat *GX) {
    wl_net *net = (wl_net *)m;
    int rc = wl_net_forward_pass(net, w, NULL, X, 0);
    if (!rc) rc = wl_net_backward_pass(net, G, NULL, 0, 1);
    if (!rc) copy_rows(net->nodes[net->input].buf[WL_BUF_G], GX, X->rows, m->n_in, 0);
    return rc;
}

const wl_model_ops wl_net_ops = {
    .forward = net_forward,
    .vjp = net_vjp,
    .jvp = net_jvp,
    .jvp2 = net_jvp2,
    .hvp = net_hvp,
    .xvjp = net_xvjp,
    .init = wl_net_init_params,
    .clone = wl_net_clone_model,
    .free = wl_net_free_model,
};
