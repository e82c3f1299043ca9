/* vmath.c — vectorised exp and log over arrays, for the log-domain optimal-transport kernels.
 *
 * glibc's libmvec (part of libc6, no extra package) exports the x86-64 vector-ABI variants
 * _ZGVeN8v_exp (AVX-512, 8 doubles) and _ZGVdN4v_exp (AVX2, 4 doubles), and the same for log; glibc documents
 * their error as at most 4 ulp. They are picked at run time from the CPU's features (the library is built
 * without -mavx flags, so the callers carry target attributes). Elsewhere, or on older CPUs, a plain libm loop. */
#include <math.h>
#include <stddef.h>
#include "internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f"))) __m512d _ZGVeN8v_exp(__m512d);
__attribute__((target("avx512f"))) __m512d _ZGVeN8v_log(__m512d);
__attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_exp(__m256d);
__attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_log(__m256d);

__attribute__((target("avx512f"))) static void vexp_avx512(size_t n, const double *x, double *y) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, _ZGVeN8v_exp(_mm512_loadu_pd(x + i)));
    for (; i < n; i++) y[i] = exp(x[i]);
}
__attribute__((target("avx512f"))) static void vlog_avx512(size_t n, const double *x, double *y) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, _ZGVeN8v_log(_mm512_loadu_pd(x + i)));
    for (; i < n; i++) y[i] = log(x[i]);
}
__attribute__((target("avx2,fma"))) static void vexp_avx2(size_t n, const double *x, double *y) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, _ZGVdN4v_exp(_mm256_loadu_pd(x + i)));
    for (; i < n; i++) y[i] = exp(x[i]);
}
__attribute__((target("avx2,fma"))) static void vlog_avx2(size_t n, const double *x, double *y) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, _ZGVdN4v_log(_mm256_loadu_pd(x + i)));
    for (; i < n; i++) y[i] = log(x[i]);
}
#endif

static void vexp_scalar(size_t n, const double *x, double *y) {
    for (size_t i = 0; i < n; i++) y[i] = exp(x[i]);
}
static void vlog_scalar(size_t n, const double *x, double *y) {
    for (size_t i = 0; i < n; i++) y[i] = log(x[i]);
}

static int vmath_level(void) {
#if defined(__x86_64__)
    static int cached = -1; /* every thread computes the same value; atomics keep the race benign */
    int level = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (level < 0) {
        int f = ck_runtime_cpu_features();
        level = (f & 2) ? 2 : (f & 1) ? 1 : 0;
        __atomic_store_n(&cached, level, __ATOMIC_RELAXED);
    }
    return level;
#else
    return 0;
#endif
}

void ck_vexp(size_t n, const double *x, double *y) {
#if defined(__x86_64__)
    switch (vmath_level()) {
    case 2: vexp_avx512(n, x, y); return;
    case 1: vexp_avx2(n, x, y); return;
    default: break;
    }
#endif
    vexp_scalar(n, x, y);
}

void ck_vlog(size_t n, const double *x, double *y) {
#if defined(__x86_64__)
    switch (vmath_level()) {
    case 2: vlog_avx512(n, x, y); return;
    case 1: vlog_avx2(n, x, y); return;
    default: break;
    }
#endif
    vlog_scalar(n, x, y);
}

int ck_vmath_level(void) { return vmath_level(); }
