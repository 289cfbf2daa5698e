/* RNG: reproducibility, stream splitting, distribution moments, sampling. */
#include "wl_test.h"

static void test_same_seed_same_bits(void **state) {
    (void)state;
    wl_rng a, b;
    wl_rng_seed(&a, 123);
    wl_rng_seed(&b, 123);
    for (int i = 0; i < 1000; i++) assert_true(wl_rng_u64(&a) == wl_rng_u64(&b));
    wl_rng_seed(&b, 124);
    int same = 0;
    for (int i = 0; i < 100; i++) same += wl_rng_u64(&a) == wl_rng_u64(&b);
    assert_true(same == 0);
}

static void test_split_is_pure_and_distinct(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 7);
    wl_rng c1 = wl_rng_split(&r, 3), c2 = wl_rng_split(&r, 3), c3 = wl_rng_split(&r, 4);
    uint64_t x1 = wl_rng_u64(&c1), x2 = wl_rng_u64(&c2), x3 = wl_rng_u64(&c3);
    assert_true(x1 == x2);
    assert_true(x1 != x3);
    /* parent not advanced */
    wl_rng p;
    wl_rng_seed(&p, 7);
    assert_true(wl_rng_u64(&p) == wl_rng_u64(&r));
}

static void test_moments(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 1);
    const int n = 200000;
    double su = 0, sn = 0, sn2 = 0, sn4 = 0;
    for (int i = 0; i < n; i++) {
        double u = wl_rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
        su += u;
        double z = wl_rng_normal(&r);
        sn += z;
        sn2 += z * z;
        sn4 += z * z * z * z;
    }
    /* standard errors: uniform mean 0.00065, normal mean 0.0022, var 0.0032, 4th 0.02 */
    WL_ASSERT_CLOSE(su / n, 0.5, 0.004);
    WL_ASSERT_CLOSE(sn / n, 0.0, 0.012);
    WL_ASSERT_CLOSE(sn2 / n, 1.0, 0.015);
    WL_ASSERT_CLOSE(sn4 / n, 3.0, 0.04);
}

static void test_below_uniform(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 2);
    int count[7] = {0};
    for (int i = 0; i < 70000; i++) count[wl_rng_below(&r, 7)]++;
    for (int j = 0; j < 7; j++) assert_true(abs(count[j] - 10000) < 500);
}

static void test_permutation_and_sample(void **state) {
    (void)state;
    wl_rng r;
    wl_rng_seed(&r, 3);
    size_t perm[50], seen[50] = {0};
    wl_rng_permutation(&r, perm, 50);
    for (int i = 0; i < 50; i++) seen[perm[i]]++;
    for (int i = 0; i < 50; i++) assert_int_equal(seen[i], 1);
    size_t s[20];
    WL_OK_OR_FAIL(wl_rng_sample(&r, 100, 20, s));
    for (int i = 0; i < 20; i++) {
        assert_true(s[i] < 100);
        for (int j = 0; j < i; j++) assert_true(s[i] != s[j]);
    }
    assert_int_equal(wl_rng_sample(&r, 5, 6, s), WL_EINVAL);
    assert_non_null(strstr(wl_errmsg(), "6 of 5"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_bits),
        cmocka_unit_test(test_split_is_pure_and_distinct),
        cmocka_unit_test(test_moments),
        cmocka_unit_test(test_below_uniform),
        cmocka_unit_test(test_permutation_and_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
