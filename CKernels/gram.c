/* gram.c — Gram matrices G = D·Dᵀ and the empirical NTK of an MLP without its Jacobian.
 *
 * Layer-factored NTK (DESIGN.md; (3.15) in 2408.01517): since ∂f_q(x_i)/∂W_l = a_l δ^l_{iq} (h_i^{l-1})ᵀ,
 *   Θ(x_i, x'_j)_{qq'} = Σ_l C^l_{ij} S^l_{(iq),(jq')},   C^l = a_l² H^{l-1} H'^{l-1}ᵀ + c_l² 11ᵀ,   S^l = δ^l δ'^lᵀ,
 * and S^L = I_Q (the last layer's sensitivities are the identity). The last hidden layer's sensitivities are
 * δ^{L-1}_{(iq),r} = a_L W_L[q,r] σ'(z^{L-1}_{ir}), so its block is symmetric in the outputs as well as the samples:
 *   S^{L-1}_{(iq),(jq')} = Σ_r a_L² W_L[q,r] W_L[q',r] σ'_{ir} σ'_{jr} = S^{L-1}_{(iq'),(jq)},
 * and only the Q(Q+1)/2 pairs q <= q' are computed (55 of 100 products for Q = 10).
 * G is built in tasks of (row panel, column chunk) of whole samples, run in parallel, each with serial BLAS:
 * per task one product per hidden layer into buffers (for the last one the pair kernel of ntk_pairs.c, or Q
 * products, one per q', where it does not apply), then one fused pass
 * writes G = Σ_l C^l ∘ T^l + C^L ⊗ I_Q — G is written once, never re-read per layer. Symmetric case (X' = X):
 * only the upper trapezoid is computed (dsyrk on diagonal blocks), and the fused pass writes its mirror image
 * below the diagonal while the columns are still in cache.
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
    size_t L, Q, n1, n2, ps, cmax; /* samples per row panel, most samples per column chunk */
    int sym;
    const size_t *task_i0, *task_j0, *task_nc; /* task k: panel from sample i0, chunk of nc samples from j0 */
    const double *v1, *v2; /* δ^{L-1} of X1 and X2 ordered by output (ck_ntk_by_output), or NULL with pairs */
    const ck_ntk_pair_plan *pairs; /* the pair kernel's operands (ntk_pairs.c), or NULL: BLAS on V1, V2 */
    double *work; /* per thread: Cp^l (L · ps·cmax), T^l ((L-2) · ps·Q·cmax·Q), pairs (Q(Q+1)/2 · ps·cmax),
                     epilogue rows (L · ps·Q), the pair kernel's buffers; then V1 (n1·Q·M_{L-1}) and V2
                     (n2·Q·M_{L-1}), or the pair kernel's shared operands */
    size_t work_per_thread;
    double *g;
    size_t ldg;
} ck_ntk_job;

/* One task: samples [i0, i0+ps) of X1 against samples [j0, j0+nc) of X2. With R = i0·Q and C = j0·Q,
 *   Cp^l = c_l² + a_l² H1^{l-1}[i0:i0+ps] H2^{l-1}[j0:j0+nc]ᵀ          (ps × nc)
 *   T^l  = δ1^l[R:R+pr] δ2^l[C:C+nc·Q]ᵀ, l < L-1                         (pr × nc·Q)
 *   P_{qq'} = V1_q V2_{q'}ᵀ for q <= q' (V = δ^{L-1} ordered by output, ck_ntk_by_output)      (ps × nc each)
 *   G[R:R+pr, C:C+nc·Q] = Cp^{L-1} ⊗ 1 ∘ P + Σ_{l<L-1} Cp^l ⊗ 1_{Q×Q} ∘ T^l + Cp^L ⊗ I_Q   (one fused pass)
 * Symmetric: tasks cover the upper triangle (j0 >= i0); on the diagonal block (j0 = i0) T^l comes from dsyrk
 * (upper half only). The fused pass (ck_ntk_epilogue) stores each entry in its column and at its mirror image,
 * so G is written once and never re-read. */
static void ck_ntk_task(size_t kb, size_t ke, int tid, void *ctx) {
    const ck_ntk_job *j = ctx;
    size_t L = j->L, Q = j->Q, n1 = j->n1, n2 = j->n2, nq1 = n1 * Q, nq2 = n2 * Q;
    double *cp[65], *tp[65], *ce[65], *pb, *pe;
    double *w = j->work + (size_t)tid * j->work_per_thread;
    size_t prmax = j->ps * Q, ccmax = j->cmax * Q, pairs = Q * (Q + 1) / 2;
    for (size_t l = 1; l <= L; l++) {
        cp[l] = w;
        w += j->ps * j->cmax;
    }
    for (size_t l = 1; l + 1 < L; l++) {
        tp[l] = w;
        w += prmax * ccmax;
    }
    pb = w;
    if (L >= 2) w += pairs * j->ps * j->cmax;
    for (size_t l = 1; l < L; l++) {
        ce[l] = w;
        w += prmax;
    }
    pe = w;
    w += prmax;
    for (size_t task = kb; task < ke; task++) {
        size_t i0 = j->task_i0[task], j0 = j->task_j0[task];
        size_t ps = i0 + j->ps <= n1 ? j->ps : n1 - i0, pr = ps * Q;
        size_t nc = j->task_nc[task], ncq = nc * Q;
        size_t R = i0 * Q, C = j0 * Q;
        int diag = j->sym && j0 == i0; /* the chunk starts with the panel's diagonal block (pr <= ncq) */
        for (size_t l = 1; l <= L; l++) {
            double c2 = j->t1->c[l - 1] * j->t1->c[l - 1], a2 = j->t1->a[l - 1] * j->t1->a[l - 1];
            for (size_t k = 0; k < ps * nc; k++) cp[l][k] = c2;
            ck_linalg_gemm(0, 1, ps, nc, j->net->widths[l - 1], a2, j->t1->h[l - 1] + i0, n1, j->t2->h[l - 1] + j0, n2,
                           1.0, cp[l], ps);
        }
        for (size_t l = 1; l + 1 < L; l++) {
            const double *d1 = j->t1->delta[l] + R, *d2 = j->t2->delta[l] + C;
            size_t k = j->net->widths[l];
            if (diag) {
                cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, (int)pr, (int)k, 1.0, d1, (int)nq1, 0.0, tp[l],
                            (int)pr);
                if (ncq > pr) ck_linalg_gemm(0, 1, pr, ncq - pr, k, 1.0, d1, nq1, d2 + pr, nq2, 0.0, tp[l] + pr * pr, pr);
            } else {
                ck_linalg_gemm(0, 1, pr, ncq, k, 1.0, d1, nq1, d2, nq2, 0.0, tp[l], pr);
            }
        }
        if (L >= 2 && j->pairs) {
            ck_ntk_pairs_task(j->pairs, i0, ps, j0, nc, diag, j->cmax, j->ps, pb, w);
        } else if (L >= 2) {
            /* For each q' one product [V1_0 … V1_{q'}] V2_{q'}ᵀ ((q'+1)·ps × nc): V1 is ordered by output within
             * each panel and V2 by output over all of X2, so both operands are contiguous row blocks. Block q' of
             * pb then holds P_{qq'}[i, j] for q <= q' at row q·ps + (i − i0), column j − j0. Ordered so, the 55
             * products of Q = 10 take 0.62 of the time of the 100 of one full product (measured at ps = 44,
             * nc = 88…132, M = 1024); one product per q (short side ps) gained nothing. */
            size_t M = j->net->widths[L - 1];
            for (size_t qq = 0; qq < Q; qq++)
                ck_linalg_gemm(1, 0, (qq + 1) * ps, nc, M, 1.0, j->v1 + R * M, M, j->v2 + (qq * n2 + j0) * M, M, 0.0,
                               pb + ck_pair_offset(qq, j->ps, j->cmax), (qq + 1) * ps);
        }
        ck_ntk_block blk = {.L = L, .Q = Q, .ps = ps, .pr = pr, .nc = nc, .R = R, .C = C, .pair_ps = j->ps,
                            .pair_cmax = j->cmax, .ldg = j->ldg, .diag = diag, .sym = j->sym, .cp = cp, .tp = tp,
                            .ce = ce, .pb = pb, .pe = pe, .g = j->g};
        ck_ntk_epilogue(&blk);
    }
}

/* Samples per row panel: about 256 rows of G (448 once QN1 > 1536); per column chunk, twice that, and a
 * remainder of up to three times that stays one chunk, so that no task is a sliver. Measured on 2 cores for
 * QN = 1280 and 2560: smaller blocks leave the per-task BLAS call short of its rate, larger ones unbalance the
 * threads. */
static size_t ck_ntk_panel_samples(size_t Q, size_t n1) {
    size_t rows = n1 * Q > 1536 ? 448 : 256;
    size_t ps = rows / Q;
    if (ps == 0) ps = 1;
    if (ps >= 8) ps = (ps + 4) / 8 * 8; /* whole groups of 8 samples for the pair kernel (ntk_pairs.c) */
    return ps > n1 ? n1 : ps;
}

/* Column chunks of 2P samples; the last chunk of a panel takes the remainder when it is at most 3P, the most any
 * chunk holds. */
static size_t ck_ntk_chunk_max(size_t ps) { return 3 * ps; }
static size_t ck_ntk_chunk_samples(size_t ps, size_t remaining) {
    return remaining <= ck_ntk_chunk_max(ps) ? remaining : 2 * ps;
}

/* Tasks (panel, column chunk) of the upper triangle (sym) or of the whole matrix; fills the lists if non-NULL. */
static size_t ck_ntk_tasks(size_t n1, size_t n2, size_t ps, int sym, size_t *ti, size_t *tj, size_t *tn) {
    size_t count = 0;
    for (size_t i0 = 0; i0 < n1; i0 += ps)
        for (size_t j0 = sym ? i0 : 0, nc; j0 < n2; j0 += nc) {
            nc = ck_ntk_chunk_samples(ps, n2 - j0);
            if (ti) {
                ti[count] = i0;
                tj[count] = j0;
                tn[count] = nc;
            }
            count++;
        }
    return count;
}

/* How ck_ntk_from_tapes splits the work, and what it allocates: the workspace query and the computation share it. */
typedef struct {
    size_t ps, cmax, tasks, per_thread; /* per_thread: doubles of one thread's task buffers */
    size_t shared; /* doubles shared by all tasks: V1 and V2, or the pair kernel's operands */
    int nt, pair_kernel;
} ck_ntk_plan;

static ck_ntk_plan ck_ntk_plan_for(const ck_mlp *net, size_t n1, size_t n2, int sym, int nthreads) {
    size_t L = net->nlayers, Q = net->widths[L], M = L >= 2 ? net->widths[L - 1] : 0;
    ck_ntk_plan p;
    p.ps = ck_ntk_panel_samples(Q, n1);
    p.cmax = ck_ntk_chunk_max(p.ps);
    p.tasks = ck_ntk_tasks(n1, n2, p.ps, sym, NULL, NULL, NULL);
    p.nt = ck_parallel_threads_for(p.tasks, 1, nthreads);
    p.per_thread = L * p.ps * p.cmax + L * p.ps * Q; /* Cp^l, and the epilogue's E^l (l < L) and p */
    p.pair_kernel = L >= 2 && ck_ntk_pairs_usable(Q, p.ps, n1);
    p.shared = 0;
    if (L >= 2) { /* T^l for l < L-1 and the pairs of l = L-1 */
        p.per_thread += (L - 2) * p.ps * Q * p.cmax * Q + Q * (Q + 1) / 2 * p.ps * p.cmax;
        if (p.pair_kernel) {
            p.per_thread += ck_ntk_pairs_thread_doubles(Q, p.ps);
            p.shared = ck_ntk_pairs_shared_doubles(M, Q, n1, sym ? 0 : n2);
        } else {
            p.shared = (n1 + n2) * Q * M;
        }
    }
    return p;
}

/* V = δ^{L-1} with the rows of each panel of ps samples ordered by output, stored row by row (row-major, M_{L-1}
 * doubles per row, so that the pair products read both operands along k): panel b (samples [b·ps, b·ps + sb))
 * keeps its rows [b·ps·Q, (b·ps + sb)·Q) but holds row (i, q) at b·ps·Q + q·sb + (i − b·ps), computed as the
 * tape computes δ^{L-1}_{(iq),r} = (a_L σ'(z^{L-1}_{ir})) W_L[q,r] (so the values are the same to the bit) but
 * written from σ' and W_L, which are small, instead of permuting δ^{L-1}. With ps = n the whole matrix is
 * ordered by output. */
typedef struct {
    const ck_tape *t;
    double *v;
    size_t ps;
} ck_by_output_job;

static void ck_by_output_body(size_t b, size_t e, void *ctx) {
    const ck_by_output_job *j = ctx;
    const ck_tape *t = j->t;
    size_t n = t->n, Q = t->Q, M = t->w[t->L - 1];
    double a = t->a[t->L - 1], s[256];
    for (size_t i = b; i < e; i++) {
        const double *ds = t->dsig[t->L - 1] + i;
        size_t i0 = i / j->ps * j->ps, sb = i0 + j->ps <= n ? j->ps : n - i0;
        double *vi = j->v + (i0 * Q + (i - i0)) * M; /* row (i, q = 0); row (i, q) is sb rows further per q */
        for (size_t r0 = 0; r0 < M; r0 += 256) {
            size_t rn = r0 + 256 <= M ? 256 : M - r0;
            for (size_t r = 0; r < rn; r++) s[r] = a * ds[(r0 + r) * n];
            for (size_t q = 0; q < Q; q++) {
                const double *wq = t->wlast + q * M + r0;
                double *dst = vi + q * sb * M + r0;
                for (size_t r = 0; r < rn; r++) dst[r] = s[r] * wq[r];
            }
        }
    }
}

static void ck_ntk_by_output(const ck_tape *t, size_t ps, double *v, int nthreads) {
    ck_by_output_job job = {t, v, ps};
    ck_parallel_for(t->n, 8, nthreads, ck_by_output_body, &job);
}

size_t ck_gram_mlp_ntk_workspace(const ck_mlp *net, size_t n1, size_t n2) {
    if (ck_mlp_check(net) != CK_OK) return 0;
    ck_ntk_plan p = ck_ntk_plan_for(net, n1, n2 ? n2 : n1, n2 == 0, 0);
    size_t total = ck_tape_doubles(net, n1, 1) + (n2 ? ck_tape_doubles(net, n2, 1) : 0) + p.shared;
    size_t lists = (3 * p.tasks * sizeof(size_t) + sizeof(double) - 1) / sizeof(double);
    return total + (size_t)p.nt * p.per_thread + lists;
}

/* G from recorded tapes (t2 == NULL: symmetric, G = Θ(X1, X1)). */
int ck_ntk_from_tapes(const ck_mlp *net, const ck_tape *t1, const ck_tape *t2, double *g, size_t ldg, int nthreads) {
    int sym = t2 == NULL;
    size_t L = net->nlayers, Q = net->widths[L], n1 = t1->n, n2 = sym ? n1 : t2->n;
    if (g == NULL) return CK_EARG;
    if (!ck_valid_operand(n1 * Q, n2 * Q, ldg)) return CK_EDIM;
    ck_ntk_plan p = ck_ntk_plan_for(net, n1, n2, sym, nthreads);
    double *work = ck_scratch_alloc(((size_t)p.nt * p.per_thread + p.shared) * sizeof(double));
    size_t *ti = malloc(3 * p.tasks * sizeof(size_t)), *tj = ti + p.tasks, *tn = tj + p.tasks;
    if (work == NULL || ti == NULL) {
        ck_scratch_free(work);
        free(ti);
        return CK_ENOMEM;
    }
    ck_ntk_tasks(n1, n2, p.ps, sym, ti, tj, tn);
    double *shared = work + (size_t)p.nt * p.per_thread, *v1 = NULL, *v2 = NULL;
    ck_ntk_pair_plan pairs;
    if (p.pair_kernel) {
        ck_ntk_pairs_prepare(t1, t2, shared, &pairs);
    } else if (L >= 2) {
        v1 = shared;
        v2 = v1 + n1 * Q * net->widths[L - 1];
        ck_ntk_by_output(t1, p.ps, v1, nthreads);
        ck_ntk_by_output(sym ? t1 : t2, n2, v2, nthreads); /* one panel: ordered by output over all of X2 */
    }
    ck_advise_huge_pages(g, ldg * n2 * Q * sizeof(double));
    ck_ntk_job job = {.t1 = t1, .t2 = sym ? t1 : t2, .net = net, .L = L, .Q = Q, .n1 = n1, .n2 = n2, .ps = p.ps,
                      .cmax = p.cmax, .sym = sym, .task_i0 = ti, .task_j0 = tj, .task_nc = tn, .v1 = v1, .v2 = v2,
                      .pairs = p.pair_kernel ? &pairs : NULL,
                      .work = work, .work_per_thread = p.per_thread, .g = g, .ldg = ldg};
    ck_parallel_tasks(p.tasks, 1, p.nt, 1, ck_ntk_task, &job);
    free(ti);
    ck_scratch_free(work);
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
