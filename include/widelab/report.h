/* widelab report: CSV/JSON writers, SVG plots, run directories, checkpoints, progress. */
#ifndef WIDELAB_REPORT_H
#define WIDELAB_REPORT_H

#include "widelab/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
