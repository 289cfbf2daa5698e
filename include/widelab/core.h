/* widelab core: error codes, per-thread messages, RNG, matrix views,
 * BLAS/LAPACK wrappers, threads, atomic file output, version.
 *
 *   wl_rng r; wl_rng_seed(&r, 42);
 *   wl_mat A; if (wl_mat_alloc(&A, 3, 4) != WL_OK) puts(wl_errmsg());
 *   WL_AT(&A, 1, 2) = wl_rng_normal(&r);
 *   wl_mat_free(&A);
 */
#ifndef WIDELAB_CORE_H
#define WIDELAB_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ------------------------------------------------------------ */

/* Every fallible function returns one of these; WL_OK is 0. */
enum {
    WL_OK = 0,
    WL_EINVAL,   /* bad argument or option value (shape mismatch, unknown name) */
    WL_ENOMEM,   /* allocation failed or request larger than allowed memory */
    WL_EIO,      /* file could not be opened, read or written */
    WL_EFORMAT,  /* file contents malformed (bad magic, truncated, bad cell) */
    WL_ENUMERIC, /* NaN/Inf or a numerically singular problem */
    WL_ENOCONV,  /* an iterative method did not converge */
    WL_EUNSUP    /* the operation is not supported for this object */
};

/* Message of the last error set on this thread ("" if none). */
const char *wl_errmsg(void);
/* Code of the last error set on this thread. */
int wl_errcode(void);
/* Short name of a code: "WL_EINVAL", ... */
const char *wl_strerror(int code);
/* Sets this thread's error message (printf format) and returns code. */
int wl_seterr(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Prefixes the current message with "prefix: " (context while unwinding). */
int wl_adderr(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void wl_clearerr(void);

/* Library version, "MAJOR.MINOR.PATCH". */
const char *wl_version(void);

/* ---- memory ------------------------------------------------------------ */

/* malloc/calloc that set WL_ENOMEM with the size and purpose on failure. */
void *wl_malloc(size_t bytes, const char *what);
void *wl_calloc(size_t count, size_t size, const char *what);
/* Allocates count doubles, zeroed; NULL + WL_ENOMEM on failure or overflow. */
double *wl_dalloc(size_t count, const char *what);
/* Human-readable byte count into buf ("1.5 GiB"); returns buf. */
const char *wl_fmt_bytes(double bytes, char *buf, size_t cap);

/* ---- random numbers (xoshiro256**) -------------------------------------- */

/* Plain value type: copy it to fork a stream, or use wl_rng_split. */
typedef struct wl_rng {
    uint64_t s[4];
    double spare;    /* cached second normal deviate of Box-Muller */
    int has_spare;
} wl_rng;

void wl_rng_seed(wl_rng *r, uint64_t seed);
/* Child stream number `stream` of r, a pure function of (r's state, stream):
 * r is not advanced, so work item i always gets the same numbers whatever the
 * thread count. */
wl_rng wl_rng_split(const wl_rng *r, uint64_t stream);
uint64_t wl_rng_u64(wl_rng *r);
/* Uniform on [0, 1) with 53 random bits. */
double wl_rng_uniform(wl_rng *r);
/* Uniform integer in [0, n), unbiased; n > 0. */
uint64_t wl_rng_below(wl_rng *r, uint64_t n);
/* Standard normal N(0, 1). */
double wl_rng_normal(wl_rng *r);
/* x[i] = mean + sd * N(0,1), i < n. */
void wl_rng_normal_fill(wl_rng *r, double *x, size_t n, double mean, double sd);
/* perm = uniformly random permutation of 0..n-1 (Fisher-Yates). */
void wl_rng_permutation(wl_rng *r, size_t *perm, size_t n);
/* out[0..k) = k distinct indices from 0..n-1, uniformly, in random order. */
int wl_rng_sample(wl_rng *r, size_t n, size_t k, size_t *out);

/* ---- matrices (row-major views) ------------------------------------------ */

/* A rows x cols matrix; element (i, j) at data[i * ld + j], ld >= cols.
 * A view does not own its data; wl_mat_alloc'd matrices own it. */
typedef struct wl_mat {
    double *data;
    size_t rows, cols, ld;
} wl_mat;

#define WL_AT(m, i, j) ((m)->data[(size_t)(i) * (m)->ld + (size_t)(j)])

/* View of an existing contiguous row-major block. */
wl_mat wl_mat_view(double *data, size_t rows, size_t cols);
/* Rows [r0, r0 + nr) of m as a view. */
wl_mat wl_mat_rows(const wl_mat *m, size_t r0, size_t nr);
/* Allocates a zeroed rows x cols matrix (ld = cols). */
int wl_mat_alloc(wl_mat *m, size_t rows, size_t cols);
void wl_mat_free(wl_mat *m);
/* dst = src (same shape). */
int wl_mat_copy(wl_mat *dst, const wl_mat *src);
void wl_mat_zero(wl_mat *m);
/* Frobenius norm. */
double wl_mat_fro(const wl_mat *m);

/* ---- BLAS / LAPACK wrappers (shapes checked, errors as codes) ------------ */

/* C = alpha op(A) op(B) + beta C, op(X) = X or X^T (trans flag 0/1). */
int wl_gemm(int transA, int transB, double alpha, const wl_mat *A,
            const wl_mat *B, double beta, wl_mat *C);
/* y = alpha op(A) x + beta y. */
int wl_gemv(int transA, double alpha, const wl_mat *A, const double *x,
            double beta, double *y);
/* C = alpha A A^T + beta C (trans = 0) or alpha A^T A + beta C (trans = 1);
 * both triangles of C are filled. */
int wl_syrk(int trans, double alpha, const wl_mat *A, double beta, wl_mat *C);
/* Symmetric eigendecomposition: A (n x n) is overwritten by the eigenvectors
 * (column j is the eigenvector of w[j]); w ascending. vectors = 0 keeps only
 * the eigenvalues (A is destroyed). */
int wl_eigh(wl_mat *A, double *w, int vectors);
/* Cholesky A = L L^T in place (lower triangle holds L, upper zeroed).
 * WL_ENUMERIC if A is not positive definite. */
int wl_cholesky(wl_mat *A);
/* Solves L L^T X = B in place of B, with L from wl_cholesky. */
int wl_chol_solve(const wl_mat *L, wl_mat *B);
/* Thin SVD A = U diag(s) Vt; A (m x n) destroyed; U m x r, s r, Vt r x n,
 * r = min(m, n). U or Vt may be NULL when not wanted. */
int wl_svd(wl_mat *A, wl_mat *U, double *s, wl_mat *Vt);

/* Vector helpers. */
double wl_dot(size_t n, const double *x, const double *y);
double wl_nrm2(size_t n, const double *x);
void wl_axpy(size_t n, double a, const double *x, double *y);
void wl_scal(size_t n, double a, double *x);
/* 1 if every entry is finite. */
int wl_all_finite(size_t n, const double *x);

/* ---- threads -------------------------------------------------------------- */

/* Sets the thread count for OpenMP loops and BLAS (0 = all cores). */
void wl_set_threads(int n);
int wl_get_threads(void);

/* ---- files ---------------------------------------------------------------- */

/* Atomic output: write to a temporary file next to `path`, then rename.
 * wl_out_open returns a FILE* for writing; wl_out_commit flushes, closes and
 * renames onto path; wl_out_abort closes and deletes the temporary. */
typedef struct wl_out {
    FILE *f;
    char path[4096];
    char tmp[4096];
} wl_out;
int wl_out_open(wl_out *o, const char *path);
int wl_out_commit(wl_out *o);
void wl_out_abort(wl_out *o);
/* Creates a directory and its parents (mkdir -p). */
int wl_mkdirs(const char *path);

/* Wall clock in seconds (monotonic). */
double wl_time(void);

#ifdef __cplusplus
}
#endif
#endif
