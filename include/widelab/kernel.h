/* widelab kernel: tangent kernels (empirical and infinite-width), spectra, kernel regression, kernel models. */
#ifndef WIDELAB_KERNEL_H
#define WIDELAB_KERNEL_H

#include "widelab/model.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
