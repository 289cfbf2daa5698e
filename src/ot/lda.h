/* LDA helpers shared by lda.c and otda.c (internal). */
#ifndef WL_LDA_H
#define WL_LDA_H

#include "ot_internal.h"

/* mu (c x d) = class means of X (n x d); cnt (c) = class sizes. */
int wl_lda_means(const wl_mat *X, const int *y, size_t c, wl_mat *mu, size_t *cnt);
/* yt_i = argmin_k ||W^T (t_i - mu_k)||. */
int wl_lda_nearest_mean(const wl_mat *mu, const wl_mat *W, const wl_mat *Xt, int *yt);

#endif
