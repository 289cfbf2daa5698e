/* Planning an empirical kernel: method, tile size, threads, memory needed,
 * and whether the result goes to disk. */
#include "ntk_internal.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

double wl_ntk_phys_bytes(void) {
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || size <= 0) return 8.0 * 1024 * 1024 * 1024;
    return (double)pages * (double)size;
}

static size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }

/* per-thread bytes at tile t: method scratch + block and its transpose */
static double thread_bytes(const wl_model *m, wl_ntk_method meth, size_t t, size_t ku,
                           int cache) {
    double blk = 2.0 * 8.0 * (double)(t * ku) * (double)(t * ku);
    double model_ws = 8.0 * (double)t * (double)(m->n_in + 4 * m->n_out) * 4.0;
    switch (meth) {
    case WL_NTK_JACOBIAN: return blk + model_ws + wl_ntk_jacobian_bytes(m, t, ku);
    case WL_NTK_NTKVP: return blk + model_ws + wl_ntk_ntkvp_bytes(m, t, ku);
    default: {
        double f = wl_ntk_structured_point_doubles(m);
        /* Gram scratch (t x t and (t ku)^2) + uncached factors of two tiles */
        double s = 8.0 * ((double)t * (double)t + (double)(t * ku) * (double)(t * ku));
        if (!cache) s += 2.0 * 8.0 * (double)t * f;
        else s += 8.0 * (double)t * f; /* factor pass scratch */
        return blk + model_ws * 4.0 + s;
    }
    }
}

static double shared_bytes(const wl_model *m, wl_ntk_method meth, size_t n1, size_t n2,
                           int sym, int cache) {
    if (meth != WL_NTK_STRUCTURED || !cache) return 0.0;
    return 8.0 * wl_ntk_structured_point_doubles(m) * (double)(n1 + (sym ? 0 : n2));
}

static wl_ntk_method resolve_method(const wl_model *m, const wl_ntk_opts *o, size_t ku,
                                    double limit, int threads) {
    if (o->method != WL_NTK_AUTO) return o->method;
    if (wl_ntk_structured_ok(m)) return WL_NTK_STRUCTURED;
    /* Jacobian if a modest tile of it fits a quarter of the budget */
    size_t t = 16;
    if (threads * thread_bytes(m, WL_NTK_JACOBIAN, t, ku, 0) <= 0.25 * limit)
        return WL_NTK_JACOBIAN;
    return WL_NTK_NTKVP;
}

/* default tile: large enough for BLAS, small enough to balance the threads */
static size_t default_tile(size_t n1, size_t n2, int sym, wl_ntk_par par, int threads) {
    size_t n = n1 > n2 ? n1 : n2;
    if (par == WL_NTK_PAR_BLAS) return n < 2048 ? n : 2048;
    size_t t = n < 512 ? n : 512;
    while (t > 64) {
        size_t b1 = ceil_div(n1, t), b2 = ceil_div(n2, t);
        size_t tasks = sym ? b1 * (b1 + 1) / 2 : b1 * b2;
        if (tasks >= (size_t)(3 * threads)) break;
        t = (t + 1) / 2;
    }
    return t ? t : 1;
}

static int fail_budget(const wl_ntk_plan *p, const wl_ntk_opts *o, double need_mem,
                       const char *why) {
    char a[32], b[32], c[32];
    wl_fmt_bytes(need_mem, a, sizeof a);
    wl_fmt_bytes(p->limit_bytes, b, sizeof b);
    wl_fmt_bytes(p->result_bytes, c, sizeof c);
    return wl_seterr(WL_ENOMEM,
                     "the %zu x %zu %s kernel (%s) needs %s of memory with tiles of %zu "
                     "points, over the limit of %s: %s",
                     p->rows, p->cols, wl_ntk_mode_name(o->mode), c, a, p->tile, b, why);
}

int wl_ntk_plan_make(const wl_model *m, size_t n1, size_t n2, const wl_ntk_opts *opts,
                     wl_ntk_plan *p) {
    wl_ntk_opts def;
    if (!opts) {
        wl_ntk_opts_default(&def);
        opts = &def;
    }
    if (!m) return wl_seterr(WL_EINVAL, "ntk: model is NULL");
    memset(p, 0, sizeof *p);
    int sym = n2 == 0;
    if (sym) n2 = n1;
    size_t k = m->n_out, ku = opts->mode == WL_NTK_FULL ? k : 1;
    p->rows = n1 * ku;
    p->cols = opts->mode == WL_NTK_DIAG ? k : n2 * ku;
    p->result_bytes = 8.0 * (double)p->rows * (double)p->cols;
    p->limit_bytes = opts->mem_limit > 0 ? opts->mem_limit : WL_NTK_MEM_FRACTION * wl_ntk_phys_bytes();
    p->threads = opts->threads > 0 ? opts->threads : wl_get_threads();
    if (p->threads < 1) p->threads = 1;
    p->method = resolve_method(m, opts, ku, p->limit_bytes, p->threads);
    if (p->method == WL_NTK_STRUCTURED && !wl_ntk_structured_ok(m))
        return wl_seterr(WL_EUNSUP,
                         "ntk: the structured method needs a network with dense layers; a %s "
                         "model has none (use the jacobian or ntkvp method)",
                         m->kind ? m->kind : "generic");
    p->parallel = opts->parallel != WL_NTK_PAR_AUTO ? opts->parallel
                  : p->method == WL_NTK_STRUCTURED ? WL_NTK_PAR_TILES
                                                   : WL_NTK_PAR_TILES;
    if (p->parallel == WL_NTK_PAR_BLAS) p->threads = 1;
    size_t tile = opts->tile ? opts->tile : default_tile(n1, n2, sym, p->parallel, p->threads);
    if (tile > (n1 > n2 ? n1 : n2)) tile = n1 > n2 ? n1 : n2;
    if (tile == 0) tile = 1;
    /* candidate layouts, best first: result in memory with the structured
     * factors cached; then, given an output path, the result on disk with the
     * factors cached (streaming is cheaper than recomputing factors per tile);
     * then without the cache. The tile (when not given) shrinks to fit, but
     * for the cached layouts not below 64 points before the next is tried. */
    int structured = p->method == WL_NTK_STRUCTURED, disk_ok = opts->out_path != NULL;
    int force = opts->force_disk && disk_ok;
    static const int order[4][2] = {{0, 1}, {1, 1}, {0, 0}, {1, 0}}; /* {to_disk, cache} */
    double need = 0.0;
    int fixed = opts->tile != 0, any = 0;
    for (int c = 0; c < 4; c++) {
        int disk = order[c][0], cache = order[c][1];
        if ((cache && !structured) || (disk && !disk_ok) || (force && !disk)) continue;
        double res_mem = disk ? 0.0 : p->result_bytes;
        double shared = shared_bytes(m, p->method, n1, n2, sym, cache);
        size_t floor_tile = cache && !fixed ? (tile < 64 ? tile : 64) : 1;
        for (size_t t = tile;; t = (t + 1) / 2) {
            double work = shared + (double)p->threads * thread_bytes(m, p->method, t, ku, cache);
            if (!any || work + res_mem < need) need = work + res_mem, p->tile = t;
            any = 1;
            if (work + res_mem <= p->limit_bytes) {
                p->tile = t;
                p->work_bytes = work;
                p->to_disk = disk;
                p->cache = cache;
                return WL_OK;
            }
            if (fixed || t <= floor_tile) break;
        }
    }
    if (p->result_bytes > p->limit_bytes && !disk_ok)
        return fail_budget(p, opts, p->result_bytes,
                           "give an output path (--out DIR) to write it to disk tile by "
                           "tile, or raise --mem-limit");
    return fail_budget(p, opts, need,
                       fixed ? "lower the tile size (--tile) or raise --mem-limit"
                             : "raise --mem-limit (or use --method ntkvp)");
}

double wl_ntk_memory(const wl_model *m, size_t n1, size_t n2, const wl_ntk_opts *opts) {
    wl_ntk_plan p;
    if (wl_ntk_plan_make(m, n1, n2, opts, &p)) return 0.0;
    return p.work_bytes + (p.to_disk ? 0.0 : p.result_bytes);
}
