/* Internal pieces of the empirical tangent kernel: the tile engine and the
 * per-method kernels it drives (not part of the public API). */
#ifndef WL_NTK_INTERNAL_H
#define WL_NTK_INTERNAL_H

#include "widelab/kernel.h"

/* One computation: model, points, mode and the plan. */
typedef struct ntk_job {
    wl_model *m;
    const double *w;
    const wl_mat *X1, *X2; /* X2 == X1 when sym */
    int sym;
    wl_ntk_mode mode;
    size_t k;  /* outputs */
    size_t ku; /* result rows per point: k for FULL, 1 otherwise */
    wl_ntk_plan plan;
    void *shared; /* method data shared by the threads (read-only in blocks) */
} ntk_job;

/* Per-thread state: its own model (a clone, except thread 0) and scratch. */
typedef struct ntk_thread {
    wl_model *m;
    int id;
    void *scratch;
    double *blk, *blkT; /* result block and its transpose (tile ku)^2 each */
} ntk_thread;

/* A method: all entries return WL_OK or an error code with the message set. */
typedef struct ntk_method {
    /* shared setup; may call ntk_parallel_for (e.g. cached factors) */
    int (*prepare)(ntk_job *j, ntk_thread *th, int nth);
    int (*thread_init)(ntk_job *j, ntk_thread *t);
    /* out: (ni ku) x (nj ku), row-major with ld = nj ku: rows i0.., cols j0.. */
    int (*block)(ntk_job *j, ntk_thread *t, size_t i0, size_t ni, size_t j0, size_t nj,
                 double *out);
    /* out: ni x k, row-major: |J_ic|^2 for rows i0.. of X1 */
    int (*diag)(ntk_job *j, ntk_thread *t, size_t i0, size_t ni, double *out);
    void (*thread_free)(ntk_thread *t);
    void (*cleanup)(ntk_job *j);
} ntk_method;

extern const ntk_method wl_ntk_jacobian_method;
extern const ntk_method wl_ntk_ntkvp_method;
extern const ntk_method wl_ntk_structured_method;

/* Bytes of per-thread scratch and of shared data for a method at tile t. */
double wl_ntk_jacobian_bytes(const wl_model *m, size_t t, size_t ku);
double wl_ntk_ntkvp_bytes(const wl_model *m, size_t t, size_t ku);
/* per point factor doubles of a network (0 if m is not a network) */
double wl_ntk_structured_point_doubles(const wl_model *m);
int wl_ntk_structured_ok(const wl_model *m);

/* Runs fn(job, thread, task) for task in [0, ntasks) on the job's threads:
 * OpenMP over tasks with single-threaded BLAS (WL_NTK_PAR_TILES) or in order
 * with threaded BLAS on thread 0 (WL_NTK_PAR_BLAS). First error wins. */
typedef int (*ntk_task_fn)(ntk_job *j, ntk_thread *t, size_t task, void *arg);
int wl_ntk_parallel_for(ntk_job *j, ntk_thread *th, int nth, size_t ntasks, ntk_task_fn fn,
                        void *arg);

/* Physical memory in bytes (sysconf), or 8 GiB if unknown. */
double wl_ntk_phys_bytes(void);

/* Minimal .npy writer for a 2-D float64 array written block by block at any
 * position (the file is created at its full size, then filled). */
typedef struct ntk_npy {
    wl_out out;
    size_t rows, cols;
    long header;
} ntk_npy;
int wl_ntk_npy_open(ntk_npy *f, const char *path, size_t rows, size_t cols);
/* Writes a nr x nc block (ld) at (r0, c0). Not thread-safe: callers serialize. */
int wl_ntk_npy_put(ntk_npy *f, size_t r0, size_t c0, size_t nr, size_t nc, const double *blk,
                   size_t ld);
int wl_ntk_npy_commit(ntk_npy *f);
void wl_ntk_npy_abort(ntk_npy *f);

/* One-hot G (1 x k, e_c) helper and single-row view of X. */
wl_mat wl_ntk_row(const wl_mat *X, size_t i);

#endif
