/* Spectral `auto` settings for any model from its tangent kernel on a sample. */
#include "train_internal.h"

#include <stdlib.h>

/* Per-output kernel K/k of m at w on Xs (the Gauss-Newton spectrum of the mean
 * MSE is eig(K_full)/n, and K_full ~ (K/k) (x) I_k for wide networks), then
 * the constants of wl_spectral_from_kernel and the choices for batch m. */
int wl_train_auto(wl_model *m, const double *w, const wl_mat *Xs, size_t batch,
                  wl_optim_config *cfg, wl_spectral *sp) {
    wl_mat K;
    int rc = wl_mat_alloc(&K, Xs->rows, Xs->rows);
    if (rc) return rc;
    if (!(rc = wl_ntk_empirical(m, w, Xs, NULL, NULL, &K))) {
        wl_scal(K.rows * K.cols, 1.0 / (double)m->n_out, K.data);
        rc = wl_spectral_from_kernel(&K, sp);
    }
    wl_mat_free(&K);
    if (rc) return wl_adderr(rc, "auto settings from the tangent kernel of %zu samples", Xs->rows);
    size_t mb = batch ? batch : Xs->rows;
    if ((rc = wl_spectral_choose(sp, mb))) return rc;
    return cfg ? wl_spectral_configure(sp, cfg) : WL_OK;
}
