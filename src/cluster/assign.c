/* Assignment through BLAS and the centre update.
 *
 * D(x, c) = phi(x) - phi(c) - <grad phi(c), x> + <grad phi(c), c>
 *         = phi(x) - (<g_c, x> + b_c),   b_c = phi(c) - <g_c, c>,
 * so argmin_c D(x, c) = argmax_c of the row of S = X G^T + 1 b^T (one gemm).
 * The same pass over X adds each row into its new cluster's sum, so a Lloyd
 * step streams X from memory once. */
#include "cluster/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Below this many doubles of work a loop runs on one thread: on small inputs
 * the fork and barrier cost more than the loop. */
#define WL_CL_PAR_MIN ((size_t)1 << 16)

int wl_cl_phi_rows(const wl_div *div, const wl_mat *X, double *phix) {
    size_t n = X->rows, d = X->cols;
    if (div->kind == WL_DIV_CUSTOM) { /* user callbacks: called from one thread */
        for (size_t i = 0; i < n; i++) phix[i] = wl_div_phi(div, &WL_AT(X, i, 0), d);
    } else {
#pragma omp parallel for schedule(static) if (n * d > WL_CL_PAR_MIN)
        for (long i = 0; i < (long)n; i++) phix[i] = wl_div_phi(div, &WL_AT(X, i, 0), d);
    }
    for (size_t i = 0; i < n; i++)
        if (!isfinite(phix[i]))
            return wl_seterr(WL_ENUMERIC, "phi(row %zu) = %g is not finite", i, phix[i]);
    return WL_OK;
}

int wl_cl_centre_consts(const wl_div *div, const wl_mat *C, wl_mat *G, double *b) {
    size_t k = C->rows, d = C->cols;
    for (size_t h = 0; h < k; h++) {
        const double *c = &WL_AT(C, h, 0);
        double *g = &WL_AT(G, h, 0);
        for (size_t j = 0; j < d; j++) {
            const char *why;
            if (!wl_div_in_domain(div, c[j], &why))
                return wl_seterr(WL_ENUMERIC, "centre %zu, column %zu = %.17g left the domain "
                                              "of '%s' (%s)", h, j, c[j], div->name, why);
        }
        wl_div_grad(div, c, d, g);
        b[h] = wl_div_phi(div, c, d) - wl_dot(d, g, c);
        if (!isfinite(b[h]) || !wl_all_finite(d, g))
            return wl_seterr(WL_ENUMERIC, "centre %zu: phi or grad phi not finite", h);
    }
    return WL_OK;
}

void wl_cl_plan_make(size_t n, size_t k, size_t d, wl_cl_plan *p) {
    size_t kd = k * d > 0 ? k * d : 1, max_chunks = ((size_t)1 << 24) / kd; /* sums <= 16M doubles */
    if (max_chunks == 0) max_chunks = 1;
    p->chunk = 256;
    if ((n + p->chunk - 1) / p->chunk > max_chunks) p->chunk = (n + max_chunks - 1) / max_chunks;
    p->nchunks = n ? (n + p->chunk - 1) / p->chunk : 1;
    /* as many rows per gemm as 2M scores allow: each block costs one BLAS call
     * and one parallel region, and their synchronisation dominates on loaded
     * machines */
    size_t per = ((size_t)1 << 21) / (k ? k * p->chunk : 1);
    p->block = per < 1 ? 1 : per;
}

/* Rows [r0, r1) of a block whose scores S^T (k x nb) start at row b0:
 * labels = argmax_h S_hi + b_h, dmin = phix - max (clamped at 0), and the
 * chunk's per-cluster sums of x into acc (k x d) when acc != NULL. */
static size_t chunk_pass(const wl_mat *X, const double *phix, const double *S, size_t nb,
                         size_t b0, size_t r0, size_t r1, const double *b, size_t k,
                         int *labels, double *dmin, double *acc) {
    size_t d = X->cols, ch = 0;
    if (acc) memset(acc, 0, k * d * sizeof *acc);
    for (size_t i = r0; i < r1; i++) {
        const double *s = S + (i - b0);
        size_t best = 0;
        double bv = s[0] + b[0];
        for (size_t h = 1; h < k; h++) {
            double v = s[h * nb] + b[h];
            if (v > bv) bv = v, best = h;
        }
        double dv = phix[i] - bv;
        dmin[i] = dv > 0.0 ? dv : 0.0; /* rounding can make a zero slightly negative */
        ch += labels[i] != (int)best;
        labels[i] = (int)best;
        if (acc) {
            const double *restrict x = &WL_AT(X, i, 0);
            double *restrict a = acc + best * d;
            for (size_t j = 0; j < d; j++) a[j] += x[j];
        }
    }
    return ch;
}

int wl_cl_assign_hard(const wl_mat *X, const double *phix, const wl_mat *G, const double *b,
                      const wl_cl_plan *p, double *Z, int *labels, double *dmin, double *obj,
                      size_t *changed, double *sums) {
    size_t n = X->rows, k = G->rows, kd = k * X->cols, ch = 0, rows = p->chunk * p->block;
    for (size_t b0 = 0; b0 < n; b0 += rows) {
        size_t nb = n - b0 < rows ? n - b0 : rows, c0 = b0 / p->chunk;
        size_t nc = (nb + p->chunk - 1) / p->chunk;
        wl_mat Xb = wl_mat_rows(X, b0, nb), S = wl_mat_view(Z, k, nb);
        /* S^T = G X_b^T: k x nb (X_b streams through once, in its own layout) */
        int rc = wl_cl_gemm_det(0, 1, G, &Xb, &S);
        if (rc) return rc;
#pragma omp parallel for schedule(static, 1) reduction(+ : ch) if (nb * X->cols > WL_CL_PAR_MIN)
        for (long c = 0; c < (long)nc; c++) {
            size_t r0 = b0 + (size_t)c * p->chunk, r1 = r0 + p->chunk < b0 + nb ? r0 + p->chunk : b0 + nb;
            ch += chunk_pass(X, phix, Z, nb, b0, r0, r1, b, k, labels, dmin,
                             sums ? sums + (c0 + (size_t)c) * kd : NULL);
        }
    }
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += dmin[i];
    *obj = n ? s / (double)n : 0.0;
    if (changed) *changed = ch;
    return isfinite(*obj) ? WL_OK : wl_seterr(WL_ENUMERIC, "assignment: objective is %g", *obj);
}

/* C_h = (sum over chunks, in order, of the chunk sums) / counts_h; clusters
 * with no row keep their centre. Bits independent of the thread count. */
void wl_cl_means_from_sums(const double *sums, size_t nchunks, const size_t *counts,
                           wl_mat *C) {
    size_t k = C->rows, d = C->cols, kd = k * d;
    /* small reductions run on one thread: a barrier costs more than the sums */
#pragma omp parallel for schedule(static) if (nchunks * kd > ((size_t)1 << 22))
    for (long e = 0; e < (long)kd; e++) {
        size_t h = (size_t)e / d;
        if (!counts[h]) continue;
        double s = 0.0;
        for (size_t c = 0; c < nchunks; c++) s += sums[c * kd + (size_t)e];
        C->data[h * C->ld + (size_t)e % d] = s / (double)counts[h];
    }
}

/* sum_{i in rows [r0, r1), label(i) = h} x_i into acc (k x d, zeroed first) */
static void chunk_sums(const wl_mat *X, const int *labels, size_t r0, size_t r1, double *acc,
                       size_t k) {
    size_t d = X->cols;
    memset(acc, 0, k * d * sizeof *acc);
    for (size_t i = r0; i < r1; i++) {
        const double *restrict x = &WL_AT(X, i, 0);
        double *restrict a = acc + (size_t)labels[i] * d;
        for (size_t j = 0; j < d; j++) a[j] += x[j];
    }
}

int wl_cl_update_means(const wl_mat *X, const int *labels, wl_mat *C, size_t *counts) {
    size_t n = X->rows, d = X->cols, k = C->rows;
    wl_cl_plan p;
    wl_cl_plan_make(n, k, d, &p);
    double *acc = wl_dalloc(p.nchunks * k * d, "cluster sums");
    if (!acc) return WL_ENOMEM;
    memset(counts, 0, k * sizeof *counts);
    for (size_t i = 0; i < n; i++) counts[labels[i]]++;
#pragma omp parallel for schedule(dynamic, 1) if (n * d > WL_CL_PAR_MIN)
    for (long c = 0; c < (long)p.nchunks; c++) {
        size_t r0 = (size_t)c * p.chunk, r1 = r0 + p.chunk < n ? r0 + p.chunk : n;
        chunk_sums(X, labels, r0 < n ? r0 : n, r1, acc + (size_t)c * k * d, k);
    }
    wl_cl_means_from_sums(acc, p.nchunks, counts, C);
    free(acc);
    return WL_OK;
}

int wl_cluster_assign(const wl_div *div, const wl_mat *X, const wl_mat *C, int *labels,
                      double *dmin, double *objective) {
    if (!div || !X || !C || !labels)
        return wl_seterr(WL_EINVAL, "wl_cluster_assign: NULL argument");
    if (C->cols != X->cols || C->rows == 0)
        return wl_seterr(WL_EINVAL, "wl_cluster_assign: X is %zu x %zu, centres %zu x %zu",
                         X->rows, X->cols, C->rows, C->cols);
    size_t n = X->rows, d = X->cols, k = C->rows;
    wl_cl_plan p;
    wl_cl_plan_make(n, k, d, &p);
    int rc = WL_ENOMEM;
    double *phix = wl_dalloc(n, "phi(x)"), *b = wl_dalloc(k, "centre constants");
    double *dm = dmin ? dmin : wl_dalloc(n, "divergences");
    double *Z = wl_dalloc(k * p.chunk * p.block, "scores");
    wl_mat G = {0};
    if (!phix || !b || !dm || !Z || wl_mat_alloc(&G, k, d)) goto done;
    double obj;
    for (size_t i = 0; i < n; i++) labels[i] = -1;
    if ((rc = wl_cl_phi_rows(div, X, phix)) || (rc = wl_cl_centre_consts(div, C, &G, b)) ||
        (rc = wl_cl_assign_hard(X, phix, &G, b, &p, Z, labels, dm, &obj, NULL, NULL)))
        goto done;
    if (objective) *objective = obj;
done:
    free(phix);
    free(b);
    if (dm != dmin) free(dm);
    wl_mat_free(&G);
    free(Z);
    return rc;
}
