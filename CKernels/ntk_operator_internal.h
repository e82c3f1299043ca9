/* ntk_operator_internal.h — the record behind ck_ntk_op, shared by ntk_operator.c (double precision) and
 * ntk_operator_single.c (single-precision products). Never seen by Swift. */
#ifndef CK_NTK_OPERATOR_INTERNAL_H
#define CK_NTK_OPERATOR_INTERNAL_H

#include <pthread.h>

#include "ckernels.h"
#include "internal.h"

/* Samples per chunk: GEMMs of 256×M×M on one thread each. 256, 512 and 1024 took the same CPU time on the
 * 16-512-512-10 network (N = 2000, 45 products: 5.6–6.6 s user for each, on a loaded 2-core EPYC). */
enum { CK_NTK_OP_CHUNK = 256 };

struct ck_ntk_op {
    ck_mlp net;
    size_t widths[CK_MAX_LAYERS + 1];
    double wscale[CK_MAX_LAYERS], bscale[CK_MAX_LAYERS];
    double *theta;               /* copy of θ (K doubles): the chain needs W_ℓ */
    size_t n, Q, K, chunk, mmax;
    size_t stored;               /* δ^ℓ kept for ℓ = 1..stored (0 or L−2) */
    ck_tape tape;                /* h^ℓ, σ'(z^ℓ), outputs; no sensitivities */
    double *delta[CK_MAX_LAYERS + 1];
    double *dblock;
    pthread_mutex_t cache_lock;  /* guards cache; never waited for */
    double *cache;
    size_t cache_doubles;
    /* Single-precision copies (ck_ntk_op_make_single; NULL until then): θ, h^ℓ (ℓ = 0..L−1), σ'(z^ℓ)
     * (ℓ = 1..L−1) and δ^ℓ (ℓ <= sstored), in the layouts of the double ones, in one block. */
    float *sblock;
    float *stheta, *sh[CK_MAX_LAYERS + 1], *sdsig[CK_MAX_LAYERS + 1], *sdelta[CK_MAX_LAYERS + 1];
    size_t sstored;
    size_t single_keep;  /* layers whose δ^ℓ ck_ntk_op_make_single computes straight into float (KEEP_SINGLE) */
};

/* Computes δ^ℓ for ℓ <= L−2 over all samples: into op->delta (fdelta NULL) or into the float blocks fdelta[ℓ]. */
int ck_ntk_op_sensitivities(ck_ntk_op *op, float *const *fdelta, int nthreads);

/* The δ contractions of one hidden unit over a chunk (ntk_contractions.c), in double and in float: expand = 0 gives
 * e[i] = Σ_q u[q·c + i] d[q·c + i] (pullback), expand = 1 gives o[q·c + i] += d[q·c + i] w[i] (pushforward); the
 * build for the CPU's instruction set. */
typedef void (*ck_ntk_contraction_d)(size_t c, size_t Q, const double *a, const double *b, double *out);
typedef void (*ck_ntk_contraction_s)(size_t c, size_t Q, const float *a, const float *b, float *out);
ck_ntk_contraction_d ck_ntk_contractions_d(int expand);
ck_ntk_contraction_s ck_ntk_contractions_s(int expand);

/* A buffer of `doubles` doubles: the operator's cached one if no other call holds it (*cached = 1), else a fresh
 * one; give it back with ck_op_buffer_release. */
double *ck_op_buffer(const ck_ntk_op *op, size_t doubles, int *cached);
void ck_op_buffer_release(const ck_ntk_op *op, double *p, int cached);

#endif
