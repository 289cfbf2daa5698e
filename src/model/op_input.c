/* Input op: a = x. X: n x d (any leading dimension) copied into the node's
 * value; its tangents are zero (x does not depend on w). Its adjoint, when
 * asked for (xvjp), is read by the driver after the backward pass. */
#include "net_impl.h"

#include <string.h>

int wl_op_input(wl_net *net, wl_node *nd, int pass, const wl_mat *X) {
    if (pass != WL_PASS_FWD) return WL_OK; /* nothing flows further back */
    size_t n = net->run.n, d = nd->width;
    double *A = nd->buf[WL_BUF_A];
    if (X->ld == d)
        memcpy(A, X->data, n * d * sizeof *A);
    else
        for (size_t i = 0; i < n; i++) memcpy(A + i * d, X->data + i * X->ld, d * sizeof *A);
    if (net->run.order >= 1) memset(nd->buf[WL_BUF_T], 0, n * d * sizeof(double));
    if (net->run.order >= 2) memset(nd->buf[WL_BUF_S], 0, n * d * sizeof(double));
    return WL_OK;
}
