/* Linear assignment by shortest augmenting paths with dual potentials
 * (Hungarian method, Jonker-Volgenant style), O(n^2 m) for n <= m. */
#include <math.h>
#include <stdlib.h>

#include "ot_internal.h"

/* Adds row r (1-based) to the matching: Dijkstra over columns with reduced
 * costs C_ij - u_i - v_j, then augments along way[]. Arrays are 1-based with
 * column 0 the virtual start; p[j] = row matched to column j (0 = free). */
static void augment_row(const wl_mat *C, size_t r, double *u, double *v, size_t *p, size_t *way,
                        double *minv, unsigned char *used) {
    size_t m = C->cols, j0 = 0;
    p[0] = r;
    for (size_t j = 0; j <= m; j++) {
        minv[j] = INFINITY;
        used[j] = 0;
    }
    do {
        used[j0] = 1;
        size_t i0 = p[j0], j1 = 0;
        double delta = INFINITY;
        const double *c = C->data + (i0 - 1) * C->ld;
        for (size_t j = 1; j <= m; j++) {
            if (used[j]) continue;
            double cur = c[j - 1] - u[i0] - v[j];
            if (cur < minv[j]) {
                minv[j] = cur;
                way[j] = j0;
            }
            if (minv[j] < delta) {
                delta = minv[j];
                j1 = j;
            }
        }
        for (size_t j = 0; j <= m; j++) {
            if (used[j]) {
                u[p[j]] += delta;
                v[j] -= delta;
            } else minv[j] -= delta;
        }
        j0 = j1;
    } while (p[j0] != 0);
    do {
        size_t j1 = way[j0];
        p[j0] = p[j1];
        j0 = j1;
    } while (j0);
}

int wl_assign(const wl_mat *C, size_t *match, double *total) {
    if (!C || !match) return wl_seterr(WL_EINVAL, "assign: NULL argument");
    size_t n = C->rows, m = C->cols;
    if (n == 0) return wl_seterr(WL_EINVAL, "assign: empty cost matrix");
    if (n > m)
        return wl_seterr(WL_EINVAL, "assign: needs rows <= columns, got %zu x %zu (transpose C)", n, m);
    for (size_t i = 0; i < n; i++)
        if (!wl_all_finite(m, C->data + i * C->ld))
            return wl_seterr(WL_ENUMERIC, "assign: cost row %zu has NaN or Inf", i);
    double *u = wl_dalloc(n + 1 + 2 * (m + 1), "assign potentials");
    size_t *p = calloc(2 * (m + 1), sizeof *p);
    unsigned char *used = malloc(m + 1);
    int rc = WL_OK;
    if (!u || !p || !used) {
        rc = wl_seterr(WL_ENOMEM, "assign: out of memory for %zu x %zu", n, m);
        goto done;
    }
    double *v = u + n + 1, *minv = v + m + 1;
    size_t *way = p + m + 1;
    for (size_t r = 1; r <= n; r++) augment_row(C, r, u, v, p, way, minv, used);
    double s = 0.0;
    for (size_t j = 1; j <= m; j++)
        if (p[j]) {
            match[p[j] - 1] = j - 1;
            s += WL_AT(C, p[j] - 1, j - 1);
        }
    if (total) *total = s;
done:
    free(u);
    free(p);
    free(used);
    return rc;
}
