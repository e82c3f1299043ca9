/* mlp.c — MLP forward pass, full Jacobian, and matrix-free JVP/VJP blocks (MATH.md §1, (2.12) in 2408.01517).
 *
 * For a dense layer the per-sample parameter Jacobian is an outer product:
 *   ∂f_q(x_i)/∂W_l[r,c] = a_l δ^l_{(iq),r} h^{l-1}_{i,c},   ∂f_q(x_i)/∂b_l[r] = c_l δ^l_{(iq),r},
 * with δ^L_{(iq),r} = [q = r]. Everything below is built on that and on the tape of mlp_tape.c.
 */
#include <stdlib.h>
#include <string.h>

#include "ckernels.h"
#include "internal.h"

int ck_mlp_forward(const ck_mlp *net, const double *theta, const double *x, size_t ldx, size_t n, double *out,
                   size_t ldout) {
    ck_runtime_ensure_fast_blas();
    int st = ck_mlp_check(net);
    if (st != CK_OK) return st;
    size_t Q = net->widths[net->nlayers];
    if (out == NULL) return CK_EARG;
    if (!ck_valid_operand(n, Q, ldout)) return CK_EDIM;
    ck_tape t;
    st = ck_tape_record(net, theta, x, ldx, n, 0, 0, &t);
    if (st != CK_OK) return st;
    for (size_t q = 0; q < Q; q++) memcpy(out + q * ldout, t.out + q * n, n * sizeof(double));
    ck_tape_free(&t);
    return CK_OK;
}

/* ---- Jacobian: one column per parameter, written as a contiguous stream ---------------------------- */

typedef struct {
    const ck_tape *t;
    size_t layer_begin[65]; /* first parameter index of layer l (1-based), layer_begin[L+1] = K */
    double *d;
    size_t ldd;
} ck_jac_job;

static void ck_jac_body(size_t kb, size_t ke, void *ctx) {
    const ck_jac_job *j = ctx;
    const ck_tape *t = j->t;
    size_t n = t->n, Q = t->Q, nq = n * Q, L = t->L;
    size_t l = 1;
    for (size_t k = kb; k < ke; k++) {
        while (k >= j->layer_begin[l + 1]) l++;
        size_t mi = t->w[l - 1], mo = t->w[l], local = k - j->layer_begin[l];
        double *col = j->d + k * j->ldd;
        int is_bias = local >= mi * mo;
        size_t r = is_bias ? local - mi * mo : local / mi, c = is_bias ? 0 : local % mi;
        double scale = is_bias ? t->c[l - 1] : t->a[l - 1];
        const double *h = is_bias ? NULL : t->h[l - 1] + c * n;
        if (l == L) { /* δ^L = identity: one non-zero per sample */
            memset(col, 0, nq * sizeof(double));
            for (size_t i = 0; i < n; i++) col[i * Q + r] = scale * (h ? h[i] : 1.0);
            continue;
        }
        const double *dr = t->delta[l] + r * nq;
        if (h == NULL) {
            for (size_t p = 0; p < nq; p++) col[p] = scale * dr[p];
        } else {
            for (size_t i = 0; i < n; i++) {
                double s = scale * h[i];
                const double *di = dr + i * Q;
                double *ci = col + i * Q;
                for (size_t q = 0; q < Q; q++) ci[q] = s * di[q];
            }
        }
    }
}

int ck_mlp_jacobian(const ck_mlp *net, const double *theta, const double *x, size_t ldx, size_t n, double *d,
                    size_t ldd, int nthreads) {
    ck_runtime_ensure_fast_blas();
    int st = ck_mlp_check(net);
    if (st != CK_OK) return st;
    size_t L = net->nlayers, Q = net->widths[L], K = ck_mlp_parameter_count(net);
    if (d == NULL) return CK_EARG;
    if (!ck_valid_operand(n * Q, 1, ldd)) return CK_EDIM;
    ck_tape t;
    st = ck_tape_record(net, theta, x, ldx, n, 1, nthreads, &t);
    if (st != CK_OK) return st;
    ck_advise_huge_pages(d, ldd * K * sizeof(double));
    ck_jac_job job = {.t = &t, .d = d, .ldd = ldd};
    for (size_t l = 1; l <= L + 1; l++) job.layer_begin[l] = ck_mlp_weight_offset(net, l);
    ck_parallel_for(K, 64, nthreads, ck_jac_body, &job);
    ck_tape_free(&t);
    return CK_OK;
}

/* ---- JVP: (D v)_{(iq)} = Σ_l Σ_r δ^l_{(iq),r} U^l_{i,r},  U^l = a_l H^{l-1} V_lᵀ + c_l 1 v_{b_l}ᵀ ---------
 * ---- VJP: E^l_{i,r} = Σ_q u_{iq} δ^l_{(iq),r};  ∇W_lᵀ = a_l H^{l-1}ᵀ E^l,  ∇b_l = c_l Σ_i E^l_{i,·} ----------
 * Directions are independent: tasks over directions, each thread with its own n×max(M_l) buffer and serial BLAS. */

typedef struct {
    const ck_mlp *net;
    const ck_tape *t;
    const double *in;
    size_t ldin;
    double *out;
    size_t ldout;
    double *work; /* per thread n·mmax */
    size_t per;
} ck_block_job;

static void ck_jvp_task(size_t bb, size_t be, int tid, void *ctx) {
    const ck_block_job *j = ctx;
    const ck_tape *t = j->t;
    size_t n = t->n, Q = t->Q, nq = n * Q, L = t->L;
    double *u = j->work + (size_t)tid * j->per;
    for (size_t b = bb; b < be; b++) {
        const double *vb = j->in + b * j->ldin;
        double *ob = j->out + b * j->ldout;
        memset(ob, 0, nq * sizeof(double));
        for (size_t l = 1; l <= L; l++) {
            size_t mi = t->w[l - 1], mo = t->w[l], off = ck_mlp_weight_offset(j->net, l);
            for (size_t r = 0; r < mo; r++) {
                double bv = t->c[l - 1] * vb[off + mi * mo + r];
                for (size_t i = 0; i < n; i++) u[r * n + i] = bv;
            }
            ck_linalg_gemm(0, 0, n, mo, mi, t->a[l - 1], t->h[l - 1], n, vb + off, mi, 1.0, u, n);
            if (l == L) {
                for (size_t i = 0; i < n; i++)
                    for (size_t q = 0; q < Q; q++) ob[i * Q + q] += u[q * n + i];
                continue;
            }
            for (size_t r = 0; r < mo; r++) {
                const double *dr = t->delta[l] + r * nq;
                const double *ur = u + r * n;
                for (size_t i = 0; i < n; i++)
                    for (size_t q = 0; q < Q; q++) ob[i * Q + q] += dr[i * Q + q] * ur[i];
            }
        }
    }
}

static void ck_vjp_task(size_t bb, size_t be, int tid, void *ctx) {
    const ck_block_job *j = ctx;
    const ck_tape *t = j->t;
    size_t n = t->n, Q = t->Q, nq = n * Q, L = t->L;
    double *e = j->work + (size_t)tid * j->per;
    for (size_t b = bb; b < be; b++) {
        const double *ub = j->in + b * j->ldin;
        double *ob = j->out + b * j->ldout;
        for (size_t l = 1; l <= L; l++) {
            size_t mi = t->w[l - 1], mo = t->w[l], off = ck_mlp_weight_offset(j->net, l);
            for (size_t r = 0; r < mo; r++) {
                double *er = e + r * n;
                if (l == L) {
                    for (size_t i = 0; i < n; i++) er[i] = ub[i * Q + r];
                    continue;
                }
                const double *dr = t->delta[l] + r * nq;
                for (size_t i = 0; i < n; i++) {
                    double s = 0;
                    for (size_t q = 0; q < Q; q++) s += ub[i * Q + q] * dr[i * Q + q];
                    er[i] = s;
                }
            }
            ck_linalg_gemm(1, 0, mi, mo, n, t->a[l - 1], t->h[l - 1], n, e, n, 0.0, ob + off, mi);
            for (size_t r = 0; r < mo; r++) {
                double s = 0;
                for (size_t i = 0; i < n; i++) s += e[r * n + i];
                ob[off + mi * mo + r] = t->c[l - 1] * s;
            }
        }
    }
}

/* JVP (jvp = 1: in K×nb, out QN×nb) or VJP (in QN×nb, out K×nb) from a recorded tape. */
int ck_block_from_tape(int jvp, const ck_mlp *net, const ck_tape *t, const double *in, size_t ldin, size_t nb, double *out,
                       size_t ldout, int nthreads) {
    size_t L = net->nlayers, K = ck_mlp_parameter_count(net), nq = t->n * t->Q;
    if (in == NULL || out == NULL) return CK_EARG;
    size_t in_rows = jvp ? K : nq, out_rows = jvp ? nq : K;
    if (!ck_valid_operand(in_rows, nb, ldin) || !ck_valid_operand(out_rows, nb, ldout)) return CK_EDIM;
    if (nb == 0) return CK_OK;
    size_t mmax = 0;
    for (size_t l = 1; l <= L; l++) mmax = net->widths[l] > mmax ? net->widths[l] : mmax;
    int nt = ck_parallel_threads_for(nb, 1, nthreads);
    double *work = malloc((size_t)nt * t->n * mmax * sizeof(double));
    if (work == NULL) return CK_ENOMEM;
    ck_block_job job = {net, t, in, ldin, out, ldout, work, t->n * mmax};
    ck_parallel_tasks(nb, 1, nt, 1, jvp ? ck_jvp_task : ck_vjp_task, &job);
    free(work);
    return CK_OK;
}

/* Shared driver of JVP and VJP: record a tape, then ck_block_from_tape. */
static int ck_mlp_block(int jvp, const ck_mlp *net, const double *theta, const double *x, size_t ldx, size_t n,
                        const double *in, size_t ldin, size_t nb, double *out, size_t ldout, int nthreads) {
    ck_runtime_ensure_fast_blas();
    int st = ck_mlp_check(net);
    if (st != CK_OK) return st;
    if (in == NULL || out == NULL) return CK_EARG;
    ck_tape t;
    st = ck_tape_record(net, theta, x, ldx, n, 1, nthreads, &t);
    if (st != CK_OK) return st;
    st = ck_block_from_tape(jvp, net, &t, in, ldin, nb, out, ldout, nthreads);
    ck_tape_free(&t);
    return st;
}

int ck_mlp_jvp(const ck_mlp *net, const double *theta, const double *x, size_t ldx, size_t n, const double *v,
               size_t ldv, size_t nv, double *out, size_t ldout, int nthreads) {
    return ck_mlp_block(1, net, theta, x, ldx, n, v, ldv, nv, out, ldout, nthreads);
}

int ck_mlp_vjp(const ck_mlp *net, const double *theta, const double *x, size_t ldx, size_t n, const double *u,
               size_t ldu, size_t nu, double *out, size_t ldout, int nthreads) {
    return ck_mlp_block(0, net, theta, x, ldx, n, u, ldu, nu, out, ldout, nthreads);
}
