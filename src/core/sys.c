/* Threads, version, clock, directories and atomic (temp + rename) output. */
#include "widelab/core.h"

#include <cblas.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#ifndef WL_VERSION_STRING
#define WL_VERSION_STRING "0.0.0"
#endif

const char *wl_version(void) { return WL_VERSION_STRING; }

void wl_set_threads(int n) {
    if (n <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (int)c : 1;
    }
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
    openblas_set_num_threads(n);
}

int wl_get_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return openblas_get_num_threads();
#endif
}

double wl_time(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int wl_mkdirs(const char *path) {
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf) return wl_seterr(WL_EINVAL, "bad directory path '%s'", path);
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] == '/' || buf[i] == 0) {
            char c = buf[i];
            buf[i] = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return wl_seterr(WL_EIO, "cannot create directory '%s': %s", buf, strerror(errno));
            buf[i] = c;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return wl_seterr(WL_EIO, "'%s' exists and is not a directory", path);
    return WL_OK;
}

int wl_out_open(wl_out *o, const char *path) {
    o->f = NULL;
    size_t len = strlen(path);
    if (len + 16 >= sizeof o->tmp) return wl_seterr(WL_EINVAL, "output path too long: '%s'", path);
    memcpy(o->path, path, len + 1);
    /* temporary next to the target so rename stays on one file system */
    snprintf(o->tmp, sizeof o->tmp, "%s.tmpXXXXXX", path);
    int fd = mkstemp(o->tmp);
    if (fd < 0) return wl_seterr(WL_EIO, "cannot create '%s': %s", o->tmp, strerror(errno));
    o->f = fdopen(fd, "wb");
    if (!o->f) {
        close(fd);
        unlink(o->tmp);
        return wl_seterr(WL_EIO, "cannot open '%s': %s", o->tmp, strerror(errno));
    }
    return WL_OK;
}

int wl_out_commit(wl_out *o) {
    if (!o->f) return wl_seterr(WL_EINVAL, "output '%s' is not open", o->path);
    int bad = ferror(o->f);
    if (fflush(o->f) != 0) bad = 1;
    if (fclose(o->f) != 0) bad = 1;
    o->f = NULL;
    if (bad) {
        unlink(o->tmp);
        return wl_seterr(WL_EIO, "error writing '%s' (disk full?)", o->path);
    }
    chmod(o->tmp, 0644);
    if (rename(o->tmp, o->path) != 0) {
        int e = errno;
        unlink(o->tmp);
        return wl_seterr(WL_EIO, "cannot rename onto '%s': %s", o->path, strerror(e));
    }
    return WL_OK;
}

void wl_out_abort(wl_out *o) {
    if (o->f) {
        fclose(o->f);
        o->f = NULL;
    }
    if (o->tmp[0]) unlink(o->tmp);
}
