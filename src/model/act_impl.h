/* Pointwise activation maths, inlined into the elementwise loops of op_act.c
 * and behind wl_act_eval. */
#ifndef WL_ACT_IMPL_H
#define WL_ACT_IMPL_H

#include "net_impl.h"

#include <math.h>

static inline double wl_sigmoid(double z) {
    if (z >= 0) return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

/* f = sigma(z), d1 = sigma'(z), d2 = sigma''(z); ReLU-like derivatives at 0
 * follow PyTorch (relu'(0) = 0, leaky'(0) = slope). */
static inline void wl_act_point(int act, double slope, double z, double *f, double *d1,
                                double *d2) {
    double v = z, g1 = 1.0, g2 = 0.0;
    switch (act) {
    case WL_ACT_RELU:
        v = z > 0 ? z : 0.0;
        g1 = z > 0 ? 1.0 : 0.0;
        break;
    case WL_ACT_LEAKY:
        v = z > 0 ? z : slope * z;
        g1 = z > 0 ? 1.0 : slope;
        break;
    case WL_ACT_TANH:
        v = tanh(z);
        g1 = 1.0 - v * v;            /* tanh' = 1 - tanh^2 */
        g2 = -2.0 * v * g1;          /* tanh'' = -2 tanh (1 - tanh^2) */
        break;
    case WL_ACT_ERF: {
        double e = M_2_SQRTPI * exp(-z * z); /* erf' = 2/sqrt(pi) e^{-z^2} */
        v = erf(z);
        g1 = e;
        g2 = -2.0 * z * e;
        break;
    }
    case WL_ACT_SIGMOID: {
        double s = wl_sigmoid(z);
        v = s;
        g1 = s * (1.0 - s);
        g2 = g1 * (1.0 - 2.0 * s);
        break;
    }
    case WL_ACT_SOFTPLUS: {
        double s = wl_sigmoid(z);       /* softplus' = sigmoid */
        v = (z > 0 ? z : 0.0) + log1p(exp(-fabs(z)));
        g1 = s;
        g2 = s * (1.0 - s);
        break;
    }
    case WL_ACT_GELU: {
        double Phi = 0.5 * erfc(-z * M_SQRT1_2);
        double phi = exp(-0.5 * z * z) * (0.5 * M_2_SQRTPI * M_SQRT1_2); /* N(0,1) density */
        v = z * Phi;
        g1 = Phi + z * phi;          /* (z Phi)' = Phi + z phi */
        g2 = phi * (2.0 - z * z);    /* phi' = -z phi */
        break;
    }
    case WL_ACT_SQUARE:
        v = z * z;
        g1 = 2.0 * z;
        g2 = 2.0;
        break;
    default: /* identity */
        break;
    }
    *f = v;
    *d1 = g1;
    *d2 = g2;
}

#endif
