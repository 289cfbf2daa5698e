/* SVG of the asymptotic study: k^2 E_k measured vs predicted (left), and the
 * histogram of the centres of the largest k vs the predicted centre density
 * (p phi'')^{1/3} / int (p phi'')^{1/3} (right). */
#include "cluster/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double wl_svg_px(const wl_svg_axes *a, double x) {
    double t = a->logx ? (log(x) - log(a->xmin)) / (log(a->xmax) - log(a->xmin))
                       : (x - a->xmin) / (a->xmax - a->xmin);
    return a->x0 + t * a->w;
}

double wl_svg_py(const wl_svg_axes *a, double y) {
    return a->y0 + a->h - (y - a->ymin) / (a->ymax - a->ymin) * a->h;
}

void wl_svg_frame(FILE *f, const wl_svg_axes *a, const char *title, const char *xlabel,
                  const char *ylabel) {
    fprintf(f, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='none' stroke='#333'/>\n",
            a->x0, a->y0, a->w, a->h);
    fprintf(f, "<text x='%.1f' y='%.1f' text-anchor='middle' font-size='14'>%s</text>\n",
            a->x0 + a->w / 2, a->y0 - 10, title);
    fprintf(f, "<text x='%.1f' y='%.1f' text-anchor='middle' font-size='12'>%s</text>\n",
            a->x0 + a->w / 2, a->y0 + a->h + 36, xlabel);
    fprintf(f, "<text x='%.1f' y='%.1f' text-anchor='middle' font-size='12' "
               "transform='rotate(-90 %.1f %.1f)'>%s</text>\n",
            a->x0 - 52, a->y0 + a->h / 2, a->x0 - 52, a->y0 + a->h / 2, ylabel);
    for (int t = 0; t <= 4; t++) { /* y ticks */
        double v = a->ymin + (a->ymax - a->ymin) * t / 4.0, py = wl_svg_py(a, v);
        fprintf(f, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='#333'/>"
                   "<text x='%.1f' y='%.1f' text-anchor='end' font-size='10'>%.4g</text>\n",
                a->x0 - 4, a->x0, py, py, a->x0 - 6, py + 3, v);
    }
}

/* x ticks at the given values. */
static void xticks(FILE *f, const wl_svg_axes *a, const double *v, size_t nv) {
    for (size_t t = 0; t < nv; t++) {
        double px = wl_svg_px(a, v[t]), py = a->y0 + a->h;
        fprintf(f, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='#333'/>"
                   "<text x='%.1f' y='%.1f' text-anchor='middle' font-size='10'>%.4g</text>\n",
                px, px, py, py + 4, px, py + 16, v[t]);
    }
}

static void panel_constant(FILE *f, const wl_asym_row *rows, size_t nk) {
    wl_svg_axes a = {80, 50, 380, 300, 0, 0, 0, 0, 1};
    double lo = rows[0].predicted, hi = lo, kmin = (double)rows[0].k, kmax = kmin;
    for (size_t t = 0; t < nk; t++) {
        lo = fmin(lo, fmin(rows[t].measured, rows[t].train));
        hi = fmax(hi, fmax(rows[t].measured, rows[t].train));
        kmin = fmin(kmin, (double)rows[t].k);
        kmax = fmax(kmax, (double)rows[t].k);
    }
    lo = fmin(lo, 0.9 * rows[0].predicted); /* keep +-10% in view: noise stays small */
    hi = fmax(hi, 1.1 * rows[0].predicted);
    double pad = 0.08 * (hi - lo);
    a.ymin = lo - pad, a.ymax = hi + pad;
    a.xmin = kmin / 1.3, a.xmax = kmax * 1.3;
    wl_svg_frame(f, &a, "k^2 E_k: measured vs predicted", "k (log scale)", "k^2 E_k");
    double *kv = malloc(nk * sizeof *kv);
    for (size_t t = 0; kv && t < nk; t++) kv[t] = (double)rows[t].k;
    if (kv) xticks(f, &a, kv, nk);
    free(kv);
    double py = wl_svg_py(&a, rows[0].predicted);
    fprintf(f, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='#d62728' "
               "stroke-dasharray='6,4'/>\n", a.x0, a.x0 + a.w, py, py);
    fprintf(f, "<polyline fill='none' stroke='#1f77b4' stroke-width='2' points='");
    for (size_t t = 0; t < nk; t++)
        fprintf(f, "%.1f,%.1f ", wl_svg_px(&a, (double)rows[t].k), wl_svg_py(&a, rows[t].measured));
    fprintf(f, "'/>\n");
    for (size_t t = 0; t < nk; t++)
        fprintf(f, "<circle cx='%.1f' cy='%.1f' r='4' fill='#1f77b4'/>\n",
                wl_svg_px(&a, (double)rows[t].k), wl_svg_py(&a, rows[t].measured));
    fprintf(f, "<text x='%.1f' y='%.1f' font-size='11' fill='#1f77b4'>measured (held-out)</text>\n"
               "<text x='%.1f' y='%.1f' font-size='11' fill='#d62728'>predicted %.5g</text>\n",
            a.x0 + 10, a.y0 + 16, a.x0 + 10, a.y0 + 30, rows[0].predicted);
}

static int panel_density(FILE *f, const wl_div *div, const wl_density *p, const double *c,
                         size_t k) {
    double mass, cst;
    int rc = wl_cluster_asym_constant(div, p, &cst, &mass);
    if (rc) return rc;
    double lo, hi;
    wl_density_support(p, &lo, &hi);
    if (!isfinite(hi)) hi = c[k - 1] + 0.5 * (c[k - 1] - c[0]) / (double)k * 4.0;
    size_t nb = (size_t)ceil(sqrt((double)k));
    nb = nb < 4 ? 4 : nb;
    double *hist = calloc(nb, sizeof *hist), bw = (hi - lo) / (double)nb, ymax = 0.0;
    if (!hist) return wl_seterr(WL_ENOMEM, "histogram");
    for (size_t j = 0; j < k; j++) {
        long b = (long)floor((c[j] - lo) / bw);
        b = b < 0 ? 0 : b >= (long)nb ? (long)nb - 1 : b;
        hist[b] += 1.0 / ((double)k * bw);
    }
    const int ns = 200;
    double pred[200];
    for (int s = 0; s < ns; s++) { /* (p phi'')^{1/3} / mass on a grid inside (lo, hi) */
        double x = lo + (hi - lo) * (s + 0.5) / ns, v = wl_density_pdf(p, x) * wl_div_phi2_1d(div, x);
        pred[s] = v > 0 && isfinite(v) ? cbrt(v) / mass : 0.0;
    }
    for (size_t b = 0; b < nb; b++) ymax = fmax(ymax, hist[b]);
    for (int s = 0; s < ns; s++) ymax = fmax(ymax, fmin(pred[s], 3.0 * ymax + 1e-300));
    wl_svg_axes a = {600, 50, 380, 300, lo, hi, 0.0, 1.1 * ymax, 0};
    char title[96];
    snprintf(title, sizeof title, "centres (k = %zu) vs predicted density", k);
    wl_svg_frame(f, &a, title, "x", "centre density");
    double xt[5];
    for (int t = 0; t < 5; t++) xt[t] = lo + (hi - lo) * t / 4.0;
    xticks(f, &a, xt, 5);
    for (size_t b = 0; b < nb; b++) {
        double x0 = wl_svg_px(&a, lo + bw * (double)b), y = wl_svg_py(&a, hist[b]);
        fprintf(f, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='#1f77b4' "
                   "fill-opacity='0.45' stroke='#1f77b4'/>\n",
                x0, y, wl_svg_px(&a, lo + bw * (double)(b + 1)) - x0, a.y0 + a.h - y);
    }
    fprintf(f, "<polyline fill='none' stroke='#d62728' stroke-width='2' points='");
    for (int s = 0; s < ns; s++)
        fprintf(f, "%.1f,%.1f ", wl_svg_px(&a, lo + (hi - lo) * (s + 0.5) / ns),
                wl_svg_py(&a, fmin(pred[s], a.ymax)));
    fprintf(f, "'/>\n");
    free(hist);
    return WL_OK;
}

int wl_cluster_asym_svg(const char *path, const wl_div *div, const wl_density *p,
                        const wl_asym_row *rows, size_t nk, const double *centres,
                        size_t kmax) {
    if (!path || !div || !p || !rows || nk == 0 || !centres || kmax < 2)
        return wl_seterr(WL_EINVAL, "wl_cluster_asym_svg: bad argument");
    wl_out o;
    int rc = wl_out_open(&o, path);
    if (rc) return rc;
    FILE *f = o.f;
    fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='1040' height='420' "
               "font-family='sans-serif'>\n<rect width='100%%' height='100%%' fill='white'/>\n");
    panel_constant(f, rows, nk);
    rc = panel_density(f, div, p, centres, kmax);
    fprintf(f, "</svg>\n");
    if (rc) {
        wl_out_abort(&o);
        return rc;
    }
    return wl_out_commit(&o);
}
