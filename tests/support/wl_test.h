/* Shared helpers for the cmocka test executables. */
#ifndef WL_TEST_H
#define WL_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "widelab.h"

/* Fails the test with the library's message when rc != WL_OK. */
#define WL_OK_OR_FAIL(expr)                                                        \
    do {                                                                           \
        int wl__rc = (expr);                                                       \
        if (wl__rc != WL_OK) fail_msg("%s -> %s: %s", #expr, wl_strerror(wl__rc), wl_errmsg()); \
    } while (0)

/* |a - b| <= tol * max(1, |a|, |b|) */
#define WL_ASSERT_CLOSE(a, b, tol)                                                 \
    do {                                                                           \
        double wl__a = (a), wl__b = (b);                                           \
        double wl__s = fmax(1.0, fmax(fabs(wl__a), fabs(wl__b)));                  \
        if (!(fabs(wl__a - wl__b) <= (tol) * wl__s))                               \
            fail_msg("%s = %.17g vs %s = %.17g (tol %g)", #a, wl__a, #b, wl__b, (double)(tol)); \
    } while (0)

/* max_i |a_i - b_i| / max(max_i |b_i|, floor) */
double wl_test_rel_err(size_t n, const double *a, const double *b, double floor);

/* Runs `widelab ARGS` (ARGS is a shell fragment) with stdout+stderr captured
 * into out (may be NULL); returns the exit status. */
int wl_test_cli(const char *args, char *out, size_t cap);

/* Fresh empty temporary directory for a test (path into buf). */
const char *wl_test_tmpdir(char *buf, size_t cap);

/* 1 if file exists. */
int wl_test_exists(const char *path);

/* Reads a whole file into a malloc'd NUL-terminated buffer (NULL on error). */
char *wl_test_slurp(const char *path, size_t *len);

/* Runs experiment `name` in quick mode into a fresh directory, fails the
 * test unless every claim is supported (printing what was measured), and
 * checks that each of files (NULL-terminated, relative to the run directory)
 * exists; returns the run directory (static buffer). */
const char *wl_test_exp_quick(const char *name, const char *const *files);
/* Fails the test unless dir/name exists and contains every string of
 * needles (NULL-terminated; NULL: existence only). */
void wl_test_file_has(const char *dir, const char *name, const char *const *needles);

/* Number of claims of the last wl_test_exp_quick run. */
extern size_t wl_test_exp_nclaims;

/* Cell (row r, column named col) of a table; fails the test if no such column. */
double wl_test_cell(const wl_table *t, size_t r, const char *col);

#endif
