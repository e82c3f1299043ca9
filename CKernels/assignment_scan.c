/* assignment_scan.c — the two row scans that carry the exact linear assignment solver (assignment.c), each in
 * an AVX-512, an AVX2 and a scalar variant picked at run time (the library is built without -mavx flags, so the
 * vector variants carry target attributes, as in vmath.c). All variants compute the same floating-point values
 * in the same order per entry and break ties towards the lowest column, so the solver's path does not depend
 * on the CPU.
 *
 *   ck_lap_relax_argmin: one Dijkstra step of the shortest augmenting path over a contiguous cost row,
 *       r_j = (c_ij − v_j) − h;  if r_j < d_j then d_j = r_j, pred_j = i;  return argmin_j d_j.
 *       Settled columns hold d_j = NaN: every comparison with NaN is false, so they are neither relaxed nor
 *       chosen, and the scan stays contiguous (no list of remaining columns, unlike Jonker & Volgenant's).
 *   ck_lap_two_min: the two smallest reduced costs c_ij − v_j of a row and their columns (the augmenting row
 *       reduction's find_umins of Jonker & Volgenant 1987, which the lapjv package runs on AVX2 floats; here in
 *       doubles, eight lanes at a time). */
#include <math.h>
#include "assignment_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f"))) static long relax_argmin_avx512(size_t n, const double *row, const double *v,
                                                                   double h, double *d, long *pred, long i,
                                                                   double *best_out) {
    const __m512d hv = _mm512_set1_pd(h);
    const __m512i iv = _mm512_set1_epi64(i), step = _mm512_set1_epi64(8);
    __m512i idx = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7), bidx = _mm512_set1_epi64(-1);
    __m512d bestv = _mm512_set1_pd(INFINITY);
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m512d r = _mm512_sub_pd(_mm512_sub_pd(_mm512_loadu_pd(row + j), _mm512_loadu_pd(v + j)), hv);
        __m512d dv = _mm512_loadu_pd(d + j);
        __mmask8 lt = _mm512_cmp_pd_mask(r, dv, _CMP_LT_OQ);
        if (lt) {
            dv = _mm512_mask_mov_pd(dv, lt, r);
            _mm512_mask_storeu_pd(d + j, lt, r);
            _mm512_mask_storeu_epi64(pred + j, lt, iv);
        }
        __mmask8 b = _mm512_cmp_pd_mask(dv, bestv, _CMP_LT_OQ);
        bestv = _mm512_mask_mov_pd(bestv, b, dv);
        bidx = _mm512_mask_mov_epi64(bidx, b, idx);
        idx = _mm512_add_epi64(idx, step);
    }
    double bv[8];
    long long bi[8];
    _mm512_storeu_pd(bv, bestv);
    _mm512_storeu_si512((void *)bi, bidx);
    double best = INFINITY;
    long arg = -1;
    for (int l = 0; l < 8; l++)
        if (bi[l] >= 0 && (bv[l] < best || (bv[l] == best && bi[l] < arg))) {
            best = bv[l];
            arg = (long)bi[l];
        }
    for (; j < n; j++) { /* tail: larger indices, so a strict < keeps the lowest column on ties */
        double r = row[j] - v[j] - h;
        if (r < d[j]) {
            d[j] = r;
            pred[j] = i;
        }
        if (d[j] < best) {
            best = d[j];
            arg = (long)j;
        }
    }
    *best_out = best;
    return arg;
}

__attribute__((target("avx512f"))) static void two_min_avx512(size_t n, const double *row, const double *v,
                                                              ck_lap_two *out) {
    const __m512i step = _mm512_set1_epi64(8);
    __m512i idx = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    __m512i i1 = _mm512_set1_epi64(-1), i2 = i1;
    __m512d m1 = _mm512_set1_pd(INFINITY), m2 = m1;
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m512d r = _mm512_sub_pd(_mm512_loadu_pd(row + j), _mm512_loadu_pd(v + j));
        __mmask8 lt1 = _mm512_cmp_pd_mask(r, m1, _CMP_LT_OQ);
        __mmask8 lt2 = _mm512_cmp_pd_mask(r, m2, _CMP_LT_OQ);
        /* Second smallest: r where r < m2, the old smallest where r < m1 (lt1 implies lt2). */
        m2 = _mm512_mask_mov_pd(_mm512_mask_mov_pd(m2, lt2, r), lt1, m1);
        i2 = _mm512_mask_mov_epi64(_mm512_mask_mov_epi64(i2, lt2, idx), lt1, i1);
        m1 = _mm512_mask_mov_pd(m1, lt1, r);
        i1 = _mm512_mask_mov_epi64(i1, lt1, idx);
        idx = _mm512_add_epi64(idx, step);
    }
    double a1[8], a2[8];
    long long b1[8], b2[8];
    _mm512_storeu_pd(a1, m1);
    _mm512_storeu_pd(a2, m2);
    _mm512_storeu_si512((void *)b1, i1);
    _mm512_storeu_si512((void *)b2, i2);
    ck_lap_two_reset(out);
    for (int l = 0; l < 8; l++) {
        ck_lap_two_push(out, a1[l], (long)b1[l]);
        ck_lap_two_push(out, a2[l], (long)b2[l]);
    }
    for (; j < n; j++) ck_lap_two_push(out, row[j] - v[j], (long)j);
}

__attribute__((target("avx2,fma"))) static long relax_argmin_avx2(size_t n, const double *row, const double *v,
                                                                  double h, double *d, long *pred, long i,
                                                                  double *best_out) {
    const __m256d hv = _mm256_set1_pd(h);
    const __m256i iv = _mm256_set1_epi64x(i), step = _mm256_set1_epi64x(4);
    __m256i idx = _mm256_setr_epi64x(0, 1, 2, 3), bidx = _mm256_set1_epi64x(-1);
    __m256d bestv = _mm256_set1_pd(INFINITY);
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        __m256d r = _mm256_sub_pd(_mm256_sub_pd(_mm256_loadu_pd(row + j), _mm256_loadu_pd(v + j)), hv);
        __m256d dv = _mm256_loadu_pd(d + j);
        __m256d lt = _mm256_cmp_pd(r, dv, _CMP_LT_OQ);
        if (_mm256_movemask_pd(lt)) {
            dv = _mm256_blendv_pd(dv, r, lt);
            _mm256_storeu_pd(d + j, dv);
            __m256i p = _mm256_loadu_si256((const __m256i *)(pred + j));
            p = _mm256_castpd_si256(_mm256_blendv_pd(_mm256_castsi256_pd(p), _mm256_castsi256_pd(iv), lt));
            _mm256_storeu_si256((__m256i *)(pred + j), p);
        }
        __m256d b = _mm256_cmp_pd(dv, bestv, _CMP_LT_OQ);
        bestv = _mm256_blendv_pd(bestv, dv, b);
        bidx = _mm256_castpd_si256(_mm256_blendv_pd(_mm256_castsi256_pd(bidx), _mm256_castsi256_pd(idx), b));
        idx = _mm256_add_epi64(idx, step);
    }
    double bv[4];
    long long bi[4];
    _mm256_storeu_pd(bv, bestv);
    _mm256_storeu_si256((__m256i *)bi, bidx);
    double best = INFINITY;
    long arg = -1;
    for (int l = 0; l < 4; l++)
        if (bi[l] >= 0 && (bv[l] < best || (bv[l] == best && bi[l] < arg))) {
            best = bv[l];
            arg = (long)bi[l];
        }
    for (; j < n; j++) {
        double r = row[j] - v[j] - h;
        if (r < d[j]) {
            d[j] = r;
            pred[j] = i;
        }
        if (d[j] < best) {
            best = d[j];
            arg = (long)j;
        }
    }
    *best_out = best;
    return arg;
}

__attribute__((target("avx2,fma"))) static void two_min_avx2(size_t n, const double *row, const double *v,
                                                            ck_lap_two *out) {
    const __m256i step = _mm256_set1_epi64x(4);
    __m256i idx = _mm256_setr_epi64x(0, 1, 2, 3), i1 = _mm256_set1_epi64x(-1), i2 = i1;
    __m256d m1 = _mm256_set1_pd(INFINITY), m2 = m1;
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        __m256d r = _mm256_sub_pd(_mm256_loadu_pd(row + j), _mm256_loadu_pd(v + j));
        __m256d lt1 = _mm256_cmp_pd(r, m1, _CMP_LT_OQ), lt2 = _mm256_cmp_pd(r, m2, _CMP_LT_OQ);
        m2 = _mm256_blendv_pd(_mm256_blendv_pd(m2, r, lt2), m1, lt1);
        __m256d i2d = _mm256_blendv_pd(_mm256_castsi256_pd(i2), _mm256_castsi256_pd(idx), lt2);
        i2 = _mm256_castpd_si256(_mm256_blendv_pd(i2d, _mm256_castsi256_pd(i1), lt1));
        m1 = _mm256_blendv_pd(m1, r, lt1);
        i1 = _mm256_castpd_si256(_mm256_blendv_pd(_mm256_castsi256_pd(i1), _mm256_castsi256_pd(idx), lt1));
        idx = _mm256_add_epi64(idx, step);
    }
    double a1[4], a2[4];
    long long b1[4], b2[4];
    _mm256_storeu_pd(a1, m1);
    _mm256_storeu_pd(a2, m2);
    _mm256_storeu_si256((__m256i *)b1, i1);
    _mm256_storeu_si256((__m256i *)b2, i2);
    ck_lap_two_reset(out);
    for (int l = 0; l < 4; l++) {
        ck_lap_two_push(out, a1[l], (long)b1[l]);
        ck_lap_two_push(out, a2[l], (long)b2[l]);
    }
    for (; j < n; j++) ck_lap_two_push(out, row[j] - v[j], (long)j);
}
#endif

static long relax_argmin_scalar(size_t n, const double *row, const double *v, double h, double *d, long *pred,
                                long i, double *best_out) {
    double best = INFINITY;
    long arg = -1;
    for (size_t j = 0; j < n; j++) {
        double r = row[j] - v[j] - h;
        if (r < d[j]) {
            d[j] = r;
            pred[j] = i;
        }
        if (d[j] < best) {
            best = d[j];
            arg = (long)j;
        }
    }
    *best_out = best;
    return arg;
}

static void two_min_scalar(size_t n, const double *row, const double *v, ck_lap_two *out) {
    ck_lap_two_reset(out);
    for (size_t j = 0; j < n; j++) ck_lap_two_push(out, row[j] - v[j], (long)j);
}

long ck_lap_relax_argmin(int level, size_t n, const double *row, const double *v, double h, double *d, long *pred,
                         long i, double *best) {
#if defined(__x86_64__)
    if (level == 2) return relax_argmin_avx512(n, row, v, h, d, pred, i, best);
    if (level == 1) return relax_argmin_avx2(n, row, v, h, d, pred, i, best);
#endif
    (void)level;
    return relax_argmin_scalar(n, row, v, h, d, pred, i, best);
}

void ck_lap_two_min(int level, size_t n, const double *row, const double *v, ck_lap_two *out) {
#if defined(__x86_64__)
    if (level == 2) {
        two_min_avx512(n, row, v, out);
        return;
    }
    if (level == 1) {
        two_min_avx2(n, row, v, out);
        return;
    }
#endif
    (void)level;
    two_min_scalar(n, row, v, out);
}
