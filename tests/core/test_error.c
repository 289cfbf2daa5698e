/* Errors: per-thread messages, context prefixes, atomic output files. */
#include "wl_test.h"

#include <pthread.h>

static void *other_thread(void *arg) {
    (void)arg;
    wl_seterr(WL_EIO, "thread message");
    return NULL;
}

static void test_messages_are_per_thread(void **state) {
    (void)state;
    wl_seterr(WL_EFORMAT, "file %s byte %d", "a.idx", 17);
    pthread_t t;
    pthread_create(&t, NULL, other_thread, NULL);
    pthread_join(t, NULL);
    assert_string_equal(wl_errmsg(), "file a.idx byte 17");
    assert_int_equal(wl_errcode(), WL_EFORMAT);
    wl_adderr(WL_EFORMAT, "loading %s", "train");
    assert_string_equal(wl_errmsg(), "loading train: file a.idx byte 17");
    assert_string_equal(wl_strerror(WL_ENOCONV), "WL_ENOCONV");
    wl_clearerr();
    assert_string_equal(wl_errmsg(), "");
}

static void test_atomic_output(void **state) {
    (void)state;
    char dir[256], path[512], tmpbuf[4096];
    assert_non_null(wl_test_tmpdir(dir, sizeof dir));
    snprintf(path, sizeof path, "%s/sub/deeper", dir);
    WL_OK_OR_FAIL(wl_mkdirs(path));
    snprintf(path, sizeof path, "%s/sub/out.txt", dir);
    wl_out o;
    WL_OK_OR_FAIL(wl_out_open(&o, path));
    fputs("hello", o.f);
    assert_false(wl_test_exists(path)); /* nothing visible before commit */
    WL_OK_OR_FAIL(wl_out_commit(&o));
    char *s = wl_test_slurp(path, NULL);
    assert_string_equal(s, "hello");
    free(s);
    /* abort leaves the old file and no temporary */
    WL_OK_OR_FAIL(wl_out_open(&o, path));
    snprintf(tmpbuf, sizeof tmpbuf, "%s", o.tmp);
    fputs("partial", o.f);
    wl_out_abort(&o);
    assert_false(wl_test_exists(tmpbuf));
    s = wl_test_slurp(path, NULL);
    assert_string_equal(s, "hello");
    free(s);
    /* unwritable location */
    assert_int_equal(wl_out_open(&o, "/nonexistent-dir/x"), WL_EIO);
    assert_non_null(strstr(wl_errmsg(), "/nonexistent-dir/x"));
}

static void test_version_and_bytes(void **state) {
    (void)state;
    assert_true(strlen(wl_version()) >= 5);
    char b[32];
    assert_string_equal(wl_fmt_bytes(1536.0, b, sizeof b), "1.5 KiB");
    assert_string_equal(wl_fmt_bytes(12.0, b, sizeof b), "12 B");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages_are_per_thread),
        cmocka_unit_test(test_atomic_output),
        cmocka_unit_test(test_version_and_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
