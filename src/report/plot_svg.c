/* Self-contained SVG line plots: linear or log axes, ticks, legend. */
#include "widelab/report.h"

#include <math.h>
#include <string.h>

enum { W = 720, H = 440, ML = 80, MR = 170, MT = 40, MB = 60 };

static const char *palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

static void copy_str(char *dst, size_t cap, const char *src) {
    snprintf(dst, cap, "%s", src ? src : "");
}

void wl_plot_init(wl_plot *p, const char *title, const char *xlabel, const char *ylabel) {
    memset(p, 0, sizeof *p);
    copy_str(p->title, sizeof p->title, title);
    copy_str(p->xlabel, sizeof p->xlabel, xlabel);
    copy_str(p->ylabel, sizeof p->ylabel, ylabel);
}

int wl_plot_series(wl_plot *p, const char *label, size_t n, const double *x, const double *y) {
    if (p->nseries >= WL_PLOT_MAX_SERIES)
        return wl_seterr(WL_EINVAL, "plot '%s': more than %d series", p->title, WL_PLOT_MAX_SERIES);
    wl_plot_series_t *s = &p->series[p->nseries++];
    copy_str(s->label, sizeof s->label, label);
    s->n = n;
    s->x = x;
    s->y = y;
    s->points = 0;
    return WL_OK;
}

int wl_plot_hline(wl_plot *p, double y, const char *label) {
    if (p->nhlines >= 4) return wl_seterr(WL_EINVAL, "plot '%s': more than 4 reference lines", p->title);
    p->hline[p->nhlines] = y;
    copy_str(p->hline_label[p->nhlines], sizeof p->hline_label[0], label);
    p->nhlines++;
    return WL_OK;
}

static int usable(double v, int logscale) { return isfinite(v) && (!logscale || v > 0); }
static double tr(double v, int logscale) { return logscale ? log10(v) : v; }

static void xml_text(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else fputc(*s, f);
    }
}

/* "nice" tick step for a range: 1, 2 or 5 times a power of ten */
static double nice_step(double range, int want) {
    double raw = range / want, mag = pow(10.0, floor(log10(raw))), r = raw / mag;
    return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag;
}

static void fmt_tick(char *buf, size_t cap, double v, int logscale) {
    if (logscale) snprintf(buf, cap, "1e%d", (int)lround(v));
    else if (v != 0 && (fabs(v) >= 1e5 || fabs(v) < 1e-3)) snprintf(buf, cap, "%.1e", v);
    else snprintf(buf, cap, "%g", v);
}

int wl_plot_write_svg(const wl_plot *p, const char *path) {
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (size_t s = 0; s < p->nseries; s++)
        for (size_t i = 0; i < p->series[s].n; i++) {
            double x = p->series[s].x[i], y = p->series[s].y[i];
            if (!usable(x, p->log_x) || !usable(y, p->log_y)) continue;
            x0 = fmin(x0, tr(x, p->log_x));
            x1 = fmax(x1, tr(x, p->log_x));
            y0 = fmin(y0, tr(y, p->log_y));
            y1 = fmax(y1, tr(y, p->log_y));
        }
    for (size_t h = 0; h < p->nhlines; h++)
        if (usable(p->hline[h], p->log_y)) {
            y0 = fmin(y0, tr(p->hline[h], p->log_y));
            y1 = fmax(y1, tr(p->hline[h], p->log_y));
        }
    if (!(x0 <= x1)) x0 = 0, x1 = 1;
    if (!(y0 <= y1)) y0 = 0, y1 = 1;
    if (x1 - x0 < 1e-300) x0 -= 0.5, x1 += 0.5;
    if (y1 - y0 < 1e-300) y0 -= 0.5, y1 += 0.5;
    double pad = 0.04 * (y1 - y0);
    y0 -= pad;
    y1 += pad;
    const double pw = W - ML - MR, ph = H - MT - MB;
#define PX(v) (ML + ((v) - x0) / (x1 - x0) * pw)
#define PY(v) (MT + (y1 - (v)) / (y1 - y0) * ph)
    wl_out o;
    int rc = wl_out_open(&o, path);
    if (rc) return rc;
    FILE *f = o.f;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H, W, H);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    fprintf(f, "<text x=\"%d\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">", ML + (int)pw / 2);
    xml_text(f, p->title);
    fprintf(f, "</text>\n");
    /* ticks and grid */
    char buf[32];
    double sx = p->log_x ? fmax(1.0, ceil((x1 - x0) / 8)) : nice_step(x1 - x0, 6);
    double sy = p->log_y ? fmax(1.0, ceil((y1 - y0) / 8)) : nice_step(y1 - y0, 6);
    for (double t = ceil(x0 / sx) * sx; t <= x1 + 1e-9 * sx; t += sx) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n",
                PX(t), MT, PX(t), MT + ph);
        fmt_tick(buf, sizeof buf, t, p->log_x);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", PX(t),
                MT + ph + 18, buf);
    }
    for (double t = ceil(y0 / sy) * sy; t <= y1 + 1e-9 * sy; t += sy) {
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n",
                ML, PY(t), ML + pw, PY(t));
        fmt_tick(buf, sizeof buf, t, p->log_y);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", ML - 6, PY(t) + 4,
                buf);
    }
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"black\"/>\n",
            ML, MT, pw, ph);
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", ML + pw / 2, H - 16);
    xml_text(f, p->xlabel);
    fprintf(f, "%s</text>\n", p->log_x ? " (log)" : "");
    fprintf(f, "<text transform=\"translate(18,%.1f) rotate(-90)\" text-anchor=\"middle\">",
            MT + ph / 2);
    xml_text(f, p->ylabel);
    fprintf(f, "%s</text>\n", p->log_y ? " (log)" : "");
    /* reference lines */
    for (size_t h = 0; h < p->nhlines; h++) {
        if (!usable(p->hline[h], p->log_y)) continue;
        double y = PY(tr(p->hline[h], p->log_y));
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\" "
                   "stroke-dasharray=\"6,4\"/>\n", ML, y, ML + pw, y);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#555\">", ML + pw + 4, y + 4);
        xml_text(f, p->hline_label[h]);
        fprintf(f, "</text>\n");
    }
    /* series: polylines broken at unusable points */
    for (size_t s = 0; s < p->nseries; s++) {
        const wl_plot_series_t *se = &p->series[s];
        const char *col = palette[s % 10];
        int open = 0;
        for (size_t i = 0; i < se->n; i++) {
            int ok = usable(se->x[i], p->log_x) && usable(se->y[i], p->log_y);
            if (!ok) {
                if (open) fprintf(f, "\"/>\n");
                open = 0;
                continue;
            }
            double X = PX(tr(se->x[i], p->log_x)), Y = PY(tr(se->y[i], p->log_y));
            if (se->points || se->n == 1) {
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", X, Y, col);
                continue;
            }
            if (!open)
                fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" points=\"", col);
            fprintf(f, "%.1f,%.1f ", X, Y);
            open = 1;
        }
        if (open) fprintf(f, "\"/>\n");
        double ly = MT + 14 + 18.0 * (double)s;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>\n",
                ML + pw + 10, ly - 4, ML + pw + 30, ly - 4, col);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", ML + pw + 36, ly);
        xml_text(f, se->label);
        fprintf(f, "</text>\n");
    }
#undef PX
#undef PY
    fprintf(f, "</svg>\n");
    return wl_out_commit(&o);
}
