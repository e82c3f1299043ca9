/* grid_kernel.c — the Gibbs kernel of a regular 2-D grid in the log domain, applied separably.
 *
 * Points x_k = (x1[i], x2[j]), k = i·n2 + j, cost C_kl = ½|x_k − x_l|² = c1(i,i') + c2(j,j'). For log-weights
 * w (length n1·n2) the operator returns
 *     out_k = log Σ_l exp(w_l − C_kl/ε)                                                     (log-sum-exp)
 * in two 1-D passes (over j', then over i'), each an n×n×n matrix product instead of n³ exponentials:
 *   pass 1:  m_i' = max_j' w_i'j',  E_i'j' = exp(w_i'j' − m_i'),  S_i'j = Σ_j' E_i'j' K2_j'j,  L_i'j = m_i' + log S_i'j
 *   pass 2:  M_j = max_i' L_i'j,    F_i'j = exp(L_i'j − M_j),      T_ij = Σ_i' K1_ii' F_i'j,   out_ij = M_j + log T_ij
 * with K = exp(−c/ε). Exactness: factors below e^−340 (E, F, K) are set to 0, so every product in the dgemm
 * is either 0 or a normal number (≥ e^−680: no denormal slow path, no underflow). A dropped term is below
 * e^−340 times the shifted maximum 1, so a sum S ≥ n·e^−340·2^50 is exact to 2^−50 relative; any smaller
 * sum (a point far from all the mass, or K underflowing at small ε) is recomputed exactly by a direct
 * log-sum-exp over its n terms. Nothing underflows silently: the result is the log-domain value.
 *
 * Cost-weighted applications (for the transport cost ⟨P, C⟩ in O(n³), sinkhorn_grid.c): with the factor of one
 * axis replaced by K̃ = c·exp(−c/ε) (log K̃ = log c − c/ε, −∞ on the diagonal where c = 0),
 *     out_k = log Σ_l exp(w_l − C_kl/ε) · c_axis(k, l)
 * by the same two passes; K̃ is flushed below e^−340 like K, and the guard carries the factor max(1, max K̃)
 * (K̃ ≤ max(c_max·e^{−c_max/ε}, ε/e) can exceed 1 when ε > e), so the exactness argument above is unchanged. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define CK_FLUSH_LOG (-340.0)

struct ck_grid_kernel {
    size_t n1, n2;
    double eps;
    double *c1, *c2; /* n1×n1, n2×n2 costs ½Δ² */
    double *k1, *k2; /* exp(−c/ε), flushed below e^−340 */
    double *kc1, *kc2; /* c·exp(−c/ε), flushed below e^−340 (cost-weighted applications) */
    double kc1_max, kc2_max; /* their largest entries */
    double *e, *s, *l, *buf, *colmax, *rowmax;
    double guard_log; /* log of the smallest sum accepted from the product */
    size_t fallbacks; /* entries recomputed exactly since the last reset */
};

/* k = exp(−c/ε) and kc = c·exp(−c/ε), each 0 where its logarithm is below e^−340; returns max kc. */
static double fill_kernel(size_t n, const double *c, double eps, double *k, double *kc, double *tmp) {
    for (size_t t = 0; t < n * n; t++) {
        double x = -c[t] / eps;
        tmp[t] = x < CK_FLUSH_LOG ? -400.0 : x;
    }
    ck_vexp(n * n, tmp, k);
    double kmax = 0;
    for (size_t t = 0; t < n * n; t++) {
        if (tmp[t] < CK_FLUSH_LOG) k[t] = 0.0;
        /* log K̃ = log c − c/ε: the flush test on the logarithm, so no product is denormal */
        double v = (c[t] > 0 && k[t] > 0 && log(c[t]) + tmp[t] >= CK_FLUSH_LOG) ? c[t] * k[t] : 0.0;
        kc[t] = v;
        if (v > kmax) kmax = v;
    }
    return kmax;
}

int ck_grid_kernel_create(size_t n1, size_t n2, const double *x1, const double *x2, double eps, ck_grid_kernel **out) {
    ck_runtime_ensure_fast_blas();
    if (!out) return CK_EARG;
    *out = NULL;
    if (n1 == 0 || n2 == 0 || n1 > CK_MAX_DIM || n2 > CK_MAX_DIM) return CK_EDIM;
    if (!x1 || !x2 || !(eps > 0) || !isfinite(eps)) return CK_EARG;
    for (size_t i = 0; i < n1; i++) if (!isfinite(x1[i])) return CK_EARG;
    for (size_t j = 0; j < n2; j++) if (!isfinite(x2[j])) return CK_EARG;
    ck_grid_kernel *k = calloc(1, sizeof *k);
    if (!k) return CK_ENOMEM;
    size_t nn = n1 * n2, nmax = n1 > n2 ? n1 : n2;
    k->n1 = n1;
    k->n2 = n2;
    k->c1 = malloc(n1 * n1 * sizeof(double));
    k->c2 = malloc(n2 * n2 * sizeof(double));
    k->k1 = malloc(n1 * n1 * sizeof(double));
    k->k2 = malloc(n2 * n2 * sizeof(double));
    k->kc1 = malloc(n1 * n1 * sizeof(double));
    k->kc2 = malloc(n2 * n2 * sizeof(double));
    k->e = malloc(nn * sizeof(double));
    k->s = malloc(nn * sizeof(double));
    k->l = malloc(nn * sizeof(double));
    k->buf = malloc((nmax * nmax > 2 * nmax ? nmax * nmax : 2 * nmax) * sizeof(double));
    k->colmax = malloc(n2 * sizeof(double));
    k->rowmax = malloc(n1 * sizeof(double));
    if (!k->c1 || !k->c2 || !k->k1 || !k->k2 || !k->kc1 || !k->kc2 || !k->e || !k->s || !k->l || !k->buf || !k->colmax || !k->rowmax) {
        ck_grid_kernel_free(k);
        return CK_ENOMEM;
    }
    for (size_t i = 0; i < n1; i++)
        for (size_t p = 0; p < n1; p++) { double d = x1[i] - x1[p]; k->c1[i + p * n1] = 0.5 * d * d; }
    for (size_t j = 0; j < n2; j++)
        for (size_t p = 0; p < n2; p++) { double d = x2[j] - x2[p]; k->c2[j + p * n2] = 0.5 * d * d; }
    int st = ck_grid_kernel_set_epsilon(k, eps);
    if (st != CK_OK) {
        ck_grid_kernel_free(k);
        return st;
    }
    *out = k;
    return CK_OK;
}

int ck_grid_kernel_set_epsilon(ck_grid_kernel *k, double eps) {
    if (!k) return CK_EARG;
    if (!(eps > 0) || !isfinite(eps)) return CK_EARG;
    k->eps = eps;
    k->kc1_max = fill_kernel(k->n1, k->c1, eps, k->k1, k->kc1, k->buf);
    k->kc2_max = fill_kernel(k->n2, k->c2, eps, k->k2, k->kc2, k->buf);
    size_t nmax = k->n1 > k->n2 ? k->n1 : k->n2;
    k->guard_log = log((double)nmax) + CK_FLUSH_LOG + 50.0 * M_LN2;
    return CK_OK;
}

void ck_grid_kernel_free(ck_grid_kernel *k) {
    if (!k) return;
    free(k->c1); free(k->c2); free(k->k1); free(k->k2); free(k->kc1); free(k->kc2);
    free(k->e); free(k->s); free(k->l); free(k->buf); free(k->colmax); free(k->rowmax);
    free(k);
}

size_t ck_grid_kernel_fallbacks(const ck_grid_kernel *k) { return k ? k->fallbacks : 0; }

/* log Σ_t exp(v[t·stride] − c[t]/ε) · (weighted ? c[t] : 1) over n terms, exactly (max-shifted). */
static double direct_lse(size_t n, const double *v, size_t stride, const double *c, double eps, int weighted,
                         double *tmp) {
    double mx = -INFINITY;
    for (size_t t = 0; t < n; t++) {
        double z = v[t * stride] - c[t] / eps;
        if (weighted) z = c[t] > 0 ? z + log(c[t]) : -INFINITY;
        tmp[t] = z;
        if (z > mx) mx = z;
    }
    if (mx == -INFINITY) return -INFINITY;
    for (size_t t = 0; t < n; t++) tmp[t] -= mx;
    ck_vexp(n, tmp, tmp + n);
    double s = 0;
    for (size_t t = 0; t < n; t++) s += tmp[n + t];
    return mx + log(s);
}

/* exp(x) for x ≤ 0 into y, flushing factors below e^−340 to exactly 0. */
static void flushed_exp(size_t n, double *x, double *y) {
    const double floor = exp(CK_FLUSH_LOG);
    for (size_t t = 0; t < n; t++) if (!(x[t] >= CK_FLUSH_LOG)) x[t] = -400.0;
    ck_vexp(n, x, y); /* may be in place: test the result, not the argument */
    for (size_t t = 0; t < n; t++) if (y[t] < floor) y[t] = 0.0;
}

int ck_grid_kernel_log_apply(ck_grid_kernel *k, const double *w, double *out) {
    return ck_grid_kernel_log_apply_weighted(k, 0, w, out);
}

int ck_grid_kernel_log_apply_weighted(ck_grid_kernel *k, int axis, const double *w, double *out) {
    if (!k || !w || !out || axis < 0 || axis > 2) return CK_EARG;
    size_t n1 = k->n1, n2 = k->n2;
    double eps = k->eps;
    /* pass 1 runs along x2 (factor K2 or K̃2), pass 2 along x1 (K1 or K̃1) */
    const int w2 = axis == 2, w1 = axis == 1;
    const double *kp1 = w2 ? k->kc2 : k->k2, *kp2 = w1 ? k->kc1 : k->k1;
    double guard1 = k->guard_log + (w2 && k->kc2_max > 1 ? log(k->kc2_max) : 0.0);
    double guard2 = k->guard_log + (w1 && k->kc1_max > 1 ? log(k->kc1_max) : 0.0);
    double *e = k->e, *s = k->s, *l = k->l, *tmp = k->buf;
    /* Row-major n1×n2 arrays (index i·n2 + j) are column-major n2×n1 matrices. */
    /* pass 1 */
    for (size_t i = 0; i < n1; i++) {
        const double *wi = w + i * n2;
        double m = -INFINITY;
        for (size_t j = 0; j < n2; j++) if (wi[j] > m) m = wi[j];
        if (m == INFINITY) return CK_EARG;
        if (m == -INFINITY) m = 0; /* no mass in this row: all its factors are 0 */
        k->rowmax[i] = m;
        double *ei = e + i * n2;
        for (size_t j = 0; j < n2; j++) ei[j] = wi[j] - m;
        flushed_exp(n2, ei, ei);
    }
    /* S (n2×n1) = K2 · E (K2 symmetric) */
    int st = ck_linalg_gemm(0, 0, n2, n1, n2, 1.0, kp1, n2, e, n2, 0.0, s, n2);
    if (st != CK_OK) return st;
    for (size_t i = 0; i < n1; i++) {
        double *si = s + i * n2, *li = l + i * n2;
        for (size_t j = 0; j < n2; j++) li[j] = si[j] > 0 ? si[j] : 1.0;
        ck_vlog(n2, li, li);
        for (size_t j = 0; j < n2; j++) {
            if (!(si[j] > 0) || li[j] < guard1) {
                li[j] = direct_lse(n2, w + i * n2, 1, k->c2 + j * n2, eps, w2, tmp);
                k->fallbacks++;
            } else {
                li[j] += k->rowmax[i];
            }
        }
    }
    /* pass 2 */
    for (size_t j = 0; j < n2; j++) k->colmax[j] = -INFINITY;
    for (size_t i = 0; i < n1; i++) {
        const double *li = l + i * n2;
        for (size_t j = 0; j < n2; j++) if (li[j] > k->colmax[j]) k->colmax[j] = li[j];
    }
    for (size_t j = 0; j < n2; j++) if (k->colmax[j] == -INFINITY) k->colmax[j] = 0;
    for (size_t i = 0; i < n1; i++) {
        double *ei = e + i * n2;
        const double *li = l + i * n2;
        for (size_t j = 0; j < n2; j++) ei[j] = li[j] - k->colmax[j];
        flushed_exp(n2, ei, ei);
    }
    /* T (n2×n1) = F · K1 (K1 symmetric) */
    st = ck_linalg_gemm(0, 0, n2, n1, n1, 1.0, e, n2, kp2, n1, 0.0, s, n2);
    if (st != CK_OK) return st;
    for (size_t i = 0; i < n1; i++) {
        double *si = s + i * n2, *oi = out + i * n2;
        for (size_t j = 0; j < n2; j++) oi[j] = si[j] > 0 ? si[j] : 1.0;
        ck_vlog(n2, oi, oi);
        for (size_t j = 0; j < n2; j++) {
            if (!(si[j] > 0) || oi[j] < guard2) {
                oi[j] = direct_lse(n1, l + j, n2, k->c1 + i * n1, eps, w1, tmp);
                k->fallbacks++;
            } else {
                oi[j] += k->colmax[j];
            }
        }
    }
    return CK_OK;
}
