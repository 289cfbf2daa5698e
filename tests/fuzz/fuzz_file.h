/* Shared by the loader fuzz targets: the fuzz input written to this
 * process's temporary file, removed at exit. */
#ifndef WL_FUZZ_FILE_H
#define WL_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_path[64];

static void fuzz_cleanup(void) { unlink(fuzz_path); }

/* Writes the input to the temporary file named after `kind`; its path, or
 * NULL when the file cannot be written. */
static const char *fuzz_file(const char *kind, const uint8_t *data, size_t size) {
    if (!fuzz_path[0]) {
        snprintf(fuzz_path, sizeof fuzz_path, "/tmp/wlfuzz_%s_XXXXXX", kind);
        int fd = mkstemp(fuzz_path);
        if (fd < 0) return NULL;
        close(fd);
        atexit(fuzz_cleanup);
    }
    FILE *f = fopen(fuzz_path, "wb");
    if (!f) return NULL;
    if (size) fwrite(data, 1, size, f);
    fclose(f);
    return fuzz_path;
}

#endif
