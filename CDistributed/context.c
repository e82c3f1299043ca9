/* context.c — MPI start-up, the BLACS grid, and agreement on errors (every collective returns the same status
 * on every rank, so that one rank's bad input fails the whole job with one message instead of a hang). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "internal.h"
#include "scalapack.h"

static char cd_message[1024];
static int cd_we_initialised;

const char *cd_last_error(void) { return cd_message; }

int cd_fail(int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cd_message, sizeof cd_message, fmt, ap);
    va_end(ap);
    return status;
}

int cd_init(int *rank, int *size) {
    int inited = 0;
    if (MPI_Initialized(&inited) != MPI_SUCCESS) return cd_fail(CD_EMPI, "MPI_Initialized failed");
    if (!inited) {
        int provided = 0;
        if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
            return cd_fail(CD_EMPI, "MPI_Init_thread failed");
        cd_we_initialised = 1;
    }
    /* Errors come back as codes (agreed), not as MPI's default abort. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    cd_message[0] = 0;
    return CK_OK;
}

void cd_finalize(void) {
    int inited = 0, finalized = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    if (!inited || finalized) return;
    Cblacs_exit(1); /* 1: leave MPI running, finalised below */
    if (cd_we_initialised) MPI_Finalize();
}

void cd_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

double cd_wtime(void) { return MPI_Wtime(); }

int cd_agree(int local_status, const char *local_message) {
    int me = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &me);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    /* lowest failing rank: MIN over (failing ? rank : size) */
    int key = local_status != 0 ? me : size, first = size;
    if (MPI_Allreduce(&key, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD) != MPI_SUCCESS) {
        cd_fail(CD_EMPI, "MPI_Allreduce failed while agreeing on a status");
        return CD_EMPI;
    }
    if (first == size) return CK_OK;
    int status = local_status;
    char msg[sizeof cd_message];
    memset(msg, 0, sizeof msg);
    if (me == first) snprintf(msg, sizeof msg, "rank %d: %s", me, local_message ? local_message : "failed");
    MPI_Bcast(&status, 1, MPI_INT, first, MPI_COMM_WORLD);
    MPI_Bcast(msg, (int)sizeof msg, MPI_CHAR, first, MPI_COMM_WORLD);
    memcpy(cd_message, msg, sizeof msg);
    return status;
}

int cd_agree_status(int local_status) {
    char copy[sizeof cd_message];
    memcpy(copy, cd_message, sizeof copy);
    return cd_agree(local_status, copy);
}

int cd_broadcast(double *buf, size_t n, int root) {
    const size_t chunk = (size_t)1 << 26;
    for (size_t o = 0; o < n; o += chunk) {
        int c = (int)(n - o < chunk ? n - o : chunk);
        if (MPI_Bcast(buf + o, c, MPI_DOUBLE, root, MPI_COMM_WORLD) != MPI_SUCCESS)
            return cd_fail(CD_EMPI, "MPI_Bcast failed");
    }
    return CK_OK;
}

int cd_broadcast_longs(long *buf, size_t n, int root) {
    if (n > (size_t)1 << 30) return cd_fail(CK_EDIM, "broadcast of %zu integers is too long", n);
    if (MPI_Bcast(buf, (int)n, MPI_LONG, root, MPI_COMM_WORLD) != MPI_SUCCESS)
        return cd_fail(CD_EMPI, "MPI_Bcast failed");
    return CK_OK;
}

int cd_sum(const double *in, double *out, size_t n) {
    if (n > (size_t)1 << 30) return cd_fail(CK_EDIM, "reduction of %zu doubles is too long", n);
    /* Reduce then broadcast (not Allreduce): every rank gets bitwise the same sum, so replicated flows stay in step. */
    if (MPI_Reduce(in, out, (int)n, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
        return cd_fail(CD_EMPI, "MPI_Reduce failed");
    return cd_broadcast(out, n, 0);
}

int cd_same_everywhere(const double *buf, size_t n, int *same) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a over the bytes */
    const unsigned char *b = (const unsigned char *)buf;
    for (size_t i = 0; i < n * sizeof(double); i++) h = (h ^ b[i]) * 1099511628211ull;
    uint64_t lo = h, hi = h;
    if (MPI_Allreduce(&h, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD) != MPI_SUCCESS ||
        MPI_Allreduce(&h, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD) != MPI_SUCCESS)
        return cd_fail(CD_EMPI, "MPI_Allreduce failed");
    *same = lo == hi;
    return CK_OK;
}

int cd_peak_rss(double *out) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double mine = (double)ru.ru_maxrss * 1024.0;
    if (MPI_Allgather(&mine, 1, MPI_DOUBLE, out, 1, MPI_DOUBLE, MPI_COMM_WORLD) != MPI_SUCCESS)
        return cd_fail(CD_EMPI, "MPI_Allgather failed");
    return CK_OK;
}

int cd_grid_create(int prow, int pcol, int nb, cd_grid **out) {
    int me = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &me);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    *out = NULL;
    int st = CK_OK;
    char msg[256] = "";
    if (prow == 0 && pcol == 0) {
        prow = 1;
        for (int r = 1; r * r <= size; r++)
            if (size % r == 0) prow = r;
        pcol = size / prow;
    }
    if (prow < 1 || pcol < 1 || prow * pcol != size) {
        st = CD_EGRID;
        snprintf(msg, sizeof msg, "process grid %d×%d needs %d ranks, the job has %d", prow, pcol, prow * pcol, size);
    } else if (nb < 1) {
        st = CD_EGRID;
        snprintf(msg, sizeof msg, "block size must be >= 1, got %d", nb);
    }
    st = cd_agree(st, msg);
    if (st != CK_OK) return st;
    cd_grid *g = calloc(1, sizeof *g);
    int ok = g != NULL;
    if (ok) {
        int mypnum = 0, nprocs = 0;
        Cblacs_pinfo(&mypnum, &nprocs);
        Cblacs_get(-1, 0, &g->ctxt);
        Cblacs_gridinit(&g->ctxt, "Row", prow, pcol);
        Cblacs_gridinfo(g->ctxt, &g->prow, &g->pcol, &g->myrow, &g->mycol);
        g->nb = nb;
        ok = g->prow == prow && g->pcol == pcol;
    }
    st = cd_agree(ok ? CK_OK : CD_EGRID, "BLACS grid could not be created");
    if (st != CK_OK) {
        free(g);
        return st;
    }
    *out = g;
    return CK_OK;
}

void cd_grid_free(cd_grid *g) {
    if (g == NULL) return;
    Cblacs_gridexit(g->ctxt);
    free(g);
}

void cd_grid_shape(const cd_grid *g, int *prow, int *pcol, int *myrow, int *mycol, int *nb) {
    if (prow) *prow = g->prow;
    if (pcol) *pcol = g->pcol;
    if (myrow) *myrow = g->myrow;
    if (mycol) *mycol = g->mycol;
    if (nb) *nb = g->nb;
}
