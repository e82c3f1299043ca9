/* ntk_contractions.c — the contractions of the matrix-free NTK with kept sensitivities δ (ntk_operator.c), one
 * hidden unit r at a time over a chunk of c samples × Q outputs stored by output (q·c + i), in double and in
 * float (ntk_operator_single.c), each built for AVX-512, AVX2 and generic x86-64 and picked at run time:
 *
 *   contract  e[i]       = Σ_q u[q·c + i] d[q·c + i]    (pullback:    E^ℓ_{i,r} = Σ_q u_{iq} δ^ℓ_{(iq),r})
 *   expand    o[q·c + i] += d[q·c + i] w[i]             (pushforward: (Dv)_{(iq)} += Σ_r δ^ℓ_{(iq),r} U^ℓ_{i,r})
 */
#include <stddef.h>

#include "internal.h"
#include "ntk_operator_internal.h"

/* Both loops and their instruction-set builds for element type T, and ck_ntk_contractions_<p>(expand). */
#define CK_NTK_CONTRACTIONS(T, p)                                                                                    \
    static inline __attribute__((always_inline)) void ck_contract_body_##p(size_t c, size_t Q, const T *restrict u,  \
                                                                           const T *restrict d, T *restrict e) {     \
        for (size_t i = 0; i < c; i++) e[i] = u[i] * d[i];                                                           \
        for (size_t q = 1; q < Q; q++)                                                                               \
            for (size_t i = 0; i < c; i++) e[i] += u[q * c + i] * d[q * c + i];                                      \
    }                                                                                                                \
    static inline __attribute__((always_inline)) void ck_expand_body_##p(size_t c, size_t Q, const T *restrict d,    \
                                                                         const T *restrict w, T *restrict o) {       \
        for (size_t q = 0; q < Q; q++)                                                                               \
            for (size_t i = 0; i < c; i++) o[q * c + i] += d[q * c + i] * w[i];                                      \
    }                                                                                                                \
    CK_NTK_CONTRACTION_ISA(T, p, avx512, CK_NTK_TARGET_AVX512)                                                       \
    CK_NTK_CONTRACTION_ISA(T, p, avx2, CK_NTK_TARGET_AVX2)                                                           \
    CK_NTK_CONTRACTION_ISA(T, p, generic, )                                                                          \
    ck_ntk_contraction_##p ck_ntk_contractions_##p(int expand) {                                                     \
        int level = CK_NTK_ISA_LEVEL;                                                                                \
        if (level == 2) return expand ? ck_expand_##p##_avx512 : ck_contract_##p##_avx512;                          \
        if (level == 1) return expand ? ck_expand_##p##_avx2 : ck_contract_##p##_avx2;                              \
        return expand ? ck_expand_##p##_generic : ck_contract_##p##_generic;                                         \
    }

#define CK_NTK_CONTRACTION_ISA(T, p, isa, target)                                                                   \
    target static void ck_contract_##p##_##isa(size_t c, size_t Q, const T *u, const T *d, T *e) {                  \
        ck_contract_body_##p(c, Q, u, d, e);                                                                         \
    }                                                                                                                \
    target static void ck_expand_##p##_##isa(size_t c, size_t Q, const T *d, const T *w, T *o) {                    \
        ck_expand_body_##p(c, Q, d, w, o);                                                                           \
    }

#if defined(__x86_64__)
#define CK_NTK_TARGET_AVX512 __attribute__((target("avx512f")))
#define CK_NTK_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define CK_NTK_ISA_LEVEL ck_vmath_level()
#else /* the target attributes name x86 features: elsewhere all three builds are the generic loop */
#define CK_NTK_TARGET_AVX512
#define CK_NTK_TARGET_AVX2
#define CK_NTK_ISA_LEVEL 0
#endif

CK_NTK_CONTRACTIONS(double, d)
CK_NTK_CONTRACTIONS(float, s)
