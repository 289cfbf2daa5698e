/* NTK-vector products: kernel columns without storing any Jacobian.
 *   column (j, c') of the full kernel = J1 (J2_jc'^T) = jvp(X1, vjp(x_j, e_c'))
 * memory O(p + t k); cost one vjp of a point and one jvp of a tile per column.
 * Also the matrix-free product y = K v used by Lanczos. */
#include "ntk_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct vp_scratch {
    double *v;  /* p: J_jc'^T */
    double *G;  /* 1 x k one-hot */
    double *JV; /* t x k */
} vp_scratch;

double wl_ntk_ntkvp_bytes(const wl_model *m, size_t t, size_t ku) {
    (void)ku;
    return 8.0 * ((double)m->dim + (double)(t + 1) * (double)m->n_out);
}

static int vp_thread_init(ntk_job *j, ntk_thread *t) {
    vp_scratch *s = wl_calloc(1, sizeof *s, "ntkvp scratch");
    if (!s) return WL_ENOMEM;
    t->scratch = s;
    s->v = wl_dalloc(j->m->dim, "ntkvp vector");
    s->G = wl_dalloc(j->k, "one-hot cotangent");
    s->JV = wl_dalloc(j->plan.tile * j->k, "ntkvp column");
    return s->v && s->G && s->JV ? WL_OK : WL_ENOMEM;
}

static void vp_thread_free(ntk_thread *t) {
    vp_scratch *s = t->scratch;
    free(s->v);
    free(s->G);
    free(s->JV);
    free(s);
    t->scratch = NULL;
}

/* v = J_c(x)^T = vjp(x, e_c) */
static int grad_row(wl_model *m, const double *w, const wl_mat *X, size_t i, size_t c,
                    vp_scratch *s) {
    size_t k = m->n_out;
    wl_mat xi = wl_ntk_row(X, i), g = wl_mat_view(s->G, 1, k);
    memset(s->G, 0, k * sizeof *s->G);
    s->G[c] = 1.0;
    memset(s->v, 0, m->dim * sizeof *s->v);
    int rc = wl_model_vjp(m, w, &xi, &g, s->v);
    return rc ? wl_adderr(rc, "ntk (ntkvp): vjp at point %zu", i) : WL_OK;
}

static int vp_block(ntk_job *j, ntk_thread *t, size_t i0, size_t ni, size_t j0, size_t nj,
                    double *out) {
    vp_scratch *s = t->scratch;
    size_t k = j->k, ldo = nj * j->ku;
    wl_mat Xi = wl_mat_rows(j->X1, i0, ni), JV = wl_mat_view(s->JV, ni, k);
    if (j->mode == WL_NTK_TRACE) memset(out, 0, ni * nj * sizeof *out);
    for (size_t jj = 0; jj < nj; jj++)
        for (size_t c2 = 0; c2 < k; c2++) {
            int rc = grad_row(t->m, j->w, j->X2, j0 + jj, c2, s);
            if (!rc) rc = wl_model_jvp(t->m, j->w, &Xi, s->v, &JV);
            if (rc) return wl_adderr(rc, "ntk (ntkvp): column %zu", j0 + jj);
            /* JV_ic = <J_ic(x_i), J_jc2(z_j)> */
            for (size_t i = 0; i < ni; i++) {
                if (j->mode == WL_NTK_TRACE) out[i * ldo + jj] += s->JV[i * k + c2];
                else
                    for (size_t c = 0; c < k; c++)
                        out[(i * k + c) * ldo + jj * k + c2] = s->JV[i * k + c];
            }
        }
    return WL_OK;
}

static int vp_diag(ntk_job *j, ntk_thread *t, size_t i0, size_t ni, double *out) {
    vp_scratch *s = t->scratch;
    for (size_t i = 0; i < ni; i++)
        for (size_t c = 0; c < j->k; c++) {
            int rc = grad_row(t->m, j->w, j->X1, i0 + i, c, s);
            if (rc) return rc;
            double nrm = wl_nrm2(j->m->dim, s->v);
            out[i * j->k + c] = nrm * nrm; /* |J_ic|^2 */
        }
    return WL_OK;
}

const ntk_method wl_ntk_ntkvp_method = {
    NULL, vp_thread_init, vp_block, vp_diag, vp_thread_free, NULL,
};

/* y = K v = J (J^T v): full mode one vjp/jvp pair with G = v (n x k); trace
 * mode sum_c J_c J_c^T v, one pair per output with G = v e_c^T. */
int wl_ntk_matvec(wl_model *m, const double *w, const wl_mat *X, wl_ntk_mode mode,
                  const double *v, double *y) {
    if (!m || !X || !v || !y) return wl_seterr(WL_EINVAL, "ntk matvec: NULL argument");
    if (mode == WL_NTK_DIAG)
        return wl_seterr(WL_EINVAL, "ntk matvec: the diag mode is not an operator");
    size_t n = X->rows, k = m->n_out;
    wl_mat G, JV;
    double *gw = wl_dalloc(m->dim, "ntk matvec");
    int rc = gw ? wl_mat_alloc(&G, n, k) : WL_ENOMEM;
    if (rc) {
        free(gw);
        return rc;
    }
    rc = wl_mat_alloc(&JV, n, k);
    for (size_t c = 0; !rc && c < (mode == WL_NTK_FULL ? 1 : k); c++) {
        for (size_t i = 0; i < n; i++)
            for (size_t c2 = 0; c2 < k; c2++)
                WL_AT(&G, i, c2) = mode == WL_NTK_FULL ? v[i * k + c2] : c2 == c ? v[i] : 0.0;
        memset(gw, 0, m->dim * sizeof *gw);
        rc = wl_model_vjp(m, w, X, &G, gw);
        if (!rc) rc = wl_model_jvp(m, w, X, gw, &JV);
        if (rc) break;
        for (size_t i = 0; i < n; i++) {
            if (mode == WL_NTK_FULL) memcpy(y + i * k, &WL_AT(&JV, i, 0), k * sizeof *y);
            else y[i] = (c ? y[i] : 0.0) + WL_AT(&JV, i, c);
        }
    }
    free(gw);
    wl_mat_free(&G);
    wl_mat_free(&JV);
    return rc;
}
