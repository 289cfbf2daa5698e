/* widelab net: networks as DAGs of ops, the linear model, spec strings. */
#ifndef WIDELAB_NET_H
#define WIDELAB_NET_H

#include "widelab/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Builds a model from a spec string, e.g. "mlp:784-1024x3-10:relu:ntk",
 * "resmlp:...", "linear:784-10" (grammar documented in docs/models.md). */
int wl_net_from_spec(const char *spec, wl_model **out);

/* The linear model f(w; x) = W x (+ b): W is k x d (w[0..kd) row-major), the
 * bias (if any) follows. Its model Hessian is zero. */
int wl_linear_new(size_t d, size_t k, int bias, wl_model **out);

#ifdef __cplusplus
}
#endif
#endif
