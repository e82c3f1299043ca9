/* mlp_recorded_pass.c — one recorded pass of an MLP reused by several kernels: the adapted flow needs the
 * outputs, the NTK and one VJP at the same θ, and recording the forward/backward tape once instead of three times
 * saves a third of the non-BLAS work of a field evaluation. */
#include <stdlib.h>
#include <string.h>

#include "ckernels.h"
#include "internal.h"

struct ck_mlp_pass {
    ck_mlp net;
    size_t widths[CK_MAX_LAYERS + 1];
    double wscale[CK_MAX_LAYERS], bscale[CK_MAX_LAYERS];
    ck_tape tape;
};

ck_mlp_pass *ck_mlp_pass_create(const ck_mlp *net, const double *theta, const double *x, size_t ldx, size_t n,
                                int nthreads, int *status) {
    ck_runtime_ensure_fast_blas();
    int st = ck_mlp_check(net);
    if (st == CK_OK && (theta == NULL || x == NULL)) st = CK_EARG;
    ck_mlp_pass *p = st == CK_OK ? calloc(1, sizeof *p) : NULL;
    if (st == CK_OK && p == NULL) st = CK_ENOMEM;
    if (st == CK_OK) {
        size_t L = net->nlayers;
        memcpy(p->widths, net->widths, (L + 1) * sizeof(size_t));
        for (size_t l = 0; l < L; l++) {
            p->wscale[l] = net->wscale ? net->wscale[l] : 1.0;
            p->bscale[l] = net->bscale ? net->bscale[l] : 1.0;
        }
        p->net = (ck_mlp){p->widths, L, net->activation, p->wscale, p->bscale};
        st = ck_tape_record(&p->net, theta, x, ldx, n, 1, nthreads, &p->tape);
        if (st != CK_OK) {
            free(p);
            p = NULL;
        }
    }
    if (status) *status = st;
    return p;
}

void ck_mlp_pass_free(ck_mlp_pass *p) {
    if (p == NULL) return;
    ck_tape_free(&p->tape);
    free(p);
}

int ck_mlp_pass_outputs(const ck_mlp_pass *p, double *out, size_t ldout) {
    if (p == NULL || out == NULL) return CK_EARG;
    size_t n = p->tape.n, Q = p->tape.Q;
    if (!ck_valid_operand(n, Q, ldout)) return CK_EDIM;
    for (size_t q = 0; q < Q; q++) memcpy(out + q * ldout, p->tape.out + q * n, n * sizeof(double));
    return CK_OK;
}

int ck_mlp_pass_ntk(const ck_mlp_pass *p, double *g, size_t ldg, int nthreads) {
    if (p == NULL) return CK_EARG;
    return ck_ntk_from_tapes(&p->net, &p->tape, NULL, g, ldg, nthreads);
}

int ck_mlp_pass_vjp(const ck_mlp_pass *p, const double *u, size_t ldu, size_t nu, double *out, size_t ldout,
                    int nthreads) {
    if (p == NULL) return CK_EARG;
    return ck_block_from_tape(0, &p->net, &p->tape, u, ldu, nu, out, ldout, nthreads);
}

int ck_mlp_pass_ntk_cross(const ck_mlp_pass *p1, const ck_mlp_pass *p2, double *g, size_t ldg, int nthreads) {
    if (p1 == NULL || p2 == NULL) return CK_EARG;
    size_t L = p1->net.nlayers;
    if (p2->net.nlayers != L || p1->net.activation != p2->net.activation) return CK_EARG;
    for (size_t l = 0; l <= L; l++)
        if (p1->widths[l] != p2->widths[l]) return CK_EARG;
    for (size_t l = 0; l < L; l++)
        if (p1->wscale[l] != p2->wscale[l] || p1->bscale[l] != p2->bscale[l]) return CK_EARG;
    return ck_ntk_from_tapes(&p1->net, &p1->tape, &p2->tape, g, ldg, nthreads);
}
