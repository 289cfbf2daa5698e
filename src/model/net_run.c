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
                                                   "network adjoint tangents",
                                                   "network activation slopes"};
    if (n == 0) n = 1;
    for (int b = 0; b < WL_BUF_COUNT; b++) {
        if (!(mask & (1u << b))) continue;
        size_t tw = b == WL_BUF_D ? net->act_width : net->total_width;
        if (net->cap_rows[b] < n) {
            size_t cap = n > 2 * net->cap_rows[b] ? n : 2 * net->cap_rows[b];
            if (tw && cap > ((size_t)-1 / sizeof(double)) / tw)
                return wl_seterr(WL_ENOMEM, "net: workspace for %zu rows overflows", cap);
            double *p = wl_dalloc(tw ? cap * tw : 1, what[b]);
            if (!p) return WL_ENOMEM;
            free(net->ws[b]);
            net->ws[b] = p;
            net->cap_rows[b] = cap;
        }
        /* node k's block: n x width at ws + cap * (sum of earlier widths) */
        size_t off = 0;
        for (size_t i = 0; i < net->n_nodes; i++) {
            net->nodes[i].buf[b] = net->ws[b] + net->cap_rows[b] * off;
            off += wl_node_cols(&net->nodes[i], b);
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
    unsigned mask = (1u << WL_BUF_A) | (1u << WL_BUF_D);
    if (order >= 1) mask |= 1u << WL_BUF_T;
    if (order >= 2) mask |= 1u << WL_BUF_S;
    net->fwd_valid = 0;
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
    net->fwd_valid = 1;
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

int wl_net_backward_pass(wl_net *net, const wl_mat *G, double *gw, int order, int xgrad,
                         int accumulate) {
    unsigned mask = 1u << WL_BUF_G;
    if (order == 1) mask |= 1u << WL_BUF_H;
    size_t n = net->run.n;
    int rc = wl_net_reserve(net, n, mask);
    if (rc) return rc;
    net->run.gw = gw;
    net->run.order = order;
    net->run.xgrad = xgrad;
    net->run.accumulate = accumulate;
    for (size_t i = 0; i <= net->output; i++) {
        wl_node *nd = &net->nodes[i];
        memset(nd->buf[WL_BUF_G], 0, n * nd->width * sizeof(double));
        if (order == 1) memset(nd->buf[WL_BUF_H], 0, n * nd->width * sizeof(double));
    }
    /* parameters of nodes past the output do not move f */
    for (size_t i = net->output + 1; gw && !accumulate && i < net->n_nodes; i++) {
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

/* ---- wl_model operations, over row chunks -------------------------------------- */

size_t wl_net_chunk(const wl_net *net) {
    if (net->chunk_rows) return net->chunk_rows;
    size_t r = WL_NET_CHUNK_BYTES / (sizeof(double) * (net->total_width ? net->total_width : 1));
    return r < 256 ? 256 : r;
}

/* One evaluation: forward pass of order fwd, then (bwd >= 0) a backward pass
 * of order bwd from G into gw, and out (n x cols) filled from buffer out_buf
 * of node out_node; all over chunks of rows, gw accumulating across them. */
typedef struct job {
    const double *w, *v;
    const wl_mat *X, *G;
    double *gw;
    int fwd, bwd, xgrad;
    wl_mat *out;
    size_t out_node;
    int out_buf;
} job;

static int run_job(wl_net *net, const job *j) {
    size_t n = j->X->rows, c = wl_net_chunk(net);
    int rc = WL_OK;
    for (size_t r0 = 0; !rc && (r0 == 0 || r0 < n); r0 += c) {
        size_t nr = n - r0 < c ? n - r0 : c;
        wl_mat Xc = wl_mat_rows(j->X, r0, nr);
        rc = wl_net_forward_pass(net, j->w, j->v, &Xc, j->fwd);
        if (!rc && j->bwd >= 0) {
            wl_mat Gc = wl_mat_rows(j->G, r0, nr);
            rc = wl_net_backward_pass(net, &Gc, j->gw, j->bwd, j->xgrad, r0 > 0);
        }
        if (!rc && j->out) {
            wl_mat Oc = wl_mat_rows(j->out, r0, nr);
            copy_rows(net->nodes[j->out_node].buf[j->out_buf], &Oc, nr, Oc.cols, 0);
        }
    }
    /* several chunks: only the last one's values are in place */
    net->last_chunked = n > c;
    if (net->last_chunked) {
        net->fwd_valid = 0;
        net->last_X = *j->X;
        net->last_w = j->w;
    }
    return rc;
}

static int net_forward(wl_model *m, const double *w, const wl_mat *X, wl_mat *F) {
    wl_net *net = (wl_net *)m;
    job j = {w, NULL, X, NULL, NULL, 0, -1, 0, F, net->output, WL_BUF_A};
    return run_job(net, &j);
}

static int net_vjp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G, double *gw) {
    job j = {w, NULL, X, G, gw, 0, 0, 0, NULL, 0, 0};
    return run_job((wl_net *)m, &j);
}

static int net_jvp(wl_model *m, const double *w, const wl_mat *X, const double *v, wl_mat *JV) {
    wl_net *net = (wl_net *)m;
    job j = {w, v, X, NULL, NULL, 1, -1, 0, JV, net->output, WL_BUF_T};
    return run_job(net, &j);
}

static int net_jvp2(wl_model *m, const double *w, const wl_mat *X, const double *v, wl_mat *Q) {
    wl_net *net = (wl_net *)m;
    job j = {w, v, X, NULL, NULL, 2, -1, 0, Q, net->output, WL_BUF_S};
    return run_job(net, &j);
}

static int net_hvp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G,
                   const double *v, double *hv) {
    job j = {w, v, X, G, hv, 1, 1, 0, NULL, 0, 0};
    return run_job((wl_net *)m, &j);
}

static int net_xvjp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G, wl_mat *GX) {
    wl_net *net = (wl_net *)m;
    job j = {w, NULL, X, G, NULL, 0, 0, 1, GX, net->input, WL_BUF_G};
    return run_job(net, &j);
}

/* The backward pass alone, from the values of the last forward pass (or, when
 * that batch took several chunks, the whole vjp again on the same w and X). */
int wl_net_vjp_last(wl_model *m, const wl_mat *G, double *gw) {
    if (!m || m->ops != &wl_net_ops)
        return wl_seterr(WL_EUNSUP, "vjp_last: only networks keep their forward pass");
    wl_net *net = (wl_net *)m;
    size_t rows = net->last_chunked ? net->last_X.rows : net->run.n;
    if (!net->fwd_valid && !net->last_chunked)
        return wl_seterr(WL_EINVAL, "vjp_last: no forward pass to continue from on this handle");
    if (G->rows != rows || G->cols != m->n_out)
        return wl_seterr(WL_EINVAL, "vjp_last: G is %zu x %zu, the last forward pass was %zu x %zu",
                         G->rows, G->cols, rows, m->n_out);
    if (net->last_chunked) return net_vjp(m, net->last_w, &net->last_X, G, gw);
    return wl_net_backward_pass(net, G, gw, 0, 0, 0);
}

int wl_net_set_chunk_rows(wl_model *m, size_t rows) {
    if (!m || m->ops != &wl_net_ops)
        return wl_seterr(WL_EUNSUP, "set_chunk_rows: the model is not a network");
    ((wl_net *)m)->chunk_rows = rows;
    return WL_OK;
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
