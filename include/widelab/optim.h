/* widelab optim: optimizers (GD, SGD, heavy-ball, Nesterov, Adam, MaSS), schedules, spectral tuning. */
#ifndef WIDELAB_OPTIM_H
#define WIDELAB_OPTIM_H

#include "widelab/loss.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
