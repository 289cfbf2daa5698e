/* Parameters as a state_dict .npz: round trips, and the folded NTK arrays
 * computing the same function as the standard-parametrization twin (which is
 * what torch.nn.Linear computes). */
#include "wl_test.h"

static double *init_w(wl_model *m, uint64_t seed) {
    wl_rng r;
    wl_rng_seed(&r, seed);
    double *w = wl_dalloc(m->dim, "w");
    WL_OK_OR_FAIL(wl_model_init(m, &r, w));
    return w;
}

static void test_fold_matches_std_twin(void **state) {
    (void)state;
    char dir[512], path[600];
    wl_test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/params.npz", dir);
    wl_model *ntk, *std;
    WL_OK_OR_FAIL(wl_net_from_spec("resmlp:4-5x2-3:tanh:ntk:bias=0.3", &ntk));
    WL_OK_OR_FAIL(wl_net_from_spec("resmlp:4-5x2-3:tanh:std:bias", &std));
    double *w = init_w(ntk, 1), *w2 = wl_dalloc(ntk->dim, "w2"), *w3 = wl_dalloc(ntk->dim, "w3");
    WL_OK_OR_FAIL(wl_net_save_npz(ntk, w, path, 1));
    WL_OK_OR_FAIL(wl_net_load_npz(std, path, 0, w2));
    double x[8], f1[6], f2[6];
    wl_rng r;
    wl_rng_seed(&r, 2);
    wl_rng_normal_fill(&r, x, 8, 0, 1);
    wl_mat X = wl_mat_view(x, 2, 4), F1 = wl_mat_view(f1, 2, 3), F2 = wl_mat_view(f2, 2, 3);
    WL_OK_OR_FAIL(wl_model_forward(ntk, w, &X, &F1));
    WL_OK_OR_FAIL(wl_model_forward(std, w2, &X, &F2));
    for (int i = 0; i < 6; i++) WL_ASSERT_CLOSE(f1[i], f2[i], 1e-14);
    /* unfolding gives back w */
    WL_OK_OR_FAIL(wl_net_load_npz(ntk, path, 1, w3));
    assert_true(wl_test_rel_err(ntk->dim, w3, w, 1) < 1e-15);
    /* unfolded round trip is exact */
    WL_OK_OR_FAIL(wl_net_save_npz(ntk, w, path, 0));
    WL_OK_OR_FAIL(wl_net_load_npz(ntk, path, 0, w3));
    assert_memory_equal(w3, w, ntk->dim * sizeof *w);
    free(w);
    free(w2);
    free(w3);
    wl_model_free(ntk);
    wl_model_free(std);
}

static void test_load_errors(void **state) {
    (void)state;
    char dir[512], path[600];
    wl_test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/p.npz", dir);
    wl_model *a, *b, *c;
    WL_OK_OR_FAIL(wl_net_from_spec("mlp:4-5-3:relu", &a));
    WL_OK_OR_FAIL(wl_net_from_spec("mlp:4-6-3:relu", &b));
    WL_OK_OR_FAIL(wl_net_from_spec("mlp:4-5-3:relu:bias", &c));
    double *w = init_w(a, 3), *wb = wl_dalloc(c->dim, "wb");
    WL_OK_OR_FAIL(wl_net_save_npz(a, w, path, 0));
    assert_int_equal(wl_net_load_npz(b, path, 0, wb), WL_EFORMAT);
    assert_non_null(strstr(wl_errmsg(), "0.weight"));
    assert_int_equal(wl_net_load_npz(c, path, 0, wb), WL_EFORMAT);
    assert_non_null(strstr(wl_errmsg(), "0.bias"));
    snprintf(path, sizeof path, "%s/missing.npz", dir);
    assert_int_not_equal(wl_net_load_npz(a, path, 0, wb), WL_OK);
    free(w);
    free(wb);
    wl_model_free(a);
    wl_model_free(b);
    wl_model_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_matches_std_twin),
        cmocka_unit_test(test_load_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
