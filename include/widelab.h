/* widelab: optimization of over-parameterized models.
 *
 * One header for everything. A worked example (train-free tour):
 *
 *   #include <widelab.h>
 *   wl_rng rng; wl_rng_seed(&rng, 0);
 *   wl_model *net;
 *   if (wl_net_from_spec("mlp:784-1024x3-10:relu:ntk", &net)) {
 *       fprintf(stderr, "%s\n", wl_errmsg());       // errors are values
 *       return 2;
 *   }
 *   double *w = wl_dalloc(net->dim, "params");
 *   wl_model_init(net, &rng, w);                      // N(0,1) weights (NTK)
 *   wl_mat X = wl_mat_view(x, n, 784), F;             // n x 784 inputs
 *   wl_mat_alloc(&F, n, 10);
 *   wl_model_forward(net, w, &X, &F);                 // F = f(w; X)
 *
 * Areas: core (errors, rng, matrices), data, model (networks, linear, Taylor
 * and kernel models), loss (objectives), optim, kernel (tangent kernels),
 * curv (Hessian spectra), probe, exp, cluster, ot, report.
 */
#ifndef WIDELAB_H
#define WIDELAB_H

#include "widelab/core.h"
#include "widelab/data.h"
#include "widelab/model.h"
#include "widelab/loss.h"
#include "widelab/net.h"
#include "widelab/optim.h"
#include "widelab/kernel.h"
#include "widelab/curv.h"
#include "widelab/probe.h"
#include "widelab/exp.h"
#include "widelab/cluster.h"
#include "widelab/ot.h"
#include "widelab/report.h"
#include "widelab/train.h"

#endif
