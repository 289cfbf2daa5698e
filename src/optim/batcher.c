/* Mini-batch sampler: a fresh random permutation of 0..n-1 each epoch, cut
 * into consecutive batches. Its whole state (epoch, position, permutation,
 * rng) exports to doubles, so a resumed run draws the same batches.
 *   perm: n,  batch rows = perm[pos .. pos + nb) */
#include "widelab/optim.h"

#include <stdlib.h>
#include <string.h>

struct wl_batcher {
    size_t n, batch, epoch, pos;
    int drop_last, full;
    size_t *perm;
    wl_rng rng;
};

static void shuffle(wl_batcher *b) {
    if (b->full)
        for (size_t i = 0; i < b->n; i++) b->perm[i] = i;
    else
        wl_rng_permutation(&b->rng, b->perm, b->n);
    b->pos = 0;
}

int wl_batcher_new(size_t n, size_t batch, int drop_last, const wl_rng *rng, wl_batcher **out) {
    if (!out || !rng) return wl_seterr(WL_EINVAL, "batcher: NULL argument");
    *out = NULL;
    if (n == 0) return wl_seterr(WL_EINVAL, "batcher: no rows to sample from");
    wl_batcher *b = wl_calloc(1, sizeof *b, "batcher");
    if (!b) return WL_ENOMEM;
    b->n = n;
    b->full = batch == 0 || batch >= n;
    b->batch = b->full ? n : batch;
    b->drop_last = drop_last ? 1 : 0;
    b->rng = *rng;
    b->perm = wl_malloc(n * sizeof(size_t), "batch permutation");
    if (!b->perm) {
        free(b);
        return WL_ENOMEM;
    }
    shuffle(b);
    *out = b;
    return WL_OK;
}

void wl_batcher_free(wl_batcher *b) {
    if (!b) return;
    free(b->perm);
    free(b);
}

size_t wl_batcher_epoch(const wl_batcher *b) { return b->epoch; }

int wl_batcher_next(wl_batcher *b, const size_t **idx, size_t *nb) {
    if (!b || !idx || !nb) return wl_seterr(WL_EINVAL, "batcher: NULL argument");
    size_t left = b->n - b->pos;
    if (left == 0 || (b->drop_last && left < b->batch)) {
        b->epoch++;
        shuffle(b);
        left = b->n;
    }
    *nb = left < b->batch ? left : b->batch;
    *idx = b->perm + b->pos;
    b->pos += *nb;
    return WL_OK;
}

/* ---- state: [n, batch, epoch, pos, drop_last, rng (8 halves), spare,
 *              has_spare, perm (n)] -- integers below 2^53 are exact ---- */

enum { BHEAD = 15 };

size_t wl_batcher_state_size(const wl_batcher *b) { return BHEAD + b->n; }

int wl_batcher_state_save(const wl_batcher *b, double *buf) {
    if (!b || !buf) return wl_seterr(WL_EINVAL, "batcher state: NULL argument");
    buf[0] = (double)b->n;
    buf[1] = (double)b->batch;
    buf[2] = (double)b->epoch;
    buf[3] = (double)b->pos;
    buf[4] = (double)b->drop_last;
    for (int i = 0; i < 4; i++) {
        buf[5 + 2 * i] = (double)(b->rng.s[i] >> 32);
        buf[6 + 2 * i] = (double)(b->rng.s[i] & 0xffffffffu);
    }
    buf[13] = b->rng.spare;
    buf[14] = (double)b->rng.has_spare;
    for (size_t i = 0; i < b->n; i++) buf[BHEAD + i] = (double)b->perm[i];
    return WL_OK;
}

static int is_uint(double x, double below) { return x >= 0 && x < below && x == (double)(uint64_t)x; }

int wl_batcher_state_load(wl_batcher *b, const double *buf, size_t len) {
    if (!b || !buf) return wl_seterr(WL_EINVAL, "batcher state: NULL argument");
    if (len != wl_batcher_state_size(b))
        return wl_seterr(WL_EFORMAT, "batcher state: %zu values, expected %zu", len, wl_batcher_state_size(b));
    if (buf[0] != (double)b->n || buf[1] != (double)b->batch || buf[4] != (double)b->drop_last)
        return wl_seterr(WL_EFORMAT, "batcher state: saved for n = %g, batch = %g, drop_last = %g; this batcher has %zu, %zu, %d",
                         buf[0], buf[1], buf[4], b->n, b->batch, b->drop_last);
    if (!is_uint(buf[2], 9007199254740992.0) || !is_uint(buf[3], (double)b->n + 1))
        return wl_seterr(WL_EFORMAT, "batcher state: bad epoch %g or position %g", buf[2], buf[3]);
    for (int i = 0; i < 8; i++)
        if (!is_uint(buf[5 + i], 4294967296.0))
            return wl_seterr(WL_EFORMAT, "batcher state: bad rng word %g at value %d", buf[5 + i], 5 + i);
    for (size_t i = 0; i < b->n; i++)
        if (!is_uint(buf[BHEAD + i], (double)b->n))
            return wl_seterr(WL_EFORMAT, "batcher state: permutation entry %zu is %g, outside 0..%zu", i,
                             buf[BHEAD + i], b->n - 1);
    b->epoch = (size_t)buf[2];
    b->pos = (size_t)buf[3];
    for (int i = 0; i < 4; i++)
        b->rng.s[i] = ((uint64_t)buf[5 + 2 * i] << 32) | (uint64_t)buf[6 + 2 * i];
    b->rng.spare = buf[13];
    b->rng.has_spare = buf[14] != 0.0;
    for (size_t i = 0; i < b->n; i++) b->perm[i] = (size_t)buf[BHEAD + i];
    return WL_OK;
}
