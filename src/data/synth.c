/* Synthetic data sets: linear regression with a chosen spectrum, teacher
 * network, two 1-D Gaussians, sphere, binary Gaussian mixture. */
#include "widelab/data.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Random orthogonal Q (d x d, Haar): QR of a Gaussian matrix, columns signed
 * so that diag(R) > 0. */
static int random_orthogonal(wl_rng *rng, size_t d, double *Q) {
    double *tau = wl_dalloc(d, "QR tau");
    if (!tau) return WL_ENOMEM;
    wl_rng_normal_fill(rng, Q, d * d, 0.0, 1.0);
    lapack_int n = (lapack_int)d;
    int info = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, n, n, Q, n, tau);
    double *sgn = wl_dalloc(d, "QR signs");
    if (!sgn) info = -1;
    for (size_t j = 0; !info && j < d; j++) sgn[j] = Q[j * d + j] < 0 ? -1.0 : 1.0;
    if (!info) info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, n, n, n, Q, n, tau);
    for (size_t i = 0; !info && i < d; i++)
        for (size_t j = 0; j < d; j++) Q[i * d + j] *= sgn[j];
    free(tau);
    free(sgn);
    if (info) return wl_seterr(WL_ENUMERIC, "QR for a random rotation failed (info %d)", info);
    return WL_OK;
}

/* X = Z diag(sqrt(eigs)) Q^T, y = X w* + noise e;  Z: n x d, Q: d x d */
int wl_synth_linreg(wl_rng *rng, size_t n, size_t d, const double *eigs, double decades,
                    int rotate, double noise, wl_dataset *out, double *w_star) {
    memset(out, 0, sizeof *out);
    if (n == 0 || d == 0) return wl_seterr(WL_EINVAL, "linreg: n and d must be positive");
    for (size_t j = 0; eigs && j < d; j++)
        if (!(eigs[j] >= 0) || !isfinite(eigs[j]))
            return wl_seterr(WL_EINVAL, "linreg: eigenvalue %zu is %g, not >= 0", j, eigs[j]);
    wl_dataset ds;
    int rc = wl_dataset_alloc(&ds, n, d, 1, 0);
    if (rc) return rc;
    double *w = wl_dalloc(d, "w*"), *Q = rotate ? wl_dalloc(d * d, "rotation") : NULL;
    double *Z = rotate ? wl_dalloc(n * d, "latent") : ds.X;
    if (!w || !Z || (rotate && !Q)) rc = WL_ENOMEM;
    if (!rc) {
        wl_rng_normal_fill(rng, w, d, 0.0, 1.0 / sqrt((double)d));
        if (rotate) rc = random_orthogonal(rng, d, Q);
    }
    if (!rc) {
        wl_rng_normal_fill(rng, Z, n * d, 0.0, 1.0);
        for (size_t j = 0; j < d; j++) {
            double e = eigs ? eigs[j] : d > 1 ? pow(10.0, -decades * (double)j / (double)(d - 1)) : 1.0;
            double s = sqrt(e);
            for (size_t i = 0; i < n; i++) Z[i * d + j] *= s;
        }
        if (rotate) {
            wl_mat Zm = wl_mat_view(Z, n, d), Qm = wl_mat_view(Q, d, d), Xm = wl_dataset_X(&ds);
            rc = wl_gemm(0, 1, 1.0, &Zm, &Qm, 0.0, &Xm);
        }
    }
    if (!rc) {
        wl_mat Xm = wl_dataset_X(&ds);
        rc = wl_gemv(0, 1.0, &Xm, w, 0.0, ds.Y);
        for (size_t i = 0; !rc && i < n; i++) ds.Y[i] += noise * wl_rng_normal(rng);
    }
    if (!rc && w_star) memcpy(w_star, w, d * sizeof *w);
    if (rotate) free(Z);
    free(Q);
    free(w);
    if (rc) {
        wl_dataset_free(&ds);
        return rc;
    }
    snprintf(ds.name, sizeof ds.name, "synth:linreg");
    *out = ds;
    return WL_OK;
}

/* H = act(X W^T / sqrt(d) + b), Y = H A^T / sqrt(m) + noise;
 * X: n x d, W: m x d, b: m, H: n x m, A: k x m, Y: n x k */
int wl_synth_teacher(wl_rng *rng, size_t n, size_t d, size_t width, size_t k, int act,
                     double noise, wl_dataset *out) {
    memset(out, 0, sizeof *out);
    if (!n || !d || !width || !k)
        return wl_seterr(WL_EINVAL, "teacher: n, d, width and k must be positive");
    if (act != WL_SYNTH_RELU && act != WL_SYNTH_TANH)
        return wl_seterr(WL_EINVAL, "teacher: unknown activation %d", act);
    wl_dataset ds;
    int rc = wl_dataset_alloc(&ds, n, d, k, 0);
    if (rc) return rc;
    double *W = wl_dalloc(width * d, "teacher W"), *b = wl_dalloc(width, "teacher b");
    double *A = wl_dalloc(k * width, "teacher A"), *H = wl_dalloc(n * width, "teacher H");
    if (!W || !b || !A || !H) rc = WL_ENOMEM;
    if (!rc) {
        wl_rng_normal_fill(rng, W, width * d, 0.0, 1.0);
        wl_rng_normal_fill(rng, b, width, 0.0, 1.0);
        wl_rng_normal_fill(rng, A, k * width, 0.0, 1.0);
        wl_rng_normal_fill(rng, ds.X, n * d, 0.0, 1.0);
        wl_mat Xm = wl_dataset_X(&ds), Wm = wl_mat_view(W, width, d), Hm = wl_mat_view(H, n, width);
        rc = wl_gemm(0, 1, 1.0 / sqrt((double)d), &Xm, &Wm, 0.0, &Hm);
    }
    if (!rc) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < width; j++) {
                double z = H[i * width + j] + b[j];
                H[i * width + j] = act == WL_SYNTH_RELU ? (z > 0 ? z : 0.0) : tanh(z);
            }
        wl_mat Hm = wl_mat_view(H, n, width), Am = wl_mat_view(A, k, width), Ym = wl_dataset_Y(&ds);
        rc = wl_gemm(0, 1, 1.0 / sqrt((double)width), &Hm, &Am, 0.0, &Ym);
    }
    for (size_t i = 0; !rc && i < n * k; i++) ds.Y[i] += noise * wl_rng_normal(rng);
    free(W);
    free(b);
    free(A);
    free(H);
    if (rc) {
        wl_dataset_free(&ds);
        return rc;
    }
    snprintf(ds.name, sizeof ds.name, "synth:teacher");
    *out = ds;
    return WL_OK;
}

/* Labels with targets -1/+1: c -> 2c - 1. */
static void pm1_targets(wl_dataset *ds) {
    for (size_t i = 0; i < ds->n; i++) ds->Y[i] = ds->labels[i] ? 1.0 : -1.0;
    ds->n_classes = 2;
    ds->target_kind = WL_TARGETS_PM1;
}

/* x_i = (2 c_i - 1) mu + sd e_i, c_i = i mod 2 */
int wl_synth_two_gauss(wl_rng *rng, size_t n, double mu, double sd, wl_dataset *out) {
    memset(out, 0, sizeof *out);
    if (n == 0 || !(sd >= 0)) return wl_seterr(WL_EINVAL, "gauss1d: need n > 0 and sd >= 0");
    wl_dataset ds;
    int rc = wl_dataset_alloc(&ds, n, 1, 1, 1);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++) {
        ds.labels[i] = (int)(i % 2);
        ds.X[i] = (ds.labels[i] ? mu : -mu) + sd * wl_rng_normal(rng);
    }
    pm1_targets(&ds);
    snprintf(ds.name, sizeof ds.name, "synth:gauss1d");
    *out = ds;
    return WL_OK;
}

/* x = z / ||z||, z ~ N(0, I_d);  y = x_1 x_2 */
int wl_synth_sphere(wl_rng *rng, size_t n, size_t d, wl_dataset *out) {
    memset(out, 0, sizeof *out);
    if (n == 0 || d < 2) return wl_seterr(WL_EINVAL, "sphere: need n > 0 and d >= 2");
    wl_dataset ds;
    int rc = wl_dataset_alloc(&ds, n, d, 1, 0);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++) {
        double *x = ds.X + i * d, r;
        do {
            wl_rng_normal_fill(rng, x, d, 0.0, 1.0);
            r = wl_nrm2(d, x);
        } while (r == 0.0);
        wl_scal(d, 1.0 / r, x);
        ds.Y[i] = x[0] * x[1];
    }
    snprintf(ds.name, sizeof ds.name, "synth:sphere");
    *out = ds;
    return WL_OK;
}

/* c ~ Bernoulli(1/2), x = (2c - 1)(sep/2) e_1 + sd z */
int wl_synth_mixture(wl_rng *rng, size_t n, size_t d, double sep, double sd, wl_dataset *out) {
    memset(out, 0, sizeof *out);
    if (n == 0 || d == 0 || !(sd >= 0))
        return wl_seterr(WL_EINVAL, "mixture: need n > 0, d > 0 and sd >= 0");
    wl_dataset ds;
    int rc = wl_dataset_alloc(&ds, n, d, 1, 1);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++) {
        ds.labels[i] = (int)(wl_rng_u64(rng) >> 63);
        double *x = ds.X + i * d;
        wl_rng_normal_fill(rng, x, d, 0.0, sd);
        x[0] += (ds.labels[i] ? 0.5 : -0.5) * sep;
    }
    pm1_targets(&ds);
    snprintf(ds.name, sizeof ds.name, "synth:mixture");
    *out = ds;
    return WL_OK;
}
