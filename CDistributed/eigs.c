/* eigs.c — a few eigenpairs of a symmetric operator whose rows are spread over the MPI ranks, by PARPACK
 * (ARPACK-ng's MPI build: pdsaupd/pdseupd, symmetric reverse communication, mode 1), and the two collectives a
 * data-parallel operator needs: a flagged sum of the parameter-space vectors, and the gather of row slices.
 *
 * Each rank owns a contiguous slice of the rows (rank order = row order). PARPACK keeps the Lanczos basis
 * distributed the same way and reduces its inner products over the communicator; the caller's callback computes
 * its own rows of y = A x (for the NTK: D_rᵀ x_r, one sum over ranks, D_r u). Nothing prints or aborts.
 */
#include <arpack/parpack.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int cd_sum_flagged(double *buf, size_t n, int local_status, const char *local_message) {
    if (n + 1 > (size_t)INT_MAX) return cd_fail(CK_EDIM, "a sum of %zu doubles over ranks is too long", n);
    buf[n] = local_status != CK_OK ? 1.0 : 0.0;
    if (MPI_Allreduce(MPI_IN_PLACE, buf, (int)(n + 1), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
        return cd_fail(CD_EMPI, "MPI_Allreduce failed");
    if (buf[n] == 0.0) return CK_OK;
    /* Some rank failed: every rank saw the flag, so agreeing on its status and message is collective too. */
    int st = cd_agree(local_status, local_message ? local_message : "failed");
    return st != CK_OK ? st : cd_fail(CD_EMPI, "a rank reported a failure but none agreed on it");
}

int cd_gather_rows(const double *local, size_t nloc, size_t ldl, size_t cols, double *global, size_t ldg) {
    int me = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &me);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    char msg[256] = "";
    int st = CK_OK;
    if (nloc > (size_t)INT_MAX || (nloc > 0 && ldl < nloc) || (cols > 0 && nloc > 0 && local == NULL)) {
        st = CK_EDIM;
        snprintf(msg, sizeof msg, "local slice of %zu rows (leading dimension %zu) cannot be gathered", nloc, ldl);
    }
    int *counts = me == 0 ? calloc((size_t)size, sizeof(int)) : NULL;
    int *displs = me == 0 ? calloc((size_t)size, sizeof(int)) : NULL;
    if (st == CK_OK && me == 0 && (counts == NULL || displs == NULL)) {
        st = CK_ENOMEM;
        snprintf(msg, sizeof msg, "out of memory");
    }
    int count = (int)(nloc <= (size_t)INT_MAX ? nloc : 0);
    if ((st = cd_agree(st, msg)) == CK_OK &&
        MPI_Gather(&count, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
        st = cd_fail(CD_EMPI, "MPI_Gather failed");
    if (st == CK_OK && me == 0) {
        size_t total = 0;
        for (int r = 0; r < size; r++) {
            displs[r] = (int)total;
            total += (size_t)counts[r];
        }
        if (total > (size_t)INT_MAX || (cols > 0 && (global == NULL || ldg < total))) {
            st = CK_EDIM;
            snprintf(msg, sizeof msg, "gathered rows (%zu) exceed the output (leading dimension %zu)", total, ldg);
        }
    }
    if (st == CK_OK) st = cd_agree(st, msg);
    for (size_t c = 0; st == CK_OK && c < cols; c++) {
        if (MPI_Gatherv(local ? local + c * ldl : NULL, count, MPI_DOUBLE, me == 0 ? global + c * ldg : NULL, counts,
                        displs, MPI_DOUBLE, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
            st = cd_fail(CD_EMPI, "MPI_Gatherv failed");
    }
    free(counts);
    free(displs);
    return st;
}

int cd_eigs_symmetric(size_t nloc, size_t offset, size_t nev, size_t ncv, int largest, double tol, size_t max_iter,
                      ck_linear_map apply, void *ctx, double *values, double *vectors, size_t ldv,
                      cd_eigs_report *rep) {
    char msg[256] = "";
    int st = CK_OK;
    unsigned long long mine = nloc, n = 0;
    if (rep) memset(rep, 0, sizeof *rep);
    if (apply == NULL || values == NULL || vectors == NULL || rep == NULL) {
        st = CK_EARG;
        snprintf(msg, sizeof msg, "NULL operator, output or report");
    } else if (nloc == 0) {
        st = CK_EDIM;
        snprintf(msg, sizeof msg, "owns no rows (every rank needs at least one)");
    } else if (ldv < nloc || nloc > (size_t)INT_MAX / 4) {
        st = CK_EDIM;
        snprintf(msg, sizeof msg, "%zu local rows with leading dimension %zu are out of range", nloc, ldv);
    } else if (!(tol >= 0.0) || max_iter == 0 || max_iter > (size_t)INT_MAX) {
        st = CK_EARG;
        snprintf(msg, sizeof msg, "tolerance must be >= 0 and the restart cap in 1…%d", INT_MAX);
    }
    if ((st = cd_agree(st, msg)) != CK_OK) return st;
    if (MPI_Allreduce(&mine, &n, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
        return cd_fail(CD_EMPI, "MPI_Allreduce failed");
    size_t lworkl = ncv * (ncv + 8);
    if (nev == 0 || nev >= ncv || ncv > n || n > (size_t)INT_MAX || lworkl > (size_t)INT_MAX) {
        st = CK_EDIM;
        snprintf(msg, sizeof msg, "needs 1 <= nev < ncv <= n (nev %zu, ncv %zu, n %llu)", nev, ncv, n);
    } else if (ncv > SIZE_MAX / sizeof(double) / nloc) {
        st = CK_EDIM;
        snprintf(msg, sizeof msg, "a basis of %zu vectors of %zu rows overflows", ncv, nloc);
    }
    double *resid = NULL, *v = NULL, *workd = NULL, *workl = NULL, *d = NULL;
    a_int *select = NULL;
    if (st == CK_OK) {
        resid = malloc(nloc * sizeof(double));
        v = malloc(nloc * ncv * sizeof(double));
        workd = malloc(3 * nloc * sizeof(double));
        workl = malloc(lworkl * sizeof(double));
        d = malloc(ncv * sizeof(double));
        select = calloc(ncv, sizeof(a_int));
        if (!resid || !v || !workd || !workl || !d || !select) {
            st = CK_ENOMEM;
            snprintf(msg, sizeof msg, "out of memory for a Lanczos basis of %zu vectors of %zu rows", ncv, nloc);
        }
    }
    MPI_Comm comm = MPI_COMM_NULL;
    if ((st = cd_agree(st, msg)) == CK_OK) {
        int dup = MPI_Comm_dup(MPI_COMM_WORLD, &comm) == MPI_SUCCESS;
        st = cd_agree(dup ? CK_OK : CD_EMPI, "MPI_Comm_dup failed");
        if (st != CK_OK && dup) MPI_Comm_free(&comm);
    }
    if (st == CK_OK) {
        MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
        MPI_Fint fcomm = MPI_Comm_c2f(comm);
        ck_eigs_start_vector(offset, nloc, resid);
        a_int ido = 0, info = 1, iparam[11] = {0}, ipntr[11] = {0};
        iparam[0] = 1;               /* exact shifts */
        iparam[2] = (a_int)max_iter; /* restarts allowed */
        iparam[3] = 1;
        iparam[6] = 1;               /* mode 1: A x = λ x */
        const char *which = largest ? "LA" : "SA";
        for (;;) {
            pdsaupd_c(fcomm, &ido, "I", (a_int)nloc, which, (a_int)nev, tol, resid, (a_int)ncv, v, (a_int)nloc, iparam,
                      ipntr, workd, workl, (a_int)lworkl, &info);
            if (ido != 1 && ido != -1) break;
            rep->products++;
            /* The callback is collective and agreed: it fails on every rank or on none. */
            if (apply(workd + ipntr[0] - 1, workd + ipntr[1] - 1, ctx) != 0) {
                st = CK_ESTOPPED;
                break;
            }
        }
        rep->arpack_info = (int)info;
        rep->restarts = (size_t)(iparam[2] > 0 ? iparam[2] : 0);
        rep->converged = (size_t)(iparam[4] > 0 ? iparam[4] : 0);
        if (st == CK_OK && info < 0) st = cd_fail(CK_EARPACK, "pdsaupd reported info = %d", (int)info);
        if (st == CK_OK && rep->converged > 0) {
            a_int einfo = 0;
            pdseupd_c(fcomm, 1, "A", select, d, v, (a_int)nloc, 0.0, "I", (a_int)nloc, which, (a_int)nev, tol, resid,
                      (a_int)ncv, v, (a_int)nloc, iparam, ipntr, workd, workl, (a_int)lworkl, &einfo);
            if (einfo != 0) {
                rep->arpack_info = (int)einfo;
                rep->converged = 0;
                st = cd_fail(CK_EARPACK, "pdseupd reported info = %d", (int)einfo);
            } else {
                size_t nc = rep->converged < nev ? rep->converged : nev;
                rep->converged = nc;
                memcpy(values, d, nc * sizeof(double));
                for (size_t k = 0; k < nc; k++) memcpy(vectors + k * ldv, v + k * nloc, nloc * sizeof(double));
            }
        }
        MPI_Comm_free(&comm);
        /* PARPACK's decisions rest on reduced quantities, so the outcome should already match everywhere; agree
         * anyway, so that a rank never leaves with another verdict than the rest. */
        if (st != CK_ESTOPPED) st = cd_agree_status(st);
    }
    free(resid);
    free(v);
    free(workd);
    free(workl);
    free(d);
    free(select);
    return st;
}
