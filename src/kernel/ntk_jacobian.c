/* The generic reference method: Jacobian rows of a tile from vjp with one-hot
 * cotangents, then the kernel block as one gemm.
 *   J: t x (k p), row i = [J_i0, ..., J_i(k-1)] (J_ic = d f_c(x_i)/dw, p = dim)
 *   trace block = J1 J2^T (inner dimension k p) = sum_c J1_c J2_c^T
 *   full block  = J1' J2'^T with J' the same memory read as (t k) x p */
#include "ntk_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct jac_scratch {
    double *J1, *J2; /* t x k p each */
    double *G;       /* 1 x k one-hot */
    size_t last_i0, last_ni; /* rows of X1 held in J1 (ni = 0: none) */
} jac_scratch;

double wl_ntk_jacobian_bytes(const wl_model *m, size_t t, size_t ku) {
    (void)ku;
    return 2.0 * 8.0 * (double)t * (double)m->n_out * (double)m->dim;
}

/* J rows for points i0..i0+ni of X: k vjps of single points, G = e_c */
static int jac_rows(wl_model *m, const double *w, const wl_mat *X, size_t i0, size_t ni,
                    double *G, double *J) {
    size_t k = m->n_out, p = m->dim;
    for (size_t i = 0; i < ni; i++) {
        wl_mat xi = wl_ntk_row(X, i0 + i);
        for (size_t c = 0; c < k; c++) {
            wl_mat g = wl_mat_view(G, 1, k);
            memset(G, 0, k * sizeof *G);
            G[c] = 1.0;
            double *row = J + (i * k + c) * p;
            memset(row, 0, p * sizeof *row);
            int rc = wl_model_vjp(m, w, &xi, &g, row);
            if (rc) return wl_adderr(rc, "ntk (jacobian): vjp at point %zu", i0 + i);
        }
    }
    return WL_OK;
}

static int jac_thread_init(ntk_job *j, ntk_thread *t) {
    jac_scratch *s = wl_calloc(1, sizeof *s, "jacobian scratch");
    if (!s) return WL_ENOMEM;
    t->scratch = s;
    size_t n = j->plan.tile * j->k * j->m->dim;
    s->J1 = wl_dalloc(n, "Jacobian tile");
    s->J2 = j->mode == WL_NTK_DIAG ? NULL : wl_dalloc(n, "Jacobian tile");
    s->G = wl_dalloc(j->k, "one-hot cotangent");
    if (!s->J1 || !s->G || (j->mode != WL_NTK_DIAG && !s->J2)) return WL_ENOMEM;
    return WL_OK;
}

static void jac_thread_free(ntk_thread *t) {
    jac_scratch *s = t->scratch;
    free(s->J1);
    free(s->J2);
    free(s->G);
    free(s);
    t->scratch = NULL;
}

static int jac_block(ntk_job *j, ntk_thread *t, size_t i0, size_t ni, size_t j0, size_t nj,
                     double *out) {
    jac_scratch *s = t->scratch;
    size_t k = j->k, p = j->m->dim;
    int rc;
    if (s->last_ni != ni || s->last_i0 != i0) { /* row tile changed */
        s->last_ni = 0;
        rc = jac_rows(t->m, j->w, j->X1, i0, ni, s->G, s->J1);
        if (rc) return rc;
        s->last_i0 = i0;
        s->last_ni = ni;
    }
    const double *J2 = s->J1;
    if (!(j->sym && i0 == j0)) {
        rc = jac_rows(t->m, j->w, j->X2, j0, nj, s->G, s->J2);
        if (rc) return rc;
        J2 = s->J2;
    }
    wl_mat A, B, C;
    if (j->mode == WL_NTK_TRACE) {
        /* C: ni x nj = J1 (ni x kp) J2^T */
        A = wl_mat_view(s->J1, ni, k * p);
        B = wl_mat_view((double *)J2, nj, k * p);
        C = wl_mat_view(out, ni, nj);
    } else {
        /* C: ni k x nj k = J1' ((ni k) x p) J2'^T */
        A = wl_mat_view(s->J1, ni * k, p);
        B = wl_mat_view((double *)J2, nj * k, p);
        C = wl_mat_view(out, ni * k, nj * k);
    }
    return wl_gemm(0, 1, 1.0, &A, &B, 0.0, &C);
}

static int jac_diag(ntk_job *j, ntk_thread *t, size_t i0, size_t ni, double *out) {
    jac_scratch *s = t->scratch;
    size_t k = j->k, p = j->m->dim;
    s->last_ni = 0;
    int rc = jac_rows(t->m, j->w, j->X1, i0, ni, s->G, s->J1);
    if (rc) return rc;
    /* out_ic = |J_ic|^2 */
    for (size_t r = 0; r < ni * k; r++) {
        double nrm = wl_nrm2(p, s->J1 + r * p);
        out[r] = nrm * nrm;
    }
    return WL_OK;
}

const ntk_method wl_ntk_jacobian_method = {
    NULL, jac_thread_init, jac_block, jac_diag, jac_thread_free, NULL,
};
