/* widelab losses and objectives (model + loss + data).
 *
 * Conventions (every number below depends on them):
 *   MSE:           L = (1/n) sum_i 1/2 ||f_i - y_i||^2
 *   cross-entropy: L = (1/n) sum_i [ logsumexp(f_i) - <y_i, f_i> ]  (y_i one-hot
 *                  or a probability vector; log-softmax of the logits f_i)
 * i.e. the mean over samples, with the 1/2 in MSE. The gradient and Hessian
 * below are of this L:
 *   grad L = J^T l'(F),   Hess L v = J^T l''(F) (J v) + hvp(G = l'(F), v)
 * where l'(F) already carries the 1/n.
 */
#ifndef WIDELAB_LOSS_H
#define WIDELAB_LOSS_H

#include "widelab/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum wl_loss_kind { WL_LOSS_MSE = 0, WL_LOSS_XENT = 1 } wl_loss_kind;

typedef struct wl_objective wl_objective;

/* Objective on (X: n x d, Y: n x k); X and Y are referenced, not copied, and
 * must outlive the objective. The model is referenced too. */
int wl_objective_new(wl_model *m, wl_loss_kind loss, const wl_mat *X, const wl_mat *Y,
                     wl_objective **out);
void wl_objective_free(wl_objective *o);
wl_model *wl_objective_model(const wl_objective *o);
size_t wl_objective_n(const wl_objective *o);

/* On the subset idx[0..nb) (idx = NULL: all n samples, in order); the mean is
 * over the nb samples used.
 *   value:  *L
 *   grad:   *L (if not NULL) and g (dim)
 *   hvp:    hv = Hess L v (Gauss-Newton + model part)
 *   gnvp:   hv = J^T l''(F) J v (Gauss-Newton part alone) */
int wl_objective_value(wl_objective *o, const double *w, const size_t *idx, size_t nb,
                       double *L);
int wl_objective_grad(wl_objective *o, const double *w, const size_t *idx, size_t nb,
                      double *L, double *g);
int wl_objective_hvp(wl_objective *o, const double *w, const size_t *idx, size_t nb,
                     const double *v, double *hv);
int wl_objective_gnvp(wl_objective *o, const double *w, const size_t *idx, size_t nb,
                      const double *v, double *hv);

#ifdef __cplusplus
}
#endif
#endif
