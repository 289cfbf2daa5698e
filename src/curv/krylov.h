/* Internal helpers shared by the Krylov solvers of src/curv (not public). */
#ifndef WL_CURV_KRYLOV_H
#define WL_CURV_KRYLOV_H

#include "widelab/curv.h"

/* Orthogonalizes w (p) against the rows V[0..j) (V: j x p, row stride p),
 * classical Gram-Schmidt applied twice; h (j) receives V w (the projections
 * summed over both passes). */
void wl__orth(const double *V, size_t j, size_t p, double *w, double *h);

/* Eigen-decomposition of the leading j x j block of T (stride ld): theta (j)
 * ascending, S (j x j, stride j) column i = eigenvector of theta[i]. */
int wl__eig_small(const double *T, size_t ld, size_t j, double *theta, double *S);

/* Writes a random unit vector orthogonal to V[0..j) into w (p); 0 if the
 * rows already span R^p (w left undefined). */
int wl__random_orth(const double *V, size_t j, size_t p, wl_rng *rng, double *w, double *h);

/* Calls the operator and checks the result is finite. */
int wl__apply(const wl_linop *H, const double *x, double *y);

#endif
