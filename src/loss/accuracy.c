/* Classification accuracy of model outputs: argmax over k > 1 outputs, sign
 * of a single output (class 1 when f > 0, the +-1 target convention).
 *   F, Y: n x k,  labels: n */
#include "widelab/loss.h"

size_t wl_predict_class(const double *f, size_t k) {
    if (k == 1) return f[0] > 0.0 ? 1 : 0;
    size_t best = 0;
    for (size_t c = 1; c < k; c++)
        if (f[c] > f[best]) best = c;
    return best;
}

int wl_accuracy(const wl_mat *F, const wl_mat *Y, double *acc) {
    if (!F || !Y || !acc) return wl_seterr(WL_EINVAL, "accuracy: NULL argument");
    if (F->rows != Y->rows || F->cols != Y->cols)
        return wl_seterr(WL_EINVAL, "accuracy: outputs are %zu x %zu but targets are %zu x %zu",
                         F->rows, F->cols, Y->rows, Y->cols);
    if (F->rows == 0) return wl_seterr(WL_EINVAL, "accuracy: no rows");
    size_t hit = 0;
    for (size_t i = 0; i < F->rows; i++)
        hit += wl_predict_class(&WL_AT(F, i, 0), F->cols) ==
               wl_predict_class(&WL_AT(Y, i, 0), Y->cols);
    *acc = (double)hit / (double)F->rows;
    return WL_OK;
}

int wl_accuracy_labels(const wl_mat *F, const int *labels, double *acc) {
    if (!F || !labels || !acc) return wl_seterr(WL_EINVAL, "accuracy: NULL argument");
    if (F->rows == 0) return wl_seterr(WL_EINVAL, "accuracy: no rows");
    size_t hit = 0;
    for (size_t i = 0; i < F->rows; i++)
        hit += labels[i] >= 0 && wl_predict_class(&WL_AT(F, i, 0), F->cols) == (size_t)labels[i];
    *acc = (double)hit / (double)F->rows;
    return WL_OK;
}
