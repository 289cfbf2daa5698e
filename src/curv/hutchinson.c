/* Hutchinson trace estimator: tr(H) = E[z^T H z] for Rademacher z (E z z^T = I);
 * the estimate is the mean over probes, its standard error the sample
 * standard deviation over sqrt(probes). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "curv/krylov.h"

/* z = Rademacher vector of probe j (independent of the order probes run in). */
static void rademacher(const wl_rng *rng, size_t j, double *z, size_t p) {
    wl_rng r = wl_rng_split(rng, (uint64_t)j);
    for (size_t i = 0; i < p; i += 64) {
        uint64_t bits = wl_rng_u64(&r);
        size_t e = p - i < 64 ? p - i : 64;
        for (size_t b = 0; b < e; b++) z[i + b] = (bits >> b) & 1u ? 1.0 : -1.0;
    }
}

int wl_hutchinson(const wl_linop *H, size_t max_probes, double rtol, wl_rng *rng,
                  wl_trace_result *res) {
    memset(res, 0, sizeof *res);
    if (!H || !H->mv || H->p == 0) return wl_seterr(WL_EINVAL, "hutchinson: empty operator");
    if (max_probes == 0 || !(rtol >= 0))
        return wl_seterr(WL_EINVAL, "hutchinson: probes %zu must be >= 1 and rtol %g >= 0",
                         max_probes, rtol);
    size_t p = H->p;
    double *z = wl_dalloc(p, "probe"), *y = wl_dalloc(p, "probe product");
    int rc = (!z || !y) ? WL_ENOMEM : WL_OK;
    double mean = 0, m2 = 0; /* Welford */
    for (size_t j = 0; !rc && j < max_probes; j++) {
        rademacher(rng, j, z, p);
        rc = wl__apply(H, z, y);
        if (rc) break;
        res->matvecs++;
        double q = wl_dot(p, z, y), d = q - mean;
        mean += d / (double)(j + 1);
        m2 += d * (q - mean);
        res->probes = j + 1;
        res->trace = mean;
        res->std_err = j ? sqrt(m2 / (double)j / (double)(j + 1)) : 0.0;
        if (rtol > 0 && j + 1 >= 4 && res->std_err <= rtol * fabs(mean)) {
            res->converged = 1;
            break;
        }
    }
    if (!rc && rtol == 0) res->converged = 1;
    free(z);
    free(y);
    return rc;
}
