/* OTDA: unsupervised domain adaptation by optimal transport with
 * discriminant analysis (Jin, Liu, Xia 2020). The ground metric of the
 * transport is learned: LDA on the transported, labelled source. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lda.h"

void wl_otda_opts_default(wl_otda_opts *o) {
    o->iters = 10;
    o->eps = 0.0;
    o->dim = 0;
    o->reg = 1e-3;
}

typedef struct otda_ws {
    wl_mat Z, W, As, At, C, P;
    int *yz;
} otda_ws;

static void ws_free(otda_ws *w) {
    wl_mat *ms[] = {&w->Z, &w->W, &w->As, &w->At, &w->C, &w->P};
    for (size_t i = 0; i < sizeof ms / sizeof *ms; i++) wl_mat_free(ms[i]);
    free(w->yz);
}

static int ws_alloc(otda_ws *w, size_t ns, size_t nt, size_t d, size_t r) {
    memset(w, 0, sizeof *w);
    w->yz = malloc((ns + nt) * sizeof *w->yz);
    if (!w->yz) return wl_seterr(WL_ENOMEM, "otda: out of memory");
    int rc = wl_mat_alloc(&w->Z, ns + nt, d);
    if (!rc) rc = wl_mat_alloc(&w->W, d, r);
    if (!rc) rc = wl_mat_alloc(&w->As, ns, r);
    if (!rc) rc = wl_mat_alloc(&w->At, nt, r);
    if (!rc) rc = wl_mat_alloc(&w->C, ns, nt);
    if (!rc) rc = wl_mat_alloc(&w->P, ns, nt);
    return rc;
}

/* P = plan between source and target in the metric of W (W = NULL: the
 * input metric); eps relative to the mean cost. */
static int transport(otda_ws *w, const wl_mat *Xs, const wl_mat *Xt, const wl_mat *W, double eps) {
    int rc;
    if (W) {
        rc = wl_gemm(0, 0, 1.0, Xs, W, 0.0, &w->As);
        if (!rc) rc = wl_gemm(0, 0, 1.0, Xt, W, 0.0, &w->At);
        if (!rc) rc = wl_ot_cost(&w->As, &w->At, WL_OT_SQEUCLIDEAN, &w->C);
    } else rc = wl_ot_cost(Xs, Xt, WL_OT_SQEUCLIDEAN, &w->C);
    if (rc) return rc;
    double mean = 0.0;
    for (size_t i = 0; i < w->C.rows; i++)
        for (size_t j = 0; j < w->C.cols; j++) mean += WL_AT(&w->C, i, j);
    mean /= (double)(w->C.rows * w->C.cols);
    wl_sinkhorn_opts sk;
    wl_sinkhorn_opts_default(&sk);
    sk.max_iter = 2000;
    sk.tol = 1e-7;
    return wl_ot_plan(&w->C, eps > 0.0 ? eps * fmax(mean, 1e-300) : 0.0, &sk, &w->P);
}

/* Label transport: yt_j = argmax_k sum_i P_ij [ys_i = k]. */
static void transport_labels(const wl_mat *P, const int *ys, size_t c, int *yt, double *score) {
    for (size_t j = 0; j < P->cols; j++) {
        for (size_t k = 0; k < c; k++) score[k] = 0.0;
        for (size_t i = 0; i < P->rows; i++) score[ys[i]] += WL_AT(P, i, j);
        size_t best = 0;
        for (size_t k = 1; k < c; k++)
            if (score[k] > score[best]) best = k;
        yt[j] = (int)best;
    }
}

/* Z = X - 1 mean(X)^T.  X, Z: n x d */
static void center_copy(const wl_mat *X, wl_mat *Z) {
    size_t n = X->rows, d = X->cols;
    for (size_t j = 0; j < d; j++) {
        double mu = 0.0;
        for (size_t i = 0; i < n; i++) mu += WL_AT(X, i, j);
        mu /= (double)n;
        for (size_t i = 0; i < n; i++) WL_AT(Z, i, j) = WL_AT(X, i, j) - mu;
    }
}

int wl_otda(const wl_mat *Xs, const int *ys, size_t c, const wl_mat *Xt, const wl_otda_opts *o,
            int *yt) {
    if (!Xs || !ys || !Xt || !o || !yt) return wl_seterr(WL_EINVAL, "otda: NULL argument");
    if (Xs->cols != Xt->cols)
        return wl_seterr(WL_EINVAL, "otda: source has %zu columns, target %zu", Xs->cols, Xt->cols);
    if (Xs->rows == 0 || Xt->rows == 0 || c < 2)
        return wl_seterr(WL_EINVAL, "otda: needs non-empty source and target and >= 2 classes");
    if (!(o->eps >= 0.0)) return wl_seterr(WL_EINVAL, "otda: eps = %g < 0", o->eps);
    size_t ns = Xs->rows, nt = Xt->rows, d = Xs->cols, r = o->dim ? o->dim : c - 1;
    for (size_t i = 0; i < ns; i++)
        if (ys[i] < 0 || (size_t)ys[i] >= c)
            return wl_seterr(WL_EINVAL, "otda: source label %d of row %zu is outside [0, %zu)", ys[i], i, c);
    if (r > d) r = d;
    otda_ws w;
    double *score = wl_dalloc(c, "otda scores");
    if (!score) return WL_ENOMEM;
    int rc = ws_alloc(&w, ns, nt, d, r);
    /* Z = [Xs - mean Xs; Xt - mean Xt] with labels [ys; transported labels]
     * (the transport itself is blind to translations) */
    if (!rc) {
        wl_mat Zs = wl_mat_rows(&w.Z, 0, ns), Zt = wl_mat_rows(&w.Z, ns, nt);
        center_copy(Xs, &Zs);
        center_copy(Xt, &Zt);
        memcpy(w.yz, ys, ns * sizeof *ys);
    }
    /* round 0 in the input metric, then in the metric of the LDA learned on
     * both domains: the domain shift inflates the within-class scatter, so
     * LDA turns away from it */
    for (size_t t = 0; t <= o->iters && !rc; t++) {
        rc = transport(&w, Xs, Xt, t ? &w.W : NULL, o->eps);
        if (rc) break;
        transport_labels(&w.P, ys, c, yt, score);
        if (t == o->iters) break;
        memcpy(w.yz + ns, yt, nt * sizeof *yt);
        rc = wl_lda(&w.Z, w.yz, c, o->reg, &w.W);
    }
    ws_free(&w);
    free(score);
    return rc;
}
