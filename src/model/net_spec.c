/* Model spec strings: "KIND:WIDTHS[:FIELD]..." -> a network (docs/models.md).
 *
 *   mlp:784-1024x3-10:relu:ntk      resmlp:784-256x4-10:relu:ntk:bias=0.1
 *   densemlp:10-64x3-1:tanh:std     assembly:10-16-1:8:relu
 *   linear:784-10[:bias]            (the linear model, wl_linear_new)
 *
 * WIDTHS = N or NxR (R repeats) joined by '-': input, hidden..., output.
 * FIELDs in any order: an activation name, ntk|std, bias, bias=B, csigma,
 * concat (densemlp: concatenate instead of summing),
 * outact=ACT, leaky=S. assembly takes the number of sub-networks first.
 */
#include "net_impl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_MAX_PARTS 32
#define SPEC_MAX_WIDTHS 4096

typedef struct spec {
    const char *text;     /* the whole spec, for messages */
    int act, param, bias, csigma, outact, concat;
    int leaky_set, named_act; /* leaky=S seen; last activation named other than relu/leaky */
    double slope, beta;
    size_t widths[SPEC_MAX_WIDTHS], nw;
    size_t num;           /* assembly: number of sub-networks */
} spec;

static int bad(const spec *s, const char *what, const char *part) {
    return wl_seterr(WL_EINVAL, "model spec \"%s\": %s \"%s\"", s->text, what, part);
}

static int parse_size(const char *p, size_t *out) {
    if (*p < '0' || *p > '9') return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(p, &end, 10);
    if (errno || *end || v == 0 || v > (1ull << 32)) return -1;
    *out = (size_t)v;
    return 0;
}

static int parse_double(const char *p, double *out) {
    errno = 0;
    char *end;
    double v = strtod(p, &end);
    if (errno || end == p || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* "784-1024x3-10" -> widths */
static int parse_widths(spec *s, char *part) {
    s->nw = 0;
    for (char *tok = part, *next; tok; tok = next) {
        next = strchr(tok, '-');
        if (next) *next++ = '\0';
        char *x = strchr(tok, 'x');
        size_t w, r = 1;
        if (x) *x = '\0';
        if (parse_size(tok, &w) || (x && parse_size(x + 1, &r))) {
            if (x) *x = 'x';
            return bad(s, "bad width (expected N or NxR with N, R >= 1) in", tok);
        }
        if (s->nw + r > SPEC_MAX_WIDTHS) return bad(s, "too many layers at", tok);
        while (r--) s->widths[s->nw++] = w;
    }
    if (s->nw < 2) return bad(s, "need at least an input and an output width in", s->text);
    return WL_OK;
}

static int parse_field(spec *s, const char *f) {
    char key[64];
    const char *eq = strchr(f, '=');
    size_t kl = eq ? (size_t)(eq - f) : strlen(f);
    if (kl == 0 || kl >= sizeof key) return bad(s, "unknown field", f);
    memcpy(key, f, kl);
    key[kl] = '\0';
    const char *val = eq ? eq + 1 : NULL;
    if (!strcmp(key, "ntk") && !val) s->param = WL_PARAM_NTK;
    else if (!strcmp(key, "std") && !val) s->param = WL_PARAM_STD;
    else if (!strcmp(key, "csigma") && !val) s->csigma = 1;
    else if (!strcmp(key, "concat") && !val) s->concat = 1;
    else if (!strcmp(key, "bias")) {
        s->bias = 1;
        if (val && (parse_double(val, &s->beta) || s->beta < 0))
            return bad(s, "bias scale must be a number >= 0 in", f);
    } else if (!strcmp(key, "leaky")) {
        s->act = WL_ACT_LEAKY;
        s->leaky_set = 1;
        if (val && parse_double(val, &s->slope)) return bad(s, "leaky slope must be a number in", f);
    } else if (!strcmp(key, "outact") && val) {
        if (wl_act_from_name(val, &s->outact)) return bad(s, "unknown output activation in", f);
    } else if (!val) {
        int a;
        if (wl_act_from_name(key, &a)) return bad(s, "unknown activation or option", f);
        s->act = a;
        if (a != WL_ACT_RELU && a != WL_ACT_LEAKY) s->named_act = a;
    } else {
        return bad(s, "unknown option", f);
    }
    return WL_OK;
}

/* ---- architectures ----------------------------------------------------------- */

#define TRY(expr)                  \
    do {                           \
        if ((rc = (expr))) goto out; \
    } while (0)

/* dense then activation: a = act(dense(in)) */
static int dense_act(wl_net *net, const spec *s, size_t in, size_t m, size_t *a) {
    size_t z;
    int rc = wl_net_add_dense(net, in, m, s->bias, s->beta, &z);
    return rc ? rc : wl_net_add_act(net, z, s->act, s->slope, s->csigma, a);
}

static int same_hidden(const spec *s, const char *kind) {
    if (s->nw < 3) return bad(s, "needs at least one hidden width:", kind);
    for (size_t i = 2; i + 1 < s->nw; i++)
        if (s->widths[i] != s->widths[1])
            return bad(s, "needs equal hidden widths:", kind);
    return WL_OK;
}

/* x -> [dense, act] per hidden width -> dense */
static int build_mlp(wl_net *net, const spec *s, size_t x, size_t *y) {
    size_t h = x;
    for (size_t i = 1; i + 1 < s->nw; i++) {
        int rc = dense_act(net, s, h, s->widths[i], &h);
        if (rc) return rc;
    }
    return wl_net_add_dense(net, h, s->widths[s->nw - 1], s->bias, s->beta, y);
}

/* h = dense(x); per hidden entry h <- (h + dense(act(h)))/sqrt(2); y = dense(act(h)) */
static int build_resmlp(wl_net *net, const spec *s, size_t x, size_t *y) {
    int rc = same_hidden(s, "resmlp");
    size_t m = s->widths[1], h, a, r;
    if (rc) return rc;
    TRY(wl_net_add_dense(net, x, m, s->bias, s->beta, &h));
    for (size_t b = 1; b + 1 < s->nw; b++) {
        TRY(wl_net_add_act(net, h, s->act, s->slope, s->csigma, &a));
        TRY(wl_net_add_dense(net, a, m, s->bias, s->beta, &r));
        size_t hr[2] = {h, r};
        TRY(wl_net_add_add(net, hr, 2, M_SQRT1_2, &h));
    }
    TRY(wl_net_add_act(net, h, s->act, s->slope, s->csigma, &a));
    TRY(wl_net_add_dense(net, a, s->widths[s->nw - 1], s->bias, s->beta, y));
out:
    return rc;
}

/* h_1 = act(dense(x)); h_l = act(dense((h_1 + ... + h_{l-1})/sqrt(l-1)));
 * y = dense((h_1 + ... + h_L)/sqrt(L)) */
/* concat variant: h_l = act(dense([x, h_1, ..., h_{l-1}])); y = dense([x, h_1, ..., h_L]);
 * the dense layers' 1/sqrt(fan_in) (NTK) scales the longer inputs */
static int build_densecat(wl_net *net, const spec *s, size_t x, size_t *y) {
    size_t L = s->nw - 2, *hs = wl_malloc((L + 1) * sizeof *hs, "densemlp"), in = x;
    int rc = WL_OK;
    if (!hs) return WL_ENOMEM;
    if (L == 0) rc = bad(s, "needs at least one hidden width:", "densemlp");
    hs[0] = x;
    for (size_t l = 1; !rc && l <= L + 1; l++) {
        if (l > 1) TRY(wl_net_add_concat(net, hs, l, &in));
        if (l <= L) TRY(dense_act(net, s, in, s->widths[l], &hs[l]));
    }
    if (!rc) TRY(wl_net_add_dense(net, in, s->widths[s->nw - 1], s->bias, s->beta, y));
out:
    free(hs);
    return rc;
}

static int build_densemlp(wl_net *net, const spec *s, size_t x, size_t *y) {
    if (s->concat) return build_densecat(net, s, x, y);
    int rc = same_hidden(s, "densemlp");
    if (rc) return rc;
    size_t L = s->nw - 2, m = s->widths[1], *hs = wl_malloc(L * sizeof *hs, "densemlp"), in = x;
    if (!hs) return WL_ENOMEM;
    for (size_t l = 0; l <= L; l++) {
        if (l == 1) in = hs[0];
        if (l > 1) TRY(wl_net_add_add(net, hs, l, 1.0 / sqrt((double)l), &in));
        if (l < L) TRY(dense_act(net, s, in, m, &hs[l]));
    }
    TRY(wl_net_add_dense(net, in, s->widths[s->nw - 1], s->bias, s->beta, y));
out:
    free(hs);
    return rc;
}

/* y = (1/sqrt(NUM)) sum_j dense_j2(act(dense_j1(x))) */
static int build_assembly(wl_net *net, const spec *s, size_t x, size_t *y) {
    if (s->nw != 3) return bad(s, "assembly takes widths d-m-k, got", "");
    int rc = WL_OK;
    size_t *ys = wl_malloc(s->num * sizeof *ys, "assembly"), a;
    if (!ys) return WL_ENOMEM;
    for (size_t j = 0; j < s->num; j++) {
        TRY(dense_act(net, s, x, s->widths[1], &a));
        TRY(wl_net_add_dense(net, a, s->widths[2], s->bias, s->beta, &ys[j]));
    }
    TRY(wl_net_add_add(net, ys, s->num, 1.0 / sqrt((double)s->num), y));
out:
    free(ys);
    return rc;
}

/* ---- entry point --------------------------------------------------------------- */

static int parse(spec *s, char *buf, char **kind) {
    char *parts[SPEC_MAX_PARTS] = {0};
    size_t np = 0;
    for (char *p = buf, *next; p; p = next) {
        next = strchr(p, ':');
        if (next) *next++ = '\0';
        if (np == SPEC_MAX_PARTS) return bad(s, "too many fields at", p);
        parts[np++] = p;
    }
    *kind = parts[0];
    if (np < 2) return bad(s, "expected KIND:WIDTHS..., missing the widths after", parts[0]);
    int rc = parse_widths(s, parts[1]);
    size_t first = 2;
    if (!rc && !strcmp(parts[0], "assembly")) {
        if (np < 3 || parse_size(parts[2], &s->num) || s->num > 65536)
            return bad(s, "assembly needs the number of sub-networks (1..65536) after the widths, got",
                       np < 3 ? "" : parts[2]);
        first = 3;
    }
    for (size_t i = first; !rc && i < np; i++) {
        if (!parts[i][0]) return bad(s, "empty field in", s->text);
        rc = parse_field(s, parts[i]);
    }
    if (!rc && s->leaky_set && s->named_act >= 0)
        rc = bad(s, "leaky=S selects the leaky relu and conflicts with",
                 wl_act_name(s->named_act));
    return rc;
}

static int build(wl_net *net, const spec *s, const char *kind, size_t *y) {
    size_t x;
    int rc = wl_net_add_input(net, s->widths[0], &x);
    if (rc) return rc;
    if (!strcmp(kind, "mlp")) rc = build_mlp(net, s, x, y);
    else if (!strcmp(kind, "resmlp")) rc = build_resmlp(net, s, x, y);
    else if (!strcmp(kind, "densemlp")) rc = build_densemlp(net, s, x, y);
    else if (!strcmp(kind, "assembly")) rc = build_assembly(net, s, x, y);
    else rc = bad(s, "unknown kind (mlp, resmlp, densemlp, assembly, linear)", kind);
    if (!rc && s->concat && strcmp(kind, "densemlp") != 0) rc = bad(s, "concat is a densemlp option, not for", kind);
    if (!rc && s->outact >= 0) rc = wl_net_add_act(net, *y, s->outact, s->slope, 0, y);
    return rc;
}

int wl_net_from_spec(const char *text, wl_model **out) {
    if (!out) return wl_seterr(WL_EINVAL, "model spec: NULL output");
    *out = NULL;
    if (!text || !*text) return wl_seterr(WL_EINVAL, "model spec: empty");
    spec *s = wl_calloc(1, sizeof *s, "model spec");
    char *buf = wl_malloc(strlen(text) + 1, "model spec");
    if (!s || !buf) {
        free(s);
        free(buf);
        return WL_ENOMEM;
    }
    strcpy(buf, text);
    s->text = text;
    s->act = WL_ACT_RELU;
    s->param = WL_PARAM_NTK;
    s->beta = WL_NET_BIAS_SCALE;
    s->outact = -1;
    s->named_act = -1;
    s->slope = 0.01;
    char *kind = NULL;
    int rc = parse(s, buf, &kind);
    if (!rc && !strcmp(kind, "linear")) {
        if (s->nw != 2) rc = bad(s, "linear takes widths d-k, got", "");
        else rc = wl_linear_new(s->widths[0], s->widths[1], s->bias, out);
    } else if (!rc) {
        wl_net *net = NULL;
        size_t y = 0;
        rc = wl_net_new(s->param, &net);
        if (!rc) rc = build(net, s, kind, &y);
        if (!rc) rc = wl_net_set_output(net, y);
        if (!rc) rc = wl_net_finish(net, out); /* consumes net */
        else wl_net_free(net);
        if (rc && strncmp(wl_errmsg(), "model spec", 10) != 0)
            wl_adderr(rc, "model spec \"%s\"", text);
    }
    free(buf);
    free(s);
    return rc;
}
