/* Asymptotics of 1-D Bregman quantization (Liu & Belkin 2016).
 *
 * Locally D(x, c) ~ phi''(c)/2 (x - c)^2. A cell of width w holding mass p w
 * costs p w phi''/2 * w^2/12, and with point density lambda (int lambda = 1)
 * the widths are 1/(k lambda), so
 *   k^2 E_k -> (1/24) int p phi'' / lambda^2 dx,
 * minimized (Hoelder) at lambda ~ (p phi'')^{1/3}, giving
 *   k^2 E_k -> (1/24) (int (p phi'')^{1/3} dx)^3. */
#include "cluster/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct integrand {
    const wl_div *div;
    const wl_density *p;
} integrand;

/* (p(x) phi''(x))^{1/3} */
static double centre_density(const integrand *f, double x) {
    double v = wl_density_pdf(f->p, x) * wl_div_phi2_1d(f->div, x);
    return v > 0.0 && isfinite(v) ? cbrt(v) : 0.0;
}

/* Tanh-sinh quadrature on [a, b]: x = a + (b - a)/(1 + e^{-2s}), s = pi/2 sinh u,
 * dx = (b - a) (pi/2) cosh u / (2 cosh^2 s) du; endpoint distances computed
 * without cancellation so integrable endpoint singularities are fine. */
static double tanh_sinh(const integrand *f, double a, double b) {
    const double h = 1.0 / 64.0, umax = 4.5;
    double sum = 0.0;
    for (long j = -(long)(umax / h); j <= (long)(umax / h); j++) {
        double u = (double)j * h, s = M_PI_2 * sinh(u), cs = cosh(s);
        double w = (b - a) * M_PI_2 * cosh(u) / (2.0 * cs * cs);
        double x = s <= 0.0 ? a + (b - a) / (1.0 + exp(-2.0 * s)) : b - (b - a) / (1.0 + exp(2.0 * s));
        if (!(x > a && x < b) || w == 0.0) continue;
        sum += w * centre_density(f, x);
    }
    return sum * h;
}

int wl_cluster_asym_constant(const wl_div *div, const wl_density *p, double *constant,
                             double *mass) {
    if (!div || !p || !constant) return wl_seterr(WL_EINVAL, "wl_cluster_asym_constant: NULL argument");
    if (div->kind == WL_DIV_MAHALANOBIS && div->A.rows != 1)
        return wl_seterr(WL_EINVAL, "asymptotics are 1-D: Mahalanobis A must be 1 x 1");
    integrand f = {div, p};
    double lo, hi, m;
    wl_density_support(p, &lo, &hi);
    const char *why;
    if (!wl_div_in_domain(div, lo, &why) && !(div->kind != WL_DIV_EXP && lo == 0.0))
        return wl_seterr(WL_EINVAL, "divergence '%s' %s but the density starts at %g", div->name,
                         why, lo);
    if (isfinite(hi)) {
        if (div->kind == WL_DIV_LOGISTIC && (lo < 0.0 || hi > 1.0))
            return wl_seterr(WL_EINVAL, "logistic divergence needs a density on [0, 1]");
        m = tanh_sinh(&f, lo, hi);
    } else { /* grow the window until the tail no longer adds */
        double T = 8.0 / p->a, prev = -1.0;
        m = tanh_sinh(&f, lo, lo + T);
        while (fabs(m - prev) > 1e-13 * m) {
            if (2.0 * T > 600.0 / p->a) /* beyond, p < e^-600 underflows */
                return wl_seterr(WL_ENUMERIC, "int (p phi'')^{1/3} dx diverges for '%s' on this "
                                              "density (or its tail decays too slowly)", div->name);
            prev = m;
            m += tanh_sinh(&f, lo + T, lo + 2.0 * T);
            T *= 2.0;
        }
    }
    if (!(m > 0.0) || !isfinite(m))
        return wl_seterr(WL_ENUMERIC, "int (p phi'')^{1/3} dx = %g", m);
    *constant = m * m * m / 24.0;
    if (mass) *mass = m;
    return WL_OK;
}
