/* Pieces of the .npy reader shared inside the data module. */
#ifndef WL_DATA_NPY_INTERNAL_H
#define WL_DATA_NPY_INTERNAL_H

#include <stdio.h>

#include "widelab/data.h"

#define WL_NPY_MAXDIM 8

typedef enum wl_npy_dtype {
    WL_NPY_F8, WL_NPY_F4, WL_NPY_U1, WL_NPY_I1, WL_NPY_I2, WL_NPY_U2,
    WL_NPY_I4, WL_NPY_U4, WL_NPY_I8, WL_NPY_U8
} wl_npy_dtype;

typedef struct wl_npy_info {
    wl_npy_dtype dtype;
    int fortran;
    int ndim;
    size_t shape[WL_NPY_MAXDIM];
    size_t data_offset; /* byte where the data starts */
} wl_npy_info;

/* Parses the header dict text h[0..len) (base: its file offset, for messages). */
int wl_npy_parse_header(const char *h, size_t len, size_t base, const char *path,
                        wl_npy_info *info);
/* Reads magic, version and header from the start of f. */
int wl_npy_read_header(FILE *f, const char *path, wl_npy_info *info);
size_t wl_npy_itemsize(wl_npy_dtype t);

#endif
