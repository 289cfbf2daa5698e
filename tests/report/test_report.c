/* Report writers: JSON, CSV tables, SVG plots, .npz archives, log-log fits. */
#include "wl_test.h"

#include <unistd.h>

static char dir[256];

static int setup(void **state) {
    (void)state;
    return wl_test_tmpdir(dir, sizeof dir) ? 0 : -1;
}

static void test_json(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/a.json", dir);
    FILE *f = fopen(path, "w");
    wl_json j;
    wl_json_begin(&j, f);
    wl_json_str(&j, "name", "say \"hi\"\n");
    wl_json_num(&j, "x", 0.1);
    wl_json_num(&j, "bad", NAN);
    wl_json_obj(&j, "inner");
    wl_json_int(&j, "k", -3);
    wl_json_bool(&j, "ok", 1);
    wl_json_obj_end(&j);
    double v[3] = {1, 2.5, INFINITY};
    wl_json_nums(&j, "v", v, 3);
    wl_json_arr(&j, "empty");
    wl_json_arr_end(&j);
    wl_json_end(&j);
    fclose(f);
    char *s = wl_test_slurp(path, NULL);
    assert_non_null(strstr(s, "\"name\": \"say \\\"hi\\\"\\n\""));
    assert_non_null(strstr(s, "\"x\": 0.10000000000000001"));
    assert_non_null(strstr(s, "\"bad\": null"));
    assert_non_null(strstr(s, "\"k\": -3"));
    assert_non_null(strstr(s, "\"v\": [1, 2.5, null]"));
    assert_non_null(strstr(s, "\"empty\": []"));
    free(s);
    /* the file is valid JSON for Python, when it is there */
    if (access("/usr/bin/python3", X_OK) == 0) {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c \"import json;d=json.load(open('%s'));assert d['inner']['ok'] is True\"", path);
        assert_int_equal(system(cmd), 0);
    }
}

static void test_table_roundtrip(void **state) {
    (void)state;
    const char *cols[] = {"step", "loss"};
    wl_table *t;
    WL_OK_OR_FAIL(wl_table_new(2, cols, &t));
    WL_OK_OR_FAIL(wl_table_add_col(t, "acc"));
    assert_int_equal(wl_table_add_col(t, "acc"), WL_EINVAL);
    for (int i = 0; i < 10; i++) {
        double row[3] = {i, 1.0 / (i + 1), i % 3 ? NAN : 0.1 * i};
        WL_OK_OR_FAIL(wl_table_append(t, row));
    }
    wl_table_set(t, "acc", 0.75);
    assert_int_equal(wl_table_add_col(t, "late"), WL_EINVAL);
    char path[512];
    snprintf(path, sizeof path, "%s/m.csv", dir);
    WL_OK_OR_FAIL(wl_table_write_csv(t, path));
    wl_table *r;
    WL_OK_OR_FAIL(wl_table_read_csv(path, &r));
    assert_int_equal(wl_table_nrows(r), 10);
    assert_int_equal(wl_table_col(r, "acc"), 2);
    for (size_t i = 0; i < 10; i++)
        for (size_t c = 0; c < 3; c++) {
            double a = wl_table_get(t, i, c), b = wl_table_get(r, i, c);
            assert_true((isnan(a) && isnan(b)) || a == b); /* bit-exact round trip */
        }
    wl_table_truncate(r, 4);
    assert_int_equal(wl_table_nrows(r), 4);
    wl_table_free(t);
    wl_table_free(r);
    /* malformed CSV names line and value */
    FILE *f = fopen(path, "w");
    fputs("a,b\n1,2\n3,x7\n", f);
    fclose(f);
    assert_int_equal(wl_table_read_csv(path, &r), WL_EFORMAT);
    assert_non_null(strstr(wl_errmsg(), ":3:"));
    assert_non_null(strstr(wl_errmsg(), "x7"));
}

static void test_svg(void **state) {
    (void)state;
    double x[50], y[50];
    for (int i = 0; i < 50; i++) x[i] = i + 1, y[i] = exp(-0.1 * i);
    y[10] = NAN;
    wl_plot p;
    wl_plot_init(&p, "loss <train>", "step", "loss");
    p.log_y = 1;
    WL_OK_OR_FAIL(wl_plot_series(&p, "train", 50, x, y));
    WL_OK_OR_FAIL(wl_plot_hline(&p, 0.5, "2/eta"));
    char path[512];
    snprintf(path, sizeof path, "%s/p.svg", dir);
    WL_OK_OR_FAIL(wl_plot_write_svg(&p, path));
    char *s = wl_test_slurp(path, NULL);
    assert_non_null(strstr(s, "<svg"));
    assert_non_null(strstr(s, "loss &lt;train&gt;"));
    assert_non_null(strstr(s, "2/eta"));
    /* the NaN splits the line in two polylines */
    char *a = strstr(s, "<polyline");
    assert_non_null(a);
    assert_non_null(strstr(a + 1, "<polyline"));
    assert_non_null(strstr(s, "</svg>"));
    free(s);
}

static void test_npz_roundtrip_and_numpy(void **state) {
    (void)state;
    double w[6] = {1, -2, 3.5, 1e-300, 0, 7};
    uint64_t u[2] = {0xffffffffffffffffULL, 42};
    wl_npz_array arr[2] = {
        {.name = "0.weight", .dtype = WL_F64, .ndim = 2, .shape = {2, 3}, .data = w},
        {.name = "rng", .dtype = WL_U64, .ndim = 1, .shape = {2}, .data = u},
    };
    char path[512];
    snprintf(path, sizeof path, "%s/p.npz", dir);
    WL_OK_OR_FAIL(wl_npz_write(path, arr, 2));
    wl_npz_array *r;
    size_t n;
    WL_OK_OR_FAIL(wl_npz_read(path, &r, &n));
    assert_int_equal(n, 2);
    const wl_npz_array *a = wl_npz_find(r, n, "0.weight");
    assert_non_null(a);
    assert_int_equal(a->ndim, 2);
    assert_int_equal(a->shape[1], 3);
    assert_memory_equal(a->data, w, sizeof w);
    a = wl_npz_find(r, n, "rng");
    assert_memory_equal(a->data, u, sizeof u);
    wl_npz_free(r, n);
    if (access("/usr/bin/python3", X_OK) != 0) return;
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import numpy as np\nz=np.load('%s')\nassert z['0.weight'].shape==(2,3) and z['0.weight'][1,0]==1e-300\n"
             "assert z['rng'][0]==2**64-1\nnp.savez_compressed('%s/c.npz', a=np.arange(12.).reshape(3,4), b=np.arange(5,dtype=np.int32))\n"
             "np.savez('%s/s.npz', f=np.ones((2,2),dtype=np.float32))\" 2>/dev/null",
             path, dir, dir);
    if (system(cmd) != 0) skip();
    snprintf(path, sizeof path, "%s/c.npz", dir);
    WL_OK_OR_FAIL(wl_npz_read(path, &r, &n));
    a = wl_npz_find(r, n, "a");
    assert_non_null(a);
    assert_int_equal(a->shape[0], 3);
    WL_ASSERT_CLOSE(((double *)a->data)[11], 11.0, 0);
    a = wl_npz_find(r, n, "b");
    assert_int_equal(a->dtype, WL_I64);
    assert_int_equal(((int64_t *)a->data)[4], 4);
    wl_npz_free(r, n);
    snprintf(path, sizeof path, "%s/s.npz", dir);
    WL_OK_OR_FAIL(wl_npz_read(path, &r, &n));
    assert_int_equal(r[0].dtype, WL_F64);
    WL_ASSERT_CLOSE(((double *)r[0].data)[3], 1.0, 0);
    wl_npz_free(r, n);
}

static void test_npz_corrupt(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/bad.npz", dir);
    FILE *f = fopen(path, "w");
    fputs("this is not a zip file at all, not even close", f);
    fclose(f);
    wl_npz_array *r;
    size_t n;
    assert_int_equal(wl_npz_read(path, &r, &n), WL_EFORMAT);
    assert_non_null(strstr(wl_errmsg(), "bad.npz"));
    /* truncate a valid archive in the middle of its data */
    double w[64] = {0};
    wl_npz_array a = {.name = "w", .dtype = WL_F64, .ndim = 1, .shape = {64}, .data = w};
    WL_OK_OR_FAIL(wl_npz_write(path, &a, 1));
    size_t len;
    char *s = wl_test_slurp(path, &len);
    f = fopen(path, "w");
    fwrite(s, 1, 200, f);
    fwrite(s + len - 22 - 46 - 5, 1, 22 + 46 + 5, f); /* keep the directory */
    fclose(f);
    free(s);
    assert_int_equal(wl_npz_read(path, &r, &n), WL_EFORMAT);
}

static void test_loglog(void **state) {
    (void)state;
    double x[5] = {100, 1000, 10000, 100000, -1}, y[5];
    for (int i = 0; i < 4; i++) y[i] = 3.0 / sqrt(x[i]);
    y[4] = 1;
    double s, c;
    assert_int_equal(wl_loglog_slope(5, x, y, &s, &c), 4);
    WL_ASSERT_CLOSE(s, -0.5, 1e-12);
    WL_ASSERT_CLOSE(exp(c), 3.0, 1e-12);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json),   cmocka_unit_test(test_table_roundtrip),
        cmocka_unit_test(test_svg),    cmocka_unit_test(test_npz_roundtrip_and_numpy),
        cmocka_unit_test(test_npz_corrupt), cmocka_unit_test(test_loglog),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
