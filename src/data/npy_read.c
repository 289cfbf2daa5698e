/* NumPy .npy reader: versions 1.0/2.0/3.0, header dict parsed token by token,
 * any common little-endian numeric dtype converted to double. */
#include "widelab/data.h"
#include "data/npy_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Header parser state: text h[0..len), position, file offset of h[0]. */
typedef struct hparse {
    const char *h;
    size_t len, pos, base;
    const char *path;
} hparse;

static void skip_ws(hparse *p) {
    while (p->pos < p->len && (p->h[p->pos] == ' ' || p->h[p->pos] == '\t' ||
                               p->h[p->pos] == '\n' || p->h[p->pos] == '\r'))
        p->pos++;
}

static int bad(hparse *p, const char *what) {
    char got[24] = "end of header";
    if (p->pos < p->len) {
        size_t m = 0;
        for (size_t i = p->pos; i < p->len && m < 12; i++) {
            char c = p->h[i];
            got[m++] = (c >= 32 && c < 127) ? c : '?';
        }
        got[m] = 0;
    }
    return wl_seterr(WL_EFORMAT, "'%s': bad .npy header at byte %zu: expected %s, got '%s'",
                     p->path, p->base + p->pos, what, got);
}

static int expect(hparse *p, char c) {
    skip_ws(p);
    if (p->pos >= p->len || p->h[p->pos] != c) {
        char what[8] = {'\'', c, '\'', 0};
        return bad(p, what);
    }
    p->pos++;
    return WL_OK;
}

/* A quoted Python string ('...' or "...") into buf. */
static int parse_str(hparse *p, char *buf, size_t cap) {
    skip_ws(p);
    if (p->pos >= p->len || (p->h[p->pos] != '\'' && p->h[p->pos] != '"'))
        return bad(p, "a quoted string");
    char q = p->h[p->pos];
    size_t start = ++p->pos;
    while (p->pos < p->len && p->h[p->pos] != q) p->pos++;
    if (p->pos >= p->len) return bad(p, "closing quote");
    size_t m = p->pos - start;
    if (m >= cap) {
        p->pos = start;
        return bad(p, "a short string");
    }
    memcpy(buf, p->h + start, m);
    buf[m] = 0;
    p->pos++;
    return WL_OK;
}

static int parse_bool(hparse *p, int *v) {
    skip_ws(p);
    if (p->len - p->pos >= 4 && memcmp(p->h + p->pos, "True", 4) == 0) {
        *v = 1;
        p->pos += 4;
    } else if (p->len - p->pos >= 5 && memcmp(p->h + p->pos, "False", 5) == 0) {
        *v = 0;
        p->pos += 5;
    } else return bad(p, "True or False");
    return WL_OK;
}

/* A shape tuple: (), (n,), (a, b), (a, b,) ... */
static int parse_shape(hparse *p, int *ndim, size_t shape[WL_NPY_MAXDIM]) {
    int rc = expect(p, '(');
    if (rc) return rc;
    *ndim = 0;
    for (;;) {
        skip_ws(p);
        if (p->pos < p->len && p->h[p->pos] == ')') break;
        if (p->pos >= p->len || p->h[p->pos] < '0' || p->h[p->pos] > '9')
            return bad(p, "a dimension or ')'");
        if (*ndim >= WL_NPY_MAXDIM) return bad(p, "at most 8 dimensions");
        size_t v = 0;
        while (p->pos < p->len && p->h[p->pos] >= '0' && p->h[p->pos] <= '9') {
            size_t dgt = (size_t)(p->h[p->pos] - '0');
            if (v > (SIZE_MAX - dgt) / 10) return bad(p, "a dimension that fits in 64 bits");
            v = v * 10 + dgt;
            p->pos++;
        }
        shape[(*ndim)++] = v;
        skip_ws(p);
        if (p->pos < p->len && p->h[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->h[p->pos] == ')') break;
        return bad(p, "',' or ')'");
    }
    p->pos++;
    return WL_OK;
}

static int dtype_of(const char *descr, const char *path, size_t at, wl_npy_dtype *t) {
    static const struct { const char *s; wl_npy_dtype t; } tab[] = {
        {"<f8", WL_NPY_F8}, {"<f4", WL_NPY_F4}, {"|u1", WL_NPY_U1}, {"<u1", WL_NPY_U1},
        {"|i1", WL_NPY_I1}, {"<i1", WL_NPY_I1}, {"|b1", WL_NPY_U1}, {"<i2", WL_NPY_I2},
        {"<i4", WL_NPY_I4}, {"<i8", WL_NPY_I8}, {"<u2", WL_NPY_U2}, {"<u4", WL_NPY_U4},
        {"<u8", WL_NPY_U8}};
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strcmp(descr, tab[i].s) == 0) {
            *t = tab[i].t;
            return WL_OK;
        }
    return wl_seterr(WL_EFORMAT,
                     "'%s': unsupported .npy dtype '%s' at byte %zu (expected <f8, <f4, |u1, "
                     "<i8, <i4 or another little-endian integer type)",
                     path, descr, at);
}

int wl_npy_parse_header(const char *h, size_t len, size_t base, const char *path,
                        wl_npy_info *info) {
    hparse p = {h, len, 0, base, path};
    int have_descr = 0, have_order = 0, have_shape = 0, rc;
    size_t order_at = 0;
    char key[32], descr[32];
    if ((rc = expect(&p, '{'))) return rc;
    for (;;) {
        skip_ws(&p);
        if (p.pos < p.len && p.h[p.pos] == '}') break;
        size_t key_at = p.pos;
        if ((rc = parse_str(&p, key, sizeof key))) return rc;
        if ((rc = expect(&p, ':'))) return rc;
        skip_ws(&p);
        size_t val_at = base + p.pos;
        if (strcmp(key, "descr") == 0 && !have_descr) {
            if ((rc = parse_str(&p, descr, sizeof descr))) return rc;
            if ((rc = dtype_of(descr, path, val_at, &info->dtype))) return rc;
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0 && !have_order) {
            if ((rc = parse_bool(&p, &info->fortran))) return rc;
            order_at = val_at;
            have_order = 1;
        } else if (strcmp(key, "shape") == 0 && !have_shape) {
            if ((rc = parse_shape(&p, &info->ndim, info->shape))) return rc;
            have_shape = 1;
        } else {
            p.pos = key_at;
            return bad(&p, "one of the keys 'descr', 'fortran_order', 'shape' (once each)");
        }
        skip_ws(&p);
        if (p.pos < p.len && p.h[p.pos] == ',') {
            p.pos++;
            continue;
        }
        if (p.pos < p.len && p.h[p.pos] == '}') break;
        return bad(&p, "',' or '}'");
    }
    p.pos++;
    skip_ws(&p);
    if (p.pos != p.len) return bad(&p, "end of header after '}'");
    if (!have_descr || !have_order || !have_shape)
        return wl_seterr(WL_EFORMAT, "'%s': .npy header at byte %zu lacks the key '%s'", path,
                         base, !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
    if (info->fortran)
        return wl_seterr(WL_EFORMAT,
                         "'%s': .npy array is in Fortran order (fortran_order: True at byte "
                         "%zu); save it with numpy.ascontiguousarray first",
                         path, order_at);
    return WL_OK;
}

size_t wl_npy_itemsize(wl_npy_dtype t) {
    switch (t) {
    case WL_NPY_F8: case WL_NPY_I8: case WL_NPY_U8: return 8;
    case WL_NPY_F4: case WL_NPY_I4: case WL_NPY_U4: return 4;
    case WL_NPY_I2: case WL_NPY_U2: return 2;
    default: return 1;
    }
}

/* Little-endian bytes of one element -> double. */
static double decode(wl_npy_dtype t, const unsigned char *b) {
    uint64_t u = 0;
    size_t sz = wl_npy_itemsize(t);
    for (size_t i = 0; i < sz; i++) u |= (uint64_t)b[i] << (8 * i);
    switch (t) {
    case WL_NPY_F8: { double v; memcpy(&v, &u, 8); return v; }
    case WL_NPY_F4: { uint32_t w = (uint32_t)u; float v; memcpy(&v, &w, 4); return v; }
    case WL_NPY_U1: return (double)(uint8_t)u;
    case WL_NPY_I1: return (double)(int8_t)(uint8_t)u;
    case WL_NPY_I2: return (double)(int16_t)(uint16_t)u;
    case WL_NPY_U2: return (double)(uint16_t)u;
    case WL_NPY_I4: return (double)(int32_t)(uint32_t)u;
    case WL_NPY_U4: return (double)(uint32_t)u;
    case WL_NPY_I8: return (double)(int64_t)u;
    case WL_NPY_U8: return (double)u;
    }
    return 0.0;
}

int wl_npy_read_header(FILE *f, const char *path, wl_npy_info *info) {
    unsigned char pre[12];
    memset(info, 0, sizeof *info);
    size_t got = fread(pre, 1, 10, f);
    if (got < 10 || memcmp(pre, "\x93NUMPY", 6) != 0)
        return wl_seterr(WL_EFORMAT, "'%s': not a .npy file (bad magic at byte 0)", path);
    int major = pre[6], minor = pre[7];
    size_t hlen, base;
    if (major == 1) {
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
        base = 10;
    } else if (major == 2 || major == 3) {
        if (fread(pre + 10, 1, 2, f) != 2)
            return wl_seterr(WL_EFORMAT, "'%s': truncated .npy header at byte 10", path);
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 |
               (size_t)pre[11] << 24;
        base = 12;
    } else
        return wl_seterr(WL_EFORMAT, "'%s': unsupported .npy version %d.%d at byte 6", path,
                         major, minor);
    if (hlen > (1u << 24))
        return wl_seterr(WL_EFORMAT, "'%s': .npy header length %zu at byte 8 is too large", path,
                         hlen);
    char *h = wl_malloc(hlen + 1, ".npy header");
    if (!h) return WL_ENOMEM;
    if (fread(h, 1, hlen, f) != hlen) {
        free(h);
        return wl_seterr(WL_EFORMAT, "'%s': truncated .npy header (%zu bytes from byte %zu)",
                         path, hlen, base);
    }
    int rc = wl_npy_parse_header(h, hlen, base, path, info);
    free(h);
    info->data_offset = base + hlen;
    return rc;
}

/* Little-endian host, '<f8': the bytes are the doubles. */
static int read_f8_direct(FILE *f, const char *path, const wl_npy_info *info, double *out,
                          size_t count) {
    size_t done = 0, chunk = (size_t)1 << 26;
    while (done < count) {
        size_t m = count - done < chunk ? count - done : chunk;
        if (fread(out + done, 8, m, f) != m)
            return wl_seterr(WL_EIO, "'%s': read error at byte %zu", path,
                             info->data_offset + done * 8);
        done += m;
    }
    return WL_OK;
}

/* Any dtype, element by element through a buffer. */
static int read_converted(FILE *f, const char *path, const wl_npy_info *info, double *out,
                          size_t count) {
    unsigned char buf[1 << 16];
    size_t isz = wl_npy_itemsize(info->dtype), per = sizeof buf / isz, done = 0;
    while (done < count) {
        size_t m = count - done < per ? count - done : per;
        if (fread(buf, isz, m, f) != m)
            return wl_seterr(WL_EIO, "'%s': read error at byte %zu", path,
                             info->data_offset + done * isz);
        for (size_t i = 0; i < m; i++) out[done + i] = decode(info->dtype, buf + i * isz);
        done += m;
    }
    return WL_OK;
}

int wl_npy_read(const char *path, double **data, int *ndim, size_t shape[8]) {
    *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return wl_seterr(WL_EIO, "cannot open '%s': %s", path, strerror(errno));
    wl_npy_info info;
    int rc = wl_npy_read_header(f, path, &info);
    if (rc) {
        fclose(f);
        return rc;
    }
    size_t count = 1, isz = wl_npy_itemsize(info.dtype);
    for (int i = 0; i < info.ndim; i++) {
        if (info.shape[i] && count > SIZE_MAX / 16 / info.shape[i]) {
            fclose(f);
            return wl_seterr(WL_EFORMAT, "'%s': .npy shape overflows", path);
        }
        count *= info.shape[i];
    }
    struct stat st;
    size_t fsize = fstat(fileno(f), &st) == 0 ? (size_t)st.st_size : 0;
    size_t need = info.data_offset + count * isz;
    if (fsize < need || fsize > need) {
        fclose(f);
        return wl_seterr(WL_EFORMAT,
                         "'%s': .npy data %s: the header promises %zu elements of %zu bytes "
                         "(%zu bytes from byte %zu) but the file has %zu bytes",
                         path, fsize < need ? "truncated" : "followed by extra bytes", count, isz,
                         count * isz, info.data_offset, fsize);
    }
    /* every element is written below: plain malloc, no zeroing pass */
    double *out = wl_malloc(count * sizeof(double), path);
    if (!out) {
        fclose(f);
        return WL_ENOMEM;
    }
    uint16_t one = 1;
    unsigned char lsb;
    memcpy(&lsb, &one, 1);
    if (info.dtype == WL_NPY_F8 && lsb == 1) rc = read_f8_direct(f, path, &info, out, count);
    else rc = read_converted(f, path, &info, out, count);
    if (rc) {
        free(out);
        fclose(f);
        return rc;
    }
    fclose(f);
    *data = out;
    *ndim = info.ndim;
    for (int i = 0; i < info.ndim; i++) shape[i] = info.shape[i];
    return WL_OK;
}
