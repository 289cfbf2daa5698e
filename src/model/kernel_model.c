/* Kernel models f(x) = sum_j a_j k(x, z_j) as wl_model.
 *
 *   Z: m x d centers (owned copy),  w = A: m x k (row-major, block "coef")
 *   X: n x d,  Kxz = k(X, Z): n x m,  F = Kxz A: n x k
 *
 * Linear in w: jvp2 = 0, hvp = 0. In functional mode vjp returns the RKHS
 * (functional) gradient instead of J^T G: each input row must be one of the
 * centers and adds its G row to that center's coefficients. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "widelab/kernel.h"

typedef struct wl_kmodel {
    wl_model base;
    wl_kfun kf;
    wl_mat Z;          /* m x d */
    size_t m, k, d;
    int functional;
    wl_param_block block;
    double *ws;        /* workspace: Kxz, n x m */
    size_t ws_cap;
    size_t *table;     /* functional: open-addressing hash of center rows (SIZE_MAX = empty) */
    size_t table_cap;  /* power of two */
} wl_kmodel;

static const wl_model_ops kmodel_ops;

/* ---- center lookup (functional mode) -------------------------------------- */

/* FNV-1a of a row's bits (-0.0 counted as 0.0 so that == rows hash alike). */
static uint64_t row_hash(const double *x, size_t d) {
    uint64_t h = 1469598103934665603ull;
    for (size_t j = 0; j < d; j++) {
        double v = x[j] == 0.0 ? 0.0 : x[j];
        uint64_t b;
        memcpy(&b, &v, sizeof b);
        for (int s = 0; s < 64; s += 8) {
            h ^= (b >> s) & 0xff;
            h *= 1099511628211ull;
        }
    }
    return h;
}

static int rows_equal(const double *a, const double *b, size_t d) {
    for (size_t j = 0; j < d; j++)
        if (a[j] != b[j]) return 0;
    return 1;
}

static int build_table(wl_kmodel *km) {
    size_t cap = 16;
    while (cap < 2 * km->m) cap *= 2;
    km->table = wl_malloc(cap * sizeof *km->table, "center table");
    if (!km->table) return WL_ENOMEM;
    km->table_cap = cap;
    for (size_t i = 0; i < cap; i++) km->table[i] = SIZE_MAX;
    for (size_t j = 0; j < km->m; j++) {
        const double *z = &WL_AT(&km->Z, j, 0);
        size_t p = (size_t)row_hash(z, km->d) & (cap - 1);
        while (km->table[p] != SIZE_MAX && !rows_equal(&WL_AT(&km->Z, km->table[p], 0), z, km->d))
            p = (p + 1) & (cap - 1);
        if (km->table[p] == SIZE_MAX) km->table[p] = j; /* duplicates keep the first */
    }
    return WL_OK;
}

/* Index of the center equal to x, or SIZE_MAX. */
static size_t find_center(const wl_kmodel *km, const double *x) {
    size_t p = (size_t)row_hash(x, km->d) & (km->table_cap - 1);
    while (km->table[p] != SIZE_MAX) {
        if (rows_equal(&WL_AT(&km->Z, km->table[p], 0), x, km->d)) return km->table[p];
        p = (p + 1) & (km->table_cap - 1);
    }
    return SIZE_MAX;
}

/* ---- the kernel block ------------------------------------------------------- */

/* Kxz = k(X, Z) into the workspace (n x m). */
static int kxz(wl_kmodel *km, const wl_mat *X, wl_mat *K) {
    size_t need = X->rows * km->m;
    if (need > km->ws_cap) {
        double *p = wl_dalloc(need, "kernel model workspace");
        if (!p) return WL_ENOMEM;
        free(km->ws);
        km->ws = p;
        km->ws_cap = need;
    }
    *K = wl_mat_view(km->ws, X->rows, km->m);
    int rc = wl_kfun_eval(&km->kf, X, &km->Z, K);
    return rc ? wl_adderr(rc, "kernel model") : WL_OK;
}

/* F = Kxz A */
static int km_forward(wl_model *m, const double *w, const wl_mat *X, wl_mat *F) {
    wl_kmodel *km = (wl_kmodel *)m;
    wl_mat K, A = wl_mat_view((double *)w, km->m, km->k);
    int rc = kxz(km, X, &K);
    return rc ? rc : wl_gemm(0, 0, 1.0, &K, &A, 0.0, F);
}

/* from F = Kxz A:  gA = Kxz^T G  (m x k); functional: gA_j = sum_{i: x_i = z_j} G_i */
static int km_vjp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G, double *gw) {
    wl_kmodel *km = (wl_kmodel *)m;
    (void)w;
    wl_mat gA = wl_mat_view(gw, km->m, km->k);
    if (!km->functional) {
        wl_mat K;
        int rc = kxz(km, X, &K);
        return rc ? rc : wl_gemm(1, 0, 1.0, &K, G, 0.0, &gA);
    }
    wl_mat_zero(&gA);
    for (size_t i = 0; i < X->rows; i++) {
        size_t j = find_center(km, &WL_AT(X, i, 0));
        if (j == SIZE_MAX)
            return wl_seterr(WL_EINVAL,
                             "kernel model (functional gradient): input row %zu is not one of "
                             "the %zu centers",
                             i, km->m);
        for (size_t c = 0; c < km->k; c++) WL_AT(&gA, j, c) += WL_AT(G, i, c);
    }
    return WL_OK;
}

/* JV = Kxz V  (the forward map applied to the direction v) */
static int km_jvp(wl_model *m, const double *w, const wl_mat *X, const double *v, wl_mat *JV) {
    (void)w;
    return km_forward(m, v, X, JV);
}

/* Q = v^T Hess f v = 0 (linear in w) */
static int km_jvp2(wl_model *m, const double *w, const wl_mat *X, const double *v, wl_mat *Q) {
    (void)m, (void)w, (void)X, (void)v;
    wl_mat_zero(Q);
    return WL_OK;
}

static int km_hvp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G,
                  const double *v, double *hv) {
    (void)w, (void)X, (void)G, (void)v;
    memset(hv, 0, m->dim * sizeof *hv);
    return WL_OK;
}

/* GX_i = sum_j B_ij dk(x_i, z_j)/dx_i,  B = (G A^T) o Kxz  (n x m):
 *   Gaussian:  dk/dx = k (z - x) / bw^2;   Laplacian: dk/dx = k (z - x) / (bw ||x - z||) */
static int km_xvjp(wl_model *m, const double *w, const wl_mat *X, const wl_mat *G, wl_mat *GX) {
    wl_kmodel *km = (wl_kmodel *)m;
    const int gauss = km->kf.kind == WL_KFUN_GAUSSIAN;
    if (!gauss && km->kf.kind != WL_KFUN_LAPLACIAN)
        return wl_seterr(WL_EUNSUP, "kernel model: input gradients need a Gaussian or Laplacian kernel");
    wl_mat K, A = wl_mat_view((double *)w, km->m, km->k), B;
    int rc = kxz(km, X, &K);
    if (!rc) rc = wl_mat_alloc(&B, X->rows, km->m);
    if (rc) return rc;
    rc = wl_gemm(0, 1, 1.0, G, &A, 0.0, &B); /* B = G A^T */
    const double bw = km->kf.bandwidth;
    for (size_t i = 0; !rc && i < X->rows; i++) {
        double *gx = &WL_AT(GX, i, 0);
        const double *x = &WL_AT(X, i, 0);
        memset(gx, 0, km->d * sizeof *gx);
        for (size_t j = 0; j < km->m; j++) {
            const double *z = &WL_AT(&km->Z, j, 0);
            double s = WL_AT(&B, i, j) * WL_AT(&K, i, j);
            if (gauss) s /= bw * bw;
            else {
                double r = 0;
                for (size_t c = 0; c < km->d; c++) r += (x[c] - z[c]) * (x[c] - z[c]);
                r = sqrt(r);
                s = r > 0 ? s / (bw * r) : 0.0; /* not differentiable at x = z: 0 */
            }
            for (size_t c = 0; c < km->d; c++) gx[c] += s * (z[c] - x[c]);
        }
    }
    wl_mat_free(&B);
    return rc;
}

/* A = 0 (kernel machines start from the zero function). */
static int km_init(wl_model *m, wl_rng *rng, double *w) {
    (void)rng;
    memset(w, 0, m->dim * sizeof *w);
    return WL_OK;
}

static void km_free(wl_model *m) {
    wl_kmodel *km = (wl_kmodel *)m;
    if (!km) return;
    wl_mat_free(&km->Z);
    free(km->ws);
    free(km->table);
    free(km);
}

static wl_model *km_clone(const wl_model *m) {
    const wl_kmodel *km = (const wl_kmodel *)m;
    wl_model *out = NULL;
    if (wl_kernel_model_new(&km->kf, &km->Z, km->k, km->functional, &out)) return NULL;
    return out;
}

static const wl_model_ops kmodel_ops = {km_forward, km_vjp,  km_jvp,   km_jvp2, km_hvp,
                                        km_xvjp,    km_init, km_clone, km_free};

int wl_kernel_model_new(const wl_kfun *k, const wl_mat *Z, size_t n_out, int functional,
                        wl_model **out) {
    *out = NULL;
    if (!k || !Z || Z->rows == 0 || Z->cols == 0 || n_out == 0)
        return wl_seterr(WL_EINVAL, "kernel model: needs a kernel, centers and n_out >= 1");
    for (size_t i = 0; i < Z->rows; i++)
        if (!wl_all_finite(Z->cols, &WL_AT(Z, i, 0)))
            return wl_seterr(WL_EINVAL, "kernel model: center %zu is not finite", i);
    if ((k->kind == WL_KFUN_GAUSSIAN || k->kind == WL_KFUN_LAPLACIAN) &&
        (!(k->bandwidth > 0) || !isfinite(k->bandwidth)))
        return wl_seterr(WL_EINVAL, "kernel model: bandwidth %g must be > 0", k->bandwidth);
    if (k->kind == WL_KFUN_CALLBACK && !k->cb)
        return wl_seterr(WL_EINVAL, "kernel model: callback kernel without a function");
    if ((unsigned)k->kind > WL_KFUN_CALLBACK)
        return wl_seterr(WL_EINVAL, "kernel model: unknown kernel kind %d", (int)k->kind);
    wl_kmodel *km = wl_calloc(1, sizeof *km, "kernel model");
    if (!km) return WL_ENOMEM;
    km->kf = *k;
    km->m = Z->rows;
    km->d = Z->cols;
    km->k = n_out;
    km->functional = functional != 0;
    int rc = wl_mat_alloc(&km->Z, km->m, km->d);
    if (!rc) rc = wl_mat_copy(&km->Z, Z);
    if (!rc && km->functional) rc = build_table(km);
    if (rc) {
        km_free(&km->base);
        return rc;
    }
    snprintf(km->block.name, sizeof km->block.name, "coef");
    km->block.offset = 0;
    km->block.rows = km->m;
    km->block.cols = km->k;
    km->block.ndim = 2;
    km->base.ops = &kmodel_ops;
    km->base.dim = km->m * km->k;
    km->base.n_in = km->d;
    km->base.n_out = km->k;
    km->base.kind = "kernel";
    km->base.n_blocks = 1;
    km->base.blocks = &km->block;
    *out = &km->base;
    return WL_OK;
}

/* a_b <- a_b - eta (f(z_b) - y_b) / nb,  f(z_b) = k(Z_b, Z) A */
int wl_kernel_sgd_step(wl_model *m, double *w, const size_t *idx, size_t nb, const wl_mat *Yb,
                       double eta, double *loss) {
    if (!m || m->ops != &kmodel_ops)
        return wl_seterr(WL_EINVAL, "kernel SGD step: the model is not a kernel model");
    wl_kmodel *km = (wl_kmodel *)m;
    if (!idx || nb == 0 || !Yb || Yb->rows != nb || Yb->cols != km->k)
        return wl_seterr(WL_EINVAL, "kernel SGD step: targets are %zu x %zu, expected %zu x %zu",
                         Yb ? Yb->rows : 0, Yb ? Yb->cols : 0, nb, km->k);
    if (!(eta > 0) || !isfinite(eta))
        return wl_seterr(WL_EINVAL, "kernel SGD step: step %g must be > 0", eta);
    for (size_t b = 0; b < nb; b++)
        if (idx[b] >= km->m)
            return wl_seterr(WL_EINVAL, "kernel SGD step: index %zu is not a center (m = %zu)",
                             idx[b], km->m);
    wl_mat Zb, F;
    int rc = wl_mat_alloc(&Zb, nb, km->d);
    if (!rc) rc = wl_mat_alloc(&F, nb, km->k);
    if (rc) {
        wl_mat_free(&Zb);
        return rc;
    }
    for (size_t b = 0; b < nb; b++) memcpy(&WL_AT(&Zb, b, 0), &WL_AT(&km->Z, idx[b], 0), km->d * sizeof(double));
    rc = km_forward(m, w, &Zb, &F);
    if (!rc) {
        double L = 0.0;
        for (size_t b = 0; b < nb; b++)
            for (size_t c = 0; c < km->k; c++) {
                double r = WL_AT(&F, b, c) - WL_AT(Yb, b, c);
                L += 0.5 * r * r;
                w[idx[b] * km->k + c] -= eta * r / (double)nb;
            }
        if (loss) *loss = L / (double)nb;
    }
    wl_mat_free(&Zb);
    wl_mat_free(&F);
    return rc;
}
