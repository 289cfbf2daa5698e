/* Internal pieces shared by the infinite-width kernel files. */
#ifndef WL_KERNEL_INFINITE_IMPL_H
#define WL_KERNEL_INFINITE_IMPL_H

#include "widelab/kernel.h"

/* Nodes and weights of the polar Gaussian quadrature (see infinite_quad.c):
 * Gauss-Laguerre in t = r^2/2 (weight e^-t) and Gauss-Legendre in the angle. */
typedef struct wl_inf_quad {
    size_t nt, nphi;
    double *rho, *wt;   /* nt: rho_k = sqrt(2 t_k), Laguerre weights      */
    double *xphi, *wphi; /* nphi: Legendre nodes/weights on [-1, 1]        */
    size_t ngh;
    double *xgh, *wgh;   /* ngh: Gauss-Hermite for N(0, 1) (E[f(g)] = sum w f(x)) */
} wl_inf_quad;

int wl__inf_quad_init(wl_inf_quad *q, size_t order);
void wl__inf_quad_free(wl_inf_quad *q);

/* f = act(z), df = act'(z) for the arch's activation. */
void wl__inf_act_eval(const wl_inf_arch *a, double z, double *f, double *df);
/* 1 if arch's activation has a closed-form dual (and quadrature is not forced). */
int wl__inf_has_closed_form(const wl_inf_arch *a);
/* Dual activation in closed form (requires wl__inf_has_closed_form). */
void wl__inf_dual_closed(const wl_inf_arch *a, double sxx, double szz, double sxz, double *ea,
                         double *ed);
/* Dual activation by quadrature with q. */
void wl__inf_dual_quad(const wl_inf_arch *a, const wl_inf_quad *q, double sxx, double szz,
                       double sxz, double *ea, double *ed);
/* Either of the two, as the arch asks (q may be NULL when closed form). */
void wl__inf_dual(const wl_inf_arch *a, const wl_inf_quad *q, double sxx, double szz, double sxz,
                  double *ea, double *ed);

/* Analytic activations under quadrature: the act values at the first
 * point's nodes, u = +-rho_k s1 cos(phi_j), do not depend on the second point,
 * so a row of pairs shares them (half the evaluations). */
int wl__inf_uses_cache(const wl_inf_arch *a);
size_t wl__inf_cache_len(const wl_inf_quad *q); /* doubles */
void wl__inf_cache_fill(const wl_inf_arch *a, const wl_inf_quad *q, double sxx, double *cache);
void wl__inf_dual_cached(const wl_inf_arch *a, const wl_inf_quad *q, const double *cache,
                         double sxx, double szz, double sxz, double *ea, double *ed);

#endif
