/* Extreme eigenvalues of the kernel as an operator (K v = J (J^T v), never
 * stored): the curvature module's Lanczos (full reorthogonalization, thick
 * restarts) on wl_ntk_matvec. */
#include "widelab/curv.h"
#include "widelab/kernel.h"

typedef struct kop {
    wl_model *m;
    const double *w;
    const wl_mat *X;
    wl_ntk_mode mode;
} kop;

static int kernel_op(void *ctx, const double *x, double *y) {
    kop *k = ctx;
    return wl_ntk_matvec(k->m, k->w, k->X, k->mode, x, y);
}

int wl_ntk_lanczos(wl_model *m, const double *w, const wl_mat *X, wl_ntk_mode mode,
                   size_t nev, int which, double tol, size_t max_iter, wl_rng *rng,
                   double *vals, wl_ntk_lanczos_info *info) {
    if (!m || !X) return wl_seterr(WL_EINVAL, "ntk lanczos: NULL model or points");
    if (mode == WL_NTK_DIAG)
        return wl_seterr(WL_EINVAL, "ntk lanczos: the diag mode is not an operator");
    size_t n = X->rows * (mode == WL_NTK_FULL ? m->n_out : 1);
    if (nev == 0 || nev > n)
        return wl_seterr(WL_EINVAL, "ntk lanczos: %zu eigenvalues asked of an operator of size %zu",
                         nev, n);
    kop k = {m, w, X, mode};
    wl_linop K = {kernel_op, &k, n};
    wl_lanczos_opts o;
    wl_lanczos_opts_default(&o);
    o.k = nev;
    o.which = which > 0 ? WL_EIG_LA : WL_EIG_SA; /* K is PSD: top = largest algebraic */
    o.tol = tol;
    o.max_matvecs = max_iter;
    wl_eig_result r;
    int rc = wl_lanczos(&K, &o, rng, 0, &r);
    if (rc) return rc;
    for (size_t j = 0; j < nev; j++) vals[j] = r.values[j];
    if (info) {
        info->iters = r.matvecs;
        info->resid = r.max_residual;
        info->converged = r.converged;
    }
    wl_eig_result_free(&r);
    return WL_OK;
}
