/* mlp_tape.c — one recorded pass of an MLP: activations, σ', and back-propagated output sensitivities.
 *
 * Forward (MATH.md §1, scales a_l, c_l):  z^l = a_l W_l h^{l-1} + c_l b_l,  h^l = σ(z^l), output z^L.
 * With samples as rows (H: n×M), Z^l = a_l H^{l-1} W_lᵀ + c_l 1 b_lᵀ, and W_l stored row-major in θ is the
 * column-major M_{l-1}×M_l matrix W_lᵀ with ld = M_{l-1}: one dgemm per layer, no transposition.
 * Sensitivities δ^l_{(iq),·} = ∂f_q(x_i)/∂z^l, rows i·Q+q:
 *   δ^{L-1}_{(iq),r} = a_L W_L[q,r] σ'(z^{L-1}_{i,r}),   δ^{l-1} = a_l (δ^l W_l) ∘ σ'(z^{l-1}) (row (iq) uses sample i).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "activation.h"
#include "ckernels.h"
#include "internal.h"

int ck_mlp_check(const ck_mlp *net) {
    if (net == NULL || net->widths == NULL) return CK_EARG;
    if (net->nlayers < 1 || net->nlayers > CK_MAX_LAYERS) return CK_EDIM;
    if (net->activation < 0 || net->activation >= CK_ACTIVATION_COUNT) return CK_EARG;
    for (size_t l = 0; l <= net->nlayers; l++)
        if (net->widths[l] == 0 || net->widths[l] > ((size_t)1 << 24)) return CK_EDIM;
    return CK_OK;
}

size_t ck_mlp_weight_offset(const ck_mlp *net, size_t l) {
    size_t off = 0;
    for (size_t k = 1; k < l; k++) off += net->widths[k] * (net->widths[k - 1] + 1);
    return off;
}

size_t ck_mlp_parameter_count(const ck_mlp *net) {
    if (ck_mlp_check(net) != CK_OK) return 0;
    return ck_mlp_weight_offset(net, net->nlayers + 1);
}

size_t ck_tape_doubles(const ck_mlp *net, size_t n, int with_delta) {
    size_t L = net->nlayers, Q = net->widths[L], total = n * Q; /* out */
    for (size_t l = 0; l < L; l++) total += n * net->widths[l];  /* h[0..L-1] */
    for (size_t l = 1; l < L; l++) {
        total += n * net->widths[l];                               /* dsig */
        if (with_delta) total += n * Q * net->widths[l];           /* delta */
    }
    if (with_delta && L >= 2) total += Q * net->widths[L - 1];     /* wlast */
    return total;
}

size_t ck_mlp_jacobian_workspace(const ck_mlp *net, size_t n) {
    return ck_mlp_check(net) == CK_OK ? ck_tape_doubles(net, n, 1) : 0;
}

void ck_tape_free(ck_tape *t) {
    ck_scratch_free(t->block);
    t->block = NULL;
}

typedef struct {
    const ck_mlp *net;
    const double *theta, *x;
    size_t ldx;
    int with_delta;
    ck_tape *t;
} ck_tape_job;

/* Forward pass and sensitivities for samples [i0, i1): every sample is independent, so chunks of
 * samples run on separate threads, each with serial BLAS on its own row block. */
static void ck_tape_chunk(size_t i0, size_t i1, int tid, void *ctx) {
    (void)tid;
    const ck_tape_job *j = ctx;
    const ck_mlp *net = j->net;
    ck_tape *t = j->t;
    size_t n = t->n, L = t->L, Q = t->Q, cnt = i1 - i0, nq = n * Q;
    for (size_t c = 0; c < net->widths[0]; c++)
        memcpy(t->h[0] + c * n + i0, j->x + c * j->ldx + i0, cnt * sizeof(double));
    for (size_t l = 1; l <= L; l++) {
        size_t mi = net->widths[l - 1], mo = net->widths[l];
        const double *wt = j->theta + ck_mlp_weight_offset(net, l), *b = wt + mi * mo;
        double *z = l < L ? t->h[l] : t->out;
        for (size_t r = 0; r < mo; r++) {
            double v = t->c[l - 1] * b[r];
            for (size_t i = i0; i < i1; i++) z[r * n + i] = v;
        }
        ck_linalg_gemm(0, 0, cnt, mo, mi, t->a[l - 1], t->h[l - 1] + i0, n, wt, mi, 1.0, z + i0, n);
        if (l < L)
            for (size_t r = 0; r < mo; r++) ck_activate(net->activation, z + r * n + i0, t->dsig[l] + r * n + i0, cnt);
    }
    if (!j->with_delta || L < 2) return;
    /* δ^{L-1}_{(iq),r} = a_L W_L[q,r] σ'_{i,r}; W_L[q,r] sits at wl[q*M + r]. */
    size_t M = net->widths[L - 1];
    const double *wl = j->theta + ck_mlp_weight_offset(net, L);
    for (size_t r = 0; r < M; r++) {
        double *col = t->delta[L - 1] + r * nq;
        const double *dsr = t->dsig[L - 1] + r * n;
        for (size_t i = i0; i < i1; i++) {
            double s = t->a[L - 1] * dsr[i];
            for (size_t q = 0; q < Q; q++) col[i * Q + q] = s * wl[q * M + r];
        }
    }
    for (size_t l = L - 1; l >= 2; l--) {
        size_t mi = net->widths[l - 1], mo = net->widths[l];
        const double *wt = j->theta + ck_mlp_weight_offset(net, l);
        /* δ^{l-1} = a_l (δ^l W_l) ∘ σ'(z^{l-1}), W_l = (wt)ᵀ with wt column-major mi×mo */
        ck_linalg_gemm(0, 1, cnt * Q, mi, mo, t->a[l - 1], t->delta[l] + i0 * Q, nq, wt, mi, 0.0,
                       t->delta[l - 1] + i0 * Q, nq);
        for (size_t r = 0; r < mi; r++) {
            double *col = t->delta[l - 1] + r * nq;
            const double *dsr = t->dsig[l - 1] + r * n;
            for (size_t i = i0; i < i1; i++)
                for (size_t q = 0; q < Q; q++) col[i * Q + q] *= dsr[i];
        }
    }
}

int ck_tape_record(const ck_mlp *net, const double *theta, const double *x, size_t ldx, size_t n, int with_delta,
                   int nthreads, ck_tape *t) {
    int st = ck_mlp_check(net);
    if (st != CK_OK) return st;
    if (theta == NULL || x == NULL) return CK_EARG;
    size_t L = net->nlayers, Q = net->widths[L];
    if (n == 0 || !ck_valid_operand(n, net->widths[0], ldx) || n * Q > CK_MAX_DIM) return CK_EDIM;
    memset(t, 0, sizeof *t);
    t->n = n;
    t->L = L;
    t->Q = Q;
    t->w = net->widths;
    for (size_t l = 0; l < L; l++) {
        t->a[l] = net->wscale ? net->wscale[l] : 1.0;
        t->c[l] = net->bscale ? net->bscale[l] : 1.0;
    }
    size_t total = ck_tape_doubles(net, n, with_delta);
    if (total > SIZE_MAX / sizeof(double)) return CK_ENOMEM;
    t->block = ck_scratch_alloc(total * sizeof(double)); /* 50 MB for the 1M network: 2 MiB faults, or kept */
    if (t->block == NULL) return CK_ENOMEM;
    double *p = t->block;
    for (size_t l = 0; l < L; l++) {
        t->h[l] = p;
        p += n * net->widths[l];
    }
    t->out = p;
    p += n * Q;
    for (size_t l = 1; l < L; l++) {
        t->dsig[l] = p;
        p += n * net->widths[l];
        if (with_delta) {
            t->delta[l] = p;
            p += n * Q * net->widths[l];
        }
    }
    if (with_delta && L >= 2) {
        t->wlast = p;
        memcpy(t->wlast, theta + ck_mlp_weight_offset(net, L), Q * net->widths[L - 1] * sizeof(double));
    }
    ck_tape_job job = {net, theta, x, ldx, with_delta, t};
    size_t grain = (n + 2 * (size_t)ck_parallel_default_threads() - 1) / (2 * (size_t)ck_parallel_default_threads());
    if (nthreads > 0) grain = (n + 2 * (size_t)nthreads - 1) / (2 * (size_t)nthreads);
    if (grain > 64) grain = 64;
    ck_parallel_tasks(n, grain, nthreads, 1, ck_tape_chunk, &job);
    return CK_OK;
}
