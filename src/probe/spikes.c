/* Catapult / loss-spike detection on a stream of training losses. */
#include "widelab/probe.h"

#include <math.h>

void wl_spikes_init(wl_spikes *s, double factor) {
    s->factor = factor > 1 ? factor : 2.0;
    s->run_min = INFINITY;
    s->in_spike = 0;
    s->count = 0;
    s->start = 0;
    s->peak = 0;
    s->last_peak_ratio = NAN;
}

/* spike starts: loss > factor * running min; ends: loss < factor * running min */
int wl_spikes_update(wl_spikes *s, size_t step, double loss) {
    int finite = isfinite(loss);
    if (!s->in_spike) {
        if (finite && loss < s->run_min) {
            s->run_min = loss;
            return 0;
        }
        if (!finite || (isfinite(s->run_min) && loss > s->factor * s->run_min)) {
            s->in_spike = 1;
            s->start = step;
            s->peak = finite ? loss : INFINITY;
            return 1;
        }
        return 0;
    }
    if (!finite) {
        s->peak = INFINITY;
        return 0;
    }
    if (loss > s->peak) s->peak = loss;
    if (loss < s->factor * s->run_min) {
        s->in_spike = 0;
        s->count++;
        s->last_peak_ratio = s->peak / s->run_min;
        if (loss < s->run_min) s->run_min = loss;
        return 2;
    }
    return 0;
}
