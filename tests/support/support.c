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

size_t wl_test_exp_nclaims;

double wl_test_cell(const wl_table *t, size_t r, const char *col) {
    long c = wl_table_col(t, col);
    if (c < 0) fail_msg("no column %s", col);
    return wl_table_get(t, r, (size_t)c);
}

const char *wl_test_exp_quick(const char *name, const char *const *files) {
    static char dir[512];
    char base[256];
    if (!wl_test_tmpdir(base, sizeof base)) fail_msg("no temporary directory");
    snprintf(dir, sizeof dir, "%s/%s", base, name);
    const wl_exp *e = wl_exp_find(name);
    if (!e) fail_msg("%s", wl_errmsg());
    wl_exp_ctx ctx = {.out_dir = dir, .quick = 1, .seed = 0};
    wl_exp_result r;
    int rc = wl_exp_run(e, &ctx, &r);
    if (rc) fail_msg("experiment %s: %s", name, wl_errmsg());
    int bad = 0;
    for (size_t i = 0; i < r.nclaims; i++) {
        print_message("%s %s: %s\n", r.claims[i].supported ? "[supported]    " : "[NOT supported]",
                      r.claims[i].claim, r.claims[i].measured);
        bad |= !r.claims[i].supported;
    }
    wl_test_exp_nclaims = r.nclaims;
    if (r.nclaims == 0) fail_msg("experiment %s made no claim", name);
    if (bad) fail_msg("experiment %s: a claim is not supported", name);
    char path[1024];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    if (!wl_test_exists(path)) fail_msg("missing %s", path);
    for (size_t i = 0; files && files[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (!wl_test_exists(path)) fail_msg("missing %s", path);
    }
    return dir;
}

void wl_test_file_has(const char *dir, const char *name, const char *const *needles) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *s = wl_test_slurp(path, NULL);
    if (!s) fail_msg("missing %s", path);
    for (size_t i = 0; needles && needles[i]; i++)
        if (!strstr(s, needles[i])) {
            free(s);
            fail_msg("%s does not contain %s", path, needles[i]);
        }
    free(s);
}
