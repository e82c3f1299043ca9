/* lowest_eigenpairs.c — the k lowest eigenpairs of a dense symmetric matrix (the dense route of the NTK spectrum's
 * smallest end): by restarted block Krylov on a Cholesky factor when that converges, else as dsyevr does for an
 * index range. Status codes, never aborts or prints. */
#include <cblas.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ckernels.h"
#include "internal.h"

enum { CK_LOWEST_SERIAL_MAX = 320, CK_INVERSE_BLOCKS = 4 };

/* The k lowest eigenpairs and the largest eigenvalue of a symmetric matrix, as dsyevr does for an index range:
 * Householder tridiagonalisation (dsytrd, the O(n³) part, half BLAS-3), bisection for the wanted eigenvalues of
 * the tridiagonal T (dstebz, 'B' order), inverse iteration for their vectors (dstein, reorthogonalised within
 * clusters), and the back-transformation of those k vectors only (dormtr). Against dsyevd's full decomposition:
 * no 2n² workspace, no n×n eigenvector array, and no back-transformation of n vectors (measured at n = 10,000 on
 * 2 Zen 4 cores through SciPy: 60 s for an index range against 106 s for everything). */
int ck_linalg_syev_lowest(size_t n, double *a, size_t lda, size_t k, double *w, double *z, size_t ldz,
                          double *wmax) {
    ck_runtime_ensure_fast_blas();
    if (!ck_valid_operand(n, n, lda) || !ck_valid_operand(n, k, ldz)) return CK_EDIM;
    if (k > n) return CK_EDIM;
    if (wmax == NULL) return CK_EARG;
    *wmax = 0.0;
    if (n == 0) return CK_OK;
    if (a == NULL || w == NULL || (k > 0 && z == NULL)) return CK_EARG;
    if (n > (size_t)INT_MAX / 70 || lda > (size_t)INT_MAX || ldz > (size_t)INT_MAX) return CK_EDIM;
    const lapack_int nn = (lapack_int)n, kk = (lapack_int)k;
    double *d = malloc(n * sizeof(double)), *e = malloc(n * sizeof(double)), *tau = malloc(n * sizeof(double));
    double *wall = malloc(n * sizeof(double)), *work = malloc(5 * n * sizeof(double));
    lapack_int *iblock = malloc(n * sizeof(lapack_int)), *isplit = malloc(n * sizeof(lapack_int));
    lapack_int *iwork = malloc(3 * n * sizeof(lapack_int)), *ifail = malloc((k > 0 ? k : 1) * sizeof(lapack_int));
    lapack_int info = 0;
    if (d == NULL || e == NULL || tau == NULL || wall == NULL || work == NULL || iblock == NULL || isplit == NULL ||
        iwork == NULL || ifail == NULL) {
        info = LAPACK_WORK_MEMORY_ERROR;
        goto done;
    }
    int serial = n <= CK_LOWEST_SERIAL_MAX;
    if (serial) ck_blas_serial_enter();
    info = LAPACKE_dsytrd(LAPACK_COL_MAJOR, 'L', nn, a, (lapack_int)lda, d, e, tau);
    /* abstol = 2·safe minimum: bisection to full accuracy, as dstein's documentation asks. */
    const double abstol = 2 * LAPACKE_dlamch('S');
    lapack_int m = 0, nsplit = 0;
    if (info == 0) {  /* λ_max: bisection for the index n alone (values only, O(n)) */
        info = LAPACKE_dstebz('I', 'E', nn, 0.0, 0.0, nn, nn, abstol, d, e, &m, &nsplit, wall, iblock, isplit);
        if (info == 0) *wmax = m == 1 ? wall[0] : 0.0;
        if (info == 0 && m != 1) info = 1;
    }
    if (info == 0 && k > 0) {
        info = LAPACKE_dstebz('I', 'B', nn, 0.0, 0.0, 1, kk, abstol, d, e, &m, &nsplit, wall, iblock, isplit);
        if (info == 0 && m != kk) info = 1;
        if (info == 0)
            info = LAPACKE_dstein_work(LAPACK_COL_MAJOR, nn, d, e, kk, wall, iblock, isplit, z, (lapack_int)ldz, work,
                                       iwork, ifail);
        if (info == 0)
            info = LAPACKE_dormtr(LAPACK_COL_MAJOR, 'L', 'L', 'N', nn, kk, a, (lapack_int)lda, tau, z, (lapack_int)ldz);
        if (info == 0) {
            /* 'B' order is by split block: sort the pairs ascending (selection sort; k is small). */
            for (size_t i = 0; i < k; i++) {
                size_t best = i;
                for (size_t j = i + 1; j < k; j++)
                    if (wall[j] < wall[best]) best = j;
                if (best != i) {
                    double t = wall[i];
                    wall[i] = wall[best];
                    wall[best] = t;
                    for (size_t r = 0; r < n; r++) {
                        double u = z[i * ldz + r];
                        z[i * ldz + r] = z[best * ldz + r];
                        z[best * ldz + r] = u;
                    }
                }
            }
            memcpy(w, wall, k * sizeof(double));
        }
    }
    if (serial) ck_blas_serial_leave();
done:
    free(d);
    free(e);
    free(tau);
    free(wall);
    free(work);
    free(iblock);
    free(isplit);
    free(iwork);
    free(ifail);
    if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR) return CK_ENOMEM;
    if (info < 0) return CK_EARG; /* LAPACKE's own argument check: a NaN in A */
    return (int)info;
}

/* y = G x for the symmetric G whose strict upper triangle is in a and whose diagonal is diag (the lower triangle and
 * diagonal of a may hold a Cholesky factor): dsymv on the upper triangle, corrected by (diag − a_ii)·x. */
typedef struct {
    size_t n, lda;
    const double *a, *diag;
} ck_upper_sym;

static void ck_upper_symm(const ck_upper_sym *g, const double *x, size_t ldx, size_t cols, double *y, size_t ldy) {
    const size_t n = g->n;
    cblas_dsymm(CblasColMajor, CblasLeft, CblasUpper, (int)n, (int)cols, 1.0, g->a, (int)g->lda, x, (int)ldx, 0.0, y,
                (int)ldy);
    for (size_t j = 0; j < cols; j++)
        for (size_t i = 0; i < n; i++) y[j * ldy + i] += (g->diag[i] - g->a[i * g->lda + i]) * x[j * ldx + i];
}

static int ck_upper_sym_apply(const double *x, double *y, void *ctx) {
    const ck_upper_sym *g = ctx;
    ck_upper_symm(g, x, g->n, 1, y, g->n);
    return 0;
}

/* block ← C⁻¹ block for the n×p block (ld n) and C = L Lᵀ with L in the lower triangle of a: two triangular solves. */
static void ck_cholesky_solve_block(size_t n, const double *a, size_t lda, double *block, size_t p) {
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, (int)p, 1.0, a, (int)lda, block,
                (int)n);
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, (int)n, (int)p, 1.0, a, (int)lda, block,
                (int)n);
}

/* A's lower triangle and diagonal from its strict upper triangle and diag: undoes dpotrf's overwriting. */
static void ck_restore_lower(size_t n, double *a, size_t lda, const double *diag) {
    for (size_t j = 0; j < n; j++) {
        a[j * lda + j] = diag[j];
        for (size_t i = j + 1; i < n; i++) a[j * lda + i] = a[i * lda + j];
    }
}

/* block ← block − V Vᵀ block for the first `cols` orthonormal columns of V (n rows; ldv = n), by two GEMMs. */
static void ck_project_off(size_t n, const double *v, size_t cols, double *block, size_t p, double *coef) {
    if (cols == 0) return;
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)cols, (int)p, (int)n, 1.0, v, (int)n, block, (int)n, 0.0,
                coef, (int)cols);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)p, (int)cols, -1.0, v, (int)n, coef, (int)cols,
                1.0, block, (int)n);
}

/* Orthonormalises the n×p block against the first `cols` columns of V and within itself: projection twice,
 * Householder QR, then projection and QR once more (a rank-deficient block's QR may return columns outside its
 * span, which the second round projects off). 0, or -1 when LAPACK failed. */
static int ck_orthonormalise_block(size_t n, const double *v, size_t cols, double *block, size_t p, double *coef,
                                   double *tau) {
    for (int round = 0; round < 2; round++) {
        ck_project_off(n, v, cols, block, p, coef);
        ck_project_off(n, v, cols, block, p, coef);
        if (LAPACKE_dgeqrf(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)p, block, (lapack_int)n, tau) != 0 ||
            LAPACKE_dorgqr(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)p, (lapack_int)p, block, (lapack_int)n, tau) != 0)
            return -1;
    }
    return 0;
}

int ck_linalg_syev_lowest_inverse(size_t n, double *a, size_t lda, size_t k, size_t p, double tol, size_t max_iter,
                                  double *w, double *z, size_t ldz, double *wmax, size_t *iterations) {
    ck_runtime_ensure_fast_blas();
    if (!ck_valid_operand(n, n, lda) || !ck_valid_operand(n, k, ldz)) return CK_EDIM;
    if (k == 0 || k > p || p > n || n > (size_t)INT_MAX / 70 || lda > (size_t)INT_MAX || ldz > (size_t)INT_MAX)
        return CK_EDIM;
    if (a == NULL || w == NULL || z == NULL || wmax == NULL || iterations == NULL || !(tol > 0)) return CK_EARG;
    *iterations = 0;
    /* Blocks per cycle: the basis holds m·p ≤ n columns. */
    size_t m = CK_INVERSE_BLOCKS;
    while (m > 1 && m * p > n) m--;
    const size_t b = m * p;
    double *diag = malloc(n * sizeof(double)), *v = malloc(n * b * sizeof(double)), *gv = malloc(n * b * sizeof(double));
    double *t = malloc(n * p * sizeof(double)), *tau = malloc(p * sizeof(double)), *h = malloc(b * b * sizeof(double));
    double *theta = malloc(b * sizeof(double)), *coef = malloc(b * p * sizeof(double)), *top = malloc(n * sizeof(double));
    int status = CK_ENOMEM;
    if (diag == NULL || v == NULL || gv == NULL || t == NULL || tau == NULL || h == NULL || theta == NULL ||
        coef == NULL || top == NULL)
        goto done;
    for (size_t i = 0; i < n; i++) diag[i] = a[i * lda + i];
    ck_upper_sym g = {n, lda, a, diag};
    /* λ_max by Lanczos on G (ARPACK, relative tolerance 1e-10): the scale of the stopping test and of the shift. */
    ck_eigs_report rep;
    double lmax = 0;
    status = n < 3 ? 1 : ck_eigs_symmetric(n, 1, n < 20 ? n : 20, 1, 1e-10, 300, NULL, ck_upper_sym_apply, &g, &lmax, top, n, &rep);
    if (status == CK_ENOMEM) goto done;
    if (status != CK_OK || rep.converged != 1 || !(lmax > 0) || !isfinite(lmax)) {
        status = 1; /* not converged: A is intact */
        goto done;
    }
    status = 1; /* from here on: not converged until the test passes, A restored on the way out */
    *wmax = lmax;
    /* C = G + σI with σ = 1e-10·λ_max, 100 times the rounding in G's smallest eigenvalues at n = 10⁴ (nε·λ_max):
     * positive definite for a positive semidefinite G; its solves amplify rounding mostly in the directions of the
     * wanted (smallest) eigenvalues, and the Rayleigh–Ritz step with G itself decides the answer. */
    const double sigma = 1e-10 * lmax;
    for (size_t i = 0; i < n; i++) a[i * lda + i] += sigma;
    if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)n, a, (lapack_int)lda) != 0) {
        ck_restore_lower(n, a, lda, diag);
        goto done;
    }
    /* Restarted block Krylov: V = [Y, C⁻¹Y, …, C⁻⁽ᵐ⁻¹⁾Y] orthonormalised, Rayleigh–Ritz with G over all of V, the p
     * lowest Ritz vectors restart the next cycle (thick restart). A block of p ≥ a repeated eigenvalue's
     * multiplicity holds every copy, which a single-vector Krylov space would not. */
    for (size_t j = 0; j < p; j++) ck_eigs_start_vector(j * n, n, v + j * n);
    if (ck_orthonormalise_block(n, v, 0, v, p, coef, tau) != 0) goto restore;
    double previous = INFINITY;
    for (size_t cycle = 1; cycle <= max_iter; cycle++) {
        *iterations = cycle;
        if (m == 1) { /* no room for a second block: subspace iteration, V ← orth(C⁻¹V) */
            ck_cholesky_solve_block(n, a, lda, v, p);
            if (ck_orthonormalise_block(n, v, 0, v, p, coef, tau) != 0) goto restore;
        }
        for (size_t j = 1; j < m; j++) {
            double *blk = v + j * p * n;
            memcpy(blk, blk - p * n, n * p * sizeof(double));
            ck_cholesky_solve_block(n, a, lda, blk, p);
            if (ck_orthonormalise_block(n, v, j * p, blk, p, coef, tau) != 0) goto restore;
        }
        ck_upper_symm(&g, v, n, b, gv, n);
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)b, (int)b, (int)n, 1.0, v, (int)n, gv, (int)n, 0.0, h,
                    (int)b);
        for (size_t j = 0; j < b; j++)
            for (size_t i = j + 1; i < b; i++) h[j * b + i] = h[i * b + j] = 0.5 * (h[j * b + i] + h[i * b + j]);
        if (LAPACKE_dsyev(LAPACK_COL_MAJOR, 'V', 'L', (lapack_int)b, h, (lapack_int)b, theta) != 0) goto restore;
        /* A Ritz value above ARPACK's λ_max (its start vector nearly orthogonal to the top eigenvector) is a better
         * λ_max: it is a Rayleigh quotient of A, so never above the true one. */
        if (theta[b - 1] > lmax) *wmax = lmax = theta[b - 1];
        /* The p lowest Ritz vectors Y = V S and G Y = (G V) S; residuals of the k lowest. */
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)p, (int)b, 1.0, v, (int)n, h, (int)b, 0.0, t,
                    (int)n);
        memcpy(v, t, n * p * sizeof(double));
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)p, (int)b, 1.0, gv, (int)n, h, (int)b, 0.0, t,
                    (int)n);
        double worst = 0;
        for (size_t j = 0; j < k; j++) {
            double r = 0;
            for (size_t i = 0; i < n; i++) {
                double d = t[j * n + i] - theta[j] * v[j * n + i];
                r += d * d;
            }
            if (!(sqrt(r) <= worst)) worst = sqrt(r);
        }
        if (!isfinite(worst)) break;
        if (worst <= tol * lmax) {
            memcpy(w, theta, k * sizeof(double));
            for (size_t j = 0; j < k; j++) memcpy(z + j * ldz, v + j * n, n * sizeof(double));
            status = CK_OK;
            break;
        }
        /* Give up early when the observed rate cannot reach the tolerance in the cycles left (or stalls): the
         * caller then takes the tridiagonal route, which does not depend on the gaps. */
        if (cycle >= 4) {
            double rate = worst / previous;
            if (!(rate < 0.98) || log(tol * lmax / worst) / log(rate) > (double)(max_iter - cycle)) break;
        }
        previous = worst;
        /* The restart block is orthonormal in exact arithmetic (V S with orthonormal S); re-orthonormalise. */
        if (ck_orthonormalise_block(n, v, 0, v, p, coef, tau) != 0) break;
    }
restore:
    if (status != CK_OK) ck_restore_lower(n, a, lda, diag);
done:
    free(diag);
    free(v);
    free(gv);
    free(t);
    free(tau);
    free(h);
    free(theta);
    free(coef);
    free(top);
    return status;
}
