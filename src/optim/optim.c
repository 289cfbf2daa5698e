/* Optimizers on any objective: GD, SGD, heavy-ball, Nesterov SGD, Adam, MaSS.
 * Update formulas and conventions are in include/widelab/optim.h.
 *
 * State (flat, llm.c style): g (dim) is scratch; s1 (dim) holds the
 * heavy-ball velocity, or u for Nesterov/MaSS, or Adam's first moment;
 * s2 (dim) holds Adam's second moment. */
#include "widelab/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct wl_optim {
    wl_optim_config cfg;
    size_t dim, t;
    int started; /* u initialized from w (Nesterov, MaSS) */
    double eta2; /* MaSS compensation step at lr factor 1 */
    double *g, *s1, *s2;
};

static const char *const kind_names[] = {"gd", "sgd", "heavyball", "nesterov", "adam", "mass"};

int wl_optim_parse(const char *name, wl_optim_kind *kind) {
    if (!name) return wl_seterr(WL_EINVAL, "optimizer: name is NULL");
    for (int k = 0; k <= WL_OPT_MASS; k++)
        if (!strcmp(name, kind_names[k])) {
            *kind = (wl_optim_kind)k;
            return WL_OK;
        }
    if (!strcmp(name, "momentum")) {
        *kind = WL_OPT_HEAVYBALL;
        return WL_OK;
    }
    return wl_seterr(WL_EINVAL,
                     "optimizer: unknown '%s' (expected gd, sgd, heavyball, nesterov, adam or mass)", name);
}

const char *wl_optim_name(wl_optim_kind kind) {
    return (unsigned)kind <= WL_OPT_MASS ? kind_names[kind] : "unknown";
}

wl_optim_config wl_optim_defaults(wl_optim_kind kind) {
    wl_optim_config c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.lr = kind == WL_OPT_ADAM ? 1e-3 : 1e-2;
    c.momentum = 0.9;
    c.beta1 = 0.9;
    c.beta2 = 0.999;
    c.eps = 1e-8;
    c.mass_eta2 = -1.0;
    c.mass_kappa_tilde = 2.0;
    c.batch = kind == WL_OPT_GD ? 0 : 64;
    c.sched.kind = WL_SCHED_CONST;
    c.sched.factor = 1.0;
    return c;
}

static int check_config(const wl_optim_config *c) {
    if ((unsigned)c->kind > WL_OPT_MASS) return wl_seterr(WL_EINVAL, "optimizer: unknown kind %d", (int)c->kind);
    if (!(c->lr > 0.0) || !isfinite(c->lr))
        return wl_seterr(WL_EINVAL, "optimizer: learning rate must be positive (got %g)", c->lr);
    if (!(c->momentum >= 0.0 && c->momentum < 1.0))
        return wl_seterr(WL_EINVAL, "optimizer: momentum must be in [0, 1) (got %g)", c->momentum);
    if (c->kind == WL_OPT_ADAM) {
        if (!(c->beta1 >= 0 && c->beta1 < 1 && c->beta2 >= 0 && c->beta2 < 1))
            return wl_seterr(WL_EINVAL, "adam: betas must be in [0, 1) (got %g, %g)", c->beta1, c->beta2);
        if (!(c->eps > 0)) return wl_seterr(WL_EINVAL, "adam: eps must be positive (got %g)", c->eps);
    }
    if (!(c->weight_decay >= 0.0) || !isfinite(c->weight_decay))
        return wl_seterr(WL_EINVAL, "optimizer: weight decay must be >= 0 (got %g)", c->weight_decay);
    if (c->kind == WL_OPT_MASS && c->mass_eta2 < 0.0 && !(c->mass_kappa_tilde >= 1.0))
        return wl_seterr(WL_EINVAL, "mass: kappa-tilde must be >= 1 (got %g)", c->mass_kappa_tilde);
    if (!isfinite(c->mass_eta2)) return wl_seterr(WL_EINVAL, "mass: eta2 is not finite");
    if (c->sched.kind == WL_SCHED_STEP && !(c->sched.factor > 0.0))
        return wl_seterr(WL_EINVAL, "schedule: drop factor must be positive (got %g)", c->sched.factor);
    if (c->sched.n_drops > WL_SCHED_MAX_DROPS)
        return wl_seterr(WL_EINVAL, "schedule: at most %d drops", WL_SCHED_MAX_DROPS);
    return WL_OK;
}

/* number of dim-long state vectors of a kind */
static size_t n_state(wl_optim_kind k) {
    return k == WL_OPT_ADAM ? 2 : (k == WL_OPT_HEAVYBALL || k == WL_OPT_NESTEROV || k == WL_OPT_MASS) ? 1 : 0;
}

int wl_optim_new(const wl_optim_config *cfg, size_t dim, wl_optim **out) {
    if (!out || !cfg) return wl_seterr(WL_EINVAL, "optimizer: NULL argument");
    *out = NULL;
    int rc = check_config(cfg);
    if (rc) return rc;
    if (dim == 0) return wl_seterr(WL_EINVAL, "optimizer: no parameters (dim = 0)");
    wl_optim *o = wl_calloc(1, sizeof *o, "optimizer");
    if (!o) return WL_ENOMEM;
    o->cfg = *cfg;
    o->dim = dim;
    o->g = wl_dalloc(dim, "gradient");
    size_t ns = n_state(cfg->kind);
    if (ns >= 1) o->s1 = wl_dalloc(dim, "optimizer state");
    if (ns >= 2) o->s2 = wl_dalloc(dim, "optimizer state");
    if (!o->g || (ns >= 1 && !o->s1) || (ns >= 2 && !o->s2)) {
        wl_optim_free(o);
        return WL_ENOMEM;
    }
    /* eta2 = eta1 (1 - 1/kappa~)(1 + gamma)/2 unless given */
    o->eta2 = cfg->mass_eta2 >= 0.0
                  ? cfg->mass_eta2
                  : cfg->lr * (1.0 - 1.0 / cfg->mass_kappa_tilde) * (1.0 + cfg->momentum) / 2.0;
    *out = o;
    return WL_OK;
}

void wl_optim_free(wl_optim *o) {
    if (!o) return;
    free(o->g);
    free(o->s1);
    free(o->s2);
    free(o);
}

const wl_optim_config *wl_optim_get_config(const wl_optim *o) { return &o->cfg; }
size_t wl_optim_steps(const wl_optim *o) { return o->t; }
double wl_optim_lr(const wl_optim *o) { return o->cfg.lr * wl_schedule_factor(&o->cfg.sched, o->t); }

int wl_optim_restart(wl_optim *o, const double *w) {
    if (!o) return wl_seterr(WL_EINVAL, "optimizer: NULL");
    size_t ns = n_state(o->cfg.kind);
    if (o->cfg.kind == WL_OPT_NESTEROV || o->cfg.kind == WL_OPT_MASS) {
        if (!w) return wl_seterr(WL_EINVAL, "optimizer restart: w is NULL");
        memcpy(o->s1, w, o->dim * sizeof(double));
        o->started = 1;
    } else if (ns >= 1) {
        memset(o->s1, 0, o->dim * sizeof(double));
        if (ns >= 2) memset(o->s2, 0, o->dim * sizeof(double));
    }
    return WL_OK;
}

/* g = grad L_batch(p) + wd p; *loss = L_batch(p) */
static int gradient(wl_optim *o, wl_objective *obj, const double *p, const size_t *idx, size_t nb,
                    double *loss) {
    double L = 0.0;
    int rc = wl_objective_grad(obj, p, idx, nb, &L, o->g);
    if (rc) return wl_adderr(rc, "%s step %zu", wl_optim_name(o->cfg.kind), o->t);
    if (o->cfg.weight_decay > 0.0) wl_axpy(o->dim, o->cfg.weight_decay, p, o->g);
    if (!isfinite(L) || !wl_all_finite(o->dim, o->g))
        return wl_seterr(WL_ENUMERIC, "%s step %zu: the loss or gradient is not finite (loss %g)",
                         wl_optim_name(o->cfg.kind), o->t, L);
    if (loss) *loss = L;
    return WL_OK;
}

/* heavy-ball: v <- mu v - lr g(w);  w <- w + v */
static void step_heavyball(wl_optim *o, double *w, double lr) {
    double mu = o->cfg.momentum;
    for (size_t j = 0; j < o->dim; j++) {
        o->s1[j] = mu * o->s1[j] - lr * o->g[j];
        w[j] += o->s1[j];
    }
}

/* MaSS (Nesterov: eta2 = 0), g = g(u):
 *   w' = u - eta1 g;  u <- (1 + gamma) w' - gamma w + eta2 g;  w <- w' */
static void step_mass(wl_optim *o, double *w, double eta1, double eta2) {
    double gam = o->cfg.momentum;
    for (size_t j = 0; j < o->dim; j++) {
        double wn = o->s1[j] - eta1 * o->g[j];
        o->s1[j] = (1.0 + gam) * wn - gam * w[j] + eta2 * o->g[j];
        w[j] = wn;
    }
}

/* Adam with bias correction at step t + 1 */
static void step_adam(wl_optim *o, double *w, double lr) {
    double b1 = o->cfg.beta1, b2 = o->cfg.beta2, eps = o->cfg.eps;
    double c1 = 1.0 - pow(b1, (double)(o->t + 1)), c2 = 1.0 - pow(b2, (double)(o->t + 1));
    for (size_t j = 0; j < o->dim; j++) {
        double g = o->g[j];
        o->s1[j] = b1 * o->s1[j] + (1.0 - b1) * g;
        o->s2[j] = b2 * o->s2[j] + (1.0 - b2) * g * g;
        w[j] -= lr * (o->s1[j] / c1) / (sqrt(o->s2[j] / c2) + eps);
    }
}

int wl_optim_step(wl_optim *o, wl_objective *obj, double *w, const size_t *idx, size_t nb,
                  double *loss) {
    if (!o || !obj || !w) return wl_seterr(WL_EINVAL, "optimizer step: NULL argument");
    wl_model *m = wl_objective_model(obj);
    if (m->dim != o->dim)
        return wl_seterr(WL_EINVAL, "optimizer step: the model has %zu parameters, the optimizer %zu",
                         m->dim, o->dim);
    wl_optim_kind k = o->cfg.kind;
    double f = wl_schedule_factor(&o->cfg.sched, o->t), lr = o->cfg.lr * f;
    int uses_u = k == WL_OPT_NESTEROV || k == WL_OPT_MASS;
    if (uses_u && (!o->started || (k == WL_OPT_MASS && wl_schedule_is_drop(&o->cfg.sched, o->t))))
        wl_optim_restart(o, w);
    int rc = gradient(o, obj, uses_u ? o->s1 : w, idx, nb, loss);
    if (rc) return rc;
    switch (k) {
    case WL_OPT_GD:
    case WL_OPT_SGD: wl_axpy(o->dim, -lr, o->g, w); break;
    case WL_OPT_HEAVYBALL: step_heavyball(o, w, lr); break;
    case WL_OPT_NESTEROV: step_mass(o, w, lr, 0.0); break;
    case WL_OPT_MASS: step_mass(o, w, lr, o->eta2 * f); break;
    case WL_OPT_ADAM: step_adam(o, w, lr); break;
    }
    o->t++;
    return WL_OK;
}

int wl_optim_run(wl_optim *opt, wl_objective *obj, wl_batcher *b, double *w, size_t steps,
                 double *losses) {
    for (size_t s = 0; s < steps; s++) {
        const size_t *idx;
        size_t nb;
        double L;
        int rc = wl_batcher_next(b, &idx, &nb);
        if (!rc) rc = wl_optim_step(opt, obj, w, idx, nb, &L);
        if (rc) return rc;
        if (losses) losses[s] = L;
    }
    return WL_OK;
}

const char *wl_optim_describe(const wl_optim *o, char *buf, size_t cap) {
    const wl_optim_config *c = &o->cfg;
    char sb[256], bb[32];
    wl_schedule_format(&c->sched, sb, sizeof sb);
    if (c->batch) snprintf(bb, sizeof bb, "%zu", c->batch);
    else snprintf(bb, sizeof bb, "full");
    char wd[48] = "";
    if (c->weight_decay > 0) snprintf(wd, sizeof wd, ", weight decay %g", c->weight_decay);
    switch (c->kind) {
    case WL_OPT_HEAVYBALL:
        snprintf(buf, cap, "heavyball: lr %g, momentum %g, batch %s, schedule %s%s", c->lr, c->momentum, bb, sb, wd);
        break;
    case WL_OPT_NESTEROV:
        snprintf(buf, cap, "nesterov: lr %g, gamma %g, batch %s, schedule %s%s", c->lr, c->momentum, bb, sb, wd);
        break;
    case WL_OPT_ADAM:
        snprintf(buf, cap, "adam: lr %g, betas %g/%g, eps %g, batch %s, schedule %s%s", c->lr, c->beta1,
                 c->beta2, c->eps, bb, sb, wd);
        break;
    case WL_OPT_MASS:
        if (c->mass_eta2 >= 0)
            snprintf(buf, cap, "mass: eta1 %g, eta2 %g, gamma %g, batch %s, schedule %s (restart on drops)%s",
                     c->lr, o->eta2, c->momentum, bb, sb, wd);
        else
            snprintf(buf, cap,
                     "mass: eta1 %g, eta2 %g (from kappa-tilde %g), gamma %g, batch %s, schedule %s (restart on drops)%s",
                     c->lr, o->eta2, c->mass_kappa_tilde, c->momentum, bb, sb, wd);
        break;
    default:
        snprintf(buf, cap, "%s: lr %g, batch %s, schedule %s%s", wl_optim_name(c->kind), c->lr, bb, sb, wd);
    }
    return buf;
}

/* ---- checkpoints: [magic, kind, dim, t, started, s1 (dim), s2 (dim)] ---- */

#define WL_OPTIM_MAGIC 5772.0 /* "WL" */
enum { HEAD = 5 };

size_t wl_optim_state_size(const wl_optim *o) { return HEAD + n_state(o->cfg.kind) * o->dim; }

int wl_optim_state_save(const wl_optim *o, double *buf) {
    if (!o || !buf) return wl_seterr(WL_EINVAL, "optimizer state: NULL argument");
    buf[0] = WL_OPTIM_MAGIC;
    buf[1] = (double)o->cfg.kind;
    buf[2] = (double)o->dim;
    buf[3] = (double)o->t;
    buf[4] = (double)o->started;
    size_t ns = n_state(o->cfg.kind);
    if (ns >= 1) memcpy(buf + HEAD, o->s1, o->dim * sizeof(double));
    if (ns >= 2) memcpy(buf + HEAD + o->dim, o->s2, o->dim * sizeof(double));
    return WL_OK;
}

int wl_optim_state_load(wl_optim *o, const double *buf, size_t len) {
    if (!o || !buf) return wl_seterr(WL_EINVAL, "optimizer state: NULL argument");
    size_t need = wl_optim_state_size(o);
    if (len != need)
        return wl_seterr(WL_EFORMAT, "optimizer state: %zu values, expected %zu", len, need);
    if (buf[0] != WL_OPTIM_MAGIC)
        return wl_seterr(WL_EFORMAT, "optimizer state: bad magic %g (not an optimizer state)", buf[0]);
    if (buf[1] != (double)o->cfg.kind)
        return wl_seterr(WL_EFORMAT, "optimizer state: saved by %s, loading into %s",
                         wl_optim_name((wl_optim_kind)(int)buf[1]), wl_optim_name(o->cfg.kind));
    if (buf[2] != (double)o->dim)
        return wl_seterr(WL_EFORMAT, "optimizer state: saved for dim %g, optimizer has %zu", buf[2], o->dim);
    if (!(buf[3] >= 0) || buf[3] != floor(buf[3]) || (buf[4] != 0 && buf[4] != 1))
        return wl_seterr(WL_EFORMAT, "optimizer state: bad step count %g or flag %g", buf[3], buf[4]);
    o->t = (size_t)buf[3];
    o->started = (int)buf[4];
    size_t ns = n_state(o->cfg.kind);
    if (ns >= 1) memcpy(o->s1, buf + HEAD, o->dim * sizeof(double));
    if (ns >= 2) memcpy(o->s2, buf + HEAD + o->dim, o->dim * sizeof(double));
    return WL_OK;
}
