/* Empirical tangent kernel K = J1 J2^T in tiles: options, the tile loop over
 * (row tile, column tile) pairs (one triangle when X2 = X1), and the sinks that
 * put each block into memory or into a .npy file on disk. */
#include "ntk_internal.h"

#include <stdlib.h>
#include <string.h>

void wl_ntk_opts_default(wl_ntk_opts *o) {
    memset(o, 0, sizeof *o);
    o->mode = WL_NTK_TRACE;
    o->method = WL_NTK_AUTO;
    o->parallel = WL_NTK_PAR_AUTO;
}

static const char *mode_names[] = {"trace", "full", "diag"};
static const char *method_names[] = {"auto", "structured", "jacobian", "ntkvp"};

const char *wl_ntk_mode_name(wl_ntk_mode m) {
    return (unsigned)m < 3 ? mode_names[m] : "?";
}
const char *wl_ntk_method_name(wl_ntk_method m) {
    return (unsigned)m < 4 ? method_names[m] : "?";
}

int wl_ntk_mode_parse(const char *s, wl_ntk_mode *out) {
    for (int i = 0; s && i < 3; i++)
        if (strcmp(s, mode_names[i]) == 0) {
            *out = (wl_ntk_mode)i;
            return WL_OK;
        }
    return wl_seterr(WL_EINVAL, "unknown kernel mode '%s' (trace, full or diag)", s ? s : "");
}

int wl_ntk_method_parse(const char *s, wl_ntk_method *out) {
    for (int i = 0; s && i < 4; i++)
        if (strcmp(s, method_names[i]) == 0) {
            *out = (wl_ntk_method)i;
            return WL_OK;
        }
    return wl_seterr(WL_EINVAL,
                     "unknown kernel method '%s' (auto, structured, jacobian or ntkvp)",
                     s ? s : "");
}

wl_mat wl_ntk_row(const wl_mat *X, size_t i) { return wl_mat_rows(X, i, 1); }

/* ---- sinks ---- */

typedef struct sink {
    wl_mat *K;     /* in memory, or NULL */
    ntk_npy *file; /* on disk, or NULL */
} sink;

/* Stores block (r0.., c0..) of nr x nc (ld nc) into the result. */
static int sink_put(sink *s, size_t r0, size_t c0, size_t nr, size_t nc, const double *b) {
    if (s->K) {
        for (size_t r = 0; r < nr; r++)
            memcpy(&WL_AT(s->K, r0 + r, c0), b + r * nc, nc * sizeof(double));
        return WL_OK;
    }
    int rc;
#pragma omp critical(wl_ntk_disk)
    rc = wl_ntk_npy_put(s->file, r0, c0, nr, nc, b, nc);
    return rc;
}

static size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }

typedef struct tiles {
    const ntk_method *meth;
    sink *out;
    size_t t, b1, b2;
    size_t *pairs; /* 2 per task */
} tiles;

static int block_task(ntk_job *j, ntk_thread *th, size_t task, void *arg) {
    tiles *tl = arg;
    size_t I = tl->pairs[2 * task], J = tl->pairs[2 * task + 1];
    size_t i0 = I * tl->t, j0 = J * tl->t;
    size_t ni = j->X1->rows - i0 < tl->t ? j->X1->rows - i0 : tl->t;
    size_t nj = j->X2->rows - j0 < tl->t ? j->X2->rows - j0 : tl->t;
    size_t ku = j->ku, nr = ni * ku, nc = nj * ku;
    int rc = tl->meth->block(j, th, i0, ni, j0, nj, th->blk);
    if (rc) return rc;
    rc = sink_put(tl->out, i0 * ku, j0 * ku, nr, nc, th->blk);
    if (rc || !j->sym || I == J) return rc;
    /* mirror: block (J, I) = block (I, J)^T */
    for (size_t r = 0; r < nr; r++)
        for (size_t c = 0; c < nc; c++) th->blkT[c * nr + r] = th->blk[r * nc + c];
    return sink_put(tl->out, j0 * ku, i0 * ku, nc, nr, th->blkT);
}

static int diag_task(ntk_job *j, ntk_thread *th, size_t task, void *arg) {
    tiles *tl = arg;
    size_t i0 = task * tl->t, ni = j->X1->rows - i0 < tl->t ? j->X1->rows - i0 : tl->t;
    int rc = tl->meth->diag(j, th, i0, ni, th->blk);
    return rc ? rc : sink_put(tl->out, i0, 0, ni, j->k, th->blk);
}

static const ntk_method *method_of(wl_ntk_method m) {
    switch (m) {
    case WL_NTK_STRUCTURED: return &wl_ntk_structured_method;
    case WL_NTK_JACOBIAN: return &wl_ntk_jacobian_method;
    default: return &wl_ntk_ntkvp_method;
    }
}

static void threads_free(const ntk_method *meth, ntk_thread *th, int nth) {
    for (int i = 0; i < nth; i++) {
        if (th[i].scratch && meth->thread_free) meth->thread_free(&th[i]);
        if (i > 0 && th[i].m) wl_model_free(th[i].m);
        free(th[i].blk);
        free(th[i].blkT);
    }
    free(th);
}

/* thread 0 uses the caller's model, the others clones (fewer if cloning fails) */
static int threads_new(ntk_job *j, const ntk_method *meth, ntk_thread **out, int *nth) {
    int n = j->plan.threads;
    ntk_thread *th = wl_calloc((size_t)n, sizeof *th, "kernel threads");
    if (!th) return WL_ENOMEM;
    size_t bs = j->plan.tile * j->ku;
    bs = j->mode == WL_NTK_DIAG ? j->plan.tile * j->k : bs * bs;
    for (int i = 0; i < n; i++) {
        th[i].id = i;
        th[i].m = i == 0 ? j->m : wl_model_clone(j->m);
        if (!th[i].m) {
            n = i; /* run on the threads we have */
            break;
        }
        th[i].blk = wl_dalloc(bs, "kernel block");
        th[i].blkT = j->sym && j->mode != WL_NTK_DIAG ? wl_dalloc(bs, "kernel block") : NULL;
        int rc = (!th[i].blk || (j->sym && j->mode != WL_NTK_DIAG && !th[i].blkT)) ? WL_ENOMEM
                 : meth->thread_init ? meth->thread_init(j, &th[i])
                                     : WL_OK;
        if (rc) {
            threads_free(meth, th, i + 1);
            return rc;
        }
    }
    wl_clearerr();
    *out = th;
    *nth = n;
    return WL_OK;
}

static int run_tiles(ntk_job *j, const ntk_method *meth, ntk_thread *th, int nth, sink *out) {
    tiles tl = {meth, out, j->plan.tile, ceil_div(j->X1->rows, j->plan.tile),
                ceil_div(j->X2->rows, j->plan.tile), NULL};
    if (j->mode == WL_NTK_DIAG) return wl_ntk_parallel_for(j, th, nth, tl.b1, diag_task, &tl);
    size_t ntasks = j->sym ? tl.b1 * (tl.b1 + 1) / 2 : tl.b1 * tl.b2, q = 0;
    tl.pairs = wl_calloc(2 * ntasks + 1, sizeof(size_t), "tile list");
    if (!tl.pairs) return WL_ENOMEM;
    for (size_t I = 0; I < tl.b1; I++)
        for (size_t J = j->sym ? I : 0; J < tl.b2; J++) {
            tl.pairs[q++] = I;
            tl.pairs[q++] = J;
        }
    int rc = wl_ntk_parallel_for(j, th, nth, ntasks, block_task, &tl);
    free(tl.pairs);
    return rc;
}

static int check_args(const wl_model *m, const double *w, const wl_mat *X1, const wl_mat *X2,
                      const wl_ntk_opts *o) {
    if (!m || !w || !X1) return wl_seterr(WL_EINVAL, "ntk: model, parameters or X1 is NULL");
    if ((unsigned)o->mode > WL_NTK_DIAG || (unsigned)o->method > WL_NTK_NTKVP)
        return wl_seterr(WL_EINVAL, "ntk: bad mode %d or method %d", (int)o->mode,
                         (int)o->method);
    if (X1->cols != m->n_in || (X2 && X2->cols != m->n_in))
        return wl_seterr(WL_EINVAL, "ntk: inputs have %zu features, the model takes %zu",
                         X1->cols != m->n_in ? X1->cols : X2->cols, m->n_in);
    if (X1->rows == 0 || (X2 && X2->rows == 0))
        return wl_seterr(WL_EINVAL, "ntk: no points (n1 = %zu, n2 = %zu)", X1->rows,
                         X2 ? X2->rows : X1->rows);
    if (X2 && o->mode == WL_NTK_DIAG)
        return wl_seterr(WL_EINVAL, "ntk: the diag mode takes one set of points (X2 NULL)");
    return WL_OK;
}

/* prepares the result: caller's K, a new matrix, or the .npy file */
static int open_result(const wl_ntk_plan *p, const wl_ntk_opts *o, wl_mat *K, ntk_npy *f,
                       sink *s) {
    s->K = NULL;
    s->file = NULL;
    if (K->data) {
        if (K->rows != p->rows || K->cols != p->cols)
            return wl_seterr(WL_EINVAL, "ntk: K is %zu x %zu, the kernel is %zu x %zu", K->rows,
                             K->cols, p->rows, p->cols);
        s->K = K;
        return WL_OK;
    }
    if (p->to_disk) {
        int rc = wl_ntk_npy_open(f, o->out_path, p->rows, p->cols);
        if (rc) return rc;
        s->file = f;
        K->rows = p->rows;
        K->cols = p->cols;
        K->ld = p->cols;
        return WL_OK;
    }
    int rc = wl_mat_alloc(K, p->rows, p->cols);
    s->K = rc ? NULL : K;
    return rc;
}

int wl_ntk_empirical(wl_model *m, const double *w, const wl_mat *X1, const wl_mat *X2,
                     const wl_ntk_opts *opts, wl_mat *K) {
    wl_ntk_opts def;
    if (!opts) {
        wl_ntk_opts_default(&def);
        opts = &def;
    }
    if (!K) return wl_seterr(WL_EINVAL, "ntk: K is NULL");
    int rc = check_args(m, w, X1, X2, opts);
    if (rc) return rc;
    ntk_job j = {m, w, X1, X2 ? X2 : X1, X2 == NULL || X2 == X1, opts->mode, m->n_out,
                 opts->mode == WL_NTK_FULL ? m->n_out : 1, {0}, NULL};
    wl_ntk_opts o2 = *opts;
    if (K->data) o2.force_disk = 0, o2.out_path = NULL; /* caller's memory: no result cost */
    rc = wl_ntk_plan_make(m, X1->rows, j.sym ? 0 : j.X2->rows, &o2, &j.plan);
    if (rc) return rc;
    if (K->data) j.plan.to_disk = 0;
    const ntk_method *meth = method_of(j.plan.method);
    ntk_thread *th = NULL;
    int nth = 0;
    ntk_npy file;
    sink s;
    int allocated = K->data == NULL;
    rc = open_result(&j.plan, opts, K, &file, &s);
    if (rc) return rc;
    rc = threads_new(&j, meth, &th, &nth);
    if (!rc && meth->prepare) rc = meth->prepare(&j, th, nth);
    if (!rc) rc = run_tiles(&j, meth, th, nth, &s);
    if (th) threads_free(meth, th, nth);
    if (meth->cleanup) meth->cleanup(&j);
    if (s.file) {
        if (rc) wl_ntk_npy_abort(s.file);
        else rc = wl_ntk_npy_commit(s.file);
    } else if (rc && allocated) {
        wl_mat_free(K);
    }
    return rc;
}
