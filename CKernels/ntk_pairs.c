/* ntk_pairs.c — the output pairs of the last hidden layer in one NTK task (gram.c), by a register-tiled kernel.
 *
 * With M = M_{L-1}, s_i = σ'(z^{L-1}_i) and the pair table Π[r, (q,q')] = a_L² W_L[q,r] W_L[q',r] (q <= q'),
 *   P_{qq'}[i, j] = Σ_r s_{ir} s_{jr} Π[r, (q,q')]                                     (gram.c, S^{L-1})
 * For one sample j of the column chunk, P[·, j] for all pairs at once is the product (panel's σ' ∘ s_j, ps × M)
 * · Π: the expansion by outputs stays in the small table Π (M × Q(Q+1)/2, built once per call), and neither
 * operand has Q times the rows of σ'. The product runs in an AVX-512 kernel that holds 24 samples × 8 pairs in
 * 24 registers (per r: 3 loads, 8 broadcasts, 24 FMAs) over blocks of 128 r; each block of the panel's σ' is
 * scaled by s_j once into an L1 buffer and used for every chunk of 8 pairs. Measured on the Xeon of BENCHMARKS.md
 * (16-1024-1024-10, N = 256, 2 threads, per thread): the pairs take 32–38 ms, against 55–62 ms for the Q BLAS
 * products per task on δ^{L-1} ordered by output that it replaces, which also needed a 3–5 ms reordering pass.
 * Those products stay in gram.c for CPUs without AVX-512 and for shapes this kernel does not serve
 * (ck_ntk_pairs_usable). Scaling σ' inside the kernel (3 more multiplies per 24 FMAs) took 38–48 ms; building
 * diag(s_j)·Π per j in memory took 15 ms per thread in the scaling alone.
 *
 * Layout (ck_ntk_pair_plan): σ' of X1 and X2 in groups of 8 samples (group g: M rows of 8, zero past n), so that
 * s_j[r] sits at stride 8; Π in chunks of 8 pairs (chunk c: M rows of w_c doubles, w_c = 8 but for the last).
 * Pairs are numbered q'(q'+1)/2 + q.
 */
#include <stddef.h>
#include <string.h>

#include "ckernels.h"
#include "internal.h"

enum { CK_PAIR_KC = 128 };

int ck_ntk_pairs_usable(size_t Q, size_t ps, size_t n1) {
#if defined(__x86_64__)
    return ck_vmath_level() == 2 && Q >= 4 && (ps % 8 == 0 || ps >= n1);
#else
    (void)Q, (void)ps, (void)n1;
    return 0;
#endif
}

static size_t ck_pair_chunks(size_t Q) { return (Q * (Q + 1) / 2 + 7) / 8; }

/* Pairs in chunk c of the table: 8, but for the last chunk. */
static size_t ck_pair_chunk_width(const ck_ntk_pair_plan *p, size_t c) { return c + 1 < p->nch ? 8 : p->P - 8 * c; }

size_t ck_ntk_pairs_shared_doubles(size_t M, size_t Q, size_t n1, size_t n2) {
    return ((n1 + 7) / 8 + (n2 + 7) / 8) * 8 * M + ck_pair_chunks(Q) * 8 * M;
}

size_t ck_ntk_pairs_thread_doubles(size_t Q, size_t ps) { return (ps + 7) / 8 * ck_pair_chunks(Q) * 64; }

/* σ'(z^{L-1}) of a tape in groups of 8 samples: group g at dst + g·8M, row r holding samples 8g … 8g+7. */
static void ck_pair_pack(const ck_tape *t, double *dst) {
    size_t n = t->n, M = t->w[t->L - 1];
    const double *ds = t->dsig[t->L - 1];
    for (size_t g = 0; g * 8 < n; g++) {
        double *d = dst + g * 8 * M;
        size_t cnt = n - g * 8 < 8 ? n - g * 8 : 8;
        for (size_t r = 0; r < M; r++)
            for (size_t k = 0; k < 8; k++) d[r * 8 + k] = k < cnt ? ds[r * n + g * 8 + k] : 0.0;
    }
}

void ck_ntk_pairs_prepare(const ck_tape *t1, const ck_tape *t2, double *shared, ck_ntk_pair_plan *p) {
    size_t Q = t1->Q, M = t1->w[t1->L - 1];
    double a2 = t1->a[t1->L - 1] * t1->a[t1->L - 1];
    double *sp1 = shared, *sp2 = sp1 + (t1->n + 7) / 8 * 8 * M, *pi = t2 ? sp2 + (t2->n + 7) / 8 * 8 * M : sp2;
    p->M = M;
    p->Q = Q;
    p->P = Q * (Q + 1) / 2;
    p->nch = ck_pair_chunks(Q);
    ck_pair_pack(t1, sp1);
    if (t2) ck_pair_pack(t2, sp2);
    p->sp1 = sp1;
    p->sp2 = t2 ? sp2 : sp1;
    p->pi = pi;
    for (size_t hi = 0, pair = 0; hi < Q; hi++)
        for (size_t lo = 0; lo <= hi; lo++, pair++) {
            size_t c = pair / 8, k = pair % 8, w = ck_pair_chunk_width(p, c);
            const double *wl = t1->wlast + lo * M, *wh = t1->wlast + hi * M;
            double *col = pi + c * 8 * M + k;
            for (size_t r = 0; r < M; r++) col[r * w] = a2 * wl[r] * wh[r];
        }
}

#if defined(__x86_64__)
#include <immintrin.h>

/* acc[v][c] (+)= Σ_{r < kc} a_v[r] s[8r] b[r, c] for groups v < IV of 8 samples (a_v at a + v·gs, 8 doubles per r),
 * the sensitivities s_j of one sample j (s[8r]) and pairs c < W (b: kc rows of W); acc kept at out + v·os + 8c
 * between row blocks (first: start from zero). */
#define CK_PAIR_KERNEL(IV, W)                                                                                    \
    __attribute__((target("avx512f"))) static void ck_pair_kernel_##IV##_##W(                                 \
        size_t kc, const double *a, size_t gs, const double *b, double *out, size_t os, int first) {           \
        __m512d acc[IV][W];                                                                                    \
        _Pragma("clang loop unroll(full)") for (int v = 0; v < IV; v++)                                        \
            _Pragma("clang loop unroll(full)") for (int c = 0; c < W; c++) acc[v][c] =                         \
                first ? _mm512_setzero_pd() : _mm512_loadu_pd(out + v * os + 8 * c);                           \
        for (size_t r = 0; r < kc; r++) {                                                                      \
            __m512d va[IV];                                                                                    \
            _Pragma("clang loop unroll(full)") for (int v = 0; v < IV; v++) va[v] =                            \
                _mm512_loadu_pd(a + v * gs + 8 * r);                                                           \
            _Pragma("clang loop unroll(full)") for (int c = 0; c < W; c++) {                                   \
                __m512d bc = _mm512_set1_pd(b[r * W + c]);                                                     \
                _Pragma("clang loop unroll(full)") for (int v = 0; v < IV; v++) acc[v][c] =                    \
                    _mm512_fmadd_pd(va[v], bc, acc[v][c]);                                                     \
            }                                                                                                  \
        }                                                                                                      \
        _Pragma("clang loop unroll(full)") for (int v = 0; v < IV; v++)                                        \
            _Pragma("clang loop unroll(full)") for (int c = 0; c < W; c++)                                     \
                _mm512_storeu_pd(out + v * os + 8 * c, acc[v][c]);                                             \
    }
#define CK_PAIR_KERNELS(IV)                                                                                      \
    CK_PAIR_KERNEL(IV, 1) CK_PAIR_KERNEL(IV, 2) CK_PAIR_KERNEL(IV, 3) CK_PAIR_KERNEL(IV, 4)                    \
    CK_PAIR_KERNEL(IV, 5) CK_PAIR_KERNEL(IV, 6) CK_PAIR_KERNEL(IV, 7) CK_PAIR_KERNEL(IV, 8)
CK_PAIR_KERNELS(1)
CK_PAIR_KERNELS(2)
CK_PAIR_KERNELS(3)

/* dst[v·kc·8 + 8r + k] = a[v·gs + 8r + k]·s[8r] for groups v < iv and rows r < kc: one row block of the tile's
 * σ' scaled by s_j, kept in L1 for the tile's pair chunks. */
__attribute__((target("avx512f"))) static void ck_pair_scale(size_t iv, size_t kc, const double *a, size_t gs,
                                                               const double *s, double *dst) {
    for (size_t v = 0; v < iv; v++)
        for (size_t r = 0; r < kc; r++)
            _mm512_storeu_pd(dst + (v * kc + r) * 8,
                             _mm512_mul_pd(_mm512_loadu_pd(a + v * gs + 8 * r), _mm512_set1_pd(s[8 * r])));
}

typedef void (*ck_pair_kernel_fn)(size_t, const double *, size_t, const double *, double *, size_t, int);
#define CK_PAIR_ROW(IV)                                                                                          \
    {ck_pair_kernel_##IV##_1, ck_pair_kernel_##IV##_2, ck_pair_kernel_##IV##_3, ck_pair_kernel_##IV##_4,       \
     ck_pair_kernel_##IV##_5, ck_pair_kernel_##IV##_6, ck_pair_kernel_##IV##_7, ck_pair_kernel_##IV##_8}
static const ck_pair_kernel_fn ck_pair_kernels[3][8] = {CK_PAIR_ROW(1), CK_PAIR_ROW(2), CK_PAIR_ROW(3)};

void ck_ntk_pairs_task(const ck_ntk_pair_plan *p, size_t i0, size_t ps, size_t j0, size_t nc, int diag,
                       size_t pair_cmax, size_t pair_ps, double *pb, double *acc) {
    double as[3 * CK_PAIR_KC * 8] __attribute__((aligned(64))); /* the tile's σ' rows scaled by s_j (24 KB) */
    size_t M = p->M, nch = p->nch, Q = p->Q;
    const double *sp = p->sp1 + i0 / 8 * 8 * M; /* the panel's groups (i0 is a multiple of 8, or 0) */
    size_t groups = (ps + 7) / 8, os = nch * 64;  /* accumulators: group g, chunk c at acc + g·os + c·64 */
    for (size_t js = 0; js < nc; js++) {
        size_t j = j0 + js, ng = diag && js / 8 + 1 < groups ? js / 8 + 1 : groups; /* diagonal: rows il <= js */
        const double *s = p->sp2 + j / 8 * 8 * M + j % 8;                          /* s_j[r] at s[8r] */
        for (size_t k0 = 0; k0 < M; k0 += CK_PAIR_KC) {
            size_t kc = M - k0 < CK_PAIR_KC ? M - k0 : CK_PAIR_KC;
            for (size_t g = 0; g < ng; g += 3) {
                size_t iv = ng - g < 3 ? ng - g : 3;
                ck_pair_scale(iv, kc, sp + g * 8 * M + k0 * 8, 8 * M, s + k0 * 8, as);
                for (size_t c = 0; c < nch; c++) {
                    size_t w = ck_pair_chunk_width(p, c);
                    ck_pair_kernels[iv - 1][w - 1](kc, as, kc * 8, p->pi + c * 8 * M + k0 * w, acc + g * os + c * 64,
                                                   os, k0 == 0);
                }
            }
        }
        /* P_{q q'}[il, js] at block q' of pb, row q·ps + il (ck_pair_offset; the layout the epilogue reads) */
        for (size_t hi = 0, pair = 0; hi < Q; hi++)
            for (size_t lo = 0; lo <= hi; lo++, pair++) {
                double *dst = pb + ck_pair_offset(hi, pair_ps, pair_cmax) + (js * (hi + 1) + lo) * ps;
                const double *src = acc + (pair / 8) * 64 + (pair % 8) * 8;
                for (size_t g = 0; g < ng; g++) {
                    size_t cnt = ps - g * 8 < 8 ? ps - g * 8 : 8;
                    memcpy(dst + g * 8, src + g * os, cnt * sizeof(double));
                }
            }
    }
}
#else
void ck_ntk_pairs_task(const ck_ntk_pair_plan *p, size_t i0, size_t ps, size_t j0, size_t nc, int diag,
                       size_t pair_cmax, size_t pair_ps, double *pb, double *acc) {
    (void)p, (void)i0, (void)ps, (void)j0, (void)nc, (void)diag, (void)pair_cmax, (void)pair_ps, (void)pb,
        (void)acc; /* never called: ck_ntk_pairs_usable is 0 here */
}
#endif
