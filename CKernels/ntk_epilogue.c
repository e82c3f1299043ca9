/* ntk_epilogue.c — the fused pass of one NTK task (gram.c): G's block from the per-layer products, and its mirror.
 *
 * For column (js, q') of the block and row r = il·Q + q (samples il of the row panel, js of the column chunk):
 *   G[r, (js,q')] = Cp^{L-1}[il, js] P_{min(q,q'), max(q,q')}[il, js] + Σ_{l<L-1} Cp^l[il, js] T^l[r, (js,q')]
 *                 + [q = q'] Cp^L[il, js].
 * Per sample js the coefficients are expanded to row order once (E^l[r] = Cp^l[r / Q, js]), and per column the
 * pairs are gathered to row order (p[r]); the sum is then a few contiguous multiply-adds over r, which the
 * compiler vectorises. In the symmetric case every 8 finished columns are mirrored below the diagonal through
 * 8×8 register transposes (AVX-512), full rows of 8 instead of 8 scattered stores per row; the generic build
 * copies element by element. Summation order is the same on both builds (the AVX-512 one may fuse a multiply
 * and an add): pairs, then T^l in order of l, then the identity term.
 */
#include <stddef.h>

#include "ckernels.h"
#include "internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

/* Rows row .. row+rows−1 (rows a multiple of 8) of columns col .. col+7 of G, stored transposed at rows
 * col .. col+7. */
__attribute__((target("avx512f"))) static void ck_mirror8_avx512(double *g, size_t ldg, size_t row, size_t col,
                                                                   size_t rows) {
    for (size_t r = 0; r < rows; r += 8) {
        const double *s = g + col * ldg + row + r;
        __m512d c0 = _mm512_loadu_pd(s), c1 = _mm512_loadu_pd(s + ldg), c2 = _mm512_loadu_pd(s + 2 * ldg),
                c3 = _mm512_loadu_pd(s + 3 * ldg), c4 = _mm512_loadu_pd(s + 4 * ldg),
                c5 = _mm512_loadu_pd(s + 5 * ldg), c6 = _mm512_loadu_pd(s + 6 * ldg),
                c7 = _mm512_loadu_pd(s + 7 * ldg);
        /* t: pairs of columns interleaved; u: 128-bit lanes regrouped; rows: the transpose */
        __m512d t0 = _mm512_unpacklo_pd(c0, c1), t1 = _mm512_unpackhi_pd(c0, c1), t2 = _mm512_unpacklo_pd(c2, c3),
                t3 = _mm512_unpackhi_pd(c2, c3), t4 = _mm512_unpacklo_pd(c4, c5), t5 = _mm512_unpackhi_pd(c4, c5),
                t6 = _mm512_unpacklo_pd(c6, c7), t7 = _mm512_unpackhi_pd(c6, c7);
        __m512d u0 = _mm512_shuffle_f64x2(t0, t2, 0x88), u1 = _mm512_shuffle_f64x2(t0, t2, 0xDD),
                u2 = _mm512_shuffle_f64x2(t1, t3, 0x88), u3 = _mm512_shuffle_f64x2(t1, t3, 0xDD),
                u4 = _mm512_shuffle_f64x2(t4, t6, 0x88), u5 = _mm512_shuffle_f64x2(t4, t6, 0xDD),
                u6 = _mm512_shuffle_f64x2(t5, t7, 0x88), u7 = _mm512_shuffle_f64x2(t5, t7, 0xDD);
        double *d = g + (row + r) * ldg + col;
        _mm512_storeu_pd(d, _mm512_shuffle_f64x2(u0, u4, 0x88));
        _mm512_storeu_pd(d + ldg, _mm512_shuffle_f64x2(u2, u6, 0x88));
        _mm512_storeu_pd(d + 2 * ldg, _mm512_shuffle_f64x2(u1, u5, 0x88));
        _mm512_storeu_pd(d + 3 * ldg, _mm512_shuffle_f64x2(u3, u7, 0x88));
        _mm512_storeu_pd(d + 4 * ldg, _mm512_shuffle_f64x2(u0, u4, 0xDD));
        _mm512_storeu_pd(d + 5 * ldg, _mm512_shuffle_f64x2(u2, u6, 0xDD));
        _mm512_storeu_pd(d + 6 * ldg, _mm512_shuffle_f64x2(u1, u5, 0xDD));
        _mm512_storeu_pd(d + 7 * ldg, _mm512_shuffle_f64x2(u3, u7, 0xDD));
    }
}
#endif

/* Mirrors block columns [c0, c1) below the diagonal: G[C + c, R + r] = G[R + r, C + c] for r < the column's
 * limit (all pr rows off the diagonal block; r < c on it, whose entries on the diagonal stay). */
static inline __attribute__((always_inline)) void ck_mirror_columns(const ck_ntk_block *b, size_t c0, size_t c1,
                                                                     int wide) {
    size_t pr = b->pr, ldg = b->ldg, rv = 0; /* rows [0, rv) of all columns go by 8×8 transposes */
#if defined(__x86_64__)
    if (wide && c1 - c0 == 8) {
        rv = (b->diag && c0 < pr ? c0 : pr) / 8 * 8; /* the first column's limit, in whole blocks of 8 */
        ck_mirror8_avx512(b->g, ldg, b->R, b->C + c0, rv);
    }
#else
    (void)wide;
#endif
    for (size_t c = c0; c < c1; c++) {
        size_t lim = b->diag && c < pr ? c : pr;
        const double *src = b->g + (b->C + c) * ldg + b->R;
        double *dst = b->g + b->R * ldg + b->C + c;
        for (size_t r = rv; r < lim; r++) dst[r * ldg] = src[r];
    }
}

static inline __attribute__((always_inline)) void ck_ntk_epilogue_body(const ck_ntk_block *b, int wide) {
    size_t L = b->L, Q = b->Q, ps = b->ps, pr = b->pr, nc = b->nc, ldg = b->ldg;
    double *const *ce = b->ce;
    double *pe = b->pe;
    size_t mirrored = 0; /* block columns [0, mirrored) are mirrored */
    for (size_t js = 0; js < nc; js++) {
        for (size_t l = 1; l < L; l++) {
            const double *c = b->cp[l] + js * ps;
            double *e = ce[l];
            for (size_t il = 0; il < ps; il++)
                for (size_t q = 0; q < Q; q++) e[il * Q + q] = c[il];
        }
        const double *cid = b->cp[L] + js * ps;
        for (size_t qp = 0; qp < Q; qp++) {
            size_t cc = js * Q + qp, rmax = b->diag && cc < pr ? cc + 1 : pr;
            double *gc = b->g + (b->C + cc) * ldg + b->R;
            if (L >= 2) {
                for (size_t q = 0; q < Q && q < rmax; q++) {
                    size_t lo = q < qp ? q : qp, hi = q < qp ? qp : q;
                    const double *p = b->pb + ck_pair_offset(hi, b->pair_ps, b->pair_cmax) + (js * (hi + 1) + lo) * ps;
                    for (size_t il = 0, r = q; r < rmax; il++, r += Q) pe[r] = p[il];
                }
                const double *e = ce[L - 1];
                for (size_t r = 0; r < rmax; r++) gc[r] = e[r] * pe[r];
                for (size_t l = 1; l + 1 < L; l++) {
                    const double *tc = b->tp[l] + cc * pr, *el = ce[l];
                    for (size_t r = 0; r < rmax; r++) gc[r] += el[r] * tc[r];
                }
            } else {
                for (size_t r = 0; r < rmax; r++) gc[r] = 0.0;
            }
            for (size_t il = 0, r = qp; r < rmax; il++, r += Q) gc[r] += cid[il];
        }
        if (b->sym) {
            size_t done = (js + 1) * Q;
            for (; mirrored + 8 <= done; mirrored += 8) ck_mirror_columns(b, mirrored, mirrored + 8, wide);
            if (js + 1 == nc && mirrored < done) ck_mirror_columns(b, mirrored, done, wide);
        }
    }
}

#if defined(__x86_64__)
__attribute__((target("avx512f"))) static void ck_ntk_epilogue_avx512(const ck_ntk_block *b) {
    ck_ntk_epilogue_body(b, 1);
}
#endif

static void ck_ntk_epilogue_generic(const ck_ntk_block *b) { ck_ntk_epilogue_body(b, 0); }

void ck_ntk_epilogue(const ck_ntk_block *b) {
#if defined(__x86_64__)
    if (ck_vmath_level() == 2) {
        ck_ntk_epilogue_avx512(b);
        return;
    }
#endif
    ck_ntk_epilogue_generic(b);
}
