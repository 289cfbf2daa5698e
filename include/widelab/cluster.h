/* widelab cluster: Bregman clustering and its asymptotics. */
#ifndef WIDELAB_CLUSTER_H
#define WIDELAB_CLUSTER_H

#include "widelab/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
