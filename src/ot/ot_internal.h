/* Helpers shared by the ot area (not public). */
#ifndef WL_OT_INTERNAL_H
#define WL_OT_INTERNAL_H

#include "widelab/ot.h"

/* Loops over fewer entries than this run on one thread (a parallel region
 * costs more than it saves on small problems). */
#define WL_OT_PAR_MIN 65536

/* Fills w (len n) with the given marginal, or uniform 1/n when src is NULL;
 * checks entries are finite and >= 0 and the sum is positive. */
int wl_ot_marginal(const double *src, size_t n, const char *name, double *w);

/* Sums of a (n) and b (m) agree to 1e-9 relative; rescales b to sum a. */
int wl_ot_balance(const double *a, size_t n, double *b, size_t m);

/* ||P^T 1 - b||_2 for a dense plan. */
double wl_ot_col_err(const wl_mat *P, const double *b);

/* <P, C>. */
double wl_ot_dot(const wl_mat *P, const wl_mat *C);

/* Plan step of the alignment loops, uniform marginals: P = argmin <P, C>
 * (eps = 0: network simplex) or Sinkhorn with sk. */
int wl_ot_plan(const wl_mat *C, double eps, const wl_sinkhorn_opts *sk, wl_mat *P);

#endif
