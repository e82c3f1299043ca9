/* gram.c — Gram matrices G = D·Dᵀ and the empirical NTK of an MLP without its Jacobian.
 *
 * Layer-factored NTK (DESIGN.md; (3.15) in 2408.01517): since ∂f_q(x_i)/∂W_l = a_l δ^l_{iq} (h_i^{l-1})ᵀ,
 *   Θ(x_i, x'_j)_{qq'} = Σ_l C^l_{ij} S^l_{(iq),(jq')},   C^l = a_l² H^{l-1} H'^{l-1}ᵀ + c_l² 11ᵀ,   S^l = δ^l δ'^lᵀ,
 * and S^L = I_Q (the last layer's sensitivities are the identity). G is built in row panels of whole samples:
 * panels run in parallel, each with serial BLAS: per panel one product per hidden layer into a cache-sized buffer
 * T^l, then one fused pass writes G = Σ_l C^l ∘ T^l + C^L ⊗ I_Q — G is written once, never re-read per layer.
 * Symmetric case (X' = X): only the upper trapezoid of each panel is computed (dsyrk on its diagonal block),
 * and the fused pass writes its mirror image below the diagonal while the columns are still in cache.
 */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "ckernels.h"
#include "internal.h"

/* ---- symmetric fill --------------------------------------------------------------------------- */

typedef struct {
    double *g;
    size_t n, ldg;
} ck_mirror_job;

/* Copies the strict upper triangle into the lower one, for columns [b, e), in 64×64 tiles. */
static void ck_mirror_body(size_t b, size_t e, void *ctx) {
    const ck_mirror_job *j = ctx;
    const size_t tile = 64;
    for (size_t c0 = b; c0 < e; c0 += tile) {
        size_t c1 = c0 + tile < e ? c0 + tile : e;
        for (size_t r0 = c0; r0 < j->n; r0 += tile) {
            size_t r1 = r0 + tile < j->n ? r0 + tile : j->n;
            for (size_t c = c0; c < c1; c++)
                for (size_t r = (r0 > c + 1 ? r0 : c + 1); r < r1; r++) j->g[r + c * j->ldg] = j->g[c + r * j->ldg];
        }
    }
}

static void ck_mirror_upper(double *g, size_t n, size_t ldg, int nthreads) {
    ck_mirror_job job = {g, n, ldg};
    ck_parallel_for(n, 64, nthreads, ck_mirror_body, &job);
}

int ck_gram_accumulate(size_t rows, size_t k, const double *d, size_t ldd, double beta, double *g, size_t ldg) {
    ck_runtime_ensure_fast_blas();
    if (!ck_valid_operand(rows, k, ldd) || !ck_valid_operand(rows, rows, ldg)) return CK_EDIM;
    if (rows == 0) return CK_OK;
    if (g == NULL || (k > 0 && d == NULL)) return CK_EARG;
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, (int)rows, (int)k, 1.0, d, (int)ldd, beta, g, (int)ldg);
    ck_mirror_upper(g, rows, ldg, 0);
    return CK_OK;
}

/* ---- MLP NTK ------------------------------------------------------------------------------------ */

typedef struct {
    const ck_tape *t1, *t2;
    const ck_mlp *net;
    size_t L, Q, n1, n2, ps, prmax;
    int sym;
    double *work; /* per thread: C^l panels (L · ps·n2), then T^l panels ((L-1) · prmax·Q·n2) */
    size_t work_per_thread;
    double *g;
    size_t ldg;
} ck_ntk_job;

/* One panel: samples [i0, i0+ps) of X1 against samples [j0, n2) of X2 (j0 = i0 when symmetric).
 *   Cp^l = c_l² + a_l² H1^{l-1}[panel] H2^{l-1}[j0:]ᵀ       (ps × nc)
 *   T^l  = δ1^l[panel rows] δ2^l[j0Q:]ᵀ                     (pr × nc·Q; symmetric: dsyrk for the diagonal
 *                                                            pr × pr block, upper half only, dgemm for the rest)
 *   G[panel rows, j0Q:] = Σ_{l<L} Cp^l ⊗ 1_{Q×Q} ∘ T^l + Cp^L ⊗ I_Q   (one fused pass, column by column)
 * Symmetric: each group of ~64 columns is mirrored below the diagonal right after it is written, while it is
 * still in cache, so G is written once and never re-read from memory. */
static void ck_ntk_panel(size_t pb, size_t pe, int tid, void *ctx) {
    const ck_ntk_job *j = ctx;
    size_t L = j->L, Q = j->Q, n1 = j->n1, n2 = j->n2, nq1 = n1 * Q, nq2 = n2 * Q, ldg = j->ldg;
    double *cp[65], *tp[65], *ce[65];
    double *w = j->work + (size_t)tid * j->work_per_thread;
    for (size_t l = 1; l <= L; l++) {
        cp[l] = w;
        w += j->ps * n2;
    }
    for (size_t l = 1; l < L; l++) {
        tp[l] = w;
        w += j->prmax * nq2;
    }
    for (size_t l = 1; l <= L; l++) {
        ce[l] = w;
        w += j->prmax;
    }
    for (size_t panel = pb; panel < pe; panel++) {
        size_t i0 = panel * j->ps, ps = i0 + j->ps <= n1 ? j->ps : n1 - i0, pr = ps * Q;
        size_t j0 = j->sym ? i0 : 0, nc = n2 - j0, ncq = nc * Q;
        for (size_t l = 1; l <= L; l++) {
            double c2 = j->t1->c[l - 1] * j->t1->c[l - 1], a2 = j->t1->a[l - 1] * j->t1->a[l - 1];
            for (size_t k = 0; k < ps * nc; k++) cp[l][k] = c2;
            ck_linalg_gemm(0, 1, ps, nc, j->net->widths[l - 1], a2, j->t1->h[l - 1] + i0, n1, j->t2->h[l - 1] + j0, n2,
                           1.0, cp[l], ps);
        }
        for (size_t l = 1; l < L; l++) {
            const double *d1 = j->t1->delta[l] + i0 * Q, *d2 = j->t2->delta[l] + j0 * Q;
            size_t k = j->net->widths[l];
            if (j->sym) {
                cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, (int)pr, (int)k, 1.0, d1, (int)nq1, 0.0, tp[l],
                            (int)pr);
                if (ncq > pr) ck_linalg_gemm(0, 1, pr, ncq - pr, k, 1.0, d1, nq1, d2 + pr, nq2, 0.0, tp[l] + pr * pr, pr);
            } else {
                ck_linalg_gemm(0, 1, pr, ncq, k, 1.0, d1, nq1, d2, nq2, 0.0, tp[l], pr);
            }
        }
        size_t gs = Q >= 64 ? 1 : 64 / Q; /* samples per column group */
        for (size_t jg = 0; jg < nc; jg += gs) {
            size_t je = jg + gs < nc ? jg + gs : nc;
            for (size_t js = jg; js < je; js++) {
                /* ce^l[r] = Cp^l[row r's sample, js]: the coefficient column, expanded once per sample */
                for (size_t l = 1; l <= L; l++)
                    for (size_t r = 0; r < pr; r++) ce[l][r] = cp[l][r / Q + js * ps];
                for (size_t qp = 0; qp < Q; qp++) {
                    size_t cc = js * Q + qp, rmax = j->sym && cc < pr ? cc + 1 : pr;
                    double *gc = j->g + (j0 * Q + cc) * ldg + i0 * Q;
                    if (L >= 2) {
                        const double *t1c = tp[1] + cc * pr;
                        for (size_t r = 0; r < rmax; r++) gc[r] = ce[1][r] * t1c[r];
                        for (size_t l = 2; l < L; l++) {
                            const double *tc = tp[l] + cc * pr;
                            for (size_t r = 0; r < rmax; r++) gc[r] += ce[l][r] * tc[r];
                        }
                    } else {
                        for (size_t r = 0; r < rmax; r++) gc[r] = 0.0;
                    }
                    for (size_t r = qp; r < rmax; r += Q) gc[r] += ce[L][r];
                }
            }
            if (j->sym) {
                /* G[i0Q + c, i0Q + r] = G[i0Q + r, i0Q + c] for the group's columns c > r */
                size_t c0 = jg * Q, c1 = je * Q;
                const double *src = j->g + i0 * Q * ldg + i0 * Q;
                for (size_t r = 0; r < pr && r + 1 < c1; r++) {
                    double *dst = j->g + (i0 * Q + r) * ldg + i0 * Q;
                    for (size_t c = c0 > r + 1 ? c0 : r + 1; c < c1; c++) dst[c] = src[r + c * ldg];
                }
            }
        }
    }
}

/* Samples per panel: about 256 rows of G (448 once QN1 > 1536), measured on 2 cores for QN = 1280 and 2560
 * (smaller panels leave the per-panel dgemm short of the BLAS rate; larger ones unbalance the two threads). */
static size_t ck_ntk_panel_samples(size_t Q, size_t n1) {
    size_t rows = n1 * Q > 1536 ? 448 : 256;
    size_t ps = rows / Q;
    return ps > 0 ? ps : 1;
}

static size_t ck_ntk_work_per_thread(size_t L, size_t Q, size_t ps, size_t n2) {
    return L * ps * n2 + (L - 1) * ps * Q * n2 * Q + L * ps * Q;
}

size_t ck_gram_mlp_ntk_workspace(const ck_mlp *net, size_t n1, size_t n2) {
    if (ck_mlp_check(net) != CK_OK) return 0;
    size_t L = net->nlayers, Q = net->widths[L];
    size_t ncols = n2 ? n2 : n1;
    size_t ps = ck_ntk_panel_samples(Q, n1);
    if (ps > n1) ps = n1;
    size_t panels = (n1 + ps - 1) / ps;
    size_t nt = (size_t)ck_parallel_threads_for(panels, 1, 0);
    size_t total = ck_tape_doubles(net, n1, 1) + (n2 ? ck_tape_doubles(net, n2, 1) : 0);
    return total + nt * ck_ntk_work_per_thread(L, Q, ps, ncols);
}

/* G from recorded tapes (t2 == NULL: symmetric, G = Θ(X1, X1)). */
int ck_ntk_from_tapes(const ck_mlp *net, const ck_tape *t1, const ck_tape *t2, double *g, size_t ldg, int nthreads) {
    int sym = t2 == NULL;
    size_t L = net->nlayers, Q = net->widths[L], n1 = t1->n, n2 = sym ? n1 : t2->n;
    if (g == NULL) return CK_EARG;
    if (!ck_valid_operand(n1 * Q, n2 * Q, ldg)) return CK_EDIM;
    size_t ps = ck_ntk_panel_samples(Q, n1);
    if (ps > n1) ps = n1;
    size_t panels = (n1 + ps - 1) / ps;
    int nt = ck_parallel_threads_for(panels, 1, nthreads);
    size_t per = ck_ntk_work_per_thread(L, Q, ps, n2);
    double *work = malloc((size_t)nt * per * sizeof(double));
    if (work == NULL) return CK_ENOMEM;
    ck_advise_huge_pages(g, ldg * n2 * Q * sizeof(double));
    ck_ntk_job job = {t1, sym ? t1 : t2, net, L, Q, n1, n2, ps, ps * Q, sym, work, per, g, ldg};
    ck_parallel_tasks(panels, 1, nt, 1, ck_ntk_panel, &job);
    free(work);
    return CK_OK;
}

int ck_gram_mlp_ntk(const ck_mlp *net, const double *theta, const double *x1, size_t ldx1, size_t n1,
                    const double *x2, size_t ldx2, size_t n2, double *g, size_t ldg, int nthreads) {
    ck_runtime_ensure_fast_blas();
    int st = ck_mlp_check(net);
    if (st != CK_OK) return st;
    int sym = x2 == NULL;
    if (sym) n2 = n1;
    size_t Q = net->widths[net->nlayers];
    if (g == NULL || theta == NULL || x1 == NULL) return CK_EARG;
    if (n1 == 0 || n2 == 0 || !ck_valid_operand(n1 * Q, n2 * Q, ldg)) return CK_EDIM;
    ck_tape t1, t2;
    st = ck_tape_record(net, theta, x1, ldx1, n1, 1, nthreads, &t1);
    if (st != CK_OK) return st;
    if (!sym) {
        st = ck_tape_record(net, theta, x2, ldx2, n2, 1, nthreads, &t2);
        if (st != CK_OK) {
            ck_tape_free(&t1);
            return st;
        }
    }
    st = ck_ntk_from_tapes(net, &t1, sym ? NULL : &t2, g, ldg, nthreads);
    ck_tape_free(&t1);
    if (!sym) ck_tape_free(&t2);
    return st;
}
