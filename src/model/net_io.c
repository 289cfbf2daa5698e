/* Parameters to and from .npz archives named like a PyTorch state_dict
 * ("0.weight": fan_out x fan_in, "0.bias": fan_out), one member per block.
 *
 * fold: NTK layers compute z = W a / sqrt(fan_in) + beta b; folding writes
 * W / sqrt(fan_in) and beta b, the arrays torch.nn.Linear needs to compute
 * the same function (and unfolding on load inverts it). */
#include "net_impl.h"
#include "widelab/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the factor that folds block b of m into nn.Linear form (1 if none) */
static double fold_factor(const wl_model *m, const wl_param_block *b) {
    if (m->ops != &wl_net_ops) return 1.0;
    const wl_net *net = (const wl_net *)m;
    for (size_t i = 0; i < net->n_nodes; i++) {
        const wl_node *nd = &net->nodes[i];
        if (nd->type != WL_NODE_DENSE) continue;
        if (b->offset == nd->off_w) return nd->wscale;
        if (nd->has_bias && b->offset == nd->off_b) return nd->bscale;
    }
    return 1.0;
}

int wl_net_save_npz(const wl_model *m, const double *w, const char *path, int fold) {
    if (!m || !m->n_blocks)
        return wl_seterr(WL_EUNSUP, "save_npz: the %s model has no named parameter blocks",
                         m ? m->kind : "NULL");
    wl_npz_array *arr = wl_calloc(m->n_blocks, sizeof *arr, "npz members");
    if (!arr) return WL_ENOMEM;
    int rc = WL_OK;
    for (size_t k = 0; k < m->n_blocks && !rc; k++) {
        const wl_param_block *b = &m->blocks[k];
        size_t cnt = b->rows * b->cols;
        double *p = wl_dalloc(cnt, "npz member"), c = fold ? fold_factor(m, b) : 1.0;
        if (!p) {
            rc = WL_ENOMEM;
            break;
        }
        for (size_t i = 0; i < cnt; i++) p[i] = c * w[b->offset + i];
        snprintf(arr[k].name, sizeof arr[k].name, "%s", b->name);
        arr[k].dtype = WL_F64;
        arr[k].ndim = b->ndim;
        arr[k].shape[0] = b->rows;
        arr[k].shape[1] = b->cols;
        arr[k].data = p;
    }
    if (!rc) rc = wl_npz_write(path, arr, m->n_blocks);
    for (size_t k = 0; k < m->n_blocks; k++) free(arr[k].data);
    free(arr);
    return rc;
}

int wl_net_load_npz(const wl_model *m, const char *path, int unfold, double *w) {
    if (!m || !m->n_blocks)
        return wl_seterr(WL_EUNSUP, "load_npz: the %s model has no named parameter blocks",
                         m ? m->kind : "NULL");
    wl_npz_array *arr = NULL;
    size_t n = 0;
    int rc = wl_npz_read(path, &arr, &n);
    if (rc) return rc;
    for (size_t k = 0; k < m->n_blocks && !rc; k++) {
        const wl_param_block *b = &m->blocks[k];
        const wl_npz_array *a = wl_npz_find(arr, n, b->name);
        size_t cnt = 1;
        if (!a) {
            rc = wl_seterr(WL_EFORMAT, "%s: no member \"%s\" (the model's block %zu)", path,
                           b->name, k);
            break;
        }
        for (int i = 0; i < a->ndim; i++) cnt *= a->shape[i];
        int shape_ok = a->ndim == b->ndim && a->shape[0] == b->rows &&
                       (b->ndim == 1 || a->shape[1] == b->cols);
        if (!shape_ok || a->dtype != WL_F64) {
            rc = wl_seterr(WL_EFORMAT, "%s: member \"%s\" has %d dims (%zu x %zu) %s, expected %zu x %zu floats",
                           path, b->name, a->ndim, a->shape[0], a->ndim > 1 ? a->shape[1] : 1,
                           a->dtype == WL_F64 ? "floats" : "integers", b->rows, b->cols);
            break;
        }
        double c = unfold ? fold_factor(m, b) : 1.0;
        if (c == 0.0) {
            rc = wl_seterr(WL_EINVAL, "%s: block \"%s\" has bias scale 0 and cannot be unfolded",
                           path, b->name);
            break;
        }
        const double *src = a->data;
        for (size_t i = 0; i < cnt; i++) w[b->offset + i] = src[i] / c;
    }
    wl_npz_free(arr, n);
    return rc;
}
