/* Memory planning, budget refusals and the kernel streamed to disk as .npy. */
#include "wl_test.h"
#include "ntk_testmodel.h"

/* reads a 2-D '<f8' .npy written by the kernel writer */
static double *read_npy(const char *path, size_t *rows, size_t *cols) {
    size_t len;
    char *b = wl_test_slurp(path, &len);
    if (!b || len < 10 || memcmp(b, "\x93NUMPY", 6) != 0) return NULL;
    size_t hlen = (unsigned char)b[8] | ((size_t)(unsigned char)b[9] << 8);
    if ((10 + hlen) % 64 != 0 || !strstr(b + 10, "'descr': '<f8'")) return NULL;
    const char *sh = strstr(b + 10, "'shape': (");
    if (!sh || sscanf(sh, "'shape': (%zu, %zu)", rows, cols) != 2) return NULL;
    if (len != 10 + hlen + *rows * *cols * 8) return NULL;
    double *d = malloc(*rows * *cols * sizeof *d + 1);
    memcpy(d, b + 10 + hlen, *rows * *cols * sizeof *d);
    free(b);
    return d;
}

typedef struct fx {
    wl_model *m;
    double *w;
    wl_mat X, Z;
} fx;

static void fx_make(fx *f, size_t n) {
    wl_rng r;
    wl_rng_seed(&r, 11);
    f->m = tm_new(4, 6, 2, 0);
    f->w = malloc(f->m->dim * sizeof *f->w);
    tm_fill(&r, f->w, f->m->dim, 1.0);
    wl_mat_alloc(&f->X, n, 4);
    tm_fill(&r, f->X.data, n * 4, 1.0);
    wl_mat_alloc(&f->Z, n / 2 + 1, 4);
    tm_fill(&r, f->Z.data, (n / 2 + 1) * 4, 1.0);
}

static void fx_free(fx *f) {
    wl_model_free(f->m);
    free(f->w);
    wl_mat_free(&f->X);
    wl_mat_free(&f->Z);
}

/* the plan counts the result and the workspace; shapes per mode */
static void test_plan(void **st) {
    (void)st;
    fx f;
    fx_make(&f, 30);
    wl_ntk_opts o;
    wl_ntk_opts_default(&o);
    o.method = WL_NTK_JACOBIAN;
    o.tile = 10;
    o.threads = 1;
    wl_ntk_plan p;
    WL_OK_OR_FAIL(wl_ntk_plan_make(f.m, 30, 0, &o, &p));
    assert_int_equal(p.rows, 30);
    assert_int_equal(p.cols, 30);
    assert_true(p.result_bytes == 30.0 * 30 * 8);
    /* two Jacobian tiles of 10 x k p doubles at least */
    assert_true(p.work_bytes >= 2.0 * 10 * 2 * (double)f.m->dim * 8);
    double mem = wl_ntk_memory(f.m, 30, 0, &o);
    assert_true(mem == p.work_bytes + p.result_bytes);
    o.mode = WL_NTK_FULL;
    WL_OK_OR_FAIL(wl_ntk_plan_make(f.m, 30, 7, &o, &p));
    assert_int_equal(p.rows, 60);
    assert_int_equal(p.cols, 14);
    o.mode = WL_NTK_DIAG;
    WL_OK_OR_FAIL(wl_ntk_plan_make(f.m, 30, 0, &o, &p));
    assert_int_equal(p.cols, 2);
    /* default budget: a fraction of physical memory */
    assert_true(p.limit_bytes > 1e6);
    /* auto picks a generic method for a model without dense layers */
    o.method = WL_NTK_AUTO;
    WL_OK_OR_FAIL(wl_ntk_plan_make(f.m, 30, 0, &o, &p));
    assert_true(p.method == WL_NTK_JACOBIAN || p.method == WL_NTK_NTKVP);
    fx_free(&f);
}

/* over budget without an output path: refused, saying how much and what to set */
static void test_refusal_message(void **st) {
    (void)st;
    fx f;
    fx_make(&f, 40);
    wl_ntk_opts o;
    wl_ntk_opts_default(&o);
    o.mem_limit = 4000; /* bytes: less than the 40 x 40 result (12.5 KiB) */
    wl_mat Kk = {0};
    assert_int_equal(wl_ntk_empirical(f.m, f.w, &f.X, NULL, &o, &Kk), WL_ENOMEM);
    const char *msg = wl_errmsg();
    assert_non_null(strstr(msg, "12.5 KiB"));
    assert_non_null(strstr(msg, "--out"));
    assert_non_null(strstr(msg, "--mem-limit"));
    assert_null(Kk.data);
    assert_true(wl_ntk_memory(f.m, 40, 0, &o) == 0.0);
    /* an explicit tile whose workspace cannot fit: says to lower --tile */
    o.mem_limit = 1e5;
    o.tile = 40;
    o.method = WL_NTK_JACOBIAN;
    assert_int_equal(wl_ntk_empirical(f.m, f.w, &f.X, NULL, &o, &Kk), WL_ENOMEM);
    assert_non_null(strstr(wl_errmsg(), "--tile"));
    /* without an explicit tile, the tile shrinks until it fits */
    o.tile = 0;
    WL_OK_OR_FAIL(wl_ntk_empirical(f.m, f.w, &f.X, NULL, &o, &Kk));
    wl_ntk_plan p;
    WL_OK_OR_FAIL(wl_ntk_plan_make(f.m, 40, 0, &o, &p));
    assert_true(p.tile < 40);
    assert_true(p.work_bytes + p.result_bytes <= 1e5);
    wl_mat_free(&Kk);
    fx_free(&f);
}

/* result over budget with an output path: written tile by tile, equal to memory */
static void test_disk_equals_memory(void **st) {
    (void)st;
    fx f;
    fx_make(&f, 60);
    char dir[256], path[512];
    assert_non_null(wl_test_tmpdir(dir, sizeof dir));
    snprintf(path, sizeof path, "%s/kernel.npy", dir);
    int unforced = 0;
    for (int mode = 0; mode < 3; mode++)
        for (int two = 0; two < (mode == WL_NTK_DIAG ? 1 : 2); two++)
            for (int par = 1; par <= 2; par++) {
                wl_ntk_opts o;
                wl_ntk_opts_default(&o);
                o.mode = (wl_ntk_mode)mode;
                o.method = WL_NTK_JACOBIAN;
                o.tile = 5;
                o.parallel = (wl_ntk_par)par;
                o.threads = 2;
                wl_mat A = {0}, B = {0};
                WL_OK_OR_FAIL(wl_ntk_empirical(f.m, f.w, &f.X, two ? &f.Z : NULL, &o, &A));
                o.out_path = path;
                /* budget: the workspace plus half the result, so the result
                 * goes to disk (the diag result is tiny: forced there) */
                wl_ntk_plan p;
                WL_OK_OR_FAIL(wl_ntk_plan_make(f.m, 60, two ? f.Z.rows : 0, &o, &p));
                o.mem_limit = p.work_bytes + 0.5 * p.result_bytes;
                o.force_disk = p.work_bytes > 0.5 * p.result_bytes;
                unforced += !o.force_disk;
                remove(path);
                WL_OK_OR_FAIL(wl_ntk_empirical(f.m, f.w, &f.X, two ? &f.Z : NULL, &o, &B));
                assert_null(B.data); /* on disk */
                assert_int_equal(B.rows, A.rows);
                assert_int_equal(B.cols, A.cols);
                size_t r, c;
                double *d = read_npy(path, &r, &c);
                assert_non_null(d);
                assert_int_equal(r, A.rows);
                assert_int_equal(c, A.cols);
                for (size_t i = 0; i < r * c; i++) assert_true(d[i] == A.data[i]);
                free(d);
                wl_mat_free(&A);
            }
    assert_true(unforced >= 2); /* some went to disk for lack of memory alone */
    /* force_disk writes even a small kernel */
    wl_ntk_opts o;
    wl_ntk_opts_default(&o);
    o.out_path = path;
    o.force_disk = 1;
    remove(path);
    wl_mat B = {0};
    WL_OK_OR_FAIL(wl_ntk_empirical(f.m, f.w, &f.X, NULL, &o, &B));
    assert_null(B.data);
    assert_true(wl_test_exists(path));
    /* an unwritable path fails cleanly */
    o.out_path = "/nonexistent-dir/kernel.npy";
    assert_int_equal(wl_ntk_empirical(f.m, f.w, &f.X, NULL, &o, &B), WL_EIO);
    assert_non_null(strstr(wl_errmsg(), "/nonexistent-dir/kernel.npy"));
    fx_free(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_refusal_message),
        cmocka_unit_test(test_disk_equals_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
