/* `widelab ntk --infinite`: the infinite-width NTK/NNGP of the --model spec
 * (src/kernel/infinite*.c) in place of the empirical kernel. */
#include "ntk_infinite.h"

#include <stdio.h>

int cli_ntk_infinite(const char *spec, const wl_mat *X, wl_mat *K, wl_mat *S) {
    wl_inf_arch a;
    size_t n_in = 0, n_out = 0;
    int rc = wl_inf_arch_from_spec(spec, &a, &n_in, &n_out);
    if (rc) return rc;
    if (n_in != X->cols)
        return wl_seterr(WL_EINVAL, "the data has %zu features, the model %s takes %zu", X->cols,
                         spec, n_in);
    fprintf(stderr,
            "ntk: infinite-width %s kernel of %s: %s, depth %zu, bias %g, %s%s (per output; "
            "the trace kernel of %zu outputs is %zu x this)\n",
            a.param == WL_INF_NTK ? "NTK" : "standard-parametrization", spec,
            wl_inf_act_name(a.act), a.depth, a.bias, a.csigma ? "c_sigma, " : "",
            a.param == WL_INF_NTK ? "width -> infinity" : "expected kernel at this width", n_out,
            n_out);
    rc = wl_mat_alloc(K, X->rows, X->rows);
    if (!rc && S) rc = wl_mat_alloc(S, X->rows, X->rows);
    if (!rc) rc = wl_ntk_infinite(&a, X, NULL, K, S);
    return rc;
}
