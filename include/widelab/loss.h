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
/* An independent objective for another thread: same loss and data, a clone
 * of the model (wl_model_clone; freed with the objective). */
int wl_objective_clone(const wl_objective *o, wl_objective **out);
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

/* ---- the loss on outputs ---------------------------------------------------
 * F: n x k outputs (logits for cross-entropy), Y: n x k targets. s scales
 * every term (s = 1/n gives the mean over the rows). For cross-entropy with
 * a target row y of sum S (S = 1 for one-hot or probability vectors),
 * l(f) = S logsumexp(f) - <y, f>, l'(f) = S p - y, l''(f) = S (diag p - p p^T)
 * with p = softmax(f). For MSE l(f) = 1/2 ||f - y||^2, l' = f - y, l'' = I. */

/* "mse" or "xent" (also "ce", "cross-entropy") into *kind; WL_EINVAL otherwise. */
int wl_loss_parse(const char *name, wl_loss_kind *kind);
const char *wl_loss_name(wl_loss_kind kind);
/* *L = s sum_i l(F_i, Y_i) (L may be NULL); G = s l'(F) (n x k, may be NULL). */
int wl_loss_eval(wl_loss_kind kind, const wl_mat *F, const wl_mat *Y, double s, double *L,
                 wl_mat *G);
/* HV_i = s l''(F_i) V_i for every row i (V, HV: n x k; HV may alias V). */
int wl_loss_hess(wl_loss_kind kind, const wl_mat *F, const wl_mat *Y, double s, const wl_mat *V,
                 wl_mat *HV);
/* l[i] = l(F_i, Y_i), unscaled, i < n. */
int wl_loss_per_sample(wl_loss_kind kind, const wl_mat *F, const wl_mat *Y, double *l);

/* ---- accuracy ---------------------------------------------------------------
 * Predicted class of an output row: argmax_c F_ic when k > 1 (first maximum
 * on ties); when k = 1, class 1 if F_i0 > 0 else 0 (sign of a +-1 target). */
size_t wl_predict_class(const double *f, size_t k);
/* Fraction of rows whose predicted class equals that of the target row
 * (argmax of Y_i when k > 1; Y_i0 > 0 when k = 1). */
int wl_accuracy(const wl_mat *F, const wl_mat *Y, double *acc);
/* Fraction of rows whose predicted class equals labels[i]. */
int wl_accuracy_labels(const wl_mat *F, const int *labels, double *acc);

/* ---- more on objectives ------------------------------------------------------ */

wl_loss_kind wl_objective_loss(const wl_objective *o);
/* The referenced data (X: n x d, Y: n x k). */
const wl_mat *wl_objective_X(const wl_objective *o);
const wl_mat *wl_objective_Y(const wl_objective *o);
/* F = f(w; X_idx), F: nb x k (idx = NULL: all n rows). */
int wl_objective_forward(wl_objective *o, const double *w, const size_t *idx, size_t nb,
                         wl_mat *F);
/* l[j] = l(f(w; x_idx[j]), y_idx[j]) for j < nb (per-sample losses, unscaled). */
int wl_objective_losses(wl_objective *o, const double *w, const size_t *idx, size_t nb,
                        double *l);
/* Accuracy of f(w; .) on the subset against the targets Y (see wl_accuracy). */
int wl_objective_accuracy(wl_objective *o, const double *w, const size_t *idx, size_t nb,
                          double *acc);
/* Finite-difference check of grad and hvp along `trials` random unit
 * directions from rng (central differences, h = 1e-5 max(1, ||w||)):
 *   *grad_err = max |<g, v> - dL/dv| / |<g, v>|,
 *   *hvp_err  = max ||H v - (g(w + h v) - g(w - h v))/2h|| / ||H v||.
 * Expect ~1e-8 or less for correct derivatives. */
int wl_objective_check(wl_objective *o, const double *w, const size_t *idx, size_t nb,
                       wl_rng *rng, size_t trials, double *grad_err, double *hvp_err);

#ifdef __cplusplus
}
#endif
#endif
