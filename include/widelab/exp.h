/* widelab exp: experiments that reproduce the papers' results. */
#ifndef WIDELAB_EXP_H
#define WIDELAB_EXP_H

#include "widelab/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
