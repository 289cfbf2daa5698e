/* Structured (layer-wise) kernels of networks against the generic Jacobian
 * and NTK-vector-product methods: every mode, with and without X2, biases,
 * several outputs, skip connections, dense connections, both parametrizations,
 * tile sizes, thread layouts, cached and recomputed factors. */
#include "wl_test.h"

static const char *specs[] = {
    "mlp:5-7x2-3:tanh:ntk:bias=0.4",
    "mlp:5-6-4-2:relu:std:bias",
    "resmlp:5-6x2-3:gelu:ntk:bias=0.2",
    "densemlp:5-6x3-2:tanh:ntk",
    "mlp:5-8-1:erf:ntk:outact=tanh",
    "assembly:5-4-2:3:relu",
};

typedef struct fx {
    wl_model *m;
    double *w;
    wl_mat X1, X2;
} fx;

static void fx_make(fx *f, const char *spec, size_t n1, size_t n2, uint64_t seed) {
    WL_OK_OR_FAIL(wl_net_from_spec(spec, &f->m));
    wl_rng r;
    wl_rng_seed(&r, seed);
    f->w = wl_dalloc(f->m->dim, "w");
    WL_OK_OR_FAIL(wl_model_init(f->m, &r, f->w));
    wl_mat_alloc(&f->X1, n1, f->m->n_in);
    wl_mat_alloc(&f->X2, n2, f->m->n_in);
    wl_rng_normal_fill(&r, f->X1.data, n1 * f->m->n_in, 0.0, 1.0);
    wl_rng_normal_fill(&r, f->X2.data, n2 * f->m->n_in, 0.0, 1.0);
}

static void fx_free(fx *f) {
    wl_model_free(f->m);
    free(f->w);
    wl_mat_free(&f->X1);
    wl_mat_free(&f->X2);
}

static void kernel(fx *f, wl_ntk_method meth, wl_ntk_mode mode, int two, size_t tile,
                   wl_ntk_par par, double limit, wl_mat *Kk) {
    wl_ntk_opts o;
    wl_ntk_opts_default(&o);
    o.method = meth;
    o.mode = mode;
    o.tile = tile;
    o.parallel = par;
    o.threads = 2;
    o.mem_limit = limit;
    Kk->data = NULL;
    WL_OK_OR_FAIL(wl_ntk_empirical(f->m, f->w, &f->X1, two ? &f->X2 : NULL, &o, Kk));
}

static void test_structured_matches_generic(void **st) {
    (void)st;
    for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
        fx f;
        fx_make(&f, specs[s], 11, 6, 100 + s);
        for (int mode = 0; mode < 3; mode++)
            for (int two = 0; two < (mode == WL_NTK_DIAG ? 1 : 2); two++) {
                wl_mat J, V, S;
                kernel(&f, WL_NTK_JACOBIAN, (wl_ntk_mode)mode, two, 0, WL_NTK_PAR_AUTO, 0, &J);
                kernel(&f, WL_NTK_NTKVP, (wl_ntk_mode)mode, two, 3, WL_NTK_PAR_TILES, 0, &V);
                double e = wl_test_rel_err(J.rows * J.cols, V.data, J.data, 1e-300);
                if (!(e < 1e-10)) fail_msg("%s %s ntkvp: %g", specs[s], wl_ntk_mode_name(mode), e);
                size_t tiles[] = {0, 1, 4, 64};
                for (int t = 0; t < 4; t++)
                    for (int par = 1; par <= 2; par++) {
                        kernel(&f, WL_NTK_STRUCTURED, (wl_ntk_mode)mode, two, tiles[t],
                               (wl_ntk_par)par, 0, &S);
                        e = wl_test_rel_err(J.rows * J.cols, S.data, J.data, 1e-300);
                        if (!(e < 1e-10))
                            fail_msg("%s %s two=%d tile=%zu par=%d: structured err %g",
                                     specs[s], wl_ntk_mode_name(mode), two, tiles[t], par, e);
                        wl_mat_free(&S);
                    }
                wl_mat_free(&J);
                wl_mat_free(&V);
            }
        fx_free(&f);
    }
}

/* a budget too small to cache every point's factors: recomputed per tile */
static void test_structured_uncached(void **st) {
    (void)st;
    fx f;
    fx_make(&f, "mlp:5-7x2-3:tanh:ntk:bias=0.4", 40, 9, 3);
    for (int mode = 0; mode < 2; mode++)
        for (int two = 0; two < 2; two++) {
            wl_ntk_opts o;
            wl_ntk_opts_default(&o);
            o.mode = (wl_ntk_mode)mode;
            o.method = WL_NTK_STRUCTURED;
            o.tile = 0; /* shrinks to fit the budget */
            wl_ntk_plan p;
            WL_OK_OR_FAIL(wl_ntk_plan_make(f.m, 40, two ? 9 : 0, &o, &p));
            assert_true(p.cache);
            /* lower the budget until the factors of all points no longer fit */
            o.mem_limit = p.result_bytes + p.work_bytes;
            while (wl_ntk_plan_make(f.m, 40, two ? 9 : 0, &o, &p) == WL_OK && p.cache)
                o.mem_limit *= 0.98;
            WL_OK_OR_FAIL(wl_ntk_plan_make(f.m, 40, two ? 9 : 0, &o, &p));
            assert_false(p.cache);
            assert_true(p.tile < 40);
            wl_mat A, B;
            kernel(&f, WL_NTK_JACOBIAN, (wl_ntk_mode)mode, two, 0, WL_NTK_PAR_AUTO, 0, &A);
            kernel(&f, WL_NTK_STRUCTURED, (wl_ntk_mode)mode, two, 0, WL_NTK_PAR_TILES,
                   o.mem_limit, &B);
            assert_true(wl_test_rel_err(A.rows * A.cols, B.data, A.data, 1e-300) < 1e-10);
            wl_mat_free(&A);
            wl_mat_free(&B);
        }
    fx_free(&f);
}

/* with an output path, streaming the result is preferred to dropping the
 * factor cache; the streamed kernel equals the in-memory one */
static void test_disk_keeps_cache(void **st) {
    (void)st;
    fx f;
    fx_make(&f, "mlp:5-7x2-3:tanh:ntk:bias=0.4", 60, 1, 4);
    char dir[256], path[512];
    assert_non_null(wl_test_tmpdir(dir, sizeof dir));
    snprintf(path, sizeof path, "%s/K.npy", dir);
    wl_ntk_opts o;
    wl_ntk_opts_default(&o);
    o.method = WL_NTK_STRUCTURED;
    o.tile = 10;
    o.threads = 2;
    wl_ntk_plan p;
    WL_OK_OR_FAIL(wl_ntk_plan_make(f.m, 60, 0, &o, &p));
    assert_true(p.cache && !p.to_disk);
    o.mem_limit = p.work_bytes + 0.5 * p.result_bytes; /* cache fits, result does not */
    o.out_path = path;
    WL_OK_OR_FAIL(wl_ntk_plan_make(f.m, 60, 0, &o, &p));
    assert_true(p.cache && p.to_disk);
    wl_mat A, B = {0};
    kernel(&f, WL_NTK_JACOBIAN, WL_NTK_TRACE, 0, 0, WL_NTK_PAR_AUTO, 0, &A);
    WL_OK_OR_FAIL(wl_ntk_empirical(f.m, f.w, &f.X1, NULL, &o, &B));
    assert_null(B.data);
    double *d;
    int nd;
    size_t sh[8];
    WL_OK_OR_FAIL(wl_npy_read(path, &d, &nd, sh));
    assert_int_equal(sh[0], 60);
    assert_int_equal(sh[1], 60);
    assert_true(wl_test_rel_err(3600, d, A.data, 1e-300) < 1e-10);
    free(d);
    wl_mat_free(&A);
    fx_free(&f);
}

/* auto picks the structured method for a network; the result is identical
 * whatever the thread count and layout (deterministic tiles) */
static void test_auto_and_threads(void **st) {
    (void)st;
    fx f;
    fx_make(&f, "mlp:6-10x2-2:relu:ntk", 37, 1, 9);
    wl_ntk_plan p;
    WL_OK_OR_FAIL(wl_ntk_plan_make(f.m, 37, 0, NULL, &p));
    assert_int_equal(p.method, WL_NTK_STRUCTURED);
    wl_mat A, B;
    kernel(&f, WL_NTK_AUTO, WL_NTK_TRACE, 0, 5, WL_NTK_PAR_TILES, 0, &A);
    kernel(&f, WL_NTK_AUTO, WL_NTK_TRACE, 0, 5, WL_NTK_PAR_BLAS, 0, &B);
    for (size_t i = 0; i < A.rows * A.cols; i++) assert_true(A.data[i] == B.data[i]);
    wl_mat_free(&A);
    wl_mat_free(&B);
    fx_free(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structured_matches_generic),
        cmocka_unit_test(test_structured_uncached),
        cmocka_unit_test(test_auto_and_threads),
        cmocka_unit_test(test_disk_keeps_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
