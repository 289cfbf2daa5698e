/* The structured (layer-wise) kernel of a network: no Jacobian is formed.
 * For dense layer l with scaled input A_l (n x fan_in) and back-propagated
 * B_lc = df_c/dz_l (n x fan_out), bias scale beta_l:
 *   K_trace = sum_l (A_l A_l^T + beta_l^2) o (sum_c B_lc B_lc^T)
 *   K_full[(i,c),(j,c')] = sum_l (A_l A_l^T + beta_l^2)_ij <B_lc(x_i), B_lc'(x_j)>
 * B_l is stored t x (k fan_out) (row i = [B_l0(i) ... B_l(k-1)(i)]), which is
 * also the (t k) x fan_out matrix of the full kernel: one gemm per layer. */
#include "ntk_internal.h"
#include "widelab/net.h"

#include <stdlib.h>
#include <string.h>

/* factors of a range of points: per layer A (rows x fi) and B (rows x k fo) */
typedef struct fset {
    size_t rows;
    double **A, **B;
} fset;

typedef struct layers {
    size_t L, k;
    size_t *fi, *fo, *outs;
    double *beta;
    fset f1, f2; /* cached factors of X1 and X2 (f2 unused when sym) */
} layers;

typedef struct st_scratch {
    fset a, b;         /* uncached factors of a row tile and a column tile */
    double *Ga, *Gb;   /* t x t and (t k) x (t k) Gram scratch */
    wl_mat *Av, *Bv;   /* L and L k views handed to wl_net_ntk_factors */
    size_t L;
    size_t a_i0, a_ni; /* points of X1 held in a (a_ni = 0: none) */
} st_scratch;

int wl_ntk_structured_ok(const wl_model *m) { return m && wl_net_dense_count(m) > 0; }

double wl_ntk_structured_point_doubles(const wl_model *m) {
    size_t L = m ? wl_net_dense_count(m) : 0;
    double f = 0.0;
    for (size_t l = 0; l < L; l++) {
        size_t fi = 0, fo = 0;
        double b = 0;
        if (wl_net_dense_info(m, l, &fi, &fo, &b) == WL_OK)
            f += (double)fi + (double)m->n_out * (double)fo;
    }
    return f;
}

static void fset_free(fset *s, size_t L) {
    for (size_t l = 0; s->A && l < L; l++) {
        free(s->A[l]);
        free(s->B[l]);
    }
    free(s->A);
    free(s->B);
    memset(s, 0, sizeof *s);
}

static int fset_alloc(fset *s, const layers *ly, size_t rows) {
    s->rows = rows;
    s->A = wl_calloc(ly->L, sizeof(double *), "layer factors");
    s->B = wl_calloc(ly->L, sizeof(double *), "layer factors");
    if (!s->A || !s->B) return WL_ENOMEM;
    for (size_t l = 0; l < ly->L; l++) {
        s->A[l] = wl_dalloc(rows * ly->fi[l], "layer inputs A_l");
        s->B[l] = wl_dalloc(rows * ly->k * ly->fo[l], "back-propagated B_l");
        if (!s->A[l] || !s->B[l]) return WL_ENOMEM;
    }
    return WL_OK;
}

/* rows r0.. of s <- factors of points i0..i0+ni of X */
static int fset_fill(const layers *ly, wl_model *m, const double *w, const wl_mat *X,
                     size_t i0, size_t ni, fset *s, size_t r0, st_scratch *sc) {
    size_t k = ly->k;
    for (size_t l = 0; l < ly->L; l++) {
        size_t fi = ly->fi[l], fo = ly->fo[l];
        wl_mat a = {s->A[l] + r0 * fi, ni, fi, fi};
        sc->Av[l] = a;
        for (size_t c = 0; c < k; c++) {
            wl_mat b = {s->B[l] + r0 * k * fo + c * fo, ni, fo, k * fo};
            sc->Bv[l * k + c] = b;
        }
    }
    wl_mat Xi = wl_mat_rows(X, i0, ni);
    int rc = wl_net_ntk_factors(m, w, &Xi, ly->outs, k, sc->Av, sc->Bv);
    return rc ? wl_adderr(rc, "ntk (structured): factors of points %zu..%zu", i0, i0 + ni)
              : WL_OK;
}

static void layers_free(layers *ly) {
    fset_free(&ly->f1, ly->L);
    fset_free(&ly->f2, ly->L);
    free(ly->fi);
    free(ly->fo);
    free(ly->outs);
    free(ly->beta);
    free(ly);
}

static int layers_new(ntk_job *j, layers **out) {
    layers *ly = wl_calloc(1, sizeof *ly, "layer table");
    if (!ly) return WL_ENOMEM;
    ly->L = wl_net_dense_count(j->m);
    ly->k = j->k;
    ly->fi = wl_calloc(ly->L, sizeof(size_t), "layer table");
    ly->fo = wl_calloc(ly->L, sizeof(size_t), "layer table");
    ly->beta = wl_dalloc(ly->L, "layer table");
    ly->outs = wl_calloc(ly->k, sizeof(size_t), "layer table");
    int rc = ly->fi && ly->fo && ly->beta && ly->outs ? WL_OK : WL_ENOMEM;
    for (size_t l = 0; !rc && l < ly->L; l++)
        rc = wl_net_dense_info(j->m, l, &ly->fi[l], &ly->fo[l], &ly->beta[l]);
    for (size_t c = 0; !rc && c < ly->k; c++) ly->outs[c] = c;
    if (rc) {
        layers_free(ly);
        return rc;
    }
    *out = ly;
    return WL_OK;
}

/* cached factors: task t < b1 is a tile of X1, else a tile of X2 */
static int cache_task(ntk_job *j, ntk_thread *t, size_t task, void *arg) {
    layers *ly = arg;
    size_t tile = j->plan.tile, b1 = (j->X1->rows + tile - 1) / tile;
    int second = task >= b1;
    const wl_mat *X = second ? j->X2 : j->X1;
    size_t i0 = (second ? task - b1 : task) * tile;
    size_t ni = X->rows - i0 < tile ? X->rows - i0 : tile;
    return fset_fill(ly, t->m, j->w, X, i0, ni, second ? &ly->f2 : &ly->f1, i0, t->scratch);
}

static int st_prepare(ntk_job *j, ntk_thread *th, int nth) {
    layers *ly;
    int rc = layers_new(j, &ly);
    if (rc) return rc;
    j->shared = ly;
    if (!j->plan.cache || j->mode == WL_NTK_DIAG) return WL_OK;
    rc = fset_alloc(&ly->f1, ly, j->X1->rows);
    if (!rc && !j->sym) rc = fset_alloc(&ly->f2, ly, j->X2->rows);
    if (rc) return rc;
    size_t tile = j->plan.tile, b1 = (j->X1->rows + tile - 1) / tile;
    size_t b2 = j->sym ? 0 : (j->X2->rows + tile - 1) / tile;
    return wl_ntk_parallel_for(j, th, nth, b1 + b2, cache_task, ly);
}

static void st_cleanup(ntk_job *j) {
    if (j->shared) layers_free(j->shared);
    j->shared = NULL;
}

static int st_thread_init(ntk_job *j, ntk_thread *t) {
    st_scratch *s = wl_calloc(1, sizeof *s, "structured scratch");
    if (!s) return WL_ENOMEM;
    t->scratch = s;
    size_t L = wl_net_dense_count(j->m), tl = j->plan.tile, tk = tl * j->ku;
    s->L = L;
    s->Av = wl_calloc(L, sizeof(wl_mat), "factor views");
    s->Bv = wl_calloc(L * j->k, sizeof(wl_mat), "factor views");
    if (!s->Av || !s->Bv) return WL_ENOMEM;
    if (j->mode != WL_NTK_DIAG) {
        s->Ga = wl_dalloc(tl * tl, "Gram scratch");
        s->Gb = wl_dalloc(tk * tk, "Gram scratch");
        if (!s->Ga || !s->Gb) return WL_ENOMEM;
    }
    return WL_OK;
}

static void st_thread_free(ntk_thread *t) {
    st_scratch *s = t->scratch;
    fset_free(&s->a, s->L);
    fset_free(&s->b, s->L);
    free(s->Av);
    free(s->Bv);
    free(s->Ga);
    free(s->Gb);
    free(s);
    t->scratch = NULL;
}

/* rows of a factor set as matrices: A_l rows r0.. (n x fi), B_l (n x k fo) */
static wl_mat rowsA(const fset *f, const layers *ly, size_t l, size_t r0, size_t n) {
    wl_mat a = {f->A[l] + r0 * ly->fi[l], n, ly->fi[l], ly->fi[l]};
    return a;
}
static wl_mat rowsB(const fset *f, const layers *ly, size_t l, size_t r0, size_t n, int full) {
    size_t w = ly->k * ly->fo[l];
    wl_mat b = {f->B[l] + r0 * w, full ? n * ly->k : n, full ? ly->fo[l] : w,
                full ? ly->fo[l] : w};
    return b;
}

/* factor sets and row offsets for tiles I (of X1) and J (of X2) */
static int tile_factors(ntk_job *j, ntk_thread *t, size_t i0, size_t ni, size_t j0, size_t nj,
                        const fset **f1, size_t *r1, const fset **f2, size_t *r2) {
    layers *ly = j->shared;
    st_scratch *s = t->scratch;
    if (j->plan.cache) {
        *f1 = &ly->f1;
        *r1 = i0;
        *f2 = j->sym ? &ly->f1 : &ly->f2;
        *r2 = j0;
        return WL_OK;
    }
    if (!s->a.A) {
        int rc = fset_alloc(&s->a, ly, j->plan.tile);
        if (!rc) rc = fset_alloc(&s->b, ly, j->plan.tile);
        if (rc) return rc;
    }
    int rc = WL_OK;
    if (s->a_ni != ni || s->a_i0 != i0) { /* tiles come row by row: keep the row tile */
        s->a_ni = 0;
        rc = fset_fill(ly, t->m, j->w, j->X1, i0, ni, &s->a, 0, s);
        if (!rc) s->a_i0 = i0, s->a_ni = ni;
    }
    *f1 = &s->a;
    *r1 = 0;
    if (rc || (j->sym && i0 == j0)) {
        *f2 = &s->a;
        *r2 = 0;
        return rc;
    }
    *f2 = &s->b;
    *r2 = 0;
    return fset_fill(ly, t->m, j->w, j->X2, j0, nj, &s->b, 0, s);
}

static int st_block(ntk_job *j, ntk_thread *t, size_t i0, size_t ni, size_t j0, size_t nj,
                    double *out) {
    layers *ly = j->shared;
    st_scratch *s = t->scratch;
    const fset *f1, *f2;
    size_t r1, r2;
    int rc = tile_factors(j, t, i0, ni, j0, nj, &f1, &r1, &f2, &r2);
    if (rc) return rc;
    int full = j->mode == WL_NTK_FULL, same = j->sym && i0 == j0;
    size_t k = ly->k, ldo = nj * j->ku;
    memset(out, 0, ni * j->ku * ldo * sizeof *out);
    for (size_t l = 0; l < ly->L && !rc; l++) {
        wl_mat A1 = rowsA(f1, ly, l, r1, ni), A2 = rowsA(f2, ly, l, r2, nj);
        wl_mat B1 = rowsB(f1, ly, l, r1, ni, full), B2 = rowsB(f2, ly, l, r2, nj, full);
        wl_mat Ga = wl_mat_view(s->Ga, ni, nj);
        wl_mat Gb = wl_mat_view(s->Gb, B1.rows, B2.rows);
        /* Ga = A1 A2^T (ni x nj), Gb = B1 B2^T */
        rc = same ? wl_syrk(0, 1.0, &A1, 0.0, &Ga) : wl_gemm(0, 1, 1.0, &A1, &A2, 0.0, &Ga);
        if (!rc) rc = same ? wl_syrk(0, 1.0, &B1, 0.0, &Gb) : wl_gemm(0, 1, 1.0, &B1, &B2, 0.0, &Gb);
        double b2 = ly->beta[l] * ly->beta[l];
        /* out += (Ga + beta^2) o Gb (Gb entries (i k + c, j k + c') in full mode) */
        for (size_t i = 0; !rc && i < ni; i++)
            for (size_t jj = 0; jj < nj; jj++) {
                double g = s->Ga[i * nj + jj] + b2;
                if (!full) {
                    out[i * ldo + jj] += g * s->Gb[i * nj + jj];
                    continue;
                }
                for (size_t c = 0; c < k; c++) {
                    const double *gb = s->Gb + (i * k + c) * ldo + jj * k;
                    double *o = out + (i * k + c) * ldo + jj * k;
                    for (size_t c2 = 0; c2 < k; c2++) o[c2] += g * gb[c2];
                }
            }
    }
    return rc;
}

/* diag: out_ic = sum_l (|A_l(i)|^2 + beta_l^2) |B_lc(i)|^2 */
static int st_diag(ntk_job *j, ntk_thread *t, size_t i0, size_t ni, double *out) {
    layers *ly = j->shared;
    st_scratch *s = t->scratch;
    if (!s->a.A) {
        int rc = fset_alloc(&s->a, ly, j->plan.tile);
        if (rc) return rc;
    }
    s->a_ni = 0;
    int rc = fset_fill(ly, t->m, j->w, j->X1, i0, ni, &s->a, 0, s);
    if (rc) return rc;
    size_t k = ly->k;
    memset(out, 0, ni * k * sizeof *out);
    for (size_t l = 0; l < ly->L; l++) {
        size_t fi = ly->fi[l], fo = ly->fo[l];
        double b2 = ly->beta[l] * ly->beta[l];
        for (size_t i = 0; i < ni; i++) {
            double a = wl_nrm2(fi, s->a.A[l] + i * fi);
            for (size_t c = 0; c < k; c++) {
                double b = wl_nrm2(fo, s->a.B[l] + (i * k + c) * fo);
                out[i * k + c] += (a * a + b2) * b * b;
            }
        }
    }
    return WL_OK;
}

const ntk_method wl_ntk_structured_method = {
    st_prepare, st_thread_init, st_block, st_diag, st_thread_free, st_cleanup,
};
