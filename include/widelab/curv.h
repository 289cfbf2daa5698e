/* widelab curv: curvature: Lanczos, power iteration, Hutchinson, SLQ; Hessians; Taylor models. */
#ifndef WIDELAB_CURV_H
#define WIDELAB_CURV_H

#include "widelab/loss.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
