/* Log-domain Sinkhorn (internal; reached through wl_sinkhorn). */
#ifndef WL_SINKHORN_LOG_H
#define WL_SINKHORN_LOG_H

#include "ot_internal.h"

/* a (n), b (m): validated marginals with equal sums; range = max C - min C. */
int wl_sinkhorn_log(const wl_mat *C, const double *a, const double *b, const wl_sinkhorn_opts *o,
                    double range, wl_mat *P, double *f, double *g, wl_ot_result *res);

#endif
