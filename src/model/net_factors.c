/* Layer-wise tangent-kernel factors of a network (THEORY.md section 1):
 * for dense layer l with z_l = s_l W_l a_{l-1} + beta_l b_l,
 *   df_c(x)/dW_l = b_lc(x) (s_l a_{l-1}(x))^T,   df_c(x)/db_l = beta_l b_lc(x),
 * b_lc = df_c/dz_l, so
 *   K(x, x') = sum_l <A_l(x), A_l(x')> sum_c <B_lc(x), B_lc(x')> + beta_l^2 sum_c <B_lc(x), B_lc(x')>.
 * One forward pass, then one backward pass per requested output with
 * G = e_c (the same output for every row). */
#include "net_impl.h"

#include <stdlib.h>
#include <string.h>

static int check_mat(const wl_mat *M, size_t rows, size_t cols, const char *what, size_t l,
                     size_t j) {
    if (!M->data || M->rows != rows || M->cols != cols || M->ld < cols)
        return wl_seterr(WL_EINVAL, "ntk_factors: %s[%zu] (output %zu) is %zu x %zu, expected %zu x %zu",
                         what, l, j, M->rows, M->cols, rows, cols);
    return WL_OK;
}

/* M (rows x cols, any ld) = c Y (rows x cols, ld cols); Y = NULL: M = 0 */
static void copy_scaled(wl_mat *M, const double *Y, size_t rows, size_t cols, double c) {
    for (size_t i = 0; i < rows; i++) {
        double *dst = M->data + i * M->ld;
        if (!Y) {
            memset(dst, 0, cols * sizeof *dst);
            continue;
        }
        const double *src = Y + i * cols;
        for (size_t j = 0; j < cols; j++) dst[j] = c * src[j];
    }
}

static int check_args(wl_net *net, const wl_mat *X, const size_t *outs, size_t n_outs,
                      const wl_mat *A, const wl_mat *B) {
    size_t n = X->rows;
    if (X->cols != net->base.n_in)
        return wl_seterr(WL_EINVAL, "ntk_factors: inputs have %zu features, the network takes %zu",
                         X->cols, net->base.n_in);
    if (n_outs && !outs) return wl_seterr(WL_EINVAL, "ntk_factors: outs is NULL");
    for (size_t j = 0; j < n_outs; j++)
        if (outs[j] >= net->base.n_out)
            return wl_seterr(WL_EINVAL, "ntk_factors: output %zu of a network with %zu outputs",
                             outs[j], net->base.n_out);
    size_t l = 0;
    for (size_t i = 0; i < net->n_nodes; i++) {
        const wl_node *nd = &net->nodes[i];
        if (nd->type != WL_NODE_DENSE) continue;
        int rc = A ? check_mat(&A[l], n, nd->fan_in, "A", l, 0) : WL_OK;
        for (size_t j = 0; !rc && B && j < n_outs; j++)
            rc = check_mat(&B[l * n_outs + j], n, nd->width, "B", l, j);
        if (rc) return rc;
        l++;
    }
    return WL_OK;
}

/* Factors of the rows of one chunk Xc into the row views A_c, B_c. */
static int factors_chunk(wl_net *net, const double *w, const wl_mat *Xc, const size_t *outs,
                         size_t n_outs, wl_mat *Ac, wl_mat *Bc, wl_mat *E) {
    size_t n = Xc->rows;
    int rc = wl_net_forward_pass(net, w, NULL, Xc, 0);
    if (rc) return rc;
    /* A_l = s_l a_{l-1} */
    for (size_t i = 0, l = 0; Ac && i < net->n_nodes; i++) {
        const wl_node *nd = &net->nodes[i];
        if (nd->type != WL_NODE_DENSE) continue;
        if (i > net->output) /* layers past the output do not move f */
            copy_scaled(&Ac[l++], NULL, n, nd->fan_in, 0.0);
        else
            copy_scaled(&Ac[l++], net->nodes[nd->in[0]].buf[WL_BUF_A], n, nd->fan_in, nd->wscale);
    }
    if (!Bc || !n_outs) return WL_OK;
    /* B_lj = df_c/dz_l: one backward pass from G = e_c in every row */
    E->rows = n;
    for (size_t j = 0; j < n_outs && !rc; j++) {
        wl_mat_zero(E);
        for (size_t i = 0; i < n; i++) WL_AT(E, i, outs[j]) = 1.0;
        rc = wl_net_backward_pass(net, E, NULL, 0, 0, 0);
        for (size_t i = 0, l = 0; !rc && i < net->n_nodes; i++) {
            const wl_node *nd = &net->nodes[i];
            if (nd->type != WL_NODE_DENSE) continue;
            copy_scaled(&Bc[l++ * n_outs + j], i <= net->output ? nd->buf[WL_BUF_G] : NULL, n,
                        nd->width, 1.0);
        }
    }
    return rc;
}

int wl_net_ntk_factors(wl_model *m, const double *w, const wl_mat *X, const size_t *outs,
                       size_t n_outs, wl_mat *A, wl_mat *B) {
    if (!m || m->ops != &wl_net_ops)
        return wl_seterr(WL_EUNSUP, "ntk_factors: layer factors exist only for networks, not a %s model",
                         m ? m->kind : "NULL");
    wl_net *net = (wl_net *)m;
    int rc = check_args(net, X, outs, n_outs, A, B);
    if (rc) return rc;
    size_t n = X->rows, c = wl_net_chunk(net), L = wl_net_dense_count(m), nb = L * n_outs;
    size_t cap = n < c ? (n ? n : 1) : c;
    wl_mat E = {0}, *Ac = NULL, *Bc = NULL;
    rc = wl_mat_alloc(&E, cap, m->n_out);
    if (!rc && A && !(Ac = wl_calloc(L ? L : 1, sizeof *Ac, "factor views"))) rc = WL_ENOMEM;
    if (!rc && B && !(Bc = wl_calloc(nb ? nb : 1, sizeof *Bc, "factor views"))) rc = WL_ENOMEM;
    for (size_t r0 = 0; !rc && (r0 == 0 || r0 < n); r0 += c) {
        size_t nr = n - r0 < c ? n - r0 : c;
        wl_mat Xc = wl_mat_rows(X, r0, nr);
        for (size_t l = 0; Ac && l < L; l++) Ac[l] = wl_mat_rows(&A[l], r0, nr);
        for (size_t b = 0; Bc && b < nb; b++) Bc[b] = wl_mat_rows(&B[b], r0, nr);
        rc = factors_chunk(net, w, &Xc, outs, n_outs, Ac, Bc, &E);
    }
    net->last_chunked = n > c;
    if (net->last_chunked) {
        net->fwd_valid = 0;
        net->last_X = *X;
        net->last_w = w;
    }
    E.rows = cap;
    wl_mat_free(&E);
    free(Ac);
    free(Bc);
    return rc;
}
