/* widelab ot: optimal transport, Procrustes and Wasserstein Procrustes alignment. */
#ifndef WIDELAB_OT_H
#define WIDELAB_OT_H

#include "widelab/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
