/* wl_data_synth: a synthetic set by name with "key=val,..." arguments. */
#include "widelab/data.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EIGS 100000

typedef struct synth_args {
    size_t n, d, width, k;
    double noise, decades, mu, sd, sep;
    int rotate, act;
    uint64_t seed;
    int has_seed, has_d;
    double *eigs;
    size_t neigs;
} synth_args;

typedef struct synth_gen {
    const char *name;
    const char *keys; /* allowed keys, ",key," form */
    size_t d;         /* default dimension */
} synth_gen;

static const synth_gen gens[] = {
    {"linreg", ",n,d,noise,decades,eigs,rotate,seed,", 20},
    {"teacher", ",n,d,width,k,act,noise,seed,", 10},
    {"gauss1d", ",n,mu,sd,seed,", 1},
    {"sphere", ",n,d,seed,", 3},
    {"mixture", ",n,d,sep,sd,seed,", 10},
};

static int bad_value(const char *gen, const char *key, const char *val, const char *want) {
    return wl_seterr(WL_EINVAL, "synth:%s: %s=%s is not %s", gen, key, val, want);
}

static int parse_size(const char *gen, const char *key, const char *v, size_t *out) {
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-' || x > ((size_t)1 << 40))
        return bad_value(gen, key, v, "a non-negative integer");
    *out = (size_t)x;
    return WL_OK;
}

static int parse_double(const char *gen, const char *key, const char *v, double *out) {
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(x)) return bad_value(gen, key, v, "a finite number");
    *out = x;
    return WL_OK;
}

/* eigs=e1/e2/... (';' also accepted as separator) */
static int parse_eigs(const char *gen, const char *v, synth_args *a) {
    size_t cap = 1;
    for (const char *s = v; *s; s++) cap += *s == '/' || *s == ';';
    if (cap > MAX_EIGS) return bad_value(gen, "eigs", v, "a list of at most 100000 values");
    free(a->eigs);
    a->eigs = wl_dalloc(cap, "eigenvalues");
    if (!a->eigs) return WL_ENOMEM;
    a->neigs = 0;
    const char *s = v;
    for (;;) {
        char *end;
        double x = strtod(s, &end);
        if (end == s || !isfinite(x) || x < 0 || (*end && *end != '/' && *end != ';'))
            return bad_value(gen, "eigs", v, "a '/'-separated list of numbers >= 0");
        a->eigs[a->neigs++] = x;
        if (!*end) break;
        s = end + 1;
    }
    return WL_OK;
}

static int set_key(const synth_gen *g, synth_args *a, const char *k, const char *v) {
    char probe[40];
    snprintf(probe, sizeof probe, ",%s,", k);
    if (strlen(k) > 30 || !strstr(g->keys, probe))
        return wl_seterr(WL_EINVAL, "synth:%s: unknown key '%s' (keys: %.*s)", g->name, k,
                         (int)strlen(g->keys) - 2, g->keys + 1);
    if (!strcmp(k, "n")) return parse_size(g->name, k, v, &a->n);
    if (!strcmp(k, "d")) {
        a->has_d = 1;
        return parse_size(g->name, k, v, &a->d);
    }
    if (!strcmp(k, "width")) return parse_size(g->name, k, v, &a->width);
    if (!strcmp(k, "k")) return parse_size(g->name, k, v, &a->k);
    if (!strcmp(k, "noise")) return parse_double(g->name, k, v, &a->noise);
    if (!strcmp(k, "decades")) return parse_double(g->name, k, v, &a->decades);
    if (!strcmp(k, "mu")) return parse_double(g->name, k, v, &a->mu);
    if (!strcmp(k, "sd")) return parse_double(g->name, k, v, &a->sd);
    if (!strcmp(k, "sep")) return parse_double(g->name, k, v, &a->sep);
    if (!strcmp(k, "eigs")) return parse_eigs(g->name, v, a);
    if (!strcmp(k, "rotate")) {
        if (strcmp(v, "0") && strcmp(v, "1")) return bad_value(g->name, k, v, "0 or 1");
        a->rotate = v[0] == '1';
        return WL_OK;
    }
    if (!strcmp(k, "act")) {
        if (!strcmp(v, "relu")) a->act = WL_SYNTH_RELU;
        else if (!strcmp(v, "tanh")) a->act = WL_SYNTH_TANH;
        else return bad_value(g->name, k, v, "relu or tanh");
        return WL_OK;
    }
    /* seed */
    a->has_seed = 1;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-') return bad_value(g->name, k, v, "an integer");
    a->seed = (uint64_t)x;
    return WL_OK;
}

static int parse_args(const synth_gen *g, const char *args, synth_args *a) {
    if (!args || !*args) return WL_OK;
    char buf[4096];
    if (strlen(args) >= sizeof buf) return wl_seterr(WL_EINVAL, "synth:%s: arguments too long", g->name);
    strcpy(buf, args);
    for (char *tok = buf; tok;) {
        char *comma = strchr(tok, ',');
        if (comma) *comma = 0;
        char *eq = strchr(tok, '=');
        if (!eq) return wl_seterr(WL_EINVAL, "synth:%s: expected key=value, got '%s'", g->name, tok);
        *eq = 0;
        int rc = set_key(g, a, tok, eq + 1);
        if (rc) return rc;
        tok = comma ? comma + 1 : NULL;
    }
    return WL_OK;
}

static int generate(const synth_gen *g, synth_args *a, wl_rng *rng, wl_dataset *out) {
    if (!strcmp(g->name, "linreg")) {
        if (a->eigs && a->has_d && a->neigs != a->d)
            return wl_seterr(WL_EINVAL, "synth:linreg: %zu eigenvalues given for d=%zu", a->neigs,
                             a->d);
        if (a->eigs) a->d = a->neigs;
        return wl_synth_linreg(rng, a->n, a->d, a->eigs, a->decades, a->rotate, a->noise, out,
                               NULL);
    }
    if (!strcmp(g->name, "teacher"))
        return wl_synth_teacher(rng, a->n, a->d, a->width, a->k, a->act, a->noise, out);
    if (!strcmp(g->name, "gauss1d")) return wl_synth_two_gauss(rng, a->n, a->mu, a->sd, out);
    if (!strcmp(g->name, "sphere")) return wl_synth_sphere(rng, a->n, a->d, out);
    return wl_synth_mixture(rng, a->n, a->d, a->sep, a->sd, out);
}

int wl_data_synth(const char *name, const char *args, const wl_rng *rng, wl_dataset *out) {
    memset(out, 0, sizeof *out);
    const synth_gen *g = NULL;
    for (size_t i = 0; i < sizeof gens / sizeof gens[0]; i++)
        if (name && strcmp(name, gens[i].name) == 0) g = &gens[i];
    if (!g)
        return wl_seterr(WL_EINVAL,
                         "unknown synthetic set '%s' (expected linreg, teacher, gauss1d, sphere "
                         "or mixture)",
                         name ? name : "");
    synth_args a = {.n = 1000, .d = g->d, .width = 100, .k = 1, .decades = 3.0, .mu = 1.0,
                    .sd = 1.0, .sep = 2.0, .act = WL_SYNTH_RELU};
    int rc = parse_args(g, args, &a);
    if (!rc) {
        wl_rng r;
        if (a.has_seed) wl_rng_seed(&r, a.seed);
        else if (rng) r = *rng;
        else wl_rng_seed(&r, 0);
        rc = generate(g, &a, &r, out);
    }
    free(a.eigs);
    if (!rc) {
        char nm[128];
        snprintf(nm, sizeof nm, "synth:%s%s%.100s", g->name, args && *args ? ":" : "",
                 args ? args : "");
        memcpy(out->name, nm, sizeof nm);
    }
    return rc;
}
