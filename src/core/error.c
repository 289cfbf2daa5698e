/* Per-thread error code and message: the library's only channel for failure. */
#include "widelab/core.h"

#include <stdarg.h>
#include <string.h>

#define WL_ERRMSG_CAP 2048

static _Thread_local char errbuf[WL_ERRMSG_CAP];
static _Thread_local int errcode;

const char *wl_errmsg(void) { return errbuf; }
int wl_errcode(void) { return errcode; }

void wl_clearerr(void) {
    errbuf[0] = 0;
    errcode = WL_OK;
}

const char *wl_strerror(int code) {
    switch (code) {
    case WL_OK: return "WL_OK";
    case WL_EINVAL: return "WL_EINVAL";
    case WL_ENOMEM: return "WL_ENOMEM";
    case WL_EIO: return "WL_EIO";
    case WL_EFORMAT: return "WL_EFORMAT";
    case WL_ENUMERIC: return "WL_ENUMERIC";
    case WL_ENOCONV: return "WL_ENOCONV";
    case WL_EUNSUP: return "WL_EUNSUP";
    default: return "WL_E?";
    }
}

int wl_seterr(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof errbuf, fmt, ap);
    va_end(ap);
    errcode = code;
    return code;
}

int wl_adderr(int code, const char *fmt, ...) {
    char prefix[WL_ERRMSG_CAP], old[WL_ERRMSG_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, errbuf, sizeof old);
    /* "prefix: old", cut to the buffer */
    size_t n = strlen(prefix);
    if (n > sizeof errbuf - 1) n = sizeof errbuf - 1;
    memcpy(errbuf, prefix, n);
    if (old[0] && n + 2 < sizeof errbuf) {
        memcpy(errbuf + n, ": ", 2);
        n += 2;
        size_t m = strlen(old);
        if (m > sizeof errbuf - 1 - n) m = sizeof errbuf - 1 - n;
        memcpy(errbuf + n, old, m);
        n += m;
    }
    errbuf[n] = 0;
    errcode = code;
    return code;
}
