/* .npz archives: a zip of .npy members (stored on write; stored or deflated
 * on read, zip64 sizes understood), so parameters move to and from NumPy. */
#include "widelab/report.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char *dtype_descr(wl_dtype t) {
    return t == WL_F64 ? "<f8" : t == WL_U64 ? "<u8" : "<i8";
}

static size_t count_of(const wl_npz_array *a) {
    size_t c = 1;
    for (int i = 0; i < a->ndim; i++) c *= a->shape[i];
    return c;
}

/* NPY v1.0 header: magic, version, header length, dict padded so that the
 * data starts at a multiple of 64 bytes. Returns header size. */
static size_t npy_header(const wl_npz_array *a, char *buf, size_t cap) {
    char dict[512], shape[256] = "";
    size_t off = 0;
    for (int i = 0; i < a->ndim; i++)
        off += (size_t)snprintf(shape + off, sizeof shape - off, "%zu%s", a->shape[i],
                                a->ndim == 1 ? "," : (i + 1 < a->ndim ? ", " : ""));
    int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                      dtype_descr(a->dtype), shape);
    size_t total = 10 + (size_t)dl + 1;
    size_t padded = (total + 63) / 64 * 64;
    if (padded > cap) return 0;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    size_t hlen = padded - 10;
    buf[8] = (char)(hlen & 0xff);
    buf[9] = (char)(hlen >> 8);
    memcpy(buf + 10, dict, (size_t)dl);
    memset(buf + 10 + dl, ' ', padded - 10 - (size_t)dl - 1);
    buf[padded - 1] = '\n';
    return padded;
}

static void put16(FILE *f, unsigned v) {
    fputc((int)(v & 0xff), f);
    fputc((int)((v >> 8) & 0xff), f);
}
static void put32(FILE *f, unsigned long v) {
    put16(f, (unsigned)(v & 0xffff));
    put16(f, (unsigned)((v >> 16) & 0xffff));
}

int wl_npz_write(const char *path, const wl_npz_array *arrays, size_t n) {
    unsigned long *crc = calloc(n ? n : 1, sizeof *crc), *size = calloc(n ? n : 1, sizeof *size),
                  *offset = calloc(n ? n : 1, sizeof *offset);
    if (!crc || !size || !offset) {
        free(crc), free(size), free(offset);
        return wl_seterr(WL_ENOMEM, "npz: out of memory");
    }
    wl_out o;
    int rc = wl_out_open(&o, path);
    if (rc) goto done;
    unsigned long pos = 0;
    for (size_t i = 0; i < n; i++) {
        const wl_npz_array *a = &arrays[i];
        char hdr[640], name[128];
        size_t hl = npy_header(a, hdr, sizeof hdr);
        size_t bytes = count_of(a) * 8;
        if (!hl || bytes + hl > 0xffffffffUL || a->ndim > 4) {
            rc = wl_seterr(WL_EINVAL, "npz '%s': member '%s' too large or bad shape", path, a->name);
            goto fail;
        }
        snprintf(name, sizeof name, "%s.npy", a->name);
        unsigned long c = crc32(0L, (const Bytef *)hdr, (uInt)hl);
        const unsigned char *d = a->data;
        for (size_t done = 0; done < bytes;) {
            size_t chunk = bytes - done > (1u << 30) ? (1u << 30) : bytes - done;
            c = crc32(c, d + done, (uInt)chunk);
            done += chunk;
        }
        crc[i] = c;
        size[i] = (unsigned long)(hl + bytes);
        offset[i] = pos;
        size_t nl = strlen(name);
        put32(o.f, 0x04034b50UL);
        put16(o.f, 20), put16(o.f, 0), put16(o.f, 0), put16(o.f, 0), put16(o.f, 0x21);
        put32(o.f, crc[i]), put32(o.f, size[i]), put32(o.f, size[i]);
        put16(o.f, (unsigned)nl), put16(o.f, 0);
        fwrite(name, 1, nl, o.f);
        fwrite(hdr, 1, hl, o.f);
        if (bytes && fwrite(a->data, 1, bytes, o.f) != bytes) {
            rc = wl_seterr(WL_EIO, "npz '%s': write failed", path);
            goto fail;
        }
        pos += 30 + (unsigned long)nl + size[i];
    }
    unsigned long cd_start = pos, cd_size = 0;
    for (size_t i = 0; i < n; i++) {
        char name[128];
        snprintf(name, sizeof name, "%s.npy", arrays[i].name);
        size_t nl = strlen(name);
        put32(o.f, 0x02014b50UL);
        put16(o.f, 20), put16(o.f, 20), put16(o.f, 0), put16(o.f, 0), put16(o.f, 0), put16(o.f, 0x21);
        put32(o.f, crc[i]), put32(o.f, size[i]), put32(o.f, size[i]);
        put16(o.f, (unsigned)nl), put16(o.f, 0), put16(o.f, 0), put16(o.f, 0), put16(o.f, 0);
        put32(o.f, 0x81a40000UL), put32(o.f, offset[i]);
        fwrite(name, 1, nl, o.f);
        cd_size += 46 + (unsigned long)nl;
    }
    put32(o.f, 0x06054b50UL);
    put16(o.f, 0), put16(o.f, 0), put16(o.f, (unsigned)n), put16(o.f, (unsigned)n);
    put32(o.f, cd_size), put32(o.f, cd_start), put16(o.f, 0);
    rc = wl_out_commit(&o);
    goto done;
fail:
    wl_out_abort(&o);
done:
    free(crc), free(size), free(offset);
    return rc;
}

/* ---- reading ------------------------------------------------------------- */

static unsigned get16(const unsigned char *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }
static unsigned long get32(const unsigned char *p) {
    return (unsigned long)get16(p) | (unsigned long)get16(p + 2) << 16;
}
static unsigned long long get64(const unsigned char *p) {
    return (unsigned long long)get32(p) | (unsigned long long)get32(p + 4) << 32;
}

/* Parses an .npy member (bytes, len) into a; returns WL_OK or WL_EFORMAT. */
static int parse_npy(const char *path, const char *member, const unsigned char *b, size_t len,
                     wl_npz_array *a) {
    if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
        return wl_seterr(WL_EFORMAT, "%s: member '%s' is not an .npy array (bad magic)", path, member);
    size_t hl = b[6] == 1 ? get16(b + 8) : (size_t)get32(b + 8), h0 = b[6] == 1 ? 10 : 12;
    if (h0 + hl > len) return wl_seterr(WL_EFORMAT, "%s: member '%s' has a truncated header", path, member);
    char hdr[1024];
    size_t cl = hl < sizeof hdr - 1 ? hl : sizeof hdr - 1;
    memcpy(hdr, b + h0, cl);
    hdr[cl] = 0;
    const char *d = strstr(hdr, "'descr'"), *fo = strstr(hdr, "'fortran_order'"), *sh = strstr(hdr, "'shape'");
    if (!d || !fo || !sh) return wl_seterr(WL_EFORMAT, "%s: member '%s': header lacks descr/fortran_order/shape", path, member);
    if (strstr(fo, "True") && strstr(fo, "True") < sh && strstr(fo, "True") - fo < 24)
        return wl_seterr(WL_EFORMAT, "%s: member '%s' is in Fortran order; save it C-ordered", path, member);
    const char *q = strchr(d + 7, '\'');
    if (!q) return wl_seterr(WL_EFORMAT, "%s: member '%s': bad descr", path, member);
    char descr[8] = {0};
    memcpy(descr, q + 1, 3);
    int isize;
    char kind;
    if (!strcmp(descr, "<f8")) kind = 'f', isize = 8;
    else if (!strcmp(descr, "<f4")) kind = 'f', isize = 4;
    else if (!strcmp(descr, "<i8")) kind = 'i', isize = 8;
    else if (!strcmp(descr, "<i4")) kind = 'i', isize = 4;
    else if (!strcmp(descr, "<u8")) kind = 'u', isize = 8;
    else return wl_seterr(WL_EFORMAT, "%s: member '%s': unsupported dtype '%s'", path, member, descr);
    const char *p = strchr(sh, '(');
    if (!p) return wl_seterr(WL_EFORMAT, "%s: member '%s': bad shape", path, member);
    a->ndim = 0;
    p++;
    while (*p && *p != ')') {
        while (*p == ' ' || *p == ',') p++;
        if (*p == ')') break;
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p || a->ndim >= 4) return wl_seterr(WL_EFORMAT, "%s: member '%s': bad shape", path, member);
        a->shape[a->ndim++] = (size_t)v;
        p = end;
    }
    size_t count = count_of(a), data0 = h0 + hl;
    if (len - data0 < count * (size_t)isize)
        return wl_seterr(WL_EFORMAT, "%s: member '%s' is truncated: %zu data bytes, need %zu", path,
                         member, len - data0, count * (size_t)isize);
    a->dtype = kind == 'f' ? WL_F64 : kind == 'u' ? WL_U64 : WL_I64;
    a->data = malloc(count ? count * 8 : 8);
    if (!a->data) return wl_seterr(WL_ENOMEM, "%s: out of memory for member '%s'", path, member);
    const unsigned char *src = b + data0;
    for (size_t i = 0; i < count; i++) {
        if (kind == 'f' && isize == 8) memcpy((double *)a->data + i, src + 8 * i, 8);
        else if (kind == 'f') {
            float fv;
            memcpy(&fv, src + 4 * i, 4);
            ((double *)a->data)[i] = fv;
        } else if (isize == 8) memcpy((char *)a->data + 8 * i, src + 8 * i, 8);
        else {
            int32_t iv;
            memcpy(&iv, src + 4 * i, 4);
            ((int64_t *)a->data)[i] = iv;
        }
    }
    return WL_OK;
}

static int inflate_raw(const unsigned char *in, size_t inlen, unsigned char *out, size_t outlen) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return -1;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)inlen;
    z.next_out = out;
    z.avail_out = (uInt)outlen;
    int r = inflate(&z, Z_FINISH);
    inflateEnd(&z);
    return (r == Z_STREAM_END && z.total_out == outlen) ? 0 : -1;
}

int wl_npz_read(const char *path, wl_npz_array **arrays, size_t *n) {
    *arrays = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return wl_seterr(WL_EIO, "cannot open '%s'", path);
    fseek(f, 0, SEEK_END);
    long fl = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = fl > 0 ? malloc((size_t)fl) : NULL;
    if (!buf || fread(buf, 1, (size_t)fl, f) != (size_t)fl) {
        fclose(f);
        free(buf);
        return wl_seterr(fl > 0 ? WL_EIO : WL_EFORMAT, "cannot read '%s' (empty or unreadable)", path);
    }
    fclose(f);
    size_t len = (size_t)fl;
    int rc = WL_OK;
    long eocd = -1;
    for (long i = (long)len - 22; i >= 0 && i >= (long)len - 22 - 65535; i--)
        if (get32(buf + i) == 0x06054b50UL) {
            eocd = i;
            break;
        }
    if (eocd < 0) {
        free(buf);
        return wl_seterr(WL_EFORMAT, "%s: not a zip/.npz archive (no end-of-directory record)", path);
    }
    size_t count = get16(buf + eocd + 10), cd = get32(buf + eocd + 16);
    wl_npz_array *out = calloc(count ? count : 1, sizeof *out);
    if (!out) {
        free(buf);
        return wl_seterr(WL_ENOMEM, "out of memory reading '%s'", path);
    }
    size_t p = cd, got = 0;
    for (size_t i = 0; i < count && !rc; i++) {
        if (p + 46 > len || get32(buf + p) != 0x02014b50UL) {
            rc = wl_seterr(WL_EFORMAT, "%s: bad central directory at byte %zu", path, p);
            break;
        }
        unsigned method = get16(buf + p + 10);
        unsigned long long csize = get32(buf + p + 20), usize = get32(buf + p + 24);
        size_t nl = get16(buf + p + 28), xl = get16(buf + p + 30), cl = get16(buf + p + 32);
        unsigned long long loff = get32(buf + p + 42);
        if (p + 46 + nl + xl > len) {
            rc = wl_seterr(WL_EFORMAT, "%s: truncated central directory", path);
            break;
        }
        /* zip64 extra: present fields in order usize, csize, offset */
        for (size_t x = p + 46 + nl; x + 4 <= p + 46 + nl + xl;) {
            unsigned id = get16(buf + x), sz = get16(buf + x + 2);
            if (id == 1) {
                size_t q = x + 4;
                if (usize == 0xffffffffULL) usize = get64(buf + q), q += 8;
                if (csize == 0xffffffffULL) csize = get64(buf + q), q += 8;
                if (loff == 0xffffffffULL) loff = get64(buf + q);
            }
            x += 4 + sz;
        }
        char member[128];
        size_t ml = nl < sizeof member - 1 ? nl : sizeof member - 1;
        memcpy(member, buf + p + 46, ml);
        member[ml] = 0;
        p += 46 + nl + xl + cl;
        if (loff + 30 > len || get32(buf + loff) != 0x04034b50UL) {
            rc = wl_seterr(WL_EFORMAT, "%s: member '%s': bad local header at byte %llu", path, member, loff);
            break;
        }
        size_t d0 = (size_t)loff + 30 + get16(buf + loff + 26) + get16(buf + loff + 28);
        if (d0 + csize > len) {
            rc = wl_seterr(WL_EFORMAT, "%s: member '%s' is truncated", path, member);
            break;
        }
        const unsigned char *data = buf + d0;
        unsigned char *tmp = NULL;
        if (method == 8) {
            tmp = malloc(usize ? (size_t)usize : 1);
            if (!tmp || inflate_raw(data, (size_t)csize, tmp, (size_t)usize)) {
                free(tmp);
                rc = wl_seterr(WL_EFORMAT, "%s: member '%s': corrupt deflate stream", path, member);
                break;
            }
            data = tmp;
        } else if (method != 0) {
            rc = wl_seterr(WL_EFORMAT, "%s: member '%s': unsupported compression %u", path, member, method);
            break;
        }
        wl_npz_array *a = &out[got];
        size_t base = ml > 4 && !strcmp(member + ml - 4, ".npy") ? ml - 4 : ml;
        snprintf(a->name, sizeof a->name, "%.*s", (int)base, member);
        rc = parse_npy(path, member, data, (size_t)usize, a);
        free(tmp);
        if (!rc) got++;
    }
    free(buf);
    if (rc) {
        wl_npz_free(out, got);
        return rc;
    }
    *arrays = out;
    *n = got;
    return WL_OK;
}

void wl_npz_free(wl_npz_array *arrays, size_t n) {
    if (!arrays) return;
    for (size_t i = 0; i < n; i++) free(arrays[i].data);
    free(arrays);
}

const wl_npz_array *wl_npz_find(const wl_npz_array *arrays, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(arrays[i].name, name) == 0) return &arrays[i];
    return NULL;
}
