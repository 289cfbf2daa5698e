/* Gradient angles between points, and the relative change of a kernel.
 *   phi(x, z) = arccos(K(x,z) / sqrt(K(x,x) K(z,z)))   (trace kernel)
 *   change    = ||K_t - K_0||_F / ||K_0||_F */
#include "widelab/kernel.h"

#include <math.h>
#include <stdlib.h>

int wl_ntk_angles(const wl_mat *K, double *min_angle, double *mean_angle) {
    if (!K || !K->data) return wl_seterr(WL_EINVAL, "ntk angles: kernel is NULL");
    if (K->rows != K->cols)
        return wl_seterr(WL_EINVAL, "ntk angles: kernel is %zu x %zu, not square", K->rows,
                         K->cols);
    size_t n = K->rows;
    for (size_t i = 0; i < n; i++)
        if (!(WL_AT(K, i, i) > 0.0))
            return wl_seterr(WL_ENUMERIC,
                             "ntk angles: K(x_%zu, x_%zu) = %g is not positive (zero gradient)",
                             i, i, WL_AT(K, i, i));
    double mn = n > 1 ? 4.0 * atan(1.0) : 0.0, sum = 0.0;
    /* pairs i < j: cos = K_ij / sqrt(K_ii K_jj), clamped to [-1, 1] */
#pragma omp parallel for schedule(dynamic, 16) reduction(min : mn) reduction(+ : sum)
    for (size_t i = 0; i < n; i++) {
        double kii = WL_AT(K, i, i);
        for (size_t j = i + 1; j < n; j++) {
            double c = WL_AT(K, i, j) / sqrt(kii * WL_AT(K, j, j));
            double a = acos(c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c);
            mn = a < mn ? a : mn;
            sum += a;
        }
    }
    if (min_angle) *min_angle = mn;
    if (mean_angle) *mean_angle = n > 1 ? sum / (0.5 * (double)n * (double)(n - 1)) : 0.0;
    return WL_OK;
}

int wl_ntk_rel_diff(const wl_mat *K0, const wl_mat *Kt, double *out) {
    if (!K0 || !Kt || !out || !K0->data || !Kt->data)
        return wl_seterr(WL_EINVAL, "ntk change: NULL kernel");
    if (K0->rows != Kt->rows || K0->cols != Kt->cols)
        return wl_seterr(WL_EINVAL, "ntk change: kernels are %zu x %zu and %zu x %zu",
                         K0->rows, K0->cols, Kt->rows, Kt->cols);
    double d = 0.0, n0 = 0.0;
    for (size_t i = 0; i < K0->rows; i++)
        for (size_t j = 0; j < K0->cols; j++) {
            double a = WL_AT(K0, i, j), e = WL_AT(Kt, i, j) - a;
            d += e * e;
            n0 += a * a;
        }
    if (!(n0 > 0.0)) return wl_seterr(WL_ENUMERIC, "ntk change: the reference kernel is zero");
    *out = sqrt(d / n0);
    return WL_OK;
}

int wl_ntk_rel_change(wl_model *m, const double *w0, const double *wt, const wl_mat *X,
                      const wl_ntk_opts *opts, double *out) {
    wl_ntk_opts o;
    if (opts) o = *opts;
    else wl_ntk_opts_default(&o);
    o.out_path = NULL; /* both kernels are compared in memory */
    o.force_disk = 0;
    wl_mat K0 = {0}, Kt = {0};
    int rc = wl_ntk_empirical(m, w0, X, NULL, &o, &K0);
    if (!rc) rc = wl_ntk_empirical(m, wt, X, NULL, &o, &Kt);
    if (!rc) rc = wl_ntk_rel_diff(&K0, &Kt, out);
    wl_mat_free(&K0);
    wl_mat_free(&Kt);
    return rc;
}
