/* widelab probe: probes measured during training. */
#ifndef WIDELAB_PROBE_H
#define WIDELAB_PROBE_H

#include "widelab/loss.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
