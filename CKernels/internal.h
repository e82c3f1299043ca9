/* internal.h — declarations shared between the C files, never seen by Swift. */
#ifndef CK_INTERNAL_H
#define CK_INTERNAL_H
#include <limits.h>
#include <stddef.h>
#include "ckernels.h"

/* Default thread count of a parallel region (OpenMP max threads). */
int ck_parallel_default_threads(void);

/* Threads ck_parallel_tasks will use for n items in chunks of grain (>= 1): size per-thread workspace. */
int ck_parallel_threads_for(size_t n, size_t grain, int nthreads);

/* Dynamic scheduling over [0, n) in chunks of grain; body(begin, end, tid, ctx) with tid < threads.
 * blas_inside = 1: BLAS runs single-threaded during the region (each thread calls its own serial BLAS),
 * restored afterwards (guarded for concurrent callers). */
typedef void (*ck_task_body)(size_t begin, size_t end, int tid, void *ctx);
int ck_parallel_tasks(size_t n, size_t grain, int nthreads, int blas_inside, ck_task_body body, void *ctx);

/* BLAS single-threaded between enter and leave (nested and concurrent callers counted; the user's setting is
 * restored when the last one leaves). Other BLAS calls made meanwhile run single-threaded: slower, never wrong. */
void ck_blas_serial_enter(void);
void ck_blas_serial_leave(void);

/* Asks the kernel for transparent huge pages on the 2 MiB-aligned interior of a large output buffer that is
 * about to be written for the first time (as NumPy does for large arrays): one fault per 2 MiB instead of per
 * 4 KiB. A hint only; ignored where unsupported. */
void ck_advise_huge_pages(void *p, size_t bytes);

/* Large work blocks (scratch.c): like malloc + ck_advise_huge_pages, but once ck_scratch_enable() has run, blocks of
 * 32 MiB and more are kept on ck_scratch_free and reused by the next request they can hold. Thread-safe. */
void *ck_scratch_alloc(size_t bytes);
void ck_scratch_free(void *p);
void ck_scratch_enable(void);

/* grid_kernel.c: out_k = log Σ_l exp(w_l − C_kl/ε)·c_axis(k, l), where c_1(k, l) = ½(x1[i] − x1[i'])² and
 * c_2(k, l) = ½(x2[j] − x2[j'])² (axis 1 or 2), or the plain kernel application (axis 0); same exactness. */
int ck_grid_kernel_log_apply_weighted(ck_grid_kernel *k, int axis, const double *w, double *out);

/* Largest dimension BLAS/LAPACK (32-bit integers) accept. */
#define CK_MAX_DIM ((size_t)INT_MAX)

/* 1 if m×n with leading dimension ld is a valid column-major operand for BLAS. */
static inline int ck_valid_operand(size_t m, size_t n, size_t ld) {
    return m <= CK_MAX_DIM && n <= CK_MAX_DIM && ld <= CK_MAX_DIM && ld >= (m > 0 ? m : 1);
}

/* The per-layer quantities of one MLP pass over n samples (mlp_tape.c).
 *   h[l]     n×M_l, l = 0..L-1: layer inputs (h[0] = X copied contiguous), post-activation;
 *   out      n×Q: the network output z^L;
 *   dsig[l]  n×M_l, l = 1..L-1: σ'(z^l);
 *   delta[l] (nQ)×M_l, l = 1..L-1: δ^l_{(iq),r} = ∂f_q(x_i)/∂z^l_r, row i·Q+q (δ^L is the identity);
 *   wlast    Q×M_{L-1}, row-major as in θ: W_L, kept with the sensitivities (L >= 2), so that δ^{L-1} =
 *            a_L W_L[q,·] ∘ σ'(z^{L-1}_i) can be laid out again from dsig[L-1] without θ.
 * All matrices column-major with leading dimension = rows. */
typedef struct {
    size_t n, L, Q;
    const size_t *w;
    double a[64], c[64]; /* forward scales per layer (index l-1) */
    double *h[64];
    double *dsig[64];
    double *delta[64];
    double *wlast;
    double *out;
    double *block; /* single allocation backing all of the above */
} ck_tape;

enum { CK_MAX_LAYERS = 63 };

/* Validates the description (widths > 0, 1 <= L <= CK_MAX_LAYERS, activation known). */
int ck_mlp_check(const ck_mlp *net);

/* Offset of W_l in θ (l = 1..L); b_l follows W_l. */
size_t ck_mlp_weight_offset(const ck_mlp *net, size_t l);

/* Doubles a tape holds (with_delta: also sensitivities). */
size_t ck_tape_doubles(const ck_mlp *net, size_t n, int with_delta);

/* Forward pass (and sensitivities if with_delta) into a new tape; free with ck_tape_free. */
int ck_tape_record(const ck_mlp *net, const double *theta, const double *x, size_t ldx, size_t n, int with_delta,
                   int nthreads, ck_tape *t);
void ck_tape_free(ck_tape *t);

/* Offset of block q' in an NTK task's pair buffer: block q' holds at most (q'+1)·ps × cmax doubles (gram.c). */
static inline size_t ck_pair_offset(size_t qq, size_t ps, size_t cmax) { return ps * cmax * (qq * (qq + 1) / 2); }

/* One NTK task's products, for its fused pass (ntk_epilogue.c): rows [R, R + pr) = samples of a row panel (ps of
 * them, pr = ps·Q), columns [C, C + nc·Q) = a chunk of nc samples. cp[l] (l = 1..L): ps × nc coefficients Cp^l;
 * tp[l] (l < L-1): pr × nc·Q products T^l (upper part only where diag); pb: the output pairs, block q' at
 * ck_pair_offset(q', pair_ps, pair_cmax) holding rows q·ps + il (q <= q'), column js; ce[l] (l = 1..L-1) and
 * pe: pr doubles each of scratch. diag: the chunk starts with the panel's diagonal block (only its upper
 * triangle is written); sym: also write the mirror image below the diagonal. */
typedef struct {
    size_t L, Q, ps, pr, nc, R, C, pair_ps, pair_cmax, ldg;
    int diag, sym;
    double *const *cp, *const *tp, *const *ce;
    const double *pb;
    double *pe, *g;
} ck_ntk_block;
void ck_ntk_epilogue(const ck_ntk_block *b);

/* The NTK from recorded tapes (t2 == NULL: symmetric) and JVP/VJP blocks from a recorded tape (gram.c, mlp.c). */
int ck_ntk_from_tapes(const ck_mlp *net, const ck_tape *t1, const ck_tape *t2, double *g, size_t ldg, int nthreads);
int ck_block_from_tape(int jvp, const ck_mlp *net, const ck_tape *t, const double *in, size_t ldin, size_t nb, double *out,
                       size_t ldout, int nthreads);

/* The output pairs of the last hidden layer in one NTK task by the register-tiled AVX-512 kernel (ntk_pairs.c):
 * usable on CPUs with AVX-512, for Q >= 4 and row panels of whole groups of 8 samples (ps % 8 == 0, or one
 * panel); otherwise gram.c uses Q BLAS products. Shared doubles (n2 = 0 when symmetric): σ' of X1 (and X2) in
 * groups of 8 samples and the pair table; per thread: the accumulators. ck_ntk_pairs_prepare takes t2 = NULL
 * when symmetric; ck_ntk_pairs_task writes P_{qq'} in the layout of ck_ntk_block.pb. */
typedef struct {
    size_t M, Q, P, nch;         /* hidden width M_{L-1}, outputs, pairs Q(Q+1)/2, chunks of 8 pairs */
    const double *sp1, *sp2, *pi; /* σ'(z^{L-1}) of X1, X2 by groups of 8 samples; the pair table by chunks */
} ck_ntk_pair_plan;
int ck_ntk_pairs_usable(size_t Q, size_t ps, size_t n1);
size_t ck_ntk_pairs_shared_doubles(size_t M, size_t Q, size_t n1, size_t n2);
size_t ck_ntk_pairs_thread_doubles(size_t Q, size_t ps);
void ck_ntk_pairs_prepare(const ck_tape *t1, const ck_tape *t2, double *shared, ck_ntk_pair_plan *p);
void ck_ntk_pairs_task(const ck_ntk_pair_plan *p, size_t i0, size_t ps, size_t j0, size_t nc, int diag,
                       size_t pair_cmax, size_t pair_ps, double *pb, double *acc);

#endif
