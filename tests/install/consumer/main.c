/* Uses the installed library: builds a network and computes its tangent kernel. */
#include <stdio.h>
#include <stdlib.h>
#include <widelab.h>

int main(void) {
    wl_model *net;
    if (wl_net_from_spec("mlp:3-16-1:relu:ntk", &net)) {
        fprintf(stderr, "%s\n", wl_errmsg());
        return 1;
    }
    wl_rng r;
    wl_rng_seed(&r, 1);
    double *w = wl_dalloc(net->dim, "w"), x[6] = {1, 0, 0, 0, 1, 0};
    wl_model_init(net, &r, w);
    wl_mat X = wl_mat_view(x, 2, 3), K = {0};
    if (wl_ntk_empirical(net, w, &X, NULL, NULL, &K)) {
        fprintf(stderr, "%s\n", wl_errmsg());
        return 1;
    }
    printf("widelab %s: K = [%g %g; %g %g]\n", wl_version(), WL_AT(&K, 0, 0), WL_AT(&K, 0, 1),
           WL_AT(&K, 1, 0), WL_AT(&K, 1, 1));
    int ok = K.data[1] == K.data[2] && K.data[0] > 0;
    wl_mat_free(&K);
    free(w);
    wl_model_free(net);
    return ok ? 0 : 1;
}
