/* Architecture of an infinite-width network from the network module's spec
 * strings: "mlp:784-1024x3-10:relu:ntk[:bias[=beta]][:csigma][:leaky=s]",
 * "resmlp:784-256x4-10:relu:ntk", "densemlp:10-64x3-1:tanh:std",
 * "assembly:10-16-1:8:relu" (see docs/models.md for the grammar). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/infinite_impl.h"
#include "widelab/net.h"

#define MAX_LAYERS 256

/* Parses "784-1024x3-10" into widths[]; returns the count or 0 on error. */
static size_t parse_widths(const char *spec, const char *s, size_t *w, size_t cap) {
    size_t n = 0;
    while (*s) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (end == s || errno || v == 0) goto bad;
        size_t rep = 1;
        if (*end == 'x') {
            s = end + 1;
            unsigned long long r = strtoull(s, &end, 10);
            if (end == s || r == 0 || r > MAX_LAYERS) goto bad;
            rep = (size_t)r;
        }
        for (size_t k = 0; k < rep; k++) {
            if (n == cap) goto bad;
            w[n++] = (size_t)v;
        }
        if (*end == '-') end++;
        else if (*end) goto bad;
        s = end;
    }
    return n;
bad:
    wl_seterr(WL_EINVAL, "spec '%s': bad layer sizes near '%s' (expected e.g. 784-1024x3-10)",
              spec, s);
    return 0;
}

static int parse_option(const char *spec, const char *opt, wl_inf_arch *a) {
    char *end;
    if (!strcmp(opt, "ntk")) a->param = WL_INF_NTK;
    else if (!strcmp(opt, "std") || !strcmp(opt, "standard")) a->param = WL_INF_STANDARD;
    else if (!strcmp(opt, "csigma")) a->csigma = 1;
    else if (!strcmp(opt, "bias")) {
        a->bias = WL_NET_BIAS_SCALE;
        a->has_bias = 1;
    } else if (!strncmp(opt, "bias=", 5)) {
        a->has_bias = 1;
        a->bias = strtod(opt + 5, &end);
        if (end == opt + 5 || *end || !(a->bias >= 0))
            return wl_seterr(WL_EINVAL, "spec '%s': bad bias scale in '%s'", spec, opt);
    } else if (!strncmp(opt, "leaky=", 6)) {
        a->leaky = strtod(opt + 6, &end);
        if (end == opt + 6 || *end)
            return wl_seterr(WL_EINVAL, "spec '%s': bad slope in '%s'", spec, opt);
        if (a->act == WL_INF_RELU) a->act = WL_INF_LEAKY_RELU;
    } else if (!strncmp(opt, "outact=", 7)) {
        if (strcmp(opt + 7, "identity") && strcmp(opt + 7, "linear") && strcmp(opt + 7, "none"))
            return wl_seterr(WL_EUNSUP,
                             "spec '%s': a non-linear output (%s) has no Gaussian-process "
                             "limit here",
                             spec, opt);
    } else {
        wl_inf_act act;
        if (wl_inf_act_from_name(opt, &act))
            return wl_seterr(WL_EINVAL, "spec '%s': unknown part '%s'", spec, opt);
        a->act = act;
    }
    return WL_OK;
}

int wl_inf_arch_from_spec(const char *spec, wl_inf_arch *a, size_t *n_in, size_t *n_out) {
    if (!spec || !a) return wl_seterr(WL_EINVAL, "wl_inf_arch_from_spec: NULL argument");
    char buf[1024];
    if (strlen(spec) >= sizeof buf) return wl_seterr(WL_EINVAL, "spec too long");
    strcpy(buf, spec);
    wl_inf_arch_init(a);
    char *save = NULL, *kind = strtok_r(buf, ":", &save);
    char *sizes = kind ? strtok_r(NULL, ":", &save) : NULL;
    if (!kind || !sizes)
        return wl_seterr(WL_EINVAL, "spec '%s': expected KIND:SIZES[:ACT][:PARAM][:OPTIONS]", spec);
    if (!strcmp(kind, "mlp")) a->topology = WL_INF_MLP;
    else if (!strcmp(kind, "resmlp")) a->topology = WL_INF_RESMLP;
    else if (!strcmp(kind, "densemlp")) a->topology = WL_INF_DENSEMLP;
    else if (!strcmp(kind, "assembly")) a->topology = WL_INF_ASSEMBLY;
    else
        return wl_seterr(WL_EUNSUP,
                         "spec '%s': no infinite-width kernel for '%s' (mlp, resmlp, densemlp, "
                         "assembly)",
                         spec, kind);
    size_t w[MAX_LAYERS + 2];
    size_t nw = parse_widths(spec, sizes, w, MAX_LAYERS + 2);
    if (nw == 0) return WL_EINVAL;
    if (nw < 2) return wl_seterr(WL_EINVAL, "spec '%s': needs at least input and output sizes", spec);
    if (a->topology == WL_INF_ASSEMBLY) {
        char *num = strtok_r(NULL, ":", &save), *end;
        if (!num || strtoul(num, &end, 10) == 0 || *end)
            return wl_seterr(WL_EINVAL, "spec '%s': assembly needs the number of sub-networks",
                             spec);
        if (nw != 3) return wl_seterr(WL_EINVAL, "spec '%s': assembly takes widths d-m-k", spec);
    }
    for (char *o = strtok_r(NULL, ":", &save); o; o = strtok_r(NULL, ":", &save)) {
        int rc = parse_option(spec, o, a);
        if (rc) return rc;
    }
    size_t hidden = nw - 2;
    if ((a->topology == WL_INF_RESMLP || a->topology == WL_INF_DENSEMLP) && hidden == 0)
        return wl_seterr(WL_EINVAL, "spec '%s': %s needs a hidden width", spec, kind);
    a->depth = hidden;
    a->width = hidden ? w[1] : 0;
    for (size_t l = 1; l + 1 < nw; l++)
        if (w[l] != w[1] && (a->param == WL_INF_STANDARD || a->topology != WL_INF_MLP))
            return wl_seterr(WL_EUNSUP,
                             "spec '%s': needs equal hidden widths (standard parametrization "
                             "or a %s)",
                             spec, kind);
    if (n_in) *n_in = w[0];
    if (n_out) *n_out = w[nw - 1];
    return WL_OK;
}
