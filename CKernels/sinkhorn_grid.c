/* sinkhorn_grid.c — entropic optimal transport between two measures on the same regular 2-D grid,
 * log domain throughout (Peyré & Cuturi, Computational OT, §4.4; Schmitzer 2019 for ε-scaling).
 *
 * Potentials f, g (cost units) define the plan P_kl = exp((f_k + g_l − C_kl)/ε). One iteration is
 *     f ← (1−ω) f + ω ε (log a − LSE_l((g_l − C_kl)/ε)),   g ← (1−ω) g + ω ε (log b − LSE_k((f_k − C_kl)/ε)),
 * each LSE a separable log-domain kernel application (grid_kernel.c). ω = 1 is Sinkhorn; 1 < ω < 2 is the
 * over-relaxed variant (Thibault et al. 2017), its excess halved whenever the marginal error stops decreasing. ε-scaling
 * runs a few iterations at each ε of a geometric schedule from reg_start down to the target, warm-starting
 * the potentials. The stopping test is the L1 error of both marginals of the current (f, g); both come out
 * of the kernel applications the iteration makes anyway. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

typedef struct {
    size_t nn;
    ck_grid_kernel *kernel;
    double *w, *lse, *tmp, *loga, *logb;
} sk_state;

/* One half-iteration on `pot` against the fixed `other`: lse = LSE((other − C)/ε) by one kernel application;
 * before = Σ|exp(pot/ε + lse) − mass| (the marginal error of the pair as it was); with update, pot ← (1−ω)pot +
 * ω ε(log mass − lse), and after = the same error for the updated pair (same lse: `other` did not move).
 * Returns a status. */
static double marginal_error(sk_state *st, double eps, const double *mass, const double *pot) {
    size_t nn = st->nn;
    for (size_t t = 0; t < nn; t++) {
        double z = mass[t] > 0 ? pot[t] / eps + st->lse[t] : -INFINITY;
        st->tmp[t] = z > 700 ? 700 : z; /* an error of e^700 is "huge" either way */
    }
    ck_vexp(nn, st->tmp, st->tmp);
    double err = 0;
    for (size_t t = 0; t < nn; t++) err += fabs(st->tmp[t] - mass[t]);
    return err;
}

/* pot ← (1−ω)pot + ω ε(log mass − lse) from the lse of the last kernel application (−∞ where mass = 0). */
static void update_potential(const sk_state *st, double eps, double omega, const double *mass, const double *logmass,
                             double *pot) {
    for (size_t t = 0; t < st->nn; t++) {
        if (!(mass[t] > 0)) {
            pot[t] = -INFINITY;
            continue;
        }
        double target = eps * (logmass[t] - st->lse[t]);
        pot[t] = omega == 1.0 ? target : (1.0 - omega) * pot[t] + omega * target;
    }
}

static int half_step(sk_state *st, double eps, double omega, const double *mass, const double *logmass, double *pot,
                     const double *other, int update, double *before, double *after) {
    size_t nn = st->nn;
    for (size_t t = 0; t < nn; t++) st->w[t] = other[t] / eps;
    int status = ck_grid_kernel_log_apply(st->kernel, st->w, st->lse);
    if (status != CK_OK) return status;
    if (before) *before = marginal_error(st, eps, mass, pot);
    if (!update) return CK_OK;
    update_potential(st, eps, omega, mass, logmass, pot);
    if (after) *after = marginal_error(st, eps, mass, pot);
    return CK_OK;
}

int ck_sinkhorn_grid(size_t n1, size_t n2, const double *x1, const double *x2, const double *a, const double *b,
                     const ck_sinkhorn_options *opt, double *f, double *g, ck_sinkhorn_report *rep) {
    ck_runtime_ensure_fast_blas();
    if (!opt || !a || !b || !f || !g || !x1 || !x2) return CK_EARG;
    if (n1 == 0 || n2 == 0) return CK_EDIM;
    double reg = opt->reg, omega = opt->omega;
    int automatic = omega == 0;
    if (!(reg > 0) || !isfinite(reg) || !(opt->tol > 0) || !(omega == 0 || (omega >= 1.0 && omega < 2.0)))
        return CK_EARG;
    if (automatic) omega = 1.0;
    size_t nn = n1 * n2;
    for (size_t t = 0; t < nn; t++) {
        if (!(a[t] >= 0) || !(b[t] >= 0) || !isfinite(a[t]) || !isfinite(b[t])) return CK_EARG;
        if (!isfinite(f[t]) && !(f[t] == -INFINITY && a[t] == 0)) f[t] = 0;
        if (!isfinite(g[t]) && !(g[t] == -INFINITY && b[t] == 0)) g[t] = 0;
    }
    sk_state st = {nn, NULL, NULL, NULL, NULL, NULL, NULL};
    double start = opt->reg_start > reg ? opt->reg_start : reg;
    double decay = (opt->reg_decay > 0 && opt->reg_decay < 1) ? opt->reg_decay : 0.5;
    int status = ck_grid_kernel_create(n1, n2, x1, x2, start, &st.kernel);
    if (status != CK_OK) return status;
    st.w = malloc(nn * sizeof(double));
    st.lse = malloc(nn * sizeof(double));
    st.tmp = malloc(nn * sizeof(double));
    st.loga = malloc(nn * sizeof(double));
    st.logb = malloc(nn * sizeof(double));
    if (!st.w || !st.lse || !st.tmp || !st.loga || !st.logb) {
        status = CK_ENOMEM;
        goto done;
    }
    for (size_t t = 0; t < nn; t++) {
        st.loga[t] = a[t] > 0 ? log(a[t]) : -INFINITY;
        st.logb[t] = b[t] > 0 ? log(b[t]) : -INFINITY;
    }
    size_t total = 0, at_target = 0;
    double err_a = INFINITY, err_b = INFINITY;
    /* ε-scaling stages (plain Sinkhorn steps: the potentials are far from converged there). */
    for (double eps = start; eps > reg * (1 + 1e-12) && total < opt->max_iterations; eps *= decay) {
        if ((status = ck_grid_kernel_set_epsilon(st.kernel, eps)) != CK_OK) goto done;
        for (size_t it = 0; it < opt->stage_iterations && total < opt->max_iterations; it++, total++) {
            if ((status = half_step(&st, eps, 1.0, a, st.loga, f, g, 1, NULL, NULL)) != CK_OK) goto done;
            if ((status = half_step(&st, eps, 1.0, b, st.logb, g, f, 1, NULL, NULL)) != CK_OK) goto done;
        }
    }
    if ((status = ck_grid_kernel_set_epsilon(st.kernel, reg)) != CK_OK) goto done;
    double w = omega, best = INFINITY;
    size_t worse = 0;
    enum { PROBE = 10 };
    double history[2 * PROBE + 1];
    int converged = 0;
    while (total < opt->max_iterations) {
        /* f-update; err_a = row error of (f_new, g) (rounding level when ω = 1) */
        if ((status = half_step(&st, reg, w, a, st.loga, f, g, 1, NULL, &err_a)) != CK_OK) goto done;
        /* err_b = column error of (f_new, g) before the g-update */
        if ((status = half_step(&st, reg, w, b, st.logb, g, f, 0, &err_b, NULL)) != CK_OK) goto done;
        total++;
        at_target++;
        if (!(err_a < INFINITY) || !(err_b < INFINITY) || isnan(err_a) || isnan(err_b)) {
            status = CK_EARG;
            goto done;
        }
        if (err_a <= opt->tol && err_b <= opt->tol) {
            converged = 1;
            break;
        }
        double e = err_a + err_b;
        if (automatic && at_target <= 2 * PROBE + 1) {
            /* Estimate the linear rate r of plain Sinkhorn over the last PROBE iterations and take the
             * over-relaxation that is optimal for a linear iteration with that rate (SOR theory, as in
             * Thibault et al. 2017): ω = 2/(1 + √(1 − r)). */
            history[at_target - 1] = e;
            if (at_target == 2 * PROBE + 1 && history[PROBE] > 0) {
                double r = pow(e / history[PROBE], 1.0 / PROBE);
                if (r > 0 && r < 1) {
                    w = 2.0 / (1.0 + sqrt(1.0 - r));
                    if (w > 1.95) w = 1.95;
                    best = INFINITY;
                }
            }
        }
        if (e < best) {
            best = e;
            worse = 0;
        } else if (w != 1.0 && ++worse >= 20) {
            /* No progress for 20 iterations: halve the over-relaxation (plain Sinkhorn always converges). */
            w = 1.0 + 0.5 * (w - 1.0);
            if (w < 1.05) w = 1.0;
            worse = 0;
            best = e;
        }
        /* g-update from the lse just computed */
        update_potential(&st, reg, w, b, st.logb, g);
    }
    if (!converged) {
        /* the errors of the potentials returned */
        if ((status = half_step(&st, reg, 1.0, a, st.loga, f, g, 0, &err_a, NULL)) != CK_OK) goto done;
        if ((status = half_step(&st, reg, 1.0, b, st.logb, g, f, 0, &err_b, NULL)) != CK_OK) goto done;
    }
    if (rep) {
        rep->iterations = at_target;
        rep->total_iterations = total;
        rep->error_a = err_a;
        rep->error_b = err_b;
        rep->converged = converged;
        rep->exact_fallbacks = ck_grid_kernel_fallbacks(st.kernel);
        rep->omega_final = w;
    }
done:
    ck_grid_kernel_free(st.kernel);
    free(st.w);
    free(st.lse);
    free(st.tmp);
    free(st.loga);
    free(st.logb);
    return status;
}

/* Σ_k exp(z_k) over the k with f_k ≠ −∞, max-shifted (exact when the total is representable). */
static double sum_exp(size_t nn, const double *f, double eps, const double *lse, double *tmp) {
    double mx = -INFINITY;
    for (size_t t = 0; t < nn; t++) {
        double z = f[t] == -INFINITY ? -INFINITY : f[t] / eps + lse[t];
        tmp[t] = z;
        if (z > mx) mx = z;
    }
    if (mx == -INFINITY) return 0;
    if (!isfinite(mx)) return mx; /* NaN or +∞ passes through */
    for (size_t t = 0; t < nn; t++) tmp[t] -= mx;
    ck_vexp(nn, tmp, tmp);
    double s = 0;
    for (size_t t = 0; t < nn; t++) s += tmp[t];
    return exp(mx) * s;
}

/* ⟨P, C⟩ and Σ P in O(n³): C = c_1 ⊕ c_2 is separable, so with w = g/ε
 *     Σ_kl P_kl = Σ_k exp(f_k/ε + log Σ_l exp(w_l − C_kl/ε)),
 *     Σ_kl P_kl c_a(k, l) = Σ_k exp(f_k/ε + log Σ_l exp(w_l − C_kl/ε)·c_a(k, l))   (a = 1, 2),
 * each inner term one (cost-weighted) log-domain kernel application of grid_kernel.c, and ⟨P, C⟩ the sum of the
 * two axes' terms. nthreads is unused: the work is in the dgemm passes, which use the BLAS threads. */
int ck_sinkhorn_grid_cost(size_t n1, size_t n2, const double *x1, const double *x2, double reg, const double *f,
                          const double *g, double *cost, double *mass, int nthreads) {
    (void)nthreads;
    if (!x1 || !x2 || !f || !g || !cost) return CK_EARG;
    if (n1 == 0 || n2 == 0) return CK_EDIM;
    if (!(reg > 0) || !isfinite(reg)) return CK_EARG;
    size_t nn = n1 * n2;
    for (size_t t = 0; t < nn; t++)
        if (isnan(f[t]) || isnan(g[t]) || f[t] == INFINITY || g[t] == INFINITY) return CK_EARG;
    ck_grid_kernel *kernel = NULL;
    int st = ck_grid_kernel_create(n1, n2, x1, x2, reg, &kernel);
    if (st != CK_OK) return st;
    double *w = malloc(3 * nn * sizeof(double));
    if (!w) {
        ck_grid_kernel_free(kernel);
        return CK_ENOMEM;
    }
    double *lse = w + nn, *tmp = w + 2 * nn, parts[3] = {0, 0, 0};
    for (size_t t = 0; t < nn; t++) w[t] = g[t] / reg;
    for (int axis = 0; axis <= 2 && st == CK_OK; axis++) {
        st = ck_grid_kernel_log_apply_weighted(kernel, axis, w, lse);
        if (st == CK_OK) parts[axis] = sum_exp(nn, f, reg, lse, tmp);
    }
    free(w);
    ck_grid_kernel_free(kernel);
    if (st != CK_OK) return st;
    *cost = parts[1] + parts[2];
    if (mass) *mass = parts[0];
    return CK_OK;
}
