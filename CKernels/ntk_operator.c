/* ntk_operator.c — the empirical NTK G = D Dᵀ of an MLP as a matrix-free operator (MATH.md §1).
 *
 * G V = D (Dᵀ V) for a block V (QN×b), never forming G (QN×QN) nor D (QN×K). The operator records the forward
 * pass once — activations h^ℓ and σ'(z^ℓ), N·ΣM_ℓ doubles — and then applies, chunk of samples by chunk:
 *
 *   pullback  Dᵀu:  E^L_i = u_i (the Q outputs of sample i),  E^ℓ = a_{ℓ+1} σ'(z^ℓ) ∘ (E^{ℓ+1} W_{ℓ+1}),
 *                   ∇W_ℓ = a_ℓ E^ℓᵀ H^{ℓ−1},  ∇b_ℓ = c_ℓ Σ_i E^ℓ_i                      (reverse mode)
 *   pushforward Dv: T^0 = 0,  U^ℓ = a_ℓ (H^{ℓ−1} V_ℓᵀ + T^{ℓ−1} W_ℓᵀ) + c_ℓ 1 v_{b_ℓ}ᵀ,  T^ℓ = σ'(z^ℓ) ∘ U^ℓ,
 *                   (Dv)_{(iq)} = U^L_{iq}                                              (forward mode)
 *
 * Each is two GEMMs of every layer per vector. With the sensitivities δ^ℓ_{(iq),·} = ∂f_q(x_i)/∂z^ℓ kept for the
 * layers ℓ <= L−2 (N·Q·M_ℓ doubles each), the chain through those layers is replaced by contractions with δ:
 * E^ℓ_{i,r} = Σ_q u_{iq} δ^ℓ_{(iq),r} and (Dv)_{(iq)} += Σ_r δ^ℓ_{(iq),r} (a_ℓ H^{ℓ−1}V_ℓᵀ + c_ℓ v_{b_ℓ})_{i,r}:
 * one GEMM per layer and vector instead of two (the last hidden layer never needs δ: δ^{L−1} = a_L W_L ∘ σ',
 * applied through W_L, which has only Q rows). The caller chooses by memory (ck_ntk_op_doubles).
 *
 * Work runs over chunks of samples on the OpenMP threads, each with serial BLAS and its own c×max(M) buffers;
 * the pullback sums per-thread K×b partial gradients at the end. Memory: the record plus O(threads·(K·b + c·M)).
 *
 * Kept δ^ℓ is stored chunk by chunk, and within a chunk of c samples as (r, q, i): element δ^ℓ_{(i0+i)q, r} at
 * delta[ℓ][i0·Q·M_ℓ + (r·Q + q)·c + i]. Both contractions then stream δ once, contiguously, with the sample
 * index innermost, where they vectorise (with the sample-major layout of 'ntk' the inner loop ran over the Q
 * outputs and took 30% of a product on the 16-512-512-10 network). Chunks start at multiples of the chunk size
 * (ck_parallel_tasks hands out whole grains), so every chunk but the last is full.
 *
 * The per-call buffers (threads × three chunk×max(M) blocks, the per-thread partial gradients, the K×b middle
 * vector) are kept in the operator and reused by the next call, under a lock that a concurrent caller does not
 * wait for (it allocates its own): fresh pages cost a page fault and zeroing each on these machines.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ckernels.h"
#include "internal.h"
#include "ntk_operator_internal.h"

/* A buffer of `doubles` doubles: the operator's cached one if no other call holds it, else a fresh one. */
double *ck_op_buffer(const ck_ntk_op *cop, size_t doubles, int *cached) {
    ck_ntk_op *op = (ck_ntk_op *)cop; /* the cache is internal state, guarded by its lock */
    *cached = 0;
    if (pthread_mutex_trylock(&op->cache_lock) == 0) {
        if (op->cache_doubles < doubles) {
            free(op->cache);
            op->cache = malloc(doubles * sizeof(double));
            op->cache_doubles = op->cache ? doubles : 0;
        }
        if (op->cache != NULL) {
            *cached = 1;
            return op->cache;
        }
        pthread_mutex_unlock(&op->cache_lock);
    }
    return malloc(doubles * sizeof(double));
}

void ck_op_buffer_release(const ck_ntk_op *cop, double *p, int cached) {
    if (cached) pthread_mutex_unlock(&((ck_ntk_op *)cop)->cache_lock);
    else free(p);
}

size_t ck_ntk_op_doubles(const ck_mlp *net, size_t n, int keep_sensitivities) {
    if (ck_mlp_check(net) != CK_OK) return 0;
    size_t L = net->nlayers, Q = net->widths[L], K = ck_mlp_parameter_count(net);
    size_t total = ck_tape_doubles(net, n, 0), mmax = Q;
    for (size_t l = 0; l <= L; l++) mmax = net->widths[l] > mmax ? net->widths[l] : mmax;
    if (keep_sensitivities == CK_NTK_KEEP_DOUBLE)
        for (size_t l = 1; l + 2 <= L; l++) total += n * Q * net->widths[l];
    /* θ, the K-vector between the two products, and per thread: one K-vector of partial gradients and three
     * chunk×max(M) buffers (one direction at a time, as an eigensolver applies it). */
    int nt = ck_parallel_default_threads();
    total += 2 * K + (size_t)nt * (K + 3 * (size_t)CK_NTK_OP_CHUNK * mmax);
    return total;
}

/* δ^ℓ for ℓ <= stored over samples [b, e): δ^{L−1} = a_L W_L[q,·] ∘ σ'^{L−1}_i into a chunk buffer, then
 * δ^{ℓ−1} = a_ℓ (δ^ℓ W_ℓ) ∘ σ'^{ℓ−1} down to layer 1 (as mlp_tape.c), stored with leading dimension N·Q. */
typedef struct {
    ck_ntk_op *op;
    double *work;          /* per thread: two chunk·Q×mmax buffers */
    float *const *fdelta;  /* NULL: store into op->delta (double); else into these float blocks, same layout */
} ck_delta_job;

static void ck_delta_task(size_t b, size_t e, int tid, void *ctx) {
    const ck_delta_job *j = ctx;
    ck_ntk_op *op = j->op;
    const ck_tape *t = &op->tape;
    size_t n = op->n, Q = op->Q, L = op->net.nlayers, per = op->chunk * Q * op->mmax;
    double *buf = j->work + (size_t)tid * 2 * per;
    for (size_t i0 = b; i0 < e; i0 += op->chunk) {
        size_t i1 = i0 + op->chunk < e ? i0 + op->chunk : e, c = i1 - i0, cq = c * Q;
        size_t M = op->widths[L - 1];
        const double *wl = op->theta + ck_mlp_weight_offset(&op->net, L);
        double *cur = buf; /* cq × M, ld cq */
        for (size_t r = 0; r < M; r++) {
            const double *dsr = t->dsig[L - 1] + r * n + i0;
            for (size_t ii = 0; ii < c; ii++) {
                double s = t->a[L - 1] * dsr[ii];
                for (size_t q = 0; q < Q; q++) cur[r * cq + ii * Q + q] = s * wl[q * M + r];
            }
        }
        for (size_t l = L - 1; l >= 2; l--) {
            size_t mi = op->widths[l - 1];
            const double *wt = op->theta + ck_mlp_weight_offset(&op->net, l);
            double *dst = cur == buf ? buf + per : buf;
            size_t boff = i0 * Q * mi; /* block of δ^{ℓ−1} (ℓ − 1 <= stored); layout (r, q, i) */
            ck_linalg_gemm(0, 1, cq, mi, op->widths[l], t->a[l - 1], cur, cq, wt, mi, 0.0, dst, cq);
            for (size_t r = 0; r < mi; r++) {
                double *col = dst + r * cq;
                const double *dsr = t->dsig[l - 1] + r * n + i0;
                for (size_t ii = 0; ii < c; ii++)
                    for (size_t q = 0; q < Q; q++) col[ii * Q + q] *= dsr[ii];
                if (j->fdelta != NULL) {
                    float *out = j->fdelta[l - 1] + boff + r * cq;
                    for (size_t ii = 0; ii < c; ii++)
                        for (size_t q = 0; q < Q; q++) out[q * c + ii] = (float)col[ii * Q + q];
                } else {
                    double *out = op->delta[l - 1] + boff + r * cq;
                    for (size_t ii = 0; ii < c; ii++)
                        for (size_t q = 0; q < Q; q++) out[q * c + ii] = col[ii * Q + q];
                }
            }
            cur = dst;
        }
    }
}

int ck_ntk_op_sensitivities(ck_ntk_op *op, float *const *fdelta, int nthreads) {
    int nt = ck_parallel_threads_for(op->n, op->chunk, nthreads);
    double *work = malloc((size_t)nt * 2 * op->chunk * op->Q * op->mmax * sizeof(double));
    if (work == NULL) return CK_ENOMEM;
    ck_delta_job job = {op, work, fdelta};
    ck_parallel_tasks(op->n, op->chunk, nt, 1, ck_delta_task, &job);
    free(work);
    return CK_OK;
}

ck_ntk_op *ck_ntk_op_create(const ck_mlp *net, const double *theta, const double *x, size_t ldx, size_t n,
                            int keep_sensitivities, int nthreads, int *status) {
    ck_runtime_ensure_fast_blas();
    int st = ck_mlp_check(net);
    if (st == CK_OK && (theta == NULL || x == NULL)) st = CK_EARG;
    if (st == CK_OK && (keep_sensitivities < CK_NTK_KEEP_NONE || keep_sensitivities > CK_NTK_KEEP_SINGLE)) st = CK_EARG;
    ck_ntk_op *op = st == CK_OK ? calloc(1, sizeof *op) : NULL;
    if (st == CK_OK && op == NULL) st = CK_ENOMEM;
    if (st != CK_OK) {
        if (status) *status = st;
        return NULL;
    }
    size_t L = net->nlayers;
    memcpy(op->widths, net->widths, (L + 1) * sizeof(size_t));
    for (size_t l = 0; l < L; l++) {
        op->wscale[l] = net->wscale ? net->wscale[l] : 1.0;
        op->bscale[l] = net->bscale ? net->bscale[l] : 1.0;
    }
    op->net = (ck_mlp){op->widths, L, net->activation, op->wscale, op->bscale};
    op->n = n;
    op->Q = op->widths[L];
    op->K = ck_mlp_parameter_count(&op->net);
    op->chunk = CK_NTK_OP_CHUNK;
    op->mmax = 0;
    for (size_t l = 0; l <= L; l++) op->mmax = op->widths[l] > op->mmax ? op->widths[l] : op->mmax;
    op->stored = keep_sensitivities == CK_NTK_KEEP_DOUBLE && L >= 3 ? L - 2 : 0;
    pthread_mutex_init(&op->cache_lock, NULL);
    op->theta = malloc(op->K * sizeof(double));
    if (op->theta == NULL) st = CK_ENOMEM;
    if (st == CK_OK) {
        memcpy(op->theta, theta, op->K * sizeof(double));
        st = ck_tape_record(&op->net, op->theta, x, ldx, n, 0, nthreads, &op->tape);
        if (st != CK_OK) op->tape.block = NULL;
    }
    if (st == CK_OK && op->stored > 0) {
        size_t total = 0;
        for (size_t l = 1; l <= op->stored; l++) total += n * op->Q * op->widths[l];
        op->dblock = total <= SIZE_MAX / sizeof(double) ? ck_scratch_alloc(total * sizeof(double)) : NULL;
        if (op->dblock == NULL) st = CK_ENOMEM;
        double *p = op->dblock;
        for (size_t l = 1; st == CK_OK && l <= op->stored; l++) {
            op->delta[l] = p;
            p += n * op->Q * op->widths[l];
        }
        if (st == CK_OK) st = ck_ntk_op_sensitivities(op, NULL, nthreads);
    }
    if (st == CK_OK && keep_sensitivities == CK_NTK_KEEP_SINGLE) {
        op->single_keep = L >= 3 ? L - 2 : 0;
        st = ck_ntk_op_make_single(op, nthreads);
    }
    if (st != CK_OK) {
        ck_ntk_op_free(op);
        op = NULL;
    }
    if (status) *status = st;
    return op;
}

void ck_ntk_op_free(ck_ntk_op *op) {
    if (op == NULL) return;
    if (op->tape.block) ck_tape_free(&op->tape);
    ck_scratch_free(op->dblock);
    ck_scratch_free(op->sblock);
    free(op->cache);
    pthread_mutex_destroy(&op->cache_lock);
    free(op->theta);
    free(op);
}

size_t ck_ntk_op_samples(const ck_ntk_op *op) { return op ? op->n : 0; }
size_t ck_ntk_op_kept_sensitivity_layers(const ck_ntk_op *op) { return op ? op->stored : 0; }

int ck_ntk_op_outputs(const ck_ntk_op *op, double *out, size_t ldout) {
    if (op == NULL || out == NULL) return CK_EARG;
    if (!ck_valid_operand(op->n, op->Q, ldout)) return CK_EDIM;
    for (size_t q = 0; q < op->Q; q++) memcpy(out + q * ldout, op->tape.out + q * op->n, op->n * sizeof(double));
    return CK_OK;
}

/* ---- the two products, over chunks of samples ---------------------------------------------------------- */

typedef struct {
    const ck_ntk_op *op;
    const double *in;
    size_t ldin, nb;
    double *out;   /* pushforward: QN×nb (ldout); pullback: per-thread K×nb partial sums (ld K) */
    size_t ldout;
    double *work;  /* per thread: three chunk×mmax buffers */
} ck_op_job;

/* Rows [i0, i0+c) of U = a_ℓ H^{ℓ−1} V_ℓᵀ + c_ℓ 1 v_bᵀ (c×M_ℓ, ld c) for the direction v. */
static void ck_op_layer_input(const ck_ntk_op *op, size_t l, const double *v, size_t i0, size_t c, double *u) {
    const ck_tape *t = &op->tape;
    size_t mi = op->widths[l - 1], mo = op->widths[l], off = ck_mlp_weight_offset(&op->net, l);
    for (size_t r = 0; r < mo; r++) {
        double bv = t->c[l - 1] * v[off + mi * mo + r];
        for (size_t ii = 0; ii < c; ii++) u[r * c + ii] = bv;
    }
    ck_linalg_gemm(0, 0, c, mo, mi, t->a[l - 1], t->h[l - 1] + i0, op->n, v + off, mi, 1.0, u, c);
}

static void ck_pushforward_task(size_t b, size_t e, int tid, void *ctx) {
    const ck_op_job *j = ctx;
    const ck_ntk_op *op = j->op;
    const ck_tape *t = &op->tape;
    size_t n = op->n, Q = op->Q, L = op->net.nlayers, per = op->chunk * op->mmax;
    double *u = j->work + (size_t)tid * 3 * per, *tan = u + per, *ot = tan + per; /* ot: outputs, c×Q by q */
    ck_ntk_contraction_d expand = ck_ntk_contractions_d(1);
    for (size_t i0 = b; i0 < e; i0 += op->chunk) {
        size_t c = (i0 + op->chunk < e ? i0 + op->chunk : e) - i0;
        for (size_t k = 0; k < j->nb; k++) {
            const double *v = j->in + k * j->ldin;
            double *o = j->out + k * j->ldout + i0 * Q;
            memset(ot, 0, c * Q * sizeof(double));
            for (size_t l = 1; l <= L; l++) {
                size_t mi = op->widths[l - 1], mo = op->widths[l];
                ck_op_layer_input(op, l, v, i0, c, u);
                if (l >= 2 && l - 1 > op->stored) /* the tangent T^{ℓ−1} is carried by the chain */
                    ck_linalg_gemm(0, 0, c, mo, mi, t->a[l - 1], tan, c, op->theta + ck_mlp_weight_offset(&op->net, l),
                                   mi, 1.0, u, c);
                if (l <= op->stored) {
                    const double *blk = op->delta[l] + i0 * Q * mo;
                    for (size_t r = 0; r < mo; r++) expand(c, Q, blk + r * Q * c, u + r * c, ot);
                } else if (l < L) {
                    for (size_t r = 0; r < mo; r++) {
                        const double *ds = t->dsig[l] + r * n + i0;
                        for (size_t ii = 0; ii < c; ii++) tan[r * c + ii] = ds[ii] * u[r * c + ii];
                    }
                } else {
                    for (size_t q = 0; q < Q; q++)
                        for (size_t ii = 0; ii < c; ii++) ot[q * c + ii] += u[q * c + ii];
                }
            }
            for (size_t ii = 0; ii < c; ii++)
                for (size_t q = 0; q < Q; q++) o[ii * Q + q] = ot[q * c + ii];
        }
    }
}

static void ck_pullback_task(size_t b, size_t e, int tid, void *ctx) {
    const ck_op_job *j = ctx;
    const ck_ntk_op *op = j->op;
    const ck_tape *t = &op->tape;
    size_t n = op->n, Q = op->Q, L = op->net.nlayers, K = op->K, per = op->chunk * op->mmax;
    double *cur = j->work + (size_t)tid * 3 * per, *nxt = cur + per, *ut = nxt + per; /* ut: u, c×Q by q */
    ck_ntk_contraction_d contract = ck_ntk_contractions_d(0);
    double *acc = j->out + (size_t)tid * K * j->nb;
    for (size_t i0 = b; i0 < e; i0 += op->chunk) {
        size_t c = (i0 + op->chunk < e ? i0 + op->chunk : e) - i0;
        for (size_t k = 0; k < j->nb; k++) {
            const double *u = j->in + k * j->ldin + i0 * Q;
            double *g = acc + k * K;
            double *ep = cur, *en = nxt;
            for (size_t q = 0; q < Q; q++)
                for (size_t ii = 0; ii < c; ii++) ut[q * c + ii] = u[ii * Q + q];
            memcpy(ep, ut, c * Q * sizeof(double));
            for (size_t l = L; l >= 1; l--) {
                size_t mi = op->widths[l - 1], mo = op->widths[l], off = ck_mlp_weight_offset(&op->net, l);
                if (l < L) { /* E^ℓ from E^{ℓ+1} (chain) or from u and δ^ℓ (kept) */
                    if (l > op->stored) {
                        ck_linalg_gemm(0, 1, c, mo, op->widths[l + 1], t->a[l], ep, c,
                                       op->theta + ck_mlp_weight_offset(&op->net, l + 1), mo, 0.0, en, c);
                        for (size_t r = 0; r < mo; r++) {
                            const double *ds = t->dsig[l] + r * n + i0;
                            for (size_t ii = 0; ii < c; ii++) en[r * c + ii] *= ds[ii];
                        }
                    } else {
                        const double *blk = op->delta[l] + i0 * Q * mo;
                        for (size_t r = 0; r < mo; r++) contract(c, Q, ut, blk + r * Q * c, en + r * c);
                    }
                    double *sw = ep;
                    ep = en;
                    en = sw;
                }
                ck_linalg_gemm(1, 0, mi, mo, c, t->a[l - 1], t->h[l - 1] + i0, n, ep, c, 1.0, g + off, mi);
                for (size_t r = 0; r < mo; r++) {
                    double s = 0;
                    for (size_t ii = 0; ii < c; ii++) s += ep[r * c + ii];
                    g[off + mi * mo + r] += t->c[l - 1] * s;
                }
            }
        }
    }
}

int ck_ntk_op_pushforward(const ck_ntk_op *op, const double *v, size_t ldv, size_t nb, double *out, size_t ldout,
                          int nthreads) {
    if (op == NULL || (nb > 0 && (v == NULL || out == NULL))) return CK_EARG;
    size_t nq = op->n * op->Q;
    if (!ck_valid_operand(op->K, nb, ldv) || !ck_valid_operand(nq, nb, ldout)) return CK_EDIM;
    if (nb == 0) return CK_OK;
    int nt = ck_parallel_threads_for(op->n, op->chunk, nthreads), cached;
    double *work = ck_op_buffer(op, (size_t)nt * 3 * op->chunk * op->mmax, &cached);
    if (work == NULL) return CK_ENOMEM;
    ck_op_job job = {op, v, ldv, nb, out, ldout, work};
    ck_parallel_tasks(op->n, op->chunk, nt, 1, ck_pushforward_task, &job);
    ck_op_buffer_release(op, work, cached);
    return CK_OK;
}

int ck_ntk_op_pullback(const ck_ntk_op *op, const double *u, size_t ldu, size_t nb, double *out, size_t ldout,
                       int nthreads) {
    if (op == NULL || (nb > 0 && (u == NULL || out == NULL))) return CK_EARG;
    size_t nq = op->n * op->Q, K = op->K;
    if (!ck_valid_operand(nq, nb, ldu) || !ck_valid_operand(K, nb, ldout)) return CK_EDIM;
    if (nb == 0) return CK_OK;
    int nt = ck_parallel_threads_for(op->n, op->chunk, nthreads), cached;
    size_t nwork = (size_t)nt * 3 * op->chunk * op->mmax;
    double *work = ck_op_buffer(op, nwork + (size_t)nt * K * nb, &cached);
    if (work == NULL) return CK_ENOMEM;
    double *acc = work + nwork;
    memset(acc, 0, (size_t)nt * K * nb * sizeof(double));
    ck_op_job job = {op, u, ldu, nb, acc, K, work};
    ck_parallel_tasks(op->n, op->chunk, nt, 1, ck_pullback_task, &job);
    for (size_t k = 0; k < nb; k++) {
        double *o = out + k * ldout;
        memcpy(o, acc + k * K, K * sizeof(double));
        for (int tid = 1; tid < nt; tid++) {
            const double *a = acc + ((size_t)tid * nb + k) * K;
            for (size_t p = 0; p < K; p++) o[p] += a[p];
        }
    }
    ck_op_buffer_release(op, work, cached);
    return CK_OK;
}

int ck_ntk_op_apply(const ck_ntk_op *op, const double *v, size_t ldv, size_t nb, double *out, size_t ldout,
                    int nthreads) {
    if (op == NULL) return CK_EARG;
    size_t nq = op->n * op->Q;
    if (!ck_valid_operand(nq, nb, ldv) || !ck_valid_operand(nq, nb, ldout)) return CK_EDIM;
    if (nb == 0) return CK_OK;
    double *mid = malloc(op->K * nb * sizeof(double));
    if (mid == NULL) return CK_ENOMEM;
    int st = ck_ntk_op_pullback(op, v, ldv, nb, mid, op->K, nthreads);
    if (st == CK_OK) st = ck_ntk_op_pushforward(op, mid, op->K, nb, out, ldout, nthreads);
    free(mid);
    return st;
}
