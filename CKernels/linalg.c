/* linalg.c — dense linear algebra over OpenBLAS (cblas) and LAPACKE; status codes, never aborts. */
#include <cblas.h>
#include <lapacke.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ckernels.h"
#include "internal.h"

/* Sizes up to which LAPACK runs on one BLAS thread (ck_blas_serial_enter): see the measurements at each call. */
enum { CK_GEMM_SERIAL_WORK = 4000000 };
enum { CK_SVD_SERIAL_MIN_SIDE = 256, CK_SVD_SERIAL_MAX_SIDE = 4096, CK_SYEV_SERIAL_MAX = 320, CK_CHOLESKY_SERIAL_MAX = 800, CK_CHOLESKY_THREADED_RHS = 64 };

int ck_linalg_gemm(int transa, int transb, size_t m, size_t n, size_t k, double alpha, const double *a,
                   size_t lda, const double *b, size_t ldb, double beta, double *c, size_t ldc) {
    ck_runtime_ensure_fast_blas();
    size_t ar = transa ? k : m, ac = transa ? m : k;
    size_t br = transb ? n : k, bc = transb ? k : n;
    if (!ck_valid_operand(ar, ac, lda) || !ck_valid_operand(br, bc, ldb) || !ck_valid_operand(m, n, ldc))
        return CK_EDIM;
    if (m == 0 || n == 0) return CK_OK;
    if (c == NULL || (k > 0 && (a == NULL || b == NULL))) return CK_EARG;
    /* Below CK_GEMM_SERIAL_WORK multiply-adds a product takes ~0.1 ms on one core, about what waking and
     * joining OpenBLAS's second thread costs: run it on one thread (issue #28, small problems). */
    int serial = (double)m * (double)n * (double)k < CK_GEMM_SERIAL_WORK;
    if (serial) ck_blas_serial_enter();
    cblas_dgemm(CblasColMajor, transa ? CblasTrans : CblasNoTrans, transb ? CblasTrans : CblasNoTrans, (int)m,
                (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
    if (serial) ck_blas_serial_leave();
    return CK_OK;
}

int ck_linalg_svd(size_t m, size_t n, double *a, size_t lda, double *s, double *u, size_t ldu, double *vt,
                  size_t ldvt) {
    ck_runtime_ensure_fast_blas();
    size_t r = m < n ? m : n;
    if (!ck_valid_operand(m, n, lda) || !ck_valid_operand(m, r, ldu) || !ck_valid_operand(r, n, ldvt))
        return CK_EDIM;
    if (r == 0) return CK_OK;
    if (a == NULL || s == NULL || u == NULL || vt == NULL) return CK_EARG;
    if (ck_linalg_svd_driver(m, n) == CK_DRIVER_REFUSED) return CK_EDIM;
    /* dgesdd destroys A; keep a copy for the dgesvd retry. */
    double *saved = malloc(m * n * sizeof(double));
    if (saved == NULL) return CK_ENOMEM;
    for (size_t j = 0; j < n; j++) memcpy(saved + j * m, a + j * lda, m * sizeof(double));
    /* One BLAS thread for small matrices, where dgesdd's level-2 panels lose more to the second thread than its
     * products gain. Measured on 2 cores (Xeon, best of 4–20, serial / threaded): 64×1000 3.4 / 6.8 ms; 100×2000
     * 12.7 / 26.4 ms; 128×4096 76 / 83 ms; 200×4000 77 / 114 ms; 300×300 14.0 / 15.8 ms; but 100×19978 228 / 205
     * ms, 256×8192 328 / 255 ms, 640×5898 815 / 661 ms and 1000×20000 5.75 / 4.34 s are faster threaded. This
     * simple rule leaves 400×8000 threaded although it was 7% faster serial (506 / 542 ms). */
    size_t big = m > n ? m : n;
    int serial = r <= CK_SVD_SERIAL_MIN_SIDE && big <= CK_SVD_SERIAL_MAX_SIDE;
    if (serial) ck_blas_serial_enter();
    lapack_int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', (lapack_int)m, (lapack_int)n, a, (lapack_int)lda, s, u,
                                     (lapack_int)ldu, vt, (lapack_int)ldvt);
    if (info > 0) {
        double *superb = malloc((r > 1 ? r - 1 : 1) * sizeof(double));
        if (superb == NULL) {
            if (serial) ck_blas_serial_leave();
            free(saved);
            return CK_ENOMEM;
        }
        info = LAPACKE_dgesvd(LAPACK_COL_MAJOR, 'S', 'S', (lapack_int)m, (lapack_int)n, saved, (lapack_int)m, s, u,
                              (lapack_int)ldu, vt, (lapack_int)ldvt, superb);
        free(superb);
    }
    if (serial) ck_blas_serial_leave();
    free(saved);
    if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR) return CK_ENOMEM;
    return (int)info;
}

/* Workspace sizes in exact 64-bit arithmetic (n² overflows nothing below n = 2^31), compared with LAPACK's
 * 32-bit integer range. dsyevd (JOBZ = 'V'): LWORK = 1 + 6n + 2n², LIWORK = 3 + 5n; its optimum equals the
 * minimum. dsyevr: LWORK = (NB + 6)·n with the block size NB of dsytrd (<= 64 in OpenBLAS and the reference),
 * LIWORK = 10n. */
int ck_linalg_syev_driver(size_t n) {
    const unsigned long long lim = (unsigned long long)INT_MAX, nn = (unsigned long long)n;
    if (nn > lim) return CK_DRIVER_REFUSED;
    if (1 + 6 * nn + 2 * nn * nn <= lim) return CK_DRIVER_SYEVD;
    if (70 * nn <= lim) return CK_DRIVER_SYEVR;
    return CK_DRIVER_REFUSED;
}

/* dgesdd (JOBZ = 'S'): LWORK >= 3r + max(M, 4r² + 4r), IWORK 8r, and the optimum LAPACKE queries and allocates adds
 * the blocked QR/bidiagonalisation work (≤ 64·(M + r) here, generous). dgesvd (only the fallback after dgesdd
 * did not converge) needs no more than that, so one bound serves both. */
int ck_linalg_svd_driver(size_t m, size_t n) {
    const unsigned long long lim = (unsigned long long)INT_MAX;
    unsigned long long r = m < n ? m : n, big = m > n ? m : n;
    if (big > lim) return CK_DRIVER_REFUSED;
    unsigned long long need = 3 * r + (big > 4 * r * r + 4 * r ? big : 4 * r * r + 4 * r) + 64 * (big + r);
    return need <= lim && 8 * r <= lim ? CK_DRIVER_GESDD : CK_DRIVER_REFUSED;
}

int ck_linalg_syev(size_t n, double *a, size_t lda, double *w) {
    ck_runtime_ensure_fast_blas();
    if (!ck_valid_operand(n, n, lda)) return CK_EDIM;
    if (n == 0) return CK_OK;
    if (a == NULL || w == NULL) return CK_EARG;
    int driver = ck_linalg_syev_driver(n);
    if (driver == CK_DRIVER_REFUSED) return CK_EDIM;
    /* Below a few hundred, OpenBLAS's second thread costs dsyevd more than it gives: measured on 2 cores (Xeon,
     * best of 200), n = 50: 203 µs serial against 275 µs threaded; 100: 735 / 1041; 200: 2.83 / 3.58 ms;
     * 300: 6.97 / 7.52 ms; 400: equal; 640: 45.8 / 38.2 ms. */
    int serial = n <= CK_SYEV_SERIAL_MAX;
    if (serial) ck_blas_serial_enter();
    lapack_int info;
    if (driver == CK_DRIVER_SYEVD) {
        info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'L', (lapack_int)n, a, (lapack_int)lda, w);
    } else {
        /* dsyevr writes the vectors to a separate n×n array: copied back over A. */
        double *z = malloc(n * n * sizeof(double));
        lapack_int *isuppz = malloc(2 * n * sizeof(lapack_int));
        lapack_int m = 0;
        if (z == NULL || isuppz == NULL) {
            info = LAPACK_WORK_MEMORY_ERROR;
        } else {
            info = LAPACKE_dsyevr(LAPACK_COL_MAJOR, 'V', 'A', 'L', (lapack_int)n, a, (lapack_int)lda, 0.0, 0.0, 0, 0,
                                  0.0, &m, w, z, (lapack_int)n, isuppz);
            if (info == 0)
                for (size_t j = 0; j < n; j++) memcpy(a + j * lda, z + j * n, n * sizeof(double));
        }
        free(z);
        free(isuppz);
    }
    if (serial) ck_blas_serial_leave();
    if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR) return CK_ENOMEM;
    return (int)info;
}

/* Higham's 1-norm estimate of ‖A⁻¹‖₁ (LAPACK dlacn2, reverse communication) with solves by the Cholesky factor
 * (two optimised dtrsv): the estimate dpocon makes, without dpocon's overflow-guarded dlatrs solves,
 * which cost as much as the factorisation itself at n = 640. rcond = 1/(‖A‖₁ · est ‖A⁻¹‖₁). */
extern void dlacn2_(const lapack_int *n, double *v, double *x, lapack_int *isgn, double *est, lapack_int *kase,
                    lapack_int *isave);

static lapack_int ck_cholesky_rcond(lapack_int n, const double *l, lapack_int ldl, double anorm, double *rcond) {
    *rcond = 0.0;
    if (anorm == 0.0) return 0;
    double *v = malloc(2 * (size_t)n * sizeof(double));
    lapack_int *isgn = malloc((size_t)n * sizeof(lapack_int));
    if (v == NULL || isgn == NULL) {
        free(v);
        free(isgn);
        return LAPACK_WORK_MEMORY_ERROR;
    }
    double *x = v + n, est = 0.0;
    lapack_int kase = 0, isave[3] = {0, 0, 0}, info = 0;
    for (;;) {
        dlacn2_(&n, v, x, isgn, &est, &kase, isave);
        if (kase == 0) break;
        /* A is symmetric: A⁻¹ and A⁻ᵀ coincide, so both kinds of request are one solve. */
        cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, l, (int)ldl, x, 1);
        cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, (int)n, l, (int)ldl, x, 1);
    }
    if (info == 0 && est > 0.0) *rcond = (1.0 / est) / anorm;
    free(v);
    free(isgn);
    return info;
}

int ck_linalg_cholesky_solve(size_t n, size_t nrhs, double *a, size_t lda, double *b, size_t ldb, double *rcond) {
    ck_runtime_ensure_fast_blas();
    if (!ck_valid_operand(n, n, lda) || !ck_valid_operand(n, nrhs, ldb)) return CK_EDIM;
    if (rcond) *rcond = 0.0;
    if (n == 0) return CK_OK;
    if (a == NULL || (nrhs > 0 && b == NULL)) return CK_EARG;
    /* The _work variants skip LAPACKE's NaN scans: the Swift layer has validated the input already. */
    lapack_int ln = (lapack_int)n, llda = (lapack_int)lda;
    double anorm = 0.0;
    if (rcond) {
        double *w = malloc(n * sizeof(double));
        if (w == NULL) return CK_ENOMEM;
        anorm = LAPACKE_dlansy_work(LAPACK_COL_MAJOR, '1', 'L', ln, a, llda, w);
        free(w);
    }
    /* One BLAS thread up to n = 800: measured on 2 cores (Xeon, best of 300, one right-hand side, with the
     * condition estimate), n = 100: 53 µs serial against 93 µs threaded; 200: 202 / 262; 400: 927 / 1000;
     * 640: 3.06 / 2.86 ms. The threaded dpotrf waits for its partner in sched_yield: in the adapted flow of the
     * benchmarks (n = 640, 350 solves, 2 threads, Zen 4) it made 53k calls and 0.36–0.44 s of system time for
     * 2.2 s of user time; serial up to 800, 0.05–0.08 s, and the whole flow stays faster than with 1 thread. */
    int serial = n <= CK_CHOLESKY_SERIAL_MAX;
    if (serial) ck_blas_serial_enter();
    lapack_int info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', ln, a, llda);
    /* The condition estimate and the solves with a few right-hand sides are triangular solves (level 2: O(n²)
     * work in many short calls). Threaded, each call wakes the pool and spins in sched_yield for the other thread:
     * measured on 2 cores (Zen 4, medians of 9–15, n = 640), dpotrf + dpocon + dpotrs took 4.3–4.5 ms threaded
     * against 3.2 ms serial, while dpotrf + dpotrs alone took 2.3–2.5 ms threaded against 2.7–2.8 ms serial
     * (n = 1000: 6.8–7.7 / 9.6–10.0 ms; 2500: 77 / 128 ms). So only the factorisation is threaded. */
    int serial_tail = !serial && nrhs < CK_CHOLESKY_THREADED_RHS;
    if (serial_tail) ck_blas_serial_enter();
    if (info == 0 && rcond) info = ck_cholesky_rcond(ln, a, llda, anorm, rcond);
    if (info == 0 && nrhs > 0)
        info = LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', ln, (lapack_int)nrhs, a, llda, b, (lapack_int)ldb);
    if (serial || serial_tail) ck_blas_serial_leave();
    if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR) return CK_ENOMEM;
    return (int)info;
}
