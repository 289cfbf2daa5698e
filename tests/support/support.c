/* Helpers shared by the tests: error measures, running the CLI, temp dirs. */
#include "wl_test.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

double wl_test_rel_err(size_t n, const double *a, const double *b, double floor) {
    double num = 0.0, den = floor;
    for (size_t i = 0; i < n; i++) {
        num = fmax(num, fabs(a[i] - b[i]));
        den = fmax(den, fabs(b[i]));
    }
    return num / den;
}

int wl_test_cli(const char *args, char *out, size_t cap) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", WL_CLI_PATH, args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t len = 0;
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, p)) > 0) {
        if (out && len + 1 < cap) {
            size_t take = got < cap - 1 - len ? got : cap - 1 - len;
            memcpy(out + len, buf, take);
            len += take;
        }
    }
    if (out && cap) out[len] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

const char *wl_test_tmpdir(char *buf, size_t cap) {
    snprintf(buf, cap, "%s/wltestXXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(buf)) return NULL;
    return buf;
}

int wl_test_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

char *wl_test_slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)sz + 1);
    if (b && fread(b, 1, (size_t)sz, f) != (size_t)sz) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) {
        b[sz] = 0;
        if (len) *len = (size_t)sz;
    }
    return b;
}
