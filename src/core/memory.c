/* Allocation helpers that report what failed and how much was asked for. */
#include "widelab/core.h"

#include <stdlib.h>

const char *wl_fmt_bytes(double bytes, char *buf, size_t cap) {
    static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 5) {
        bytes /= 1024.0;
        u++;
    }
    snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
    return buf;
}

void *wl_malloc(size_t bytes, const char *what) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        char b[32];
        wl_seterr(WL_ENOMEM, "out of memory allocating %s for %s",
                  wl_fmt_bytes((double)bytes, b, sizeof b), what ? what : "data");
    }
    return p;
}

void *wl_calloc(size_t count, size_t size, const char *what) {
    if (size && count > SIZE_MAX / size) {
        wl_seterr(WL_ENOMEM, "size overflow allocating %zu x %zu bytes for %s", count,
                  size, what ? what : "data");
        return NULL;
    }
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) {
        char b[32];
        wl_seterr(WL_ENOMEM, "out of memory allocating %s for %s",
                  wl_fmt_bytes((double)count * (double)size, b, sizeof b),
                  what ? what : "data");
    }
    return p;
}

double *wl_dalloc(size_t count, const char *what) {
    return wl_calloc(count, sizeof(double), what);
}
