/* NumPy .npy writers (atomic): whole arrays and a row-block stream. */
#include "widelab/data.h"
#include "data/npy_internal.h"

#include <stdlib.h>
#include <string.h>

/* Writes magic + v1.0 header, padded with spaces so data starts at a
 * multiple of 64 bytes. */
static int write_header(FILE *f, const char *path, const char *descr, int ndim,
                        const size_t *shape) {
    char dict[512], dims[400];
    size_t m = 0;
    dims[0] = 0;
    for (int i = 0; i < ndim; i++) {
        int w = snprintf(dims + m, sizeof dims - m, "%s%zu", i ? ", " : "", shape[i]);
        if (w < 0 || (size_t)w >= sizeof dims - m) return wl_seterr(WL_EINVAL, "shape too long");
        m += (size_t)w;
    }
    int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s%s), }",
                       descr, dims, ndim == 1 ? "," : "");
    if (len < 0 || (size_t)len >= sizeof dict - 70) return wl_seterr(WL_EINVAL, "shape too long");
    size_t total = 10 + (size_t)len + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)len + pad + 1;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                             (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
    if (fwrite(pre, 1, 10, f) != 10 || fwrite(dict, 1, (size_t)len, f) != (size_t)len)
        return wl_seterr(WL_EIO, "error writing '%s'", path);
    for (size_t i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    return WL_OK;
}

static int check_shape(const char *path, int ndim, const size_t *shape, size_t *count) {
    if (ndim < 0 || ndim > WL_NPY_MAXDIM)
        return wl_seterr(WL_EINVAL, "'%s': .npy arrays have 0..8 dimensions, not %d", path, ndim);
    *count = 1;
    for (int i = 0; i < ndim; i++) *count *= shape[i];
    return WL_OK;
}

/* Shared body of the typed writers: elements converted by put() into a
 * buffer of little-endian bytes. */
static int write_typed(const char *path, const char *descr, size_t isz, const void *data,
                       int ndim, const size_t *shape,
                       void (*put)(unsigned char *, const void *, size_t)) {
    size_t count = 0;
    int rc = check_shape(path, ndim, shape, &count);
    if (rc) return rc;
    wl_out o;
    if ((rc = wl_out_open(&o, path))) return rc;
    if ((rc = write_header(o.f, path, descr, ndim, shape))) {
        wl_out_abort(&o);
        return rc;
    }
    unsigned char buf[1 << 15];
    size_t per = sizeof buf / isz;
    for (size_t done = 0; done < count;) {
        size_t m = count - done < per ? count - done : per;
        for (size_t i = 0; i < m; i++) put(buf + i * isz, data, done + i);
        if (fwrite(buf, isz, m, o.f) != m) {
            wl_out_abort(&o);
            return wl_seterr(WL_EIO, "error writing '%s' (disk full?)", path);
        }
        done += m;
    }
    return wl_out_commit(&o);
}

static int host_le(void) {
    uint16_t one = 1;
    unsigned char lsb;
    memcpy(&lsb, &one, 1);
    return lsb == 1;
}

/* Writes count doubles as little-endian bytes (directly on LE hosts). */
static int write_f8(FILE *f, const char *path, const double *x, size_t count);

static void put_f8(unsigned char *b, const void *d, size_t i) {
    uint64_t u;
    memcpy(&u, (const double *)d + i, 8);
    for (int j = 0; j < 8; j++) b[j] = (unsigned char)(u >> (8 * j));
}

static void put_i8(unsigned char *b, const void *d, size_t i) {
    uint64_t u = (uint64_t)(int64_t)((const int *)d)[i];
    for (int j = 0; j < 8; j++) b[j] = (unsigned char)(u >> (8 * j));
}

static void put_u1(unsigned char *b, const void *d, size_t i) {
    b[0] = ((const unsigned char *)d)[i];
}

static int write_f8(FILE *f, const char *path, const double *x, size_t count) {
    if (host_le()) {
        if (count && fwrite(x, 8, count, f) != count)
            return wl_seterr(WL_EIO, "error writing '%s' (disk full?)", path);
        return WL_OK;
    }
    unsigned char buf[1 << 15];
    size_t per = sizeof buf / 8;
    for (size_t done = 0; done < count;) {
        size_t m = count - done < per ? count - done : per;
        for (size_t i = 0; i < m; i++) put_f8(buf + 8 * i, x, done + i);
        if (fwrite(buf, 8, m, f) != m)
            return wl_seterr(WL_EIO, "error writing '%s' (disk full?)", path);
        done += m;
    }
    return WL_OK;
}

int wl_npy_write(const char *path, const double *data, int ndim, const size_t *shape) {
    size_t count = 0;
    int rc = check_shape(path, ndim, shape, &count);
    if (rc) return rc;
    wl_out o;
    if ((rc = wl_out_open(&o, path))) return rc;
    if ((rc = write_header(o.f, path, "<f8", ndim, shape)) || (rc = write_f8(o.f, path, data, count))) {
        wl_out_abort(&o);
        return rc;
    }
    return wl_out_commit(&o);
}

int wl_npy_write_int(const char *path, const int *data, int ndim, const size_t *shape) {
    return write_typed(path, "<i8", 8, data, ndim, shape, put_i8);
}

int wl_npy_write_u8(const char *path, const unsigned char *data, int ndim, const size_t *shape) {
    return write_typed(path, "|u1", 1, data, ndim, shape, put_u1);
}

/* ---- streaming ------------------------------------------------------------ */

int wl_npy_stream_open(wl_npy_stream *s, const char *path, int ndim, const size_t *shape) {
    memset(s, 0, sizeof *s);
    size_t count = 0;
    int rc = check_shape(path, ndim, shape, &count);
    if (rc) return rc;
    if (ndim < 1) return wl_seterr(WL_EINVAL, "'%s': a streamed .npy needs ndim >= 1", path);
    if ((rc = wl_out_open(&s->out, path))) return rc;
    if ((rc = write_header(s->out.f, path, "<f8", ndim, shape))) {
        wl_out_abort(&s->out);
        return rc;
    }
    s->rows_total = shape[0];
    s->row_elems = 1;
    for (int i = 1; i < ndim; i++) s->row_elems *= shape[i];
    s->open = 1;
    return WL_OK;
}

/* rows: nrows x row_elems, written in order after the rows already there */
int wl_npy_stream_write(wl_npy_stream *s, const double *rows, size_t nrows) {
    if (!s->open) return wl_seterr(WL_EINVAL, "npy stream is not open");
    if (nrows > s->rows_total - s->rows_done)
        return wl_seterr(WL_EINVAL, "'%s': %zu more rows would exceed the %zu rows of the array",
                         s->out.path, nrows, s->rows_total);
    int rc = write_f8(s->out.f, s->out.path, rows, nrows * s->row_elems);
    if (rc) return rc;
    s->rows_done += nrows;
    return WL_OK;
}

int wl_npy_stream_commit(wl_npy_stream *s) {
    if (!s->open) return wl_seterr(WL_EINVAL, "npy stream is not open");
    if (s->rows_done != s->rows_total) {
        size_t done = s->rows_done, total = s->rows_total;
        char path[4096];
        snprintf(path, sizeof path, "%s", s->out.path);
        wl_npy_stream_abort(s);
        return wl_seterr(WL_EINVAL, "'%s': only %zu of %zu rows were written; file discarded",
                         path, done, total);
    }
    s->open = 0;
    return wl_out_commit(&s->out);
}

void wl_npy_stream_abort(wl_npy_stream *s) {
    if (s->open) wl_out_abort(&s->out);
    s->open = 0;
}
