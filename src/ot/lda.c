/* Fisher linear discriminant analysis and the nearest-class-mean rule. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lda.h"

/* Class means mu (c x d) and counts; WL_EINVAL on a bad label or empty class. */
int wl_lda_means(const wl_mat *X, const int *y, size_t c, wl_mat *mu, size_t *cnt) {
    size_t n = X->rows, d = X->cols;
    wl_mat_zero(mu);
    memset(cnt, 0, c * sizeof *cnt);
    for (size_t i = 0; i < n; i++) {
        if (y[i] < 0 || (size_t)y[i] >= c)
            return wl_seterr(WL_EINVAL, "lda: label %d of row %zu is outside [0, %zu)", y[i], i, c);
        cnt[y[i]]++;
        wl_axpy(d, 1.0, X->data + i * X->ld, mu->data + (size_t)y[i] * mu->ld);
    }
    for (size_t k = 0; k < c; k++) {
        if (!cnt[k]) return wl_seterr(WL_EINVAL, "lda: class %zu has no samples", k);
        wl_scal(d, 1.0 / (double)cnt[k], mu->data + k * mu->ld);
    }
    return WL_OK;
}

/* Sw = sum_i (x_i - mu_yi)(x_i - mu_yi)^T + ridge I, Sb = sum_k n_k (mu_k - m)(mu_k - m)^T.
 * X: n x d, Sw, Sb: d x d. */
static int scatter(const wl_mat *X, const int *y, const wl_mat *mu, const size_t *cnt, double reg,
                   wl_mat *Sw, wl_mat *Sb) {
    size_t n = X->rows, d = X->cols, c = mu->rows;
    wl_mat Z, Mc;
    int rc = wl_mat_alloc(&Z, n, d);
    if (!rc) rc = wl_mat_alloc(&Mc, c, d);
    if (rc) {
        wl_mat_free(&Z);
        return rc;
    }
    double *gm = wl_dalloc(d, "lda mean");
    for (size_t i = 0; gm && i < n; i++)
        for (size_t j = 0; j < d; j++) {
            WL_AT(&Z, i, j) = WL_AT(X, i, j) - WL_AT(mu, y[i], j);
            gm[j] += WL_AT(X, i, j) / (double)n;
        }
    for (size_t k = 0; gm && k < c; k++)
        for (size_t j = 0; j < d; j++)
            WL_AT(&Mc, k, j) = sqrt((double)cnt[k]) * (WL_AT(mu, k, j) - gm[j]);
    rc = gm ? wl_syrk(1, 1.0, &Z, 0.0, Sw) : WL_ENOMEM;
    if (!rc) rc = wl_syrk(1, 1.0, &Mc, 0.0, Sb);
    if (!rc) {
        double tr = 0.0;
        for (size_t j = 0; j < d; j++) tr += WL_AT(Sw, j, j);
        double ridge = reg * tr / (double)d + 1e-12 * (tr / (double)d + 1e-300);
        for (size_t j = 0; j < d; j++) WL_AT(Sw, j, j) += ridge;
    }
    free(gm);
    wl_mat_free(&Z);
    wl_mat_free(&Mc);
    return rc;
}

/* W = top-r solutions of Sb w = lambda Sw w (generalized symmetric eigenproblem). */
int wl_lda(const wl_mat *X, const int *y, size_t c, double reg, wl_mat *W) {
    if (!X || !y || !W) return wl_seterr(WL_EINVAL, "lda: NULL argument");
    size_t d = X->cols, r = W->cols;
    if (c < 2) return wl_seterr(WL_EINVAL, "lda: needs at least 2 classes, got %zu", c);
    if (W->rows != d || r == 0 || r > d)
        return wl_seterr(WL_EINVAL, "lda: W must be %zu x r with 1 <= r <= %zu, got %zu x %zu", d, d,
                         W->rows, W->cols);
    if (!(reg >= 0.0)) return wl_seterr(WL_EINVAL, "lda: reg = %g must be >= 0", reg);
    wl_mat mu, Sw, Sb;
    size_t *cnt = calloc(c, sizeof *cnt);
    double *ev = wl_dalloc(d, "lda eigenvalues");
    memset(&mu, 0, sizeof mu);
    memset(&Sw, 0, sizeof Sw);
    memset(&Sb, 0, sizeof Sb);
    int rc = cnt && ev ? WL_OK : wl_seterr(WL_ENOMEM, "lda: out of memory");
    if (!rc) rc = wl_mat_alloc(&mu, c, d);
    if (!rc) rc = wl_mat_alloc(&Sw, d, d);
    if (!rc) rc = wl_mat_alloc(&Sb, d, d);
    if (!rc) rc = wl_lda_means(X, y, c, &mu, cnt);
    if (!rc) rc = scatter(X, y, &mu, cnt, reg, &Sw, &Sb);
    if (!rc) {
        lapack_int info = LAPACKE_dsygv(LAPACK_ROW_MAJOR, 1, 'V', 'U', (lapack_int)d, Sb.data,
                                        (lapack_int)Sb.ld, Sw.data, (lapack_int)Sw.ld, ev);
        if (info) rc = wl_seterr(WL_ENUMERIC, "lda: generalized eigensolver failed (%d); raise reg", (int)info);
    }
    for (size_t k = 0; k < r && !rc; k++) /* eigenvalues ascending: take the last r */
        for (size_t j = 0; j < d; j++) WL_AT(W, j, k) = WL_AT(&Sb, j, d - 1 - k);
    free(cnt);
    free(ev);
    wl_mat_free(&mu);
    wl_mat_free(&Sw);
    wl_mat_free(&Sb);
    return rc;
}

/* yt_i = argmin_k ||W^T (t_i - mu_k)||.  mu: c x d, W: d x r, Xt: nt x d */
int wl_lda_nearest_mean(const wl_mat *mu, const wl_mat *W, const wl_mat *Xt, int *yt) {
    size_t c = mu->rows, r = W->cols, nt = Xt->rows;
    wl_mat Pm, Pt;
    int rc = wl_mat_alloc(&Pm, c, r);
    if (!rc) rc = wl_mat_alloc(&Pt, nt, r);
    if (!rc) rc = wl_gemm(0, 0, 1.0, mu, W, 0.0, &Pm);
    if (!rc) rc = wl_gemm(0, 0, 1.0, Xt, W, 0.0, &Pt);
    for (size_t i = 0; i < nt && !rc; i++) {
        double best = INFINITY;
        for (size_t k = 0; k < c; k++) {
            double s = 0.0;
            for (size_t j = 0; j < r; j++) s += pow(WL_AT(&Pt, i, j) - WL_AT(&Pm, k, j), 2);
            if (s < best) {
                best = s;
                yt[i] = (int)k;
            }
        }
    }
    wl_mat_free(&Pm);
    wl_mat_free(&Pt);
    return rc;
}

int wl_lda_predict(const wl_mat *Xs, const int *ys, size_t c, const wl_mat *Xt, size_t dim,
                   double reg, int *yt) {
    if (!Xs || !ys || !Xt || !yt) return wl_seterr(WL_EINVAL, "lda predict: NULL argument");
    if (Xs->cols != Xt->cols)
        return wl_seterr(WL_EINVAL, "lda predict: source has %zu columns, target %zu", Xs->cols, Xt->cols);
    size_t d = Xs->cols, r = dim ? dim : (c > 1 ? c - 1 : 1);
    if (r > d) r = d;
    wl_mat W, mu;
    size_t *cnt = calloc(c ? c : 1, sizeof *cnt);
    memset(&mu, 0, sizeof mu);
    memset(&W, 0, sizeof W);
    int rc = cnt ? wl_mat_alloc(&W, d, r) : wl_seterr(WL_ENOMEM, "lda predict: out of memory");
    if (!rc) rc = wl_mat_alloc(&mu, c, d);
    if (!rc) rc = wl_lda(Xs, ys, c, reg, &W);
    if (!rc) rc = wl_lda_means(Xs, ys, c, &mu, cnt);
    if (!rc) rc = wl_lda_nearest_mean(&mu, &W, Xt, yt);
    free(cnt);
    wl_mat_free(&W);
    wl_mat_free(&mu);
    return rc;
}
