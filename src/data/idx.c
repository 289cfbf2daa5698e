/* IDX files (MNIST, Fashion-MNIST), plain or gzip (zlib reads both). */
#include "widelab/data.h"
#include "data/data_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define IDX_CHUNK ((size_t)4 << 20)

/* Reads up to want bytes; returns bytes read or -1 with the zlib message. */
static long long gz_read_all(gzFile g, unsigned char *buf, size_t want) {
    size_t got = 0;
    while (got < want) {
        size_t m = want - got < IDX_CHUNK ? want - got : IDX_CHUNK;
        int r = gzread(g, buf + got, (unsigned)m);
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (long long)got;
}

static int gz_fail(gzFile g, const char *path, size_t at) {
    int zerr = 0;
    const char *msg = gzerror(g, &zerr);
    return wl_seterr(zerr == Z_ERRNO ? WL_EIO : WL_EFORMAT,
                     "'%s': corrupt or unreadable data near byte %zu of the decompressed "
                     "stream: %s",
                     path, at, msg ? msg : "read error");
}

/* Reads the 4-byte magic and the big-endian dimensions. */
static int read_idx_head(gzFile g, const char *path, int *ndim, size_t dims[8], size_t *count) {
    unsigned char m[4];
    long long r = gz_read_all(g, m, 4);
    if (r < 0) return gz_fail(g, path, 0);
    if (r < 4) return wl_seterr(WL_EFORMAT, "'%s': truncated IDX file: %lld bytes, no magic", path, r);
    if (m[0] != 0 || m[1] != 0)
        return wl_seterr(WL_EFORMAT,
                         "'%s': bad IDX magic 0x%02x%02x%02x%02x at byte 0 (expected "
                         "0x000008NN)",
                         path, m[0], m[1], m[2], m[3]);
    if (m[2] != 0x08)
        return wl_seterr(WL_EFORMAT,
                         "'%s': IDX element type 0x%02x at byte 2 is not unsigned byte (0x08)",
                         path, m[2]);
    if (m[3] < 1 || m[3] > 8)
        return wl_seterr(WL_EFORMAT, "'%s': IDX dimension count %d at byte 3 is not in 1..8",
                         path, m[3]);
    *ndim = m[3];
    *count = 1;
    for (int i = 0; i < *ndim; i++) {
        unsigned char b[4];
        r = gz_read_all(g, b, 4);
        if (r < 0) return gz_fail(g, path, 4 + 4 * (size_t)i);
        if (r < 4)
            return wl_seterr(WL_EFORMAT, "'%s': truncated IDX header at byte %zu (dimension %d)",
                             path, 4 + 4 * (size_t)i, i);
        dims[i] = (size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3];
        if (dims[i] && *count > ((size_t)1 << 40) / dims[i])
            return wl_seterr(WL_EFORMAT, "'%s': IDX dimensions too large at byte %zu", path,
                             4 + 4 * (size_t)i);
        *count *= dims[i];
    }
    return WL_OK;
}

/* After the body: got == count bytes arrived and nothing follows. */
static int finish_body(gzFile g, const char *path, size_t head, size_t count, size_t got) {
    if (got < count)
        return wl_seterr(WL_EFORMAT,
                         "'%s': truncated IDX data: the header promises %zu bytes from byte "
                         "%zu, the file ends at byte %zu",
                         path, count, head, head + got);
    unsigned char extra;
    long long r = gz_read_all(g, &extra, 1);
    if (r < 0) return gz_fail(g, path, head + got);
    if (r > 0)
        return wl_seterr(WL_EFORMAT, "'%s': extra bytes after the IDX data at byte %zu", path,
                         head + count);
    return WL_OK;
}

/* Reads count bytes, growing the buffer as data arrives (so a lying header
 * cannot make us allocate more than the file holds). */
static int read_idx_body(gzFile g, const char *path, size_t head, size_t count, size_t fsize,
                         unsigned char **out) {
    /* gzip expands at most ~1032:1, so this bounds the first allocation by
     * what the file can hold */
    size_t bound = fsize < SIZE_MAX / 1100 ? 1100 * fsize + 4096 : SIZE_MAX;
    size_t cap = count < bound ? count : bound, got = 0;
    unsigned char *buf = wl_malloc(cap, path);
    if (!buf) return WL_ENOMEM;
    while (got < count) {
        if (got == cap) {
            size_t nc = cap * 2 < count ? cap * 2 : count;
            unsigned char *nb = realloc(buf, nc);
            if (!nb) {
                free(buf);
                return wl_seterr(WL_ENOMEM, "out of memory reading '%s'", path);
            }
            buf = nb;
            cap = nc;
        }
        long long r = gz_read_all(g, buf + got, cap - got);
        if (r < 0) {
            free(buf);
            return gz_fail(g, path, head + got);
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    int rc = finish_body(g, path, head, count, got);
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    return WL_OK;
}

int wl_idx_read(const char *path, unsigned char **data, int *ndim, size_t dims[8]) {
    *data = NULL;
    gzFile g = gzopen(path, "rb");
    if (!g) return wl_seterr(WL_EIO, "cannot open '%s': %s", path, strerror(errno));
    gzbuffer(g, 1u << 20);
    size_t count = 0;
    struct stat st;
    size_t fsize = stat(path, &st) == 0 ? (size_t)st.st_size : 0;
    int rc = read_idx_head(g, path, ndim, dims, &count);
    if (!rc) rc = read_idx_body(g, path, 4 + 4 * (size_t)*ndim, count, fsize, data);
    gzclose(g);
    return rc;
}

/* labels: n bytes -> ints, n_classes = max + 1 */
static int attach_labels(wl_dataset *ds, const char *images, const char *labels) {
    unsigned char *lab;
    int nd;
    size_t dims[8];
    int rc = wl_idx_read(labels, &lab, &nd, dims);
    if (rc) return rc;
    if (nd != 1 || dims[0] != ds->n) {
        free(lab);
        return wl_seterr(WL_EFORMAT,
                         "dimension mismatch: '%s' holds %zu images but labels file '%s' holds "
                         "%zu %s (first dimension, byte 4)",
                         images, ds->n, labels, dims[0], nd == 1 ? "labels" : "rows (not 1-D)");
    }
    ds->labels = wl_calloc(ds->n ? ds->n : 1, sizeof(int), "labels");
    if (!ds->labels) {
        free(lab);
        return WL_ENOMEM;
    }
    int mx = -1;
    for (size_t i = 0; i < ds->n; i++) {
        ds->labels[i] = lab[i];
        if (lab[i] > mx) mx = lab[i];
    }
    ds->n_classes = (size_t)(mx + 1);
    free(lab);
    return WL_OK;
}

/* X_i = byte_i / 255 for the count bytes of the body, converted chunk by
 * chunk as they are inflated (no copy of the whole byte array). */
static int read_idx_pixels(gzFile g, const char *path, size_t head, size_t count, double *X) {
    double table[256];
    for (int v = 0; v < 256; v++) table[v] = v / 255.0;
    size_t chunk = (size_t)1 << 20, got = 0;
    unsigned char *buf = wl_malloc(chunk, "IDX chunk");
    if (!buf) return WL_ENOMEM;
    while (got < count) {
        size_t want = count - got < chunk ? count - got : chunk;
        long long r = gz_read_all(g, buf, want);
        if (r < 0) {
            free(buf);
            return gz_fail(g, path, head + got);
        }
        for (long long i = 0; i < r; i++) X[got + (size_t)i] = table[buf[i]];
        got += (size_t)r;
        if ((size_t)r < want) break;
    }
    free(buf);
    return finish_body(g, path, head, count, got);
}

/* Opens an IDX image file and reads its header: n items of d bytes. */
static int open_images(const char *path, gzFile *g, size_t *n, size_t *d, size_t *head) {
    int nd;
    size_t dims[8], count = 0;
    *g = gzopen(path, "rb");
    if (!*g) return wl_seterr(WL_EIO, "cannot open '%s': %s", path, strerror(errno));
    gzbuffer(*g, 1u << 20);
    int rc = read_idx_head(*g, path, &nd, dims, &count);
    if (!rc && nd < 2)
        rc = wl_seterr(WL_EFORMAT, "'%s': IDX image file must have >= 2 dimensions, has %d (byte 3)",
                       path, nd);
    if (rc) {
        gzclose(*g);
        return rc;
    }
    *n = dims[0];
    *d = dims[0] ? count / dims[0] : 1;
    if (!dims[0])
        for (int i = 1; i < nd; i++) *d *= dims[i];
    *head = 4 + 4 * (size_t)nd;
    /* refuse before allocating what the file cannot hold (gzip expands at
     * most ~1032:1; a plain file holds exactly its size) */
    struct stat st;
    size_t fsize = stat(path, &st) == 0 ? (size_t)st.st_size : 0;
    int plain = gzdirect(*g);
    size_t bound = plain ? (fsize > *head ? fsize - *head : 0)
                         : (fsize < SIZE_MAX / 1100 ? 1100 * fsize + 4096 : SIZE_MAX);
    if (count > bound) {
        gzclose(*g);
        if (plain)
            return wl_seterr(WL_EFORMAT,
                             "'%s': truncated IDX data: the header promises %zu bytes from byte "
                             "%zu, the file ends at byte %zu",
                             path, count, *head, fsize);
        return wl_seterr(WL_EFORMAT,
                         "'%s': truncated IDX data: the header promises %zu bytes from byte %zu, "
                         "more than the %zu-byte gzip file can hold",
                         path, count, *head, fsize);
    }
    return WL_OK;
}

int wl_data_load_idx(const char *images, const char *labels, wl_dataset *out) {
    memset(out, 0, sizeof *out);
    gzFile g;
    size_t n = 0, d = 0, head = 0;
    int rc = open_images(images, &g, &n, &d, &head);
    if (rc) return rc;
    wl_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.n = n;
    ds.d = d;
    /* every entry is written below: no need for zeroed (calloc) memory */
    ds.X = wl_malloc(n * d * sizeof(double), "IDX images");
    rc = ds.X ? read_idx_pixels(g, images, head, n * d, ds.X) : WL_ENOMEM;
    gzclose(g);
    if (rc) {
        if (ds.X) wl_dataset_free(&ds);
        return rc;
    }
    wl_data_set_name(&ds, images);
    if (labels && (rc = attach_labels(&ds, images, labels))) {
        wl_dataset_free(&ds);
        return rc;
    }
    *out = ds;
    return WL_OK;
}
