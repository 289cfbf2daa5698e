/* libFuzzer target: the npy loader on arbitrary bytes must fail cleanly or
 * succeed, never crash or leak. */
#include "fuzz_file.h"
#include "widelab/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file("npy", data, size);
    if (!path) return 0;
    double *a = NULL;
    int nd;
    size_t shape[8];
    if (wl_npy_read(path, &a, &nd, shape) == WL_OK) free(a);
    wl_dataset ds;
    if (wl_data_load_npy(path, path, NULL, &ds) == WL_OK) wl_dataset_free(&ds);
    if (wl_data_load(path, &ds) == WL_OK) wl_dataset_free(&ds);
    return 0;
}
