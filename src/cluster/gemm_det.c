/* gemm whose bits do not depend on the BLAS thread count.
 * OpenBLAS blocks the inner dimension differently when it runs threaded
 * (60000 x 784 times 784 x 10 differs in the last bits between 1 and 2
 * threads), so the inner dimension is cut here into fixed slices of at most
 * WL_CL_KSLICE and the slice products are added in order:
 *   C = sum_s op(A)[:, s] op(B)[s, :]   (beta = 0 for the first slice, 1 after). */
#include "cluster/internal.h"

#define WL_CL_KSLICE 256

/* Columns [j0, j0 + nc) of m as a view. */
static wl_mat cols_view(const wl_mat *m, size_t j0, size_t nc) {
    wl_mat v = {m->data + j0, m->rows, nc, m->ld};
    return v;
}

int wl_cl_gemm_det(int transA, int transB, const wl_mat *A, const wl_mat *B, wl_mat *C) {
    size_t kdim = transA ? A->rows : A->cols;
    if (kdim == 0) return wl_gemm(transA, transB, 1.0, A, B, 0.0, C);
    for (size_t s = 0; s < kdim; s += WL_CL_KSLICE) {
        size_t len = kdim - s < WL_CL_KSLICE ? kdim - s : WL_CL_KSLICE;
        wl_mat As = transA ? wl_mat_rows(A, s, len) : cols_view(A, s, len);
        wl_mat Bs = transB ? cols_view(B, s, len) : wl_mat_rows(B, s, len);
        int rc = wl_gemm(transA, transB, 1.0, &As, &Bs, s ? 1.0 : 0.0, C);
        if (rc) return rc;
    }
    return WL_OK;
}
