/* A 2-D float64 .npy file filled block by block at any position, used to stream
 * kernels too large for memory to disk tile by tile (atomic: temp + rename). */
#define _FILE_OFFSET_BITS 64
#include "ntk_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/types.h>

int wl_ntk_npy_open(ntk_npy *f, const char *path, size_t rows, size_t cols) {
    memset(f, 0, sizeof *f);
    f->rows = rows;
    f->cols = cols;
    int rc = wl_out_open(&f->out, path);
    if (rc) return rc;
    /* header: magic, version 1.0, little-endian length, dict padded to 64 bytes */
    char dict[256];
    int len = snprintf(dict, sizeof dict,
                       "{'descr': '<f8', 'fortran_order': False, 'shape': (%zu, %zu), }", rows,
                       cols);
    size_t total = 10 + (size_t)len + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)len + pad + 1;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                             (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
    FILE *o = f->out.f;
    int ok = fwrite(pre, 1, 10, o) == 10 && fwrite(dict, 1, (size_t)len, o) == (size_t)len;
    for (size_t i = 0; ok && i < pad; i++) ok = fputc(' ', o) != EOF;
    ok = ok && fputc('\n', o) != EOF;
    f->header = (long)(10 + hlen);
    /* full size now, so blocks may arrive in any order */
    double bytes = (double)rows * (double)cols * 8.0;
    if (ok && rows && cols) {
        off_t end = (off_t)f->header + (off_t)rows * (off_t)cols * 8 - 1;
        ok = fseeko(o, end, SEEK_SET) == 0 && fputc(0, o) != EOF;
    }
    if (!ok) {
        char b[32];
        wl_ntk_npy_abort(f);
        return wl_seterr(WL_EIO, "cannot write %s kernel file '%s': %s",
                         wl_fmt_bytes(bytes, b, sizeof b), path, strerror(errno));
    }
    return WL_OK;
}

int wl_ntk_npy_put(ntk_npy *f, size_t r0, size_t c0, size_t nr, size_t nc, const double *blk,
                   size_t ld) {
    if (r0 + nr > f->rows || c0 + nc > f->cols)
        return wl_seterr(WL_EINVAL, "kernel block (%zu..%zu, %zu..%zu) outside %zu x %zu",
                         r0, r0 + nr, c0, c0 + nc, f->rows, f->cols);
    for (size_t r = 0; r < nr; r++) {
        off_t at = (off_t)f->header + ((off_t)(r0 + r) * (off_t)f->cols + (off_t)c0) * 8;
        if (fseeko(f->out.f, at, SEEK_SET) != 0 ||
            fwrite(blk + r * ld, sizeof(double), nc, f->out.f) != nc)
            return wl_seterr(WL_EIO, "cannot write kernel row %zu to '%s': %s", r0 + r,
                             f->out.path, strerror(errno));
    }
    return WL_OK;
}

int wl_ntk_npy_commit(ntk_npy *f) { return wl_out_commit(&f->out); }

void wl_ntk_npy_abort(ntk_npy *f) {
    if (f->out.f) wl_out_abort(&f->out);
}
