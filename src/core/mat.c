/* Row-major matrix views and thin, shape-checked BLAS/LAPACK wrappers. */
#include "widelab/core.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

wl_mat wl_mat_view(double *data, size_t rows, size_t cols) {
    wl_mat m = {data, rows, cols, cols};
    return m;
}

wl_mat wl_mat_rows(const wl_mat *m, size_t r0, size_t nr) {
    wl_mat v = {m->data + r0 * m->ld, nr, m->cols, m->ld};
    return v;
}

int wl_mat_alloc(wl_mat *m, size_t rows, size_t cols) {
    m->rows = rows;
    m->cols = cols;
    m->ld = cols;
    m->data = wl_dalloc(rows * cols, "matrix");
    if (!m->data && rows && cols) {
        char b[32];
        return wl_seterr(WL_ENOMEM, "out of memory allocating a %zu x %zu matrix (%s)", rows,
                         cols, wl_fmt_bytes(8.0 * (double)rows * (double)cols, b, sizeof b));
    }
    return WL_OK;
}

void wl_mat_free(wl_mat *m) {
    if (!m) return;
    free(m->data);
    m->data = NULL;
    m->rows = m->cols = m->ld = 0;
}

int wl_mat_copy(wl_mat *dst, const wl_mat *src) {
    if (dst->rows != src->rows || dst->cols != src->cols)
        return wl_seterr(WL_EINVAL, "copy: shape %zu x %zu into %zu x %zu", src->rows,
                         src->cols, dst->rows, dst->cols);
    for (size_t i = 0; i < src->rows; i++)
        memmove(dst->data + i * dst->ld, src->data + i * src->ld, src->cols * sizeof(double));
    return WL_OK;
}

void wl_mat_zero(wl_mat *m) {
    for (size_t i = 0; i < m->rows; i++) memset(m->data + i * m->ld, 0, m->cols * sizeof(double));
}

double wl_mat_fro(const wl_mat *m) {
    double s = 0.0;
    for (size_t i = 0; i < m->rows; i++) {
        double r = cblas_dnrm2((int)m->cols, m->data + i * m->ld, 1);
        s += r * r;
    }
    return sqrt(s);
}

static CBLAS_TRANSPOSE tr(int t) { return t ? CblasTrans : CblasNoTrans; }

/* C (m x n) = alpha op(A) (m x k) op(B) (k x n) + beta C */
int wl_gemm(int transA, int transB, double alpha, const wl_mat *A, const wl_mat *B,
            double beta, wl_mat *C) {
    size_t m = transA ? A->cols : A->rows, k = transA ? A->rows : A->cols;
    size_t kb = transB ? B->cols : B->rows, n = transB ? B->rows : B->cols;
    if (k != kb || C->rows != m || C->cols != n)
        return wl_seterr(WL_EINVAL,
                         "gemm: op(A) is %zu x %zu, op(B) is %zu x %zu, C is %zu x %zu", m, k,
                         kb, n, C->rows, C->cols);
    if (m == 0 || n == 0) return WL_OK;
    if (k == 0) {
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++) WL_AT(C, i, j) *= beta;
        return WL_OK;
    }
    cblas_dgemm(CblasRowMajor, tr(transA), tr(transB), (int)m, (int)n, (int)k, alpha, A->data,
                (int)A->ld, B->data, (int)B->ld, beta, C->data, (int)C->ld);
    return WL_OK;
}

/* y = alpha op(A) x + beta y */
int wl_gemv(int transA, double alpha, const wl_mat *A, const double *x, double beta,
            double *y) {
    if (A->rows == 0 || A->cols == 0) {
        size_t ny = transA ? A->cols : A->rows;
        for (size_t i = 0; i < ny; i++) y[i] *= beta;
        return WL_OK;
    }
    cblas_dgemv(CblasRowMajor, tr(transA), (int)A->rows, (int)A->cols, alpha, A->data,
                (int)A->ld, x, 1, beta, y, 1);
    return WL_OK;
}

/* C = alpha A A^T + beta C (trans 0) or alpha A^T A + beta C (trans 1) */
int wl_syrk(int trans, double alpha, const wl_mat *A, double beta, wl_mat *C) {
    size_t n = trans ? A->cols : A->rows, k = trans ? A->rows : A->cols;
    if (C->rows != n || C->cols != n)
        return wl_seterr(WL_EINVAL, "syrk: result is %zu x %zu, C is %zu x %zu", n, n, C->rows,
                         C->cols);
    if (n == 0) return WL_OK;
    if (k == 0) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) WL_AT(C, i, j) *= beta;
        return WL_OK;
    }
    cblas_dsyrk(CblasRowMajor, CblasUpper, tr(trans), (int)n, (int)k, alpha, A->data,
                (int)A->ld, beta, C->data, (int)C->ld);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) WL_AT(C, i, j) = WL_AT(C, j, i);
    return WL_OK;
}

static int check_square(const wl_mat *A, const char *who) {
    if (A->rows != A->cols)
        return wl_seterr(WL_EINVAL, "%s: matrix is %zu x %zu, not square", who, A->rows,
                         A->cols);
    if (!wl_all_finite(A->rows * A->ld - (A->rows ? A->ld - A->cols : 0), A->data))
        return wl_seterr(WL_ENUMERIC, "%s: matrix has NaN or Inf entries", who);
    return WL_OK;
}

int wl_eigh(wl_mat *A, double *w, int vectors) {
    int rc = check_square(A, "eigh");
    if (rc) return rc;
    if (A->rows == 0) return WL_OK;
    lapack_int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, vectors ? 'V' : 'N', 'U', (lapack_int)A->rows,
                                     A->data, (lapack_int)A->ld, w);
    if (info < 0) return wl_seterr(WL_EINVAL, "eigh: LAPACK dsyevd argument %d invalid", (int)-info);
    if (info > 0)
        return wl_seterr(WL_ENOCONV, "eigh: LAPACK dsyevd failed to converge (%d)", (int)info);
    return WL_OK;
}

int wl_cholesky(wl_mat *A) {
    int rc = check_square(A, "cholesky");
    if (rc) return rc;
    if (A->rows == 0) return WL_OK;
    lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)A->rows, A->data, (lapack_int)A->ld);
    if (info > 0)
        return wl_seterr(WL_ENUMERIC,
                         "cholesky: matrix is not positive definite (leading minor %d)",
                         (int)info);
    if (info < 0) return wl_seterr(WL_EINVAL, "cholesky: LAPACK argument %d invalid", (int)-info);
    for (size_t i = 0; i < A->rows; i++)
        for (size_t j = i + 1; j < A->cols; j++) WL_AT(A, i, j) = 0.0;
    return WL_OK;
}

int wl_chol_solve(const wl_mat *L, wl_mat *B) {
    if (L->rows != L->cols || B->rows != L->rows)
        return wl_seterr(WL_EINVAL, "chol_solve: L is %zu x %zu, B is %zu x %zu", L->rows,
                         L->cols, B->rows, B->cols);
    if (L->rows == 0 || B->cols == 0) return WL_OK;
    lapack_int info = LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', (lapack_int)L->rows, (lapack_int)B->cols,
                                     L->data, (lapack_int)L->ld, B->data, (lapack_int)B->ld);
    if (info) return wl_seterr(WL_EINVAL, "chol_solve: LAPACK dpotrs returned %d", (int)info);
    return WL_OK;
}

int wl_svd(wl_mat *A, wl_mat *U, double *s, wl_mat *Vt) {
    size_t m = A->rows, n = A->cols, r = m < n ? m : n;
    if ((U && (U->rows != m || U->cols != r)) || (Vt && (Vt->rows != r || Vt->cols != n)))
        return wl_seterr(WL_EINVAL, "svd: A is %zu x %zu; U must be %zu x %zu, Vt %zu x %zu", m,
                         n, m, r, r, n);
    if (!wl_all_finite(m * n, A->data) && A->ld == n)
        return wl_seterr(WL_ENUMERIC, "svd: matrix has NaN or Inf entries");
    if (r == 0) return WL_OK;
    char job = (U || Vt) ? 'S' : 'N';
    double *ub = NULL, *vb = NULL;
    int rc = WL_OK;
    if (job == 'S') {
        ub = U ? NULL : wl_dalloc(m * r, "svd U");
        vb = Vt ? NULL : wl_dalloc(r * n, "svd Vt");
        if ((!U && !ub) || (!Vt && !vb)) {
            rc = WL_ENOMEM;
            goto done;
        }
    }
    double *up = U ? U->data : ub, *vp = Vt ? Vt->data : vb;
    lapack_int ldu = U ? (lapack_int)U->ld : (lapack_int)r, ldv = Vt ? (lapack_int)Vt->ld : (lapack_int)n;
    double dummy = 0.0;
    /* values only: U and Vt are not referenced, but LAPACKE still checks
       their leading dimensions against the row-major shapes (r, n) */
    lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, job, (lapack_int)m, (lapack_int)n, A->data,
                                     (lapack_int)A->ld, s, up ? up : &dummy,
                                     job == 'S' ? ldu : (lapack_int)r, vp ? vp : &dummy,
                                     job == 'S' ? ldv : (lapack_int)n);
    if (info > 0) rc = wl_seterr(WL_ENOCONV, "svd: LAPACK dgesdd did not converge (%d)", (int)info);
    else if (info < 0) rc = wl_seterr(WL_EINVAL, "svd: LAPACK dgesdd argument %d invalid", (int)-info);
done:
    free(ub);
    free(vb);
    return rc;
}

double wl_dot(size_t n, const double *x, const double *y) {
    return n ? cblas_ddot((int)n, x, 1, y, 1) : 0.0;
}
double wl_nrm2(size_t n, const double *x) { return n ? cblas_dnrm2((int)n, x, 1) : 0.0; }
void wl_axpy(size_t n, double a, const double *x, double *y) {
    if (n) cblas_daxpy((int)n, a, x, 1, y, 1);
}
void wl_scal(size_t n, double a, double *x) {
    if (n) cblas_dscal((int)n, a, x, 1);
}

int wl_all_finite(size_t n, const double *x) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}
