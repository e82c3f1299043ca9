/* arpack.c — a few eigenpairs of a large symmetric operator by ARPACK-ng's implicitly restarted Lanczos method
 * (Lehoucq & Sorensen; dsaupd/dseupd, symmetric reverse communication, mode 1: standard problem A x = λ x).
 *
 * The reverse-communication loop runs here: ARPACK asks for y = A x, the caller's callback computes it. ARPACK
 * keeps state in Fortran SAVE variables, so one solve runs at a time in the process: a mutex is held for the
 * whole call (a concurrent caller waits; a callback must not start another solve).
 */
#include <arpack/arpack.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ckernels.h"
#include "internal.h"

static pthread_mutex_t ck_arpack_lock = PTHREAD_MUTEX_INITIALIZER;

/* The deterministic start vector: entries offset … offset+n−1 of a fixed splitmix64 stream in [−1, 1). A fixed
 * start makes a run reproducible (ARPACK's own random start depends on how many solves ran before in the
 * process), and a rank of a distributed solve that owns rows offset… takes the same entries as one process. */
void ck_eigs_start_vector(size_t offset, size_t n, double *r) {
    for (size_t i = 0; i < n; i++) {
        uint64_t z = 0x9E3779B97F4A7C15ull * (uint64_t)(offset + i + 2);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        r[i] = (double)(z >> 11) * 0x1.0p-52 - 1.0;
    }
}

int ck_eigs_symmetric(size_t n, size_t nev, size_t ncv, int largest, double tol, size_t max_iter, const double *v0,
                      ck_linear_map apply, void *ctx, double *values, double *vectors, size_t ldv,
                      ck_eigs_report *rep) {
    ck_runtime_ensure_fast_blas();
    if (apply == NULL || values == NULL || vectors == NULL || rep == NULL) return CK_EARG;
    memset(rep, 0, sizeof *rep);
    if (n == 0 || nev == 0 || nev >= ncv || ncv > n || n > (size_t)INT_MAX / 4 || ldv < n) return CK_EDIM;
    if (!(tol >= 0.0) || max_iter == 0 || max_iter > (size_t)INT_MAX) return CK_EARG;
    size_t lworkl = ncv * (ncv + 8);
    if (lworkl > (size_t)INT_MAX || ncv > SIZE_MAX / sizeof(double) / n) return CK_EDIM;
    double *resid = malloc(n * sizeof(double)), *v = malloc(n * ncv * sizeof(double));
    double *workd = malloc(3 * n * sizeof(double)), *workl = malloc(lworkl * sizeof(double));
    double *d = malloc(ncv * sizeof(double));
    a_int *select = calloc(ncv, sizeof(a_int));
    int st = CK_OK;
    if (!resid || !v || !workd || !workl || !d || !select) st = CK_ENOMEM;
    if (st == CK_OK) {
        if (v0) memcpy(resid, v0, n * sizeof(double));
        else ck_eigs_start_vector(0, n, resid);
        pthread_mutex_lock(&ck_arpack_lock);
        a_int ido = 0, info = 1, iparam[11] = {0}, ipntr[14] = {0};
        iparam[0] = 1;              /* exact shifts */
        iparam[2] = (a_int)max_iter; /* restarts allowed */
        iparam[3] = 1;
        iparam[6] = 1;              /* mode 1: A x = λ x */
        const char *which = largest ? "LA" : "SA";
        for (;;) {
            dsaupd_c(&ido, "I", (a_int)n, which, (a_int)nev, tol, resid, (a_int)ncv, v, (a_int)n, iparam, ipntr,
                     workd, workl, (a_int)lworkl, &info);
            if (ido != 1 && ido != -1) break;
            rep->products++;
            if (apply(workd + ipntr[0] - 1, workd + ipntr[1] - 1, ctx) != 0) {
                st = CK_ESTOPPED;
                break;
            }
        }
        rep->arpack_info = (int)info;
        rep->restarts = (size_t)(iparam[2] > 0 ? iparam[2] : 0);
        rep->converged = (size_t)(iparam[4] > 0 ? iparam[4] : 0);
        if (st == CK_OK && info < 0) st = CK_EARPACK;
        if (st == CK_OK && rep->converged > 0) {
            a_int einfo = 0;
            dseupd_c(1, "A", select, d, v, (a_int)n, 0.0, "I", (a_int)n, which, (a_int)nev, tol, resid, (a_int)ncv, v,
                     (a_int)n, iparam, ipntr, workd, workl, (a_int)lworkl, &einfo);
            if (einfo != 0) {
                rep->arpack_info = (int)einfo;
                rep->converged = 0;
                st = CK_EARPACK;
            } else {
                size_t nc = rep->converged < nev ? rep->converged : nev;
                rep->converged = nc;
                memcpy(values, d, nc * sizeof(double));
                for (size_t k = 0; k < nc; k++) memcpy(vectors + k * ldv, v + k * n, n * sizeof(double));
            }
        }
        pthread_mutex_unlock(&ck_arpack_lock);
    }
    free(resid);
    free(v);
    free(workd);
    free(workl);
    free(d);
    free(select);
    return st;
}
