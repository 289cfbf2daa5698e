/* Learning-rate schedules: constant, step drops, cosine; linear warm-up.
 *   lr_t / lr = warm(t) * shape(t)   (formulas in include/widelab/optim.h) */
#include "widelab/optim.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static double shape(const wl_schedule *s, size_t t) {
    if (s->kind == WL_SCHED_STEP) {
        double f = 1.0;
        for (size_t j = 0; j < s->n_drops; j++)
            if (t >= s->drops[j]) f *= s->factor;
        return f;
    }
    if (s->kind == WL_SCHED_COSINE) {
        if (s->total <= s->warmup) return s->final_frac;
        double T = (double)(s->total - s->warmup);
        double tt = t > s->warmup ? (double)(t - s->warmup) : 0.0;
        if (tt > T) tt = T;
        return s->final_frac + (1.0 - s->final_frac) * 0.5 * (1.0 + cos(M_PI * tt / T));
    }
    return 1.0;
}

double wl_schedule_factor(const wl_schedule *s, size_t t) {
    double warm = (s->warmup && t < s->warmup) ? (double)(t + 1) / (double)s->warmup : 1.0;
    return warm * shape(s, t);
}

int wl_schedule_is_drop(const wl_schedule *s, size_t t) {
    if (s->kind != WL_SCHED_STEP || t == 0) return 0;
    for (size_t j = 0; j < s->n_drops; j++)
        if (s->drops[j] == t) return 1;
    return 0;
}

static int parse_size(const char *p, char **end, size_t *v, const char *spec) {
    errno = 0;
    if (*p < '0' || *p > '9') return wl_seterr(WL_EINVAL, "schedule '%s': expected a step number at '%s'", spec, p);
    unsigned long long x = strtoull(p, end, 10);
    if (errno) return wl_seterr(WL_EINVAL, "schedule '%s': bad step number at '%s'", spec, p);
    *v = (size_t)x;
    return WL_OK;
}

static int parse_double(const char *p, char **end, double *v, const char *spec) {
    errno = 0;
    *v = strtod(p, end);
    if (*end == p || errno || !isfinite(*v))
        return wl_seterr(WL_EINVAL, "schedule '%s': bad number at '%s'", spec, p);
    return WL_OK;
}

static int parse_step(const char *spec, const char *p, wl_schedule *s) {
    char *end;
    for (;;) {
        if (s->n_drops == WL_SCHED_MAX_DROPS)
            return wl_seterr(WL_EINVAL, "schedule '%s': more than %d drops", spec, WL_SCHED_MAX_DROPS);
        size_t d;
        int rc = parse_size(p, &end, &d, spec);
        if (rc) return rc;
        if (s->n_drops && d <= s->drops[s->n_drops - 1])
            return wl_seterr(WL_EINVAL, "schedule '%s': drops must increase (%zu after %zu)", spec, d,
                             s->drops[s->n_drops - 1]);
        s->drops[s->n_drops++] = d;
        if (*end == ',') {
            p = end + 1;
            continue;
        }
        break;
    }
    s->factor = 0.1;
    if (*end == ':') {
        int rc = parse_double(end + 1, &end, &s->factor, spec);
        if (rc) return rc;
        if (s->factor <= 0.0) return wl_seterr(WL_EINVAL, "schedule '%s': factor must be positive", spec);
    }
    if (*end) return wl_seterr(WL_EINVAL, "schedule '%s': unexpected '%s'", spec, end);
    return WL_OK;
}

static int parse_cosine(const char *spec, const char *p, wl_schedule *s) {
    char *end;
    int rc = parse_size(p, &end, &s->total, spec);
    if (rc) return rc;
    if (s->total == 0) return wl_seterr(WL_EINVAL, "schedule '%s': total steps must be positive", spec);
    s->final_frac = 0.0;
    if (*end == ':') {
        rc = parse_double(end + 1, &end, &s->final_frac, spec);
        if (rc) return rc;
        if (s->final_frac < 0.0) return wl_seterr(WL_EINVAL, "schedule '%s': final fraction must be >= 0", spec);
    }
    if (*end) return wl_seterr(WL_EINVAL, "schedule '%s': unexpected '%s'", spec, end);
    return WL_OK;
}

int wl_schedule_parse(const char *spec, wl_schedule *s) {
    if (!spec || !s) return wl_seterr(WL_EINVAL, "schedule: NULL argument");
    size_t warmup = s->warmup;
    memset(s, 0, sizeof *s);
    s->warmup = warmup;
    s->factor = 1.0;
    if (!strcmp(spec, "const") || !strcmp(spec, "constant")) return WL_OK;
    if (!strncmp(spec, "step:", 5)) {
        s->kind = WL_SCHED_STEP;
        return parse_step(spec, spec + 5, s);
    }
    if (!strncmp(spec, "cosine:", 7)) {
        s->kind = WL_SCHED_COSINE;
        return parse_cosine(spec, spec + 7, s);
    }
    return wl_seterr(WL_EINVAL,
                     "schedule '%s': expected const, step:D1,D2,...:FACTOR or cosine:TOTAL[:FINAL]", spec);
}

const char *wl_schedule_format(const wl_schedule *s, char *buf, size_t cap) {
    size_t o = 0;
    if (!cap) return buf;
    buf[0] = 0;
#define PUT(...) o += (size_t)snprintf(buf + (o < cap ? o : cap), o < cap ? cap - o : 0, __VA_ARGS__)
    if (s->kind == WL_SCHED_STEP) {
        PUT("step(");
        for (size_t j = 0; j < s->n_drops; j++) PUT("%s%zu", j ? "," : "", s->drops[j]);
        PUT(")x%g", s->factor);
    } else if (s->kind == WL_SCHED_COSINE) {
        PUT("cosine(%zu->%g)", s->total, s->final_frac);
    } else {
        PUT("const");
    }
    if (s->warmup) PUT("+warmup(%zu)", s->warmup);
#undef PUT
    return buf;
}
