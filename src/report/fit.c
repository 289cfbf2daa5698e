/* Log-log least-squares fit: log y = slope log x + intercept. */
#include "widelab/report.h"

#include <math.h>

size_t wl_loglog_slope(size_t n, const double *x, const double *y, double *slope,
                       double *intercept) {
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(x[i] > 0) || !(y[i] > 0) || !isfinite(x[i]) || !isfinite(y[i])) continue;
        double lx = log(x[i]), ly = log(y[i]);
        sx += lx;
        sy += ly;
        sxx += lx * lx;
        sxy += lx * ly;
        m++;
    }
    double den = (double)m * sxx - sx * sx;
    if (m < 2 || den == 0.0) {
        *slope = NAN;
        if (intercept) *intercept = NAN;
        return m;
    }
    *slope = ((double)m * sxy - sx * sy) / den;
    if (intercept) *intercept = (sy - *slope * sx) / (double)m;
    return m;
}
