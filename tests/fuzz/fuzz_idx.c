/* libFuzzer target: the idx loader on arbitrary bytes must fail cleanly or
 * succeed, never crash or leak. */
#include "fuzz_file.h"
#include "widelab/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file("idx", data, size);
    if (!path) return 0;
    unsigned char *b = NULL;
    int nd;
    size_t dims[8];
    if (wl_idx_read(path, &b, &nd, dims) == WL_OK) free(b);
    wl_dataset ds;
    if (wl_data_load_idx(path, NULL, &ds) == WL_OK) wl_dataset_free(&ds);
    return 0;
}
