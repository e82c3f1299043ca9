/*
 * cdistributed.h — the C ABI of TangentFlow's distributed layer: the MLP NTK in ScaLAPACK's 2-D block-cyclic
 * layout over MPI, its spectrum (pdsyevr) and the Gram-route pseudoinverse applied to a vector (pdpotrf/pdpotrs
 * while positive definite, pdsyevr with the MATH.md §2 cut-off otherwise).
 *
 * Conventions (as ckernels.h): column-major double, size_t sizes, int status: CD_OK (0), a negative CK_E* / CD_E*
 * code, or a positive ScaLAPACK info. Every function marked COLLECTIVE must be called by every rank of the grid,
 * in the same order; it returns the same status on every rank (statuses are agreed by a reduction before any
 * rank leaves), so a failure on one rank never leaves the others waiting. cd_last_error() then holds the same
 * message on every rank. Nothing prints or aborts. Only <stddef.h> and ckernels.h are included: no MPI,
 * BLACS or ScaLAPACK name reaches Swift.
 */
#ifndef CDISTRIBUTED_H
#define CDISTRIBUTED_H

#include <stddef.h>

#include "ckernels.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    CD_EMPI = -20,      /* MPI could not be initialised or a call failed                          */
    CD_EGRID = -21,     /* the process grid does not match the number of ranks                     */
    CD_EINPUT = -22,    /* an input is invalid or differs between ranks (message names the rank)    */
    CD_ENOTPD = -23     /* Cholesky route requested but G is not positive definite                  */
};

/* The message of the last failed COLLECTIVE call ("" if none), identical on every rank. */
const char *cd_last_error(void);

/* ---- context.c: MPI, the process grid, agreement ------------------------------------------------- */

/* Initialises MPI (if not already) and reports this process's rank and the world size. */
int cd_init(int *rank, int *size);
/* Leaves BLACS and finalises MPI (if this library initialised it). */
void cd_finalize(void);
/* Ends every rank of the job with `code` (for unrecoverable states only; normal errors are agreed instead). */
void cd_abort(int code);

/* COLLECTIVE. Agreement: each rank passes its own status (0 = fine) and message; every rank gets back the status
 * of the lowest-numbered failing rank (0 if none), and cd_last_error() holds "rank r: <its message>". */
int cd_agree(int local_status, const char *local_message);

/* COLLECTIVE. buf (n doubles / n longs) := rank root's buf on every rank. */
int cd_broadcast(double *buf, size_t n, int root);
int cd_broadcast_longs(long *buf, size_t n, int root);

/* COLLECTIVE. out (n) := Σ_ranks in (reduced at rank 0, then broadcast: bitwise identical on every rank). */
int cd_sum(const double *in, double *out, size_t n);

/* COLLECTIVE. *same := 1 if the n doubles are bitwise identical on every rank (64-bit hash compared), else 0. */
int cd_same_everywhere(const double *buf, size_t n, int *same);

/* COLLECTIVE. Peak resident memory (getrusage ru_maxrss, bytes) of each rank gathered into out (size entries)
 * on every rank. */
int cd_peak_rss(double *out);

/* Wall clock (MPI_Wtime), seconds. */
double cd_wtime(void);

/* A BLACS process grid prow×pcol (row-major rank order) with square nb×nb blocks. */
typedef struct cd_grid cd_grid;
/* COLLECTIVE. prow·pcol must equal the world size (prow = pcol = 0: the most square factorisation, prow <= pcol);
 * nb >= 1. */
int cd_grid_create(int prow, int pcol, int nb, cd_grid **out);
void cd_grid_free(cd_grid *g);
/* prow, pcol, myrow, mycol, nb (any pointer may be NULL). */
void cd_grid_shape(const cd_grid *g, int *prow, int *pcol, int *myrow, int *mycol, int *nb);

/* ---- ntk.c: the distributed NTK and its decompositions ---------------------------------------------- */

/* G = Θ(X, X) (QN×QN) distributed block-cyclically over the grid: each rank records the MLP pass of the samples
 * its local rows touch once, and for each group of its local column blocks the pass of the samples those columns
 * touch, and computes exactly its local blocks (ck_mlp_pass_ntk_cross); G is never assembled on one rank. */
typedef struct cd_ntk cd_ntk;

/* COLLECTIVE. θ (K) and X (n×M_0, ldx >= n, samples as rows) must be finite and bitwise identical on every rank
 * (checked: CD_EINPUT names the first offending rank). nthreads as ckernels.h (0 = default). */
int cd_ntk_create(const cd_grid *grid, const ck_mlp *net, const double *theta, const double *x, size_t ldx, size_t n,
                  int nthreads, cd_ntk **out);
void cd_ntk_free(cd_ntk *t);

/* Local columns per panel when computing G (default 512; 0 restores it). Process-wide; a tuning and test hook
 * (small values exercise many groups of non-adjacent blocks on small problems). Set it on every rank alike. */
void cd_ntk_set_panel_columns(size_t columns);

/* Local part: rows × cols with leading dimension ld (column-major), and the global index of a local row/column. */
void cd_ntk_local(const cd_ntk *t, const double **data, size_t *rows, size_t *cols, size_t *ld);
size_t cd_ntk_global_row(const cd_ntk *t, size_t local_row);
size_t cd_ntk_global_col(const cd_ntk *t, size_t local_col);

/* Bytes this rank holds for the layout: local G, the row pass (tape), and the largest column-group panel. */
void cd_ntk_memory(const cd_ntk *t, size_t *local_g_bytes, size_t *row_tape_bytes, size_t *panel_bytes);

/* COLLECTIVE. max over all entries of |G_local − G_ref| where G_ref (QN×QN, ldref) is a full reference held on
 * every rank (tests only: small problems). */
int cd_ntk_compare(const cd_ntk *t, const double *ref, size_t ldref, double *max_abs_diff);

/* COLLECTIVE. All eigenvalues of G, ascending, into w (QN) on every rank (pdsyevr, eigenvalues only).
 * Overwrites the local blocks; they are recomputed automatically by the next call that needs G. */
int cd_ntk_eigenvalues(cd_ntk *t, double *w);

/* Routes of cd_ntk_pinv_apply, as GramPseudoinverse.Method. */
enum { CD_ROUTE_EIGEN = 0, CD_ROUTE_CHOLESKY = 1, CD_ROUTE_AUTOMATIC = 2 };

typedef struct {
    size_t rank;          /* numerical rank used (QN on the Cholesky route)                             */
    int used_cholesky;    /* 1 if ψ came from pdpotrs                                                    */
    double rcond;         /* pdpocon's 1/κ₁(G) estimate (automatic route; 0 if not computed)             */
    double lambda_max;    /* largest eigenvalue (eigen route; 0 otherwise)                              */
    double threshold;     /* eigenvalue cut-off tol_G (eigen route; 0 otherwise)                        */
    double seconds_gram;  /* time in (re)computing local blocks of G                                    */
    double seconds_solve; /* time in ScaLAPACK                                                          */
    double seconds_vjp;   /* time in the local VJPs and the reduction                                   */
} cd_pinv_report;

/* COLLECTIVE. velocity (K) := D⁺g = Dᵀψ with G ψ = P_ran(G) g ((2.21)–(2.22) in 2408.01517, MATH.md §2), on
 * every rank. g (QN, sample-major) finite and identical on every rank. Eigen route: keep λ > tol_G =
 * max(tol_D², QN·ε·λ_max), tol_D = max(tol_abs, tol_rel·√λ_max). Automatic: Cholesky while pdpocon's estimate
 * 1/κ₁ > 100·QN·ε, eigen otherwise. Dᵀψ: each process-column-0 rank pulls back its own entries of ψ through its
 * row pass, then one reduction. */
int cd_ntk_pinv_apply(cd_ntk *t, const double *g, int route, double tol_rel, double tol_abs, double *velocity,
                      cd_pinv_report *report);

/* COLLECTIVE (pdsyevr's workspace query may communicate). Workspace (doubles, on this rank) the eigen route's
 * pdsyevr asks for, for reporting memory. */
size_t cd_ntk_eigen_workspace(const cd_ntk *t, int with_vectors);

/* ---- eigs.c: the data-parallel operator's collectives and PARPACK -------------------------------------- */

/* COLLECTIVE. buf (n doubles, plus one more entry the call uses as a flag) := Σ_ranks buf by one MPI_Allreduce,
 * which also carries whether any rank's local_status is not CK_OK. Then every rank returns the status of the
 * lowest failing rank, cd_last_error() holding "rank r: <its local_message>" (buf is not meaningful), or CK_OK. */
int cd_sum_flagged(double *buf, size_t n, int local_status, const char *local_message);

/* COLLECTIVE. Rank 0's global (ldg >= Σ nloc, cols columns) := the ranks' local row slices (nloc×cols, ldl)
 * stacked in rank order; global is not used on the other ranks (may be NULL there). */
int cd_gather_rows(const double *local, size_t nloc, size_t ldl, size_t cols, double *global, size_t ldg);

/* What cd_eigs_symmetric reports: the same fields as ck_eigs_report (converged pairs, products, restarts, ARPACK's
 * info), named in this layer so that the Swift side of the distributed product never names a CKernels symbol. */
typedef ck_eigs_report cd_eigs_report;

/* COLLECTIVE. ck_eigs_symmetric (ckernels.h) for an operator whose n = Σ nloc rows are spread over the ranks in
 * rank order, each rank owning nloc >= 1 consecutive rows starting at global row offset: PARPACK's pdsaupd/
 * pdseupd (implicitly restarted Lanczos, mode 1) on a duplicate of MPI_COMM_WORLD, from the rows offset… of the
 * same fixed start vector (ck_eigs_start_vector). apply computes this rank's rows of y = A x from this rank's
 * rows of x; it must be collective and agreed (fail on every rank or none: cd_sum_flagged). values (nev) are
 * the same on every rank; vectors (nloc×nev, ldv >= nloc) hold this rank's rows of the Ritz vectors. Returns
 * CK_OK (also when fewer than nev converged: see rep), CK_EDIM, CK_EARG, CK_ENOMEM, CK_ESTOPPED (apply failed),
 * CK_EARPACK (message in cd_last_error), CD_EMPI — the same on every rank. */
int cd_eigs_symmetric(size_t nloc, size_t offset, size_t nev, size_t ncv, int largest, double tol, size_t max_iter,
                      ck_linear_map apply, void *ctx, double *values, double *vectors, size_t ldv,
                      cd_eigs_report *rep);

#ifdef __cplusplus
}
#endif

#endif /* CDISTRIBUTED_H */
