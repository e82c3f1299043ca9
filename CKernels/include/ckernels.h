/*
 * ckernels.h — the whole C ABI of TangentFlow's kernel layer.
 *
 * Conventions (every entry point):
 *   - Matrices are column-major double; an m×n operand A comes as (a, lda) with lda >= max(1, m).
 *   - Sizes are size_t; flags are int. Returns CK_OK (0), a negative CK_E* for a bad argument or
 *     resource failure, or a positive LAPACK `info`.
 *   - Nothing here aborts, prints, or keeps global mutable state except the one-time BLAS core
 *     selection (runtime.c, guarded by pthread_once).
 *   - Parallel entry points take `nthreads` (0 = default: the OpenMP runtime's max threads).
 *     BLAS is never called inside a parallel region (Debian's pthread OpenBLAS would oversubscribe).
 *   - Only <stddef.h> is included: no cblas/lapacke/omp name reaches Swift.
 */
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status.c ---------------------------------------------------------------------------- */

enum {
    CK_OK = 0,
    CK_EDIM = -1,      /* a dimension or leading dimension is invalid                    */
    CK_ENOMEM = -2,    /* a workspace allocation failed                                  */
    CK_EARG = -3,      /* another argument is invalid (unknown activation, NULL pointer) */
    CK_EUNAVAILABLE = -4, /* the operation needs a symbol this BLAS build does not export */
    CK_ESTOPPED = -5,   /* the caller's callback asked to stop (ck_eigs_symmetric)         */
    CK_EARPACK = -6,    /* ARPACK reported an error (ck_eigs_report.arpack_info < 0)        */
    CK_EINFEASIBLE = -7 /* the problem has no feasible solution (assignment: every complete one uses +inf) */
};

/* A static, human-readable description of a status code (never NULL). */
const char *ck_status_string(int status);

/* ---- runtime.c: which BLAS kernels run, and switching away from a generic fallback -------- */

/* Selection outcomes reported by ck_runtime_blas_selection(). */
enum {
    CK_BLAS_KEPT = 0,          /* the detected core was already a fast one                       */
    CK_BLAS_SWITCHED = 1,      /* a generic fallback was detected and replaced                    */
    CK_BLAS_USER_OVERRIDE = 2, /* OPENBLAS_CORETYPE was set by the user: left alone               */
    CK_BLAS_NO_DYNAMIC = 3,    /* this OpenBLAS does not export gotoblas_dynamic_{init,quit}      */
    CK_BLAS_NO_BETTER = 4      /* fallback core, but the CPU has neither AVX-512F nor AVX2+FMA    */
};

/* Runs the one-time selection (pthread_once): if OpenBLAS detected a generic core (Prescott, Core2,
 * Nehalem, Katmai, …) on a CPU with AVX-512F (→ SkylakeX) or AVX2+FMA (→ Haswell), re-initialises
 * it with that core. Never touches a user-set OPENBLAS_CORETYPE. Returns the outcome (CK_BLAS_*).
 * Every other entry point of this header calls it first; calling it again is cheap. */
int ck_runtime_ensure_fast_blas(void);

/* Outcome of the selection (runs it if needed). */
int ck_runtime_blas_selection(void);

/* Core name OpenBLAS runs now ("SkylakeX", "Cooperlake", "Haswell", "Prescott", …), or "unknown". */
const char *ck_runtime_blas_core(void);

/* The core OpenBLAS detected before any switch (equals ck_runtime_blas_core() unless switched). */
const char *ck_runtime_blas_detected_core(void);

/* OpenBLAS build string ("OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY …"), or "unknown". */
const char *ck_runtime_blas_config(void);

/* Sets the threads of OpenBLAS and the OpenMP runtime's default team (process-wide; for benchmarks and
 * tools). n <= 0 leaves both unchanged. */
void ck_runtime_set_threads(int n);

/* Threads OpenBLAS uses per call. */
int ck_runtime_blas_threads(void);
/* log2 of the cycles an idle OpenBLAS worker spins before it sleeps (OPENBLAS_THREAD_TIMEOUT as read), 0 for
 * OpenBLAS's default (2^28), -1 if this BLAS does not say. */
int ck_runtime_blas_idle_spin_log2(void);

/* Threads OpenBLAS uses outside the package's parallel regions (inside one, BLAS is switched to one thread per
 * region thread and restored when the last region ends). */
int ck_runtime_blas_threads_configured(void);
/* Package regions now running on one BLAS thread, and (out) OpenBLAS's thread count, read together under the guard. */
int ck_runtime_blas_regions_open(int *current_threads);

/* Threads the OpenMP runtime gives a parallel region by default (honours OMP_NUM_THREADS). */
int ck_runtime_omp_max_threads(void);

/* LAPACK version (ilaver). */
void ck_runtime_lapack_version(int *major, int *minor, int *patch);

/* CPU features: bit 0 AVX2+FMA, bit 1 AVX-512F. */
int ck_runtime_cpu_features(void);

/* Process-wide allocator tuning for programs that evaluate the same kernels repeatedly (a flow): glibc keeps
 * freed blocks up to 32 MiB in the heap and stops trimming it, and the package keeps up to 4 of its own larger
 * work blocks (MLP tapes, NTK workspaces) for the next call, so repeated workspaces do not page-fault again.
 * Returns CK_OK or CK_EUNAVAILABLE (glibc refused; the package's blocks are kept either way). Call once, early. */
int ck_runtime_retain_freed_memory(void);

/* Returns the large work blocks kept since ck_runtime_retain_freed_memory to the system (later calls keep
 * blocks again). Thread-safe. */
void ck_runtime_release_retained_memory(void);

/* Test hook: re-initialise OpenBLAS with the named core (e.g. "Prescott"), as the selection does,
 * restoring the environment afterwards. Returns CK_OK or CK_EUNAVAILABLE. Not thread-safe against
 * concurrent BLAS calls; meant for a dedicated test or a benchmark start-up. */
int ck_runtime_force_blas_core(const char *core);

/* Test hook: runs the fallback check again (as at first use) on the current core; returns CK_BLAS_*. */
int ck_runtime_reselect_blas(void);

/* ---- parallel.c: the only file that starts threads ---------------------------------------- */

/* body(begin, end, ctx) is called on disjoint chunks covering [0, n), chunk size >= grain (except
 * the last). Runs on `nthreads` OpenMP threads (0 = default; 1 = inline on the caller). The body
 * must not call BLAS. Returns CK_OK. */
typedef void (*ck_range_body)(size_t begin, size_t end, void *ctx);
int ck_parallel_for(size_t n, size_t grain, int nthreads, ck_range_body body, void *ctx);

/* ---- linalg.c: dense linear algebra over OpenBLAS/LAPACKE ---------------------------------- */

/* C := alpha·op(A)·op(B) + beta·C, op(X) = X (trans = 0) or Xᵀ (trans = 1).
 * op(A): m×k, op(B): k×n, C: m×n. Zero-sized dimensions are allowed (C is scaled by beta). */
int ck_linalg_gemm(int transa, int transb, size_t m, size_t n, size_t k, double alpha, const double *a,
                   size_t lda, const double *b, size_t ldb, double beta, double *c, size_t ldc);

/* Thin SVD A = U·diag(s)·Vᵀ of the m×n matrix A (destroyed), r = min(m,n), s descending.
 * U: m×r (ldu >= m), VT: r×n (ldvt >= r). Uses dgesdd; if it reports info > 0 (no convergence),
 * retries with dgesvd on a saved copy. Returns CK_OK, CK_EDIM, CK_ENOMEM or the final info > 0. */
int ck_linalg_svd(size_t m, size_t n, double *a, size_t lda, double *s, double *u, size_t ldu, double *vt,
                  size_t ldvt);

/* Symmetric eigendecomposition (lower triangle read): A (n×n) is overwritten by the orthonormal eigenvectors,
 * w (n) receives the eigenvalues ascending. Driver by ck_linalg_syev_driver(n): dsyevd while its workspace
 * (1 + 6n + 2n² doubles, 3 + 5n integers) is indexable with LAPACK's 32-bit integers, else dsyevr (26n doubles,
 * 10n integers, and an n×n copy for the vectors). Returns CK_OK, CK_EDIM, CK_ENOMEM or info. */
int ck_linalg_syev(size_t n, double *a, size_t lda, double *w);

/* The k lowest eigenpairs of the symmetric n×n A (lower triangle read, destroyed) and its largest eigenvalue:
 * w (k) ascending, their orthonormal vectors in Z (n×k, ldz >= n), *wmax = λ_max. dsytrd, dstebz, dstein and
 * dormtr (dsyevr's path for an index range): O(n) workspace besides Z, so any n ≤ INT_MAX/70 that fits in memory.
 * Returns CK_OK, CK_EDIM, CK_EARG, CK_ENOMEM or LAPACK's info > 0 (bisection or inverse iteration failed). */
int ck_linalg_syev_lowest(size_t n, double *a, size_t lda, size_t k, double *w, double *z, size_t ldz,
                          double *wmax);

/* The k lowest eigenpairs of the symmetric n×n A (both triangles hold A) by a restarted block Krylov method on
 * blocks of p ≥ k vectors (k ≤ p ≤ n): λ_max by Lanczos (ARPACK, 1e-10), the Cholesky factor of C = A +
 * 1e-10·λ_max·I in A's lower triangle, then per cycle the basis [Y, C⁻¹Y, C⁻²Y, C⁻³Y] (fewer blocks when 4p > n;
 * with one, Y ← C⁻¹Y), orthonormalised, Rayleigh–Ritz with A itself (read from the upper triangle and the saved
 * diagonal), the p lowest Ritz vectors as the next Y, until the k lowest have residuals ‖Av − θv‖ ≤ tol·λ_max, at
 * most max_iter cycles. w (k) ascending, Z (n×k), *wmax = λ_max, *iterations (cycles). O(n³/3) for the factor
 * and O(n²p) per cycle, against the O(4n³/3) memory-bound tridiagonalisation of ck_linalg_syev_lowest. Returns
 * CK_OK; 1 when it did not converge (or the observed rate says it will not in the cycles left), A is not positive
 * definite after the shift, λ_max is not positive or ARPACK failed, and then A holds A again (both triangles);
 * CK_EDIM, CK_EARG, CK_ENOMEM. Like any Krylov method it cannot see an eigenvector exactly orthogonal to its
 * (fixed, pseudo-random) start block: the residual test proves the θ are eigenvalues, not that none lies below. */
int ck_linalg_syev_lowest_inverse(size_t n, double *a, size_t lda, size_t k, size_t p, double tol, size_t max_iter,
                                  double *w, double *z, size_t ldz, double *wmax, size_t *iterations);

/* Drivers the dense routines choose by size (a pure function of the sizes: no allocation, no LAPACK call). */
enum { CK_DRIVER_REFUSED = 0, CK_DRIVER_SYEVD = 1, CK_DRIVER_SYEVR = 2, CK_DRIVER_GESDD = 3, CK_DRIVER_GESVD = 4 };
/* ck_linalg_syev's driver for order n: CK_DRIVER_SYEVD when 1 + 6n + 2n² <= INT_MAX, CK_DRIVER_SYEVR while
 * 26n <= INT_MAX, else CK_DRIVER_REFUSED. */
int ck_linalg_syev_driver(size_t n);
/* ck_linalg_svd's driver for m×n: CK_DRIVER_GESDD when dgesdd's workspace for JOBZ = 'S', 3r + max(M, 4r² + 4r)
 * doubles and 8r integers (r = min(m, n), M = max(m, n); LAPACK 3.x minimum, whose optimum adds a block of
 * r·64), fits in INT_MAX; CK_DRIVER_GESVD (workspace max(3r + M, 5r) plus its optimum) while that fits; else
 * CK_DRIVER_REFUSED. */
int ck_linalg_svd_driver(size_t m, size_t n);

/* Solves A·X = B for SPD A (n×n, lower triangle read, overwritten by its Cholesky factor L), B (n×nrhs)
 * overwritten by X (dpotrf + dpotrs). If rcond is not NULL it receives an estimate of 1/κ₁(A) (Higham's
 * estimator as in dpocon, dlacn2 with dpotrs solves).
 * nrhs = 0 only factors. Returns CK_OK, or info > 0 = order of the leading minor that is not positive. */
int ck_linalg_cholesky_solve(size_t n, size_t nrhs, double *a, size_t lda, double *b, size_t ldb, double *rcond);

/* ---- gram.c: Gram matrices and the empirical NTK ------------------------------------------ */

/* G := beta·G + D·Dᵀ for D (rows×k), G (rows×rows) — both triangles written, so G stays symmetric.
 * Calling it once per column panel of D streams a Jacobian that does not fit in memory. */
int ck_gram_accumulate(size_t rows, size_t k, const double *d, size_t ldd, double beta, double *g, size_t ldg);

/* An MLP as the kernels see it (MATH.md §1): widths[0..nlayers], activation code (CK_ACT_*),
 * forward scales z = wscale[l]·W h + bscale[l]·b (NULL = all 1). θ holds W_l row-major, then b_l.
 * Valid codes are 0 <= activation < CK_ACTIVATION_COUNT (every range check uses the count, and the Swift
 * table in Sources/TangentFlow/Kernels/Activation+CKernels.swift is tested against it). */
enum { CK_ACT_IDENTITY = 0, CK_ACT_TANH = 1, CK_ACT_SOFTPLUS = 2, CK_ACT_SIGMOID = 3, CK_ACT_GELU = 4,
       CK_ACT_RELU = 5, CK_ACTIVATION_COUNT = 6 };
typedef struct {
    const size_t *widths;
    size_t nlayers;
    int activation;
    const double *wscale;
    const double *bscale;
} ck_mlp;

/* Empirical NTK by the layer-factored formula (never forms D):
 *   Θ(x_i, x'_j)_{qq'} = Σ_l (a_l²⟨h_i^{l−1}, h'_j^{l−1}⟩ + c_l²)·⟨δ_{iq}^l, δ'_{jq'}^l⟩.
 * X1: n1×M_0 (ldx1 >= n1, samples as rows), X2 likewise or NULL (= X1: symmetric, half the work).
 * G: (Q·n1)×(Q·n2), ldg >= Q·n1, row i·Q+q, column j·Q+q'.
 * Peak workspace (doubles): see ck_gram_mlp_ntk_workspace. Returns CK_OK, CK_EDIM, CK_EARG, CK_ENOMEM. */
int ck_gram_mlp_ntk(const ck_mlp *net, const double *theta, const double *x1, size_t ldx1, size_t n1,
                    const double *x2, size_t ldx2, size_t n2, double *g, size_t ldg, int nthreads);

/* Workspace of ck_gram_mlp_ntk in doubles (excluding G), for n1 (and n2, 0 when X2 = NULL) samples. */
size_t ck_gram_mlp_ntk_workspace(const ck_mlp *net, size_t n1, size_t n2);

/* ---- mlp.c: forward pass, Jacobian, JVP, VJP ----------------------------------------------- */

/* Number of parameters K = Σ_l M_l (M_{l−1} + 1); 0 if the description is invalid. */
size_t ck_mlp_parameter_count(const ck_mlp *net);

/* out (n×Q, ldout >= n) := f_θ(X) for X n×M_0. */
int ck_mlp_forward(const ck_mlp *net, const double *theta, const double *x, size_t ldx, size_t n, double *out,
                   size_t ldout);

/* Workspace of ck_mlp_jacobian (its recorded pass: activations, σ', sensitivities) in doubles, excluding D, for
 * n samples; 0 if the description is invalid. */
size_t ck_mlp_jacobian_workspace(const ck_mlp *net, size_t n);

/* D (QN×K, ldd >= QN) := ∂f/∂θ, row i·Q+q. Parallel over parameter columns (streaming writes). */
int ck_mlp_jacobian(const ck_mlp *net, const double *theta, const double *x, size_t ldx, size_t n, double *d,
                    size_t ldd, int nthreads);

/* out (QN×nv) := D·V for V (K×nv). */
int ck_mlp_jvp(const ck_mlp *net, const double *theta, const double *x, size_t ldx, size_t n, const double *v,
               size_t ldv, size_t nv, double *out, size_t ldout, int nthreads);

/* out (K×nu) := Dᵀ·U for U (QN×nu). */
int ck_mlp_vjp(const ck_mlp *net, const double *theta, const double *x, size_t ldx, size_t n, const double *u,
               size_t ldu, size_t nu, double *out, size_t ldout, int nthreads);

/* ---- mlp_recorded_pass.c: one recorded pass reused by several kernels -------------------------- */

/* An opaque recorded pass (activations, σ', sensitivities) of an MLP at θ on X (n×M_0); θ is not kept. */
typedef struct ck_mlp_pass ck_mlp_pass;

/* Records the pass; returns NULL with *status = CK_E* on failure. Free with ck_mlp_pass_free. */
ck_mlp_pass *ck_mlp_pass_create(const ck_mlp *net, const double *theta, const double *x, size_t ldx, size_t n,
                                int nthreads, int *status);
void ck_mlp_pass_free(ck_mlp_pass *p);

/* out (n×Q, ldout >= n) := f_θ(X). */
int ck_mlp_pass_outputs(const ck_mlp_pass *p, double *out, size_t ldout);

/* G (Qn×Qn, ldg >= Qn) := Θ(X, X), as ck_gram_mlp_ntk. */
int ck_mlp_pass_ntk(const ck_mlp_pass *p, double *g, size_t ldg, int nthreads);

/* G (Q·n1 × Q·n2, ldg >= Q·n1) := Θ(X1, X2) between two passes of the same network (widths, activation and
 * scales equal, else CK_EARG), each recorded at the same θ by the caller; row i·Q+q, column j·Q+q', as
 * ck_gram_mlp_ntk. Lets a caller that owns only some blocks of G (a distributed layout) compute them from
 * the passes of the sample ranges those blocks touch. Returns CK_OK, CK_EDIM, CK_EARG or CK_ENOMEM. */
int ck_mlp_pass_ntk_cross(const ck_mlp_pass *p1, const ck_mlp_pass *p2, double *g, size_t ldg, int nthreads);

/* out (K×nu) := Dᵀ·U for U (Qn×nu), as ck_mlp_vjp. */
int ck_mlp_pass_vjp(const ck_mlp_pass *p, const double *u, size_t ldu, size_t nu, double *out, size_t ldout,
                    int nthreads);

/* ---- ntk_operator.c: the NTK G = D Dᵀ as a matrix-free operator ---------------------------------------- */

/* An opaque record of an MLP at θ on X (n×M_0): activations and σ' of every layer (N·ΣM_ℓ doubles) and, by
 * keep_sensitivities, the sensitivities δ^ℓ of the layers ℓ <= L−2 (N·Q·M_ℓ each), which halve the BLAS work of a
 * product: CK_NTK_KEEP_NONE (the chain rule in every product), CK_NTK_KEEP_DOUBLE (δ as doubles), or
 * CK_NTK_KEEP_SINGLE (the single-precision copies of ck_ntk_op_make_single made now, δ computed straight into
 * them as floats and never held in double). θ is copied. NULL with *status = CK_E* on failure. */
enum { CK_NTK_KEEP_NONE = 0, CK_NTK_KEEP_DOUBLE = 1, CK_NTK_KEEP_SINGLE = 2 };
typedef struct ck_ntk_op ck_ntk_op;
ck_ntk_op *ck_ntk_op_create(const ck_mlp *net, const double *theta, const double *x, size_t ldx, size_t n,
                            int keep_sensitivities, int nthreads, int *status);
void ck_ntk_op_free(ck_ntk_op *op);

/* Doubles a record and one double product need (record, θ, per-thread buffers for one direction), for n samples
 * (the float copies of CK_NTK_KEEP_SINGLE not included: ck_ntk_op_single_floats). */
size_t ck_ntk_op_doubles(const ck_mlp *net, size_t n, int keep_sensitivities);

/* Layers whose sensitivities are kept (0 when the chain is used throughout). */
size_t ck_ntk_op_kept_sensitivity_layers(const ck_ntk_op *op);

/* out (n×Q, ldout >= n) := f_θ(X). */
int ck_ntk_op_outputs(const ck_ntk_op *op, double *out, size_t ldout);

/* out (QN×nb) := D·V for V (K×nb): forward mode over chunks of samples. */
int ck_ntk_op_pushforward(const ck_ntk_op *op, const double *v, size_t ldv, size_t nb, double *out, size_t ldout,
                          int nthreads);

/* out (K×nb) := Dᵀ·U for U (QN×nb): reverse mode over chunks of samples, per-thread partial sums added. */
int ck_ntk_op_pullback(const ck_ntk_op *op, const double *u, size_t ldu, size_t nb, double *out, size_t ldout,
                       int nthreads);

/* out (QN×nb) := G·V = D (Dᵀ V) for V (QN×nb); out must not overlap V. */
int ck_ntk_op_apply(const ck_ntk_op *op, const double *v, size_t ldv, size_t nb, double *out, size_t ldout,
                    int nthreads);

/* ---- ntk_operator_single.c: the same products in single precision ------------------------------------- */

/* Floats the single-precision copies of a record take (θ, h^ℓ, σ'(z^ℓ), and δ^ℓ of ℓ <= L−2 unless
 * keep_sensitivities is CK_NTK_KEEP_NONE); 0 for an invalid net. */
size_t ck_ntk_op_single_floats(const ck_mlp *net, size_t n, int keep_sensitivities);

/* Makes the single-precision copies (once; CK_OK if they exist), on nthreads threads (0: the default). Kept double
 * δ^ℓ are converted and freed: double products then run the chain rule through every layer. CK_ENOMEM leaves
 * the operator as it was. */
int ck_ntk_op_make_single(ck_ntk_op *op, int nthreads);

/* 1 once ck_ntk_op_make_single succeeded. */
int ck_ntk_op_has_single(const ck_ntk_op *op);

/* out (QN×nb) := G·V computed in single precision (sgemm; relative error about 1e-7), double in and out; out
 * must not overlap V. CK_EARG before ck_ntk_op_make_single. */
int ck_ntk_op_apply_single(const ck_ntk_op *op, const double *v, size_t ldv, size_t nb, double *out, size_t ldout,
                           int nthreads);

/* ---- arpack.c: a few eigenpairs of a large symmetric operator (ARPACK-ng dsaupd/dseupd) -------------- */

/* y := A x for the caller's symmetric operator A (n×n); return 0 to go on, anything else to stop. */
typedef int (*ck_linear_map)(const double *x, double *y, void *ctx);

typedef struct {
    size_t products;  /* applications of A */
    size_t restarts;  /* implicit restarts (ARPACK iparam(3) on exit) */
    size_t converged; /* Ritz pairs that met the tolerance (returned in values/vectors) */
    int arpack_info;  /* dsaupd info: 0 done, 1 restart cap reached, 3 no shifts could be applied, < 0 error */
} ck_eigs_report;

/* The nev algebraically largest (largest = 1) or smallest (0) eigenpairs of A by implicitly restarted Lanczos
 * with ncv basis vectors (nev < ncv <= n), ARPACK's stopping rule ‖A z − θ z‖ <= tol·|θ| (tol = 0: machine
 * precision), at most max_iter restarts, from v0 (n; NULL = a fixed pseudo-random vector). values receive the
 * converged Ritz values ascending (rep->converged of them, <= nev), vectors (n×nev, ldv >= n) their orthonormal
 * Ritz vectors. One solve at a time per process (ARPACK keeps state): a concurrent call waits. Returns CK_OK
 * (also when fewer than nev converged: see rep), CK_EDIM, CK_EARG, CK_ENOMEM, CK_ESTOPPED, CK_EARPACK. */
int ck_eigs_symmetric(size_t n, size_t nev, size_t ncv, int largest, double tol, size_t max_iter, const double *v0,
                      ck_linear_map apply, void *ctx, double *values, double *vectors, size_t ldv,
                      ck_eigs_report *rep);

/* r (n) := entries offset … offset+n−1 of the fixed start vector ck_eigs_symmetric uses when v0 is NULL (a
 * splitmix64 stream in [−1, 1)), so that a distributed solve whose rank owns rows offset… starts alike. */
void ck_eigs_start_vector(size_t offset, size_t n, double *r);

/* ---- vmath.c: vectorised exp/log/tanh (glibc libmvec AVX-512/AVX2 variants, picked at run time) ---- */

/* y[t] = exp(x[t]), log(x[t]), tanh(x[t]), t < n; y may equal x. At most 4 ulp (glibc's libmvec bound). */
void ck_vexp(size_t n, const double *x, double *y);
void ck_vlog(size_t n, const double *x, double *y);
void ck_vtanh(size_t n, const double *x, double *y);
/* 2: AVX-512 variants, 1: AVX2, 0: scalar libm. */
int ck_vmath_level(void);

/* ---- assignment.c: exact linear assignment (Jonker–Volgenant shortest augmenting path) ------- */

/* Minimises Σ_i C[i, perm[i]] over permutations of an m×m column-major cost (ldc >= m), all entries finite
 * (CK_EARG otherwise). Writes perm (m), and if non-NULL the dual potentials u (rows), v (columns) with
 * u_i + v_j <= C_ij (to rounding), equality on the assignment, and the optimal total. O(m³). */
int ck_assignment(size_t m, const double *c, size_t ldc, long *perm, double *row_potential, double *col_potential,
                  double *total);

/* Exact rectangular assignment on a row-major n×m cost (n <= m; row r at c + r·ldc): minimises Σ_r c[r, x_r] over
 * injective x. Entries finite or +inf (a forbidden pair); NaN or −inf: CK_EARG. col_potential (m) is output, and
 * input when warm != 0 and n == m (a warm start: any finite column duals, e.g. the previous solve's; ignored when
 * n < m). Writes col_of_row (n) and, if non-NULL, row_potential (n), with u_r + v_j <= c[r, j] (to rounding),
 * equality on the assignment, v <= 0 off it when n < m. Returns CK_OK, CK_EINFEASIBLE (no assignment avoids the
 * +inf entries), CK_EDIM, CK_EARG or CK_ENOMEM. n = 0 is CK_OK with nothing written. O(n²m) worst case. */
int ck_assignment_rows(size_t n, size_t m, const double *c, size_t ldc, int warm, long *col_of_row,
                       double *row_potential, double *col_potential);

/* Exact assignment between point sets X and Y (m×d column-major each, one point per row) for the cost
 * |x_i − y_j|²: builds −x_i·y_j with one dgemm in the layout the solver scans (the norms move no optimum) and
 * solves as ck_assignment_rows. perm[i] = j; col_potential (m) as in ck_assignment_rows, in units of |x − y|²
 * (input when warm); total = Σ_i |x_i − y_perm(i)|² by direct differences. Entries must be finite (CK_EARG).
 * Memory: m² doubles. */
int ck_assignment_sqeuclidean(size_t m, size_t d, const double *x, size_t ldx, const double *y, size_t ldy, int warm,
                              long *perm, double *col_potential, double *total);

/* C (m×n, ldc) := |x_i − y_j|² for point sets X (m×d, ldx) and Y (n×d, ldy), one point per row. */
int ck_pairwise_sqdist(size_t m, size_t n, size_t d, const double *x, size_t ldx, const double *y, size_t ldy,
                       double *c, size_t ldc);

/* ---- grid_kernel.c: the log-domain Gibbs kernel of a regular 2-D grid, applied separably ------- */

/* Points (x1[i], x2[j]) flattened as k = i·n2 + j, cost C_kl = ½|x_k − x_l|². Holds workspace: one object
 * per thread. */
typedef struct ck_grid_kernel ck_grid_kernel;
int ck_grid_kernel_create(size_t n1, size_t n2, const double *x1, const double *x2, double eps, ck_grid_kernel **out);
int ck_grid_kernel_set_epsilon(ck_grid_kernel *k, double eps);
void ck_grid_kernel_free(ck_grid_kernel *k);
/* out_k = log Σ_l exp(w_l − C_kl/ε) for w in R ∪ {−∞} (length n1·n2); exact in the log domain (two dgemm
 * passes with shifted exponentials, entries whose sum falls below the safe range recomputed directly). */
int ck_grid_kernel_log_apply(ck_grid_kernel *k, const double *w, double *out);
/* Entries recomputed by direct log-sum-exp so far (a diagnostic of how often the dgemm path was unsafe). */
size_t ck_grid_kernel_fallbacks(const ck_grid_kernel *k);

/* ---- sinkhorn_grid.c: log-domain Sinkhorn on a regular 2-D grid ------------------------------ */

typedef struct {
    double reg;              /* target ε > 0 */
    double tol;              /* stop when both L1 marginal errors are <= tol */
    size_t max_iterations;   /* cap on all iterations, ε-scaling stages included */
    double reg_start;        /* ε-scaling: first ε (<= reg: no scaling) */
    double reg_decay;        /* ε-scaling: factor in (0, 1) between stages */
    size_t stage_iterations; /* ε-scaling: iterations per intermediate ε */
    double omega;            /* over-relaxation in [1, 2) at the target ε (1 = plain Sinkhorn) */
} ck_sinkhorn_options;

typedef struct {
    size_t iterations;       /* at the target ε */
    size_t total_iterations; /* including ε-scaling stages */
    double error_a, error_b; /* L1 errors of the row and column marginals of the returned plan */
    int converged;
    size_t exact_fallbacks;
    double omega_final;
} ck_sinkhorn_report;

/* Potentials f, g (length n1·n2; in: warm start, non-finite entries read as 0) of the plan
 * P_kl = exp((f_k + g_l − C_kl)/ε) with marginals a, b (>= 0; zero masses get potential −∞). */
int ck_sinkhorn_grid(size_t n1, size_t n2, const double *x1, const double *x2, const double *a, const double *b,
                     const ck_sinkhorn_options *opt, double *f, double *g, ck_sinkhorn_report *rep);

/* ⟨P, C⟩ and Σ P for the plan of (f, g) in O(n1·n2·(n1 + n2)): C is separable, so both are sums over k of
 * exp(f_k/ε + a (cost-weighted) log-domain kernel application to g/ε) (grid_kernel.c), log-stable. nthreads is
 * unused (the dgemm passes run on the BLAS threads; kept for ABI stability). */
int ck_sinkhorn_grid_cost(size_t n1, size_t n2, const double *x1, const double *x2, double reg, const double *f,
                          const double *g, double *cost, double *mass, int nthreads);

#ifdef __cplusplus
}
#endif

#endif /* CKERNELS_H */
