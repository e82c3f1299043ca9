/* vmath.c — vectorised exp, log and tanh over arrays, for the log-domain optimal-transport kernels and the
 * tanh/GELU activations.
 *
 * glibc's libmvec (part of libc6, no extra package) exports the x86-64 vector-ABI variants
 * _ZGVeN8v_exp (AVX-512, 8 doubles) and _ZGVdN4v_exp (AVX2, 4 doubles), and the same for log and tanh
 * (tanh since glibc 2.35; bookworm ships 2.36); glibc documents their error as at most 4 ulp. They are picked at run time from the CPU's features (the library is built
 * without -mavx flags, so the callers carry target attributes). Elsewhere, or on older CPUs, a plain libm loop. */
#include <math.h>
#include <stddef.h>
#include "internal.h"

/* One macro per function: the AVX-512 and AVX2 loops over its libmvec variants, with a libm tail. */
#define CK_VMATH_LOOPS(fn)                                                                                         \
    __attribute__((target("avx512f"))) __m512d _ZGVeN8v_##fn(__m512d);                                         \
    __attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_##fn(__m256d);                                        \
    __attribute__((target("avx512f"))) static void v##fn##_avx512(size_t n, const double *x, double *y) {     \
        size_t i = 0;                                                                                          \
        for (; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, _ZGVeN8v_##fn(_mm512_loadu_pd(x + i)));             \
        for (; i < n; i++) y[i] = fn(x[i]);                                                                    \
    }                                                                                                          \
    __attribute__((target("avx2,fma"))) static void v##fn##_avx2(size_t n, const double *x, double *y) {      \
        size_t i = 0;                                                                                          \
        for (; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, _ZGVdN4v_##fn(_mm256_loadu_pd(x + i)));             \
        for (; i < n; i++) y[i] = fn(x[i]);                                                                    \
    }

#if defined(__x86_64__)
#include <immintrin.h>
CK_VMATH_LOOPS(exp)
CK_VMATH_LOOPS(log)
CK_VMATH_LOOPS(tanh)
#endif

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

/* The public entry for one function: the widest variant the CPU runs, else a plain libm loop. */
#if defined(__x86_64__)
#define CK_VMATH_ENTRY(fn)                                                                                         \
    void ck_v##fn(size_t n, const double *x, double *y) {                                                      \
        switch (vmath_level()) {                                                                               \
        case 2: v##fn##_avx512(n, x, y); return;                                                               \
        case 1: v##fn##_avx2(n, x, y); return;                                                                 \
        default: break;                                                                                        \
        }                                                                                                      \
        for (size_t i = 0; i < n; i++) y[i] = fn(x[i]);                                                        \
    }
#else
#define CK_VMATH_ENTRY(fn)                                                                                         \
    void ck_v##fn(size_t n, const double *x, double *y) {                                                      \
        for (size_t i = 0; i < n; i++) y[i] = fn(x[i]);                                                        \
    }
#endif

CK_VMATH_ENTRY(exp)
CK_VMATH_ENTRY(log)
CK_VMATH_ENTRY(tanh)

int ck_vmath_level(void) { return vmath_level(); }
