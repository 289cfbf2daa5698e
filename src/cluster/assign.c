/* Assignment through BLAS and the centre update.
 *
 * D(x, c) = phi(x) - phi(c) - <grad phi(c), x> + <grad phi(c), c>
 *         = phi(x) - (<g_c, x> + b_c),   b_c = phi(c) - <g_c, c>,
 * so argmin_c D(x, c) = argmax_c of the row of S = X G^T + 1 b^T (one gemm). */
#include "cluster/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int wl_cl_phi_rows(const wl_div *div, const wl_mat *X, double *phix) {
    size_t n = X->rows, d = X->cols;
    if (div->kind == WL_DIV_CUSTOM) { /* user callbacks: called from one thread */
        for (size_t i = 0; i < n; i++) phix[i] = wl_div_phi(div, &WL_AT(X, i, 0), d);
    } else {
#pragma omp parallel for schedule(static)
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

size_t wl_cl_block_rows(size_t n, size_t k) {
    size_t cap = ((size_t)1 << 21) / (k ? k : 1); /* at most ~2M scores (16 MiB) */
    if (cap < 64) cap = 64;
    return n < cap ? (n ? n : 1) : cap;
}

/* Row argmax of S (nb x k) plus b: labels, D = phix - max, changes counted. */
static void argmax_rows(const wl_mat *S, const double *b, const double *phix, int *labels,
                        double *dmin, size_t *changed) {
    size_t nb = S->rows, k = S->cols, ch = 0;
#pragma omp parallel for schedule(static) reduction(+ : ch)
    for (long i = 0; i < (long)nb; i++) {
        const double *s = &WL_AT(S, i, 0);
        size_t best = 0;
        double bv = s[0] + b[0];
        for (size_t h = 1; h < k; h++) {
            double v = s[h] + b[h];
            if (v > bv) {
                bv = v;
                best = h;
            }
        }
        double dv = phix[i] - bv;
        dmin[i] = dv > 0.0 ? dv : 0.0; /* rounding can make a zero slightly negative */
        if (labels[i] != (int)best) ch++;
        labels[i] = (int)best;
    }
    *changed += ch;
}

int wl_cl_assign_hard(const wl_mat *X, const double *phix, const wl_mat *G, const double *b,
                      wl_mat *Z, int *labels, double *dmin, double *obj, size_t *changed) {
    size_t n = X->rows, k = G->rows, ch = 0;
    for (size_t r0 = 0; r0 < n; r0 += Z->rows) {
        size_t nb = n - r0 < Z->rows ? n - r0 : Z->rows;
        wl_mat Xb = wl_mat_rows(X, r0, nb);
        wl_mat S = wl_mat_view(Z->data, nb, k);
        /* S = X_b G^T: nb x k */
        int rc = wl_gemm(0, 1, 1.0, &Xb, G, 0.0, &S);
        if (rc) return rc;
        argmax_rows(&S, b, phix + r0, labels + r0, dmin + r0, &ch);
    }
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += dmin[i];
    *obj = n ? s / (double)n : 0.0;
    if (changed) *changed = ch;
    return isfinite(*obj) ? WL_OK : wl_seterr(WL_ENUMERIC, "assignment: objective is %g", *obj);
}

/* C_h = (1/|h|) sum_{label(i) = h} x_i; columns are split in fixed blocks
 * between threads and each sum runs over i in order, so the bits do not
 * depend on the thread count. */
int wl_cl_update_means(const wl_mat *X, const int *labels, wl_mat *C, size_t *counts) {
    size_t n = X->rows, d = X->cols, k = C->rows;
    const size_t cb = 32;
    size_t nblk = (d + cb - 1) / cb;
    double *acc = wl_dalloc(k * d, "cluster sums");
    if (!acc) return WL_ENOMEM;
    memset(counts, 0, k * sizeof *counts);
    for (size_t i = 0; i < n; i++) counts[labels[i]]++;
#pragma omp parallel for schedule(dynamic, 1)
    for (long blk = 0; blk < (long)nblk; blk++) {
        size_t j0 = (size_t)blk * cb, j1 = j0 + cb < d ? j0 + cb : d;
        for (size_t i = 0; i < n; i++) {
            const double *x = &WL_AT(X, i, 0);
            double *a = acc + (size_t)labels[i] * d;
            for (size_t j = j0; j < j1; j++) a[j] += x[j];
        }
    }
    for (size_t h = 0; h < k; h++) {
        if (!counts[h]) continue;
        double inv = 1.0 / (double)counts[h];
        for (size_t j = 0; j < d; j++) WL_AT(C, h, j) = acc[h * d + j] * inv;
    }
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
    size_t n = X->rows, d = X->cols, k = C->rows, nb = wl_cl_block_rows(n, k);
    int rc = WL_ENOMEM;
    double *phix = wl_dalloc(n, "phi(x)"), *b = wl_dalloc(k, "centre constants");
    double *dm = dmin ? dmin : wl_dalloc(n, "divergences");
    wl_mat G = {0}, Z = {0};
    if (!phix || !b || !dm || wl_mat_alloc(&G, k, d) || wl_mat_alloc(&Z, nb, k)) goto done;
    double obj;
    for (size_t i = 0; i < n; i++) labels[i] = -1;
    if ((rc = wl_cl_phi_rows(div, X, phix)) || (rc = wl_cl_centre_consts(div, C, &G, b)) ||
        (rc = wl_cl_assign_hard(X, phix, &G, b, &Z, labels, dm, &obj, NULL)))
        goto done;
    if (objective) *objective = obj;
done:
    free(phix);
    free(b);
    if (dm != dmin) free(dm);
    wl_mat_free(&G);
    wl_mat_free(&Z);
    return rc;
}
