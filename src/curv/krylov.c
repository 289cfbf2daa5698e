/* Krylov basis helpers: reorthogonalization, small eigenproblems, checked products. */
#include "curv/krylov.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* w <- (I - V^T V) w, twice (DGKS); h = V w_0.   V: j x p, w: p, h: j */
void wl__orth(const double *V, size_t j, size_t p, double *w, double *h) {
    if (j == 0) return;
    wl_mat Vm = wl_mat_view((double *)V, j, p);
    double h2[64];
    double *tmp = j <= 64 ? h2 : wl_dalloc(j, "reorthogonalization");
    wl_gemv(0, 1.0, &Vm, w, 0.0, h);
    wl_gemv(1, -1.0, &Vm, h, 1.0, w);
    if (tmp) {
        wl_gemv(0, 1.0, &Vm, w, 0.0, tmp);
        wl_gemv(1, -1.0, &Vm, tmp, 1.0, w);
        for (size_t i = 0; i < j; i++) h[i] += tmp[i];
        if (tmp != h2) free(tmp);
    }
}

/* T = S diag(theta) S^T on the leading j x j block.   T: ld-strided, S: j x j */
int wl__eig_small(const double *T, size_t ld, size_t j, double *theta, double *S) {
    for (size_t r = 0; r < j; r++) memcpy(S + r * j, T + r * ld, j * sizeof(double));
    wl_mat Sm = wl_mat_view(S, j, j);
    return wl_eigh(&Sm, theta, 1);
}

int wl__random_orth(const double *V, size_t j, size_t p, wl_rng *rng, double *w, double *h) {
    if (j >= p) return 0;
    for (int attempt = 0; attempt < 5; attempt++) {
        wl_rng_normal_fill(rng, w, p, 0.0, 1.0);
        double n0 = wl_nrm2(p, w);
        wl__orth(V, j, p, w, h);
        double n1 = wl_nrm2(p, w);
        if (n1 > 1e-8 * n0) {
            wl_scal(p, 1.0 / n1, w);
            return 1;
        }
    }
    return 0;
}

int wl__apply(const wl_linop *H, const double *x, double *y) {
    int rc = H->mv(H->ctx, x, y);
    if (rc) return wl_adderr(rc, "operator product");
    if (!wl_all_finite(H->p, y))
        return wl_seterr(WL_ENUMERIC, "operator product returned NaN or Inf");
    return WL_OK;
}
