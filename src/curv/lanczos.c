/* Thick-restart Lanczos with full reorthogonalization: k extreme eigenpairs
 * of a symmetric operator given by its product.
 *
 * With V_j = [v_0 .. v_{j-1}] orthonormal (rows of V, each of length p) and
 * T_j = V_j^T H V_j (j x j, tridiagonal plus an arrow after a restart),
 *   H V_j = V_j T_j + beta_j v_j e_j^T,
 * so a Ritz pair (theta, y = V_j s) of T_j has residual
 *   ||H y - theta y|| = |beta_j| |s_{j-1}|.
 * When the basis is full it is restarted with the l most wanted Ritz vectors
 * and v_j (Wu & Simon): T becomes diag(theta) with coupling beta_j s_{j-1}. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "curv/krylov.h"

typedef struct lz {
    const wl_linop *H;
    size_t p, k, mb;
    wl_eig_which which;
    double *V;      /* (mb + 1) x p: basis rows, row j = next vector */
    double *T;      /* mb x mb projected matrix */
    double *S;      /* mb x mb eigenvectors of T (column i = theta[i]) */
    double *theta;  /* mb, ascending */
    double *h;      /* mb + 1 projections */
    size_t *order;  /* mb: Ritz indices, most wanted first */
} lz;

void wl_lanczos_opts_default(wl_lanczos_opts *o) {
    o->k = 1;
    o->which = WL_EIG_LM;
    o->tol = 1e-8;
    o->max_basis = 0;
    o->max_matvecs = 0;
}

void wl_eig_result_free(wl_eig_result *r) {
    if (!r) return;
    free(r->values);
    free(r->vectors);
    free(r->residuals);
    memset(r, 0, sizeof *r);
}

/* order[0..j) = Ritz indices sorted by `which` (theta ascending on entry). */
static void rank_ritz(const double *theta, size_t j, wl_eig_which which, size_t *order) {
    if (which == WL_EIG_SA) {
        for (size_t i = 0; i < j; i++) order[i] = i;
    } else if (which == WL_EIG_LA) {
        for (size_t i = 0; i < j; i++) order[i] = j - 1 - i;
    } else { /* merge from both ends: largest |theta| first */
        size_t lo = 0, hi = j;
        for (size_t i = 0; i < j; i++)
            order[i] = fabs(theta[lo]) > fabs(theta[hi - 1]) ? lo++ : --hi;
    }
}

static void lz_free(lz *z) {
    free(z->V);
    free(z->T);
    free(z->S);
    free(z->theta);
    free(z->h);
    free(z->order);
}

static int lz_alloc(lz *z) {
    size_t mb = z->mb;
    z->V = wl_dalloc((mb + 1) * z->p, "Lanczos basis");
    z->T = wl_dalloc(mb * mb, "Lanczos projected matrix");
    z->S = wl_dalloc(mb * mb, "Lanczos Ritz vectors");
    z->theta = wl_dalloc(mb, "Lanczos Ritz values");
    z->h = wl_dalloc(mb + 1 + z->k, "Lanczos projections");
    z->order = wl_calloc(mb, sizeof(size_t), "Lanczos ordering");
    if (!z->V || !z->T || !z->S || !z->theta || !z->h || !z->order) return WL_ENOMEM;
    return WL_OK;
}

/* Y = Ssel^T V[0..j): the Ritz vectors of the selected indices sel[0..l), in
 * column chunks so that Y may overwrite V[0..l) in place.   Y: l x p (stride p) */
static int ritz_vectors(const lz *z, size_t j, const size_t *sel, size_t l, double *Y) {
    const size_t chunk = 2048, p = z->p;
    wl_mat Ss, Tmp;
    if (wl_mat_alloc(&Ss, l, j) || wl_mat_alloc(&Tmp, l, chunk < p ? chunk : p)) {
        wl_mat_free(&Ss);
        return WL_ENOMEM;
    }
    for (size_t a = 0; a < l; a++)
        for (size_t r = 0; r < j; r++) WL_AT(&Ss, a, r) = z->S[r * j + sel[a]];
    for (size_t c0 = 0; c0 < p; c0 += chunk) {
        size_t cb = p - c0 < chunk ? p - c0 : chunk;
        wl_mat Vc = {z->V + c0, j, cb, p}, Tc = {Tmp.data, l, cb, cb};
        wl_gemm(0, 0, 1.0, &Ss, &Vc, 0.0, &Tc);
        for (size_t a = 0; a < l; a++) memcpy(Y + a * p + c0, Tc.data + a * cb, cb * sizeof(double));
    }
    wl_mat_free(&Ss);
    wl_mat_free(&Tmp);
    return WL_OK;
}

/* Thick restart: keep the l most wanted Ritz vectors and the next vector v_j. */
static int restart(lz *z, size_t j, double beta, size_t *l_out) {
    size_t mb = z->mb, p = z->p, l = z->k + (mb - z->k) / 2;
    if (l >= j) l = j - 1;
    int rc = ritz_vectors(z, j, z->order, l, z->V);
    if (rc) return rc;
    memmove(z->V + l * p, z->V + j * p, p * sizeof(double));
    memset(z->T, 0, mb * mb * sizeof(double));
    for (size_t a = 0; a < l; a++) {
        z->T[a * mb + a] = z->theta[z->order[a]];
        double c = beta * z->S[(j - 1) * j + z->order[a]];
        z->T[a * mb + l] = z->T[l * mb + a] = c;
    }
    *l_out = l;
    return WL_OK;
}

/* Ritz values and residual bounds of T_j; 1 when the k wanted ones converged. */
static int check(lz *z, size_t j, double beta, double tol, wl_eig_result *res) {
    if (wl__eig_small(z->T, z->mb, j, z->theta, z->S)) return -1;
    rank_ritz(z->theta, j, z->which, z->order);
    double scale = fmax(fabs(z->theta[0]), fabs(z->theta[j - 1]));
    size_t nk = z->k < j ? z->k : j;
    int ok = j >= z->k;
    double maxr = 0;
    for (size_t i = 0; i < nk; i++) {
        double r = fabs(beta * z->S[(j - 1) * j + z->order[i]]);
        res->values[i] = z->theta[z->order[i]];
        res->residuals[i] = r;
        if (r > maxr) maxr = r;
        if (!(r <= tol * scale || r == 0.0)) ok = 0;
    }
    res->max_residual = maxr;
    res->scale = scale;
    return ok;
}

static int setup(const wl_linop *H, const wl_lanczos_opts *o, lz *z, size_t *maxmv) {
    if (!H || !H->mv || H->p == 0) return wl_seterr(WL_EINVAL, "lanczos: empty operator");
    if (o->k == 0 || o->k > H->p)
        return wl_seterr(WL_EINVAL, "lanczos: k = %zu eigenpairs asked of a %zu x %zu operator",
                         o->k, H->p, H->p);
    if (o->which != WL_EIG_LM && o->which != WL_EIG_LA && o->which != WL_EIG_SA)
        return wl_seterr(WL_EINVAL, "lanczos: unknown `which` %d", (int)o->which);
    if (!(o->tol > 0) || !isfinite(o->tol))
        return wl_seterr(WL_EINVAL, "lanczos: tolerance %g must be positive", o->tol);
    size_t p = H->p, k = o->k, mb = o->max_basis;
    if (mb == 0) mb = 2 * k + 20 > 40 ? 2 * k + 20 : 40;
    if (mb < k + 2) mb = k + 2;
    if (mb > p) mb = p;
    z->H = H;
    z->p = p;
    z->k = k;
    z->mb = mb;
    z->which = o->which;
    *maxmv = o->max_matvecs ? o->max_matvecs : (40 * mb > 2000 ? 40 * mb : 2000);
    return WL_OK;
}

/* 1 when the k wanted values equal the snapshot (taken at the last breakdown). */
static int same_as(const double *snap, size_t nsnap, const wl_eig_result *res, size_t k,
                   double tol) {
    if (nsnap != k) return 0;
    for (size_t i = 0; i < k; i++)
        if (fabs(res->values[i] - snap[i]) > tol * res->scale) return 0;
    return 1;
}

/* Expands the basis until the k wanted Ritz pairs converge. After a breakdown
 * (invariant Krylov space) a fresh random direction orthogonal to the basis
 * starts a new block; convergence is then only accepted at the end of a block
 * that changed none of the wanted values, so that copies of a repeated
 * eigenvalue living outside the first block are not missed. */
static int run(lz *z, double tol, size_t maxmv, wl_rng *rng, wl_eig_result *res, size_t *j_out) {
    size_t p = z->p, j = 0, nsnap = 0;
    double Hest = 0, *snap = z->h + z->mb + 1; /* k spare slots after h */
    int broke = 0;
    wl_rng_normal_fill(rng, z->V, p, 0.0, 1.0);
    wl_scal(p, 1.0 / wl_nrm2(p, z->V), z->V);
    for (;;) {
        double *w = z->V + (j + 1) * p;
        int rc = wl__apply(z->H, z->V + j * p, w);
        if (rc) return rc;
        res->matvecs++;
        wl__orth(z->V, j + 1, p, w, z->h);
        for (size_t i = 0; i <= j; i++) z->T[i * z->mb + j] = z->T[j * z->mb + i] = z->h[i];
        double beta = wl_nrm2(p, w);
        Hest = fmax(Hest, sqrt(wl_dot(j + 1, z->h, z->h) + beta * beta));
        int breakdown = beta <= 1e-12 * Hest;
        if (breakdown) beta = 0;
        j++;
        int ok = check(z, j, beta, tol, res);
        if (ok < 0) return wl_adderr(WL_ENUMERIC, "lanczos");
        if (j == p || (ok && !broke && !breakdown) ||
            (ok && breakdown && same_as(snap, nsnap, res, z->k, tol))) {
            res->converged = 1;
            break;
        }
        if (res->matvecs >= maxmv) break;
        if (breakdown) {
            nsnap = z->k < j ? z->k : j;
            memcpy(snap, res->values, nsnap * sizeof(double));
            broke = 1;
            if (!wl__random_orth(z->V, j, p, rng, w, z->h)) {
                res->converged = 1;
                break;
            }
        } else wl_scal(p, 1.0 / beta, w);
        if (j == z->mb) {
            rc = restart(z, j, beta, &j);
            if (rc) return rc;
            res->restarts++;
            broke = 0;
        }
    }
    *j_out = j;
    return WL_OK;
}

int wl_lanczos(const wl_linop *H, const wl_lanczos_opts *o, wl_rng *rng, int want_vectors,
               wl_eig_result *res) {
    wl_lanczos_opts def;
    if (!o) {
        wl_lanczos_opts_default(&def);
        o = &def;
    }
    memset(res, 0, sizeof *res);
    lz z;
    memset(&z, 0, sizeof z);
    size_t maxmv = 0, j = 0;
    int rc = setup(H, o, &z, &maxmv);
    if (rc) return rc;
    res->k = z.k;
    res->values = wl_dalloc(z.k, "eigenvalues");
    res->residuals = wl_dalloc(z.k, "residuals");
    if (want_vectors) res->vectors = wl_dalloc(z.k * z.p, "eigenvectors");
    rc = (!res->values || !res->residuals || (want_vectors && !res->vectors)) ? WL_ENOMEM
                                                                               : lz_alloc(&z);
    if (!rc) rc = run(&z, o->tol, maxmv, rng, res, &j);
    if (!rc && j < z.k) res->k = j; /* only possible when the cap stopped it early */
    if (!rc && want_vectors) rc = ritz_vectors(&z, j, z.order, res->k, res->vectors);
    lz_free(&z);
    if (rc) wl_eig_result_free(res);
    return rc;
}
