/* libFuzzer target: the csv loader on arbitrary bytes must fail cleanly or
 * succeed, never crash or leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "widelab/data.h"

static char path[64];

static void cleanup(void) { unlink(path); }

/* Writes the input to this process's temporary file; 0 on success. */
static int put(const uint8_t *data, size_t size) {
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/wlfuzz_csv_XXXXXX");
        int fd = mkstemp(path);
        if (fd < 0) return -1;
        close(fd);
        atexit(cleanup);
    }
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    if (size) fwrite(data, 1, size, f);
    fclose(f);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (put(data, size)) return 0;
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
