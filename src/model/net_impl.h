/* Internals of the network model: nodes, per-batch workspace, op functions.
 *
 * A network is a list of nodes in topological order (every input of a node
 * was added before it). Each node holds, for the current batch of n rows,
 *   a: value a (n x width)          t: tangent a' along v (jvp, hvp)
 *   s: second derivative a'' (jvp2) g: adjoint dL/da (vjp, hvp)
 *   h: adjoint tangent (dL/da)' along v (hvp, forward-over-reverse)
 *   d: activations only: sigma'(z) kept by the forward pass for the backward
 * all row-major with leading dimension width. An op is one function holding
 * all its modes (kann-style): pass WL_PASS_FWD computes a (and t when
 * run.order >= 1, s when run.order >= 2); pass WL_PASS_BWD adds the node's
 * adjoint into its inputs' adjoints and writes its parameter gradient (and,
 * when run.order == 1, the tangents of both: the hvp).
 */
#ifndef WL_NET_IMPL_H
#define WL_NET_IMPL_H

#include "widelab/net.h"

enum { WL_NODE_INPUT, WL_NODE_DENSE, WL_NODE_ACT, WL_NODE_ADD, WL_NODE_CONCAT, WL_NODE_SCALE };
enum { WL_PASS_FWD, WL_PASS_BWD };
enum { WL_BUF_A, WL_BUF_T, WL_BUF_S, WL_BUF_G, WL_BUF_H, WL_BUF_D, WL_BUF_COUNT };

typedef struct wl_node {
    int type;
    size_t width;
    size_t n_in, *in;      /* input node ids */
    size_t module;         /* index in the state_dict naming ("0.weight") */
    /* dense */
    size_t fan_in, off_w, off_b;
    int has_bias;
    double wscale;         /* s: 1/sqrt(fan_in) (NTK) or 1 (STD) */
    double bscale;         /* beta (NTK) or 1 (STD) */
    double init_sd;        /* weight init standard deviation */
    double bias_sd;        /* bias init standard deviation */
    /* act */
    int act;
    double slope, gain;    /* a = gain * sigma(z) */
    int csigma;
    /* add, scale */
    double scale;
    /* workspace views (n x width) */
    double *buf[WL_BUF_COUNT];
} wl_node;

/* State of one evaluation. */
typedef struct wl_netrun {
    size_t n;              /* batch rows */
    const double *w;       /* parameters */
    const double *v;       /* direction (order >= 1) */
    double *gw;            /* parameter gradient / hvp output (NULL: not wanted) */
    int order;             /* forward: 0 value, 1 + tangent, 2 + second; backward: 0 vjp, 1 hvp */
    int xgrad;             /* backward: also the adjoint of the input node */
    int accumulate;        /* backward: add into gw (a later row chunk) instead of writing */
} wl_netrun;

struct wl_net {
    wl_model base;         /* first member: a wl_model* is a wl_net* */
    int param;
    int finished;
    size_t n_nodes, cap_nodes;
    wl_node *nodes;
    size_t input, output;
    int has_input, has_output;
    size_t total_width;    /* sum of node widths */
    size_t act_width;      /* sum of activation node widths (buffer d) */
    int fwd_valid;         /* the values of the last forward pass are in place */
    size_t chunk_rows;     /* rows per pass (0: automatic, WL_NET_CHUNK_BYTES) */
    wl_mat last_X;         /* the last batch and parameters, for wl_net_vjp_last */
    const double *last_w;  /*   when that batch took several chunks */
    int last_chunked;
    size_t cap_rows[WL_BUF_COUNT];
    double *ws[WL_BUF_COUNT];
    wl_netrun run;
};

/* Op functions: all modes of one op. */
int wl_op_input(wl_net *net, wl_node *nd, int pass, const wl_mat *X);
int wl_op_dense(wl_net *net, wl_node *nd, int pass);
int wl_op_act(wl_net *net, wl_node *nd, int pass);
int wl_op_add(wl_net *net, wl_node *nd, int pass);
int wl_op_concat(wl_net *net, wl_node *nd, int pass);
int wl_op_scale(wl_net *net, wl_node *nd, int pass);

/* Evaluation driver (net_run.c). */
/* Makes room for n rows in the buffers named by mask (1 << WL_BUF_*). */
int wl_net_reserve(wl_net *net, size_t n, unsigned mask);
/* Forward pass of the given order over the whole DAG. */
int wl_net_forward_pass(wl_net *net, const double *w, const double *v, const wl_mat *X,
                        int order);
/* Backward pass: output adjoint G (n x k), gw as in wl_netrun (may be NULL);
 * accumulate adds into gw. */
int wl_net_backward_pass(wl_net *net, const wl_mat *G, double *gw, int order, int xgrad,
                         int accumulate);
/* Rows per pass: batches are processed in chunks of this many rows so that
 * the workspace stays near WL_NET_CHUNK_BYTES per buffer kind. */
size_t wl_net_chunk(const wl_net *net);
#define WL_NET_CHUNK_BYTES ((size_t)256 << 20)
extern const wl_model_ops wl_net_ops;
/* Life-cycle hooks of the ops table (net.c). */
int wl_net_init_params(wl_model *m, wl_rng *rng, double *w);
wl_model *wl_net_clone_model(const wl_model *m);
void wl_net_free_model(wl_model *m);
/* C (M x N, ld N) = alpha op(A) op(B) + beta C, row-major, A op'd to M x K;
 * lda/ldb are the stored row lengths (BLAS dgemm). */
void wl_net_gemm(int tA, int tB, size_t M, size_t N, size_t K, double alpha, const double *A,
                 size_t lda, const double *B, size_t ldb, double beta, double *C);

/* Shared helpers for ops. */
/* Columns node nd takes in buffer kind b (d exists for activations only). */
static inline size_t wl_node_cols(const wl_node *nd, int b) {
    return b == WL_BUF_D && nd->type != WL_NODE_ACT ? 0 : nd->width;
}
static inline int wl_node_is_const(const wl_node *nd) { return nd->type == WL_NODE_INPUT; }
/* 1 if the adjoint of node nd must be accumulated in the current backward pass. */
static inline int wl_node_wants_grad(const wl_net *net, const wl_node *nd) {
    return nd->type != WL_NODE_INPUT || net->run.xgrad;
}
/* Elementwise loops go parallel (OpenMP) above this many elements, and only
 * for activations that cost a transcendental function per element: smaller
 * or cheaper loops lose more to thread wake-ups and to contention with the
 * spinning BLAS threads than they gain (measured: a tanh mlp step at batch
 * 128 on 2 shared cores ran at 0.68 of dgemm serial, 0.58 in parallel). */
#define WL_NET_PAR_MIN ((size_t)1 << 20)

#endif
