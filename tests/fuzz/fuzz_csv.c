/* libFuzzer target: the csv loader on arbitrary bytes must fail cleanly or
 * succeed, never crash or leak. */
#include "fuzz_file.h"
#include "widelab/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file("csv", data, size);
    if (!path) return 0;
    wl_dataset ds;
    wl_csv_opts o;
    wl_csv_opts_default(&o);
    if (wl_data_load_csv(path, &o, &ds) == WL_OK) wl_dataset_free(&ds);
    o.label = "0";
    o.target = "label";
    o.allow_nonfinite = 1;
    if (wl_data_load_csv(path, &o, &ds) == WL_OK) wl_dataset_free(&ds);
    return 0;
}
