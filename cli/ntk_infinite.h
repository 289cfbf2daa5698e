/* The infinite-width branch of `widelab ntk --infinite`. */
#ifndef WL_CLI_NTK_INFINITE_H
#define WL_CLI_NTK_INFINITE_H

#include "widelab.h"

/* K (allocated here, n x n) = infinite-width NTK of the network spec at the
 * points X (per output: the trace kernel of k outputs is k K); S (NULL or
 * allocated here) = its NNGP. Prints the architecture's reading to stderr. */
int cli_ntk_infinite(const char *spec, const wl_mat *X, wl_mat *K, wl_mat *S);

#endif
