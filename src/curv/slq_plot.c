/* SVG plot of an SLQ spectral density (through the report area's line plots). */
#include "widelab/curv.h"
#include "widelab/report.h"

int wl_slq_svg(const wl_slq_result *r, const char *title, const char *path) {
    if (!r || !r->grid || !r->density || r->n_grid == 0)
        return wl_seterr(WL_EINVAL, "slq plot: empty density");
    wl_plot p;
    wl_plot_init(&p, title ? title : "spectral density", "eigenvalue", "density");
    int rc = wl_plot_series(&p, "SLQ density", r->n_grid, r->grid, r->density);
    return rc ? rc : wl_plot_write_svg(&p, path);
}
