/* Dual activations by quadrature over the 2-D Gaussian in polar form; with
 * relu-like and custom activations the angle is split at the kinks so that
 * kinks at 0 cost nothing:
 *   u = s1 r cos(phi), v = s2 r cos(phi - th),  cos th = sxz / (s1 s2),
 *   E[F(u, v)] = 1/(2 pi) int_0^pi dphi int_0^inf e^-t [F(+rho e) + F(-rho e)] dt,
 * rho = sqrt(2t). Gauss-Laguerre in t is exact for positively homogeneous
 * activations (relu: polynomial in t) and fast for smooth ones; Gauss-Legendre
 * in phi on the sectors between the kink lines u = 0 (phi = pi/2) and v = 0
 * (phi = th +- pi/2), where the integrand is smooth. Analytic activations
 * (tanh, sigmoid, softplus, gelu, erf, ...) skip the sectors: trapezoidal rule
 * in phi over one period, a third of the points. */
#include <math.h>
#include <stdlib.h>

#include "kernel/infinite_impl.h"

#define WL_PI 3.14159265358979323846

/* Golub-Welsch: nodes = eigenvalues of the Jacobi matrix (diag a, off-diag b),
 * weights = mu0 * (first eigenvector component)^2. */
static int golub_welsch(size_t n, const double *a, const double *b, double mu0, double *x,
                        double *w) {
    wl_mat J;
    int rc = wl_mat_alloc(&J, n, n);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++) {
        WL_AT(&J, i, i) = a[i];
        if (i + 1 < n) WL_AT(&J, i, i + 1) = WL_AT(&J, i + 1, i) = b[i];
    }
    rc = wl_eigh(&J, x, 1);
    if (!rc)
        for (size_t j = 0; j < n; j++) w[j] = mu0 * WL_AT(&J, 0, j) * WL_AT(&J, 0, j);
    wl_mat_free(&J);
    return rc;
}

void wl__inf_quad_free(wl_inf_quad *q) {
    free(q->rho);
    free(q->wt);
    free(q->xphi);
    free(q->wphi);
    free(q->xgh);
    free(q->wgh);
    q->rho = q->wt = q->xphi = q->wphi = q->xgh = q->wgh = NULL;
}

int wl__inf_quad_init(wl_inf_quad *q, size_t order) {
    size_t n = order ? order : 64;
    if (n < 2 || n > 400)
        return wl_seterr(WL_EINVAL, "quadrature order %zu out of range [2, 400]", order);
    q->nt = n;
    q->nphi = n;
    q->rho = wl_dalloc(n, "quadrature nodes");
    q->wt = wl_dalloc(n, "quadrature weights");
    q->xphi = wl_dalloc(n, "quadrature nodes");
    q->wphi = wl_dalloc(n, "quadrature weights");
    q->ngh = n;
    q->xgh = wl_dalloc(n, "quadrature nodes");
    q->wgh = wl_dalloc(n, "quadrature weights");
    double *a = wl_dalloc(n, "Jacobi matrix"), *b = wl_dalloc(n, "Jacobi matrix");
    int rc = (q->rho && q->wt && q->xphi && q->wphi && q->xgh && q->wgh && a && b) ? WL_OK : WL_ENOMEM;
    /* Laguerre (weight e^-t on [0, inf)): a_k = 2k + 1, b_k = k + 1, mu0 = 1 */
    for (size_t k = 0; !rc && k < n; k++) {
        a[k] = 2.0 * (double)k + 1.0;
        b[k] = (double)k + 1.0;
    }
    if (!rc) rc = golub_welsch(n, a, b, 1.0, q->rho, q->wt);
    for (size_t k = 0; !rc && k < n; k++) q->rho[k] = sqrt(2.0 * fmax(q->rho[k], 0.0));
    /* Legendre (weight 1 on [-1, 1]): a_k = 0, b_k = (k+1)/sqrt(4(k+1)^2 - 1), mu0 = 2 */
    for (size_t k = 0; !rc && k < n; k++) {
        double j = (double)k + 1.0;
        a[k] = 0.0;
        b[k] = j / sqrt(4.0 * j * j - 1.0);
    }
    if (!rc) rc = golub_welsch(n, a, b, 2.0, q->xphi, q->wphi);
    /* Hermite (weight N(0, 1)): a_k = 0, b_k = sqrt(k + 1), mu0 = 1 */
    for (size_t k = 0; !rc && k < n; k++) b[k] = sqrt((double)k + 1.0);
    if (!rc) rc = golub_welsch(n, a, b, 1.0, q->xgh, q->wgh);
    free(a);
    free(b);
    if (rc) wl__inf_quad_free(q);
    return rc;
}

/* Radial sums at one angle, with (u, v) = r (c1, c2) and the mirrored pair:
 *   sa = sum_k wt_k [sigma(u) sigma(v) + sigma(-u) sigma(-v)], sd likewise with sigma'. */
static void radial(const wl_inf_arch *A, const wl_inf_quad *q, double c1, double c2, double *sa,
                   double *sd) {
    double a = 0.0, d = 0.0;
    for (size_t k = 0; k < q->nt; k++) {
        double r = q->rho[k], fu, du, fv, dv, gu, eu, gv, ev;
        wl__inf_act_eval(A, r * c1, &fu, &du);
        wl__inf_act_eval(A, r * c2, &fv, &dv);
        wl__inf_act_eval(A, -r * c1, &gu, &eu);
        wl__inf_act_eval(A, -r * c2, &gv, &ev);
        a += q->wt[k] * (fu * fv + gu * gv);
        d += q->wt[k] * (du * dv + eu * ev);
    }
    *sa = a;
    *sd = d;
}

/* Sector [lo, hi] of the angle: adds its contribution to ea, ed. */
static void sector(const wl_inf_arch *A, const wl_inf_quad *q, double s1, double s2, double th,
                   double lo, double hi, double *ea, double *ed) {
    double half = 0.5 * (hi - lo), mid = 0.5 * (hi + lo);
    for (size_t j = 0; j < q->nphi; j++) {
        double phi = mid + half * q->xphi[j];
        double c1 = s1 * cos(phi), c2 = s2 * cos(phi - th);
        double sa, sd;
        radial(A, q, c1, c2, &sa, &sd);
        *ea += half * q->wphi[j] * sa;
        *ed += half * q->wphi[j] * sd;
    }
}

/* Analytic activations: the integrand of the angle is analytic and pi-periodic,
 * so the trapezoidal rule on [0, pi) converges geometrically (no sectors). */
static void dual_periodic(const wl_inf_arch *A, const wl_inf_quad *q, double s1, double s2,
                          double th, double *ea, double *ed) {
    const size_t n = q->nphi;
    const double h = 3.14159265358979323846 / (double)n;
    double sa = 0.0, sd = 0.0;
    for (size_t j = 0; j < n; j++) {
        double phi = ((double)j + 0.5) * h;
        double c1 = s1 * cos(phi), c2 = s2 * cos(phi - th);
        double pa, pd;
        radial(A, q, c1, c2, &pa, &pd);
        sa += pa;
        sd += pd;
    }
    *ea = sa * h / (2.0 * 3.14159265358979323846);
    *ed = sd * h / (2.0 * 3.14159265358979323846);
}

/* 1 for activations that are analytic (Gauss-Hermite converges fast); relu-like
 * and custom activations use the polar rule, exact at kinks at 0. */
static int smooth(const wl_inf_arch *a) {
    return a->act != WL_INF_RELU && a->act != WL_INF_LEAKY_RELU && a->act != WL_INF_CUSTOM;
}

void wl__inf_dual_quad(const wl_inf_arch *a, const wl_inf_quad *q, double sxx, double szz,
                       double sxz, double *ea, double *ed) {
    double s1 = sqrt(fmax(sxx, 0.0)), s2 = sqrt(fmax(szz, 0.0));
    double c = (s1 > 0 && s2 > 0) ? sxz / (s1 * s2) : 1.0;
    c = c > 1 ? 1 : (c < -1 ? -1 : c);
    double th = acos(c);
    if (smooth(a)) {
        dual_periodic(a, q, s1, s2, th, ea, ed);
        return;
    }
    /* breakpoints in [0, pi]: u = 0 at pi/2, v = 0 at th + pi/2 (mod pi) */
    double b1 = 0.5 * WL_PI, b2 = th + 0.5 * WL_PI;
    if (b2 >= WL_PI) b2 -= WL_PI;
    double lo = b1 < b2 ? b1 : b2, hi = b1 < b2 ? b2 : b1;
    double edges[4] = {0.0, lo, hi, WL_PI};
    double sa = 0.0, sd = 0.0;
    for (int s = 0; s < 3; s++)
        if (edges[s + 1] - edges[s] > 1e-15) sector(a, q, s1, s2, th, edges[s], edges[s + 1], &sa, &sd);
    *ea = sa / (2.0 * WL_PI);
    *ed = sd / (2.0 * WL_PI);
}

int wl__inf_uses_cache(const wl_inf_arch *a) { return !wl__inf_has_closed_form(a) && smooth(a); }

size_t wl__inf_cache_len(const wl_inf_quad *q) { return 4 * q->nphi * q->nt; }

/* cache[(j nt + k) 4 + {0,1,2,3}] = act(+u), act'(+u), act(-u), act'(-u),
 * u = rho_k s1 cos(phi_j) on the periodic rule's nodes. */
void wl__inf_cache_fill(const wl_inf_arch *a, const wl_inf_quad *q, double sxx, double *cache) {
    const double s1 = sqrt(fmax(sxx, 0.0)), h = WL_PI / (double)q->nphi;
    for (size_t j = 0; j < q->nphi; j++) {
        double c1 = s1 * cos(((double)j + 0.5) * h);
        for (size_t k = 0; k < q->nt; k++) {
            double *e = cache + 4 * (j * q->nt + k);
            wl__inf_act_eval(a, q->rho[k] * c1, &e[0], &e[1]);
            wl__inf_act_eval(a, -q->rho[k] * c1, &e[2], &e[3]);
        }
    }
}

/* dual_periodic with the first point's values from the cache */
void wl__inf_dual_cached(const wl_inf_arch *a, const wl_inf_quad *q, const double *cache,
                         double sxx, double szz, double sxz, double *ea, double *ed) {
    double s1 = sqrt(fmax(sxx, 0.0)), s2 = sqrt(fmax(szz, 0.0));
    double c = (s1 > 0 && s2 > 0) ? sxz / (s1 * s2) : 1.0;
    c = c > 1 ? 1 : (c < -1 ? -1 : c);
    const double th = acos(c), h = WL_PI / (double)q->nphi;
    double sa = 0.0, sd = 0.0;
    for (size_t j = 0; j < q->nphi; j++) {
        double c2 = s2 * cos(((double)j + 0.5) * h - th), pa = 0.0, pd = 0.0;
        for (size_t k = 0; k < q->nt; k++) {
            const double *e = cache + 4 * (j * q->nt + k);
            double fv, dv, gv, ev;
            wl__inf_act_eval(a, q->rho[k] * c2, &fv, &dv);
            wl__inf_act_eval(a, -q->rho[k] * c2, &gv, &ev);
            pa += q->wt[k] * (e[0] * fv + e[2] * gv);
            pd += q->wt[k] * (e[1] * dv + e[3] * ev);
        }
        sa += pa;
        sd += pd;
    }
    *ea = sa * h / (2.0 * WL_PI);
    *ed = sd * h / (2.0 * WL_PI);
}
