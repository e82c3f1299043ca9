/* parallel.c — the only file that starts threads (BLIS frame/thread/ kept apart from kernels).
 *
 * SwiftPM passes no -fopenmp to a library target (that would be an unsafe flag), so `#pragma omp` is ignored
 * in a normal build. The OpenMP runtime is still linked (libomp5) and exports the GNU ABI entry
 * GOMP_parallel(fn, data, nthreads, flags), which starts a team and runs fn(data) on every thread; that is
 * what a compiler lowers `#pragma omp parallel` to. Built with `-Xcc -fopenmp`, the pragma path is used
 * instead (same partition). ck_parallel_for bodies never call BLAS: Debian's pthread OpenBLAS inside an OpenMP
 * region oversubscribes the cores (4.5x slower measured, DESIGN.md). ck_parallel_tasks(blas_inside = 1)
 * instead switches BLAS to one thread for the region, so each region thread runs its own serial BLAS.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "ckernels.h"
#include "internal.h"

/* The OpenMP runtime's API as exported by LLVM's libomp (libomp5), declared here rather than through <omp.h>,
 * which Swift's bundled clang does not ship: the same declarations serve the -fopenmp build. */
extern int omp_get_thread_num(void);
extern int omp_get_num_threads(void);
extern int omp_get_max_threads(void);
#ifndef _OPENMP
/* The GNU OpenMP ABI entry a compiler lowers `#pragma omp parallel` to. */
extern void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
#endif

typedef struct {
    size_t n, grain;
    ck_range_body body;
    void *ctx;
} ck_parallel_job;

/* Static partition of [0, n) into contiguous chunks, one per thread, each a multiple of grain. */
static void ck_run_share(const ck_parallel_job *job, int tid, int nt) {
    size_t blocks = (job->n + job->grain - 1) / job->grain;
    size_t per = blocks / (size_t)nt, extra = blocks % (size_t)nt;
    size_t b0 = (size_t)tid * per + ((size_t)tid < extra ? (size_t)tid : extra);
    size_t b1 = b0 + per + ((size_t)tid < extra ? 1 : 0);
    size_t begin = b0 * job->grain, end = b1 * job->grain;
    if (end > job->n) end = job->n;
    if (begin < end) job->body(begin, end, job->ctx);
}

#ifndef _OPENMP
static void ck_team_entry(void *data) {
    ck_run_share((const ck_parallel_job *)data, omp_get_thread_num(), omp_get_num_threads());
}
#endif

int ck_parallel_default_threads(void) { return omp_get_max_threads(); }

/* ---- BLAS inside a region: one BLAS thread per region thread, restored afterwards -------------------- */

extern int openblas_get_num_threads(void);
extern void openblas_set_num_threads(int);

/* Guarded (mutex + depth) so that concurrent regions from several Swift tasks restore the user's setting
 * exactly once, when the last one leaves. Other BLAS calls made meanwhile run single-threaded: slower,
 * never wrong. */
static pthread_mutex_t ck_blas_guard = PTHREAD_MUTEX_INITIALIZER;
static int ck_blas_depth = 0;
static int ck_blas_saved = 1;

void ck_blas_serial_enter(void) {
    pthread_mutex_lock(&ck_blas_guard);
    if (ck_blas_depth++ == 0) {
        ck_blas_saved = openblas_get_num_threads();
        if (ck_blas_saved != 1) openblas_set_num_threads(1);
    }
    pthread_mutex_unlock(&ck_blas_guard);
}

void ck_blas_serial_leave(void) {
    pthread_mutex_lock(&ck_blas_guard);
    if (--ck_blas_depth == 0 && ck_blas_saved != 1) openblas_set_num_threads(ck_blas_saved);
    pthread_mutex_unlock(&ck_blas_guard);
}

int ck_runtime_blas_threads_configured(void) {
    pthread_mutex_lock(&ck_blas_guard);
    int v = ck_blas_depth > 0 ? ck_blas_saved : openblas_get_num_threads();
    pthread_mutex_unlock(&ck_blas_guard);
    return v;
}

int ck_runtime_blas_regions_open(int *current_threads) {
    pthread_mutex_lock(&ck_blas_guard);
    int depth = ck_blas_depth;
    if (current_threads) *current_threads = openblas_get_num_threads();
    pthread_mutex_unlock(&ck_blas_guard);
    return depth;
}

/* ---- dynamic tasks with a thread id (per-thread workspace) ------------------------------------------ */

typedef struct {
    size_t n, grain;
    ck_task_body body;
    void *ctx;
    atomic_size_t next;
} ck_task_job;

static void ck_task_worker(ck_task_job *job, int tid) {
    for (;;) {
        size_t b = atomic_fetch_add(&job->next, job->grain);
        if (b >= job->n) break;
        size_t e = b + job->grain < job->n ? b + job->grain : job->n;
        job->body(b, e, tid, job->ctx);
    }
}

#ifndef _OPENMP
static void ck_task_entry(void *data) { ck_task_worker((ck_task_job *)data, omp_get_thread_num()); }
#endif

int ck_parallel_threads_for(size_t n, size_t grain, int nthreads) {
    if (grain == 0) grain = 1;
    int nt = nthreads > 0 ? nthreads : omp_get_max_threads();
    size_t blocks = (n + grain - 1) / grain;
    if ((size_t)nt > blocks) nt = (int)blocks;
    return nt < 1 ? 1 : nt;
}

int ck_parallel_tasks(size_t n, size_t grain, int nthreads, int blas_inside, ck_task_body body, void *ctx) {
    if (body == NULL) return CK_EARG;
    if (n == 0) return CK_OK;
    if (grain == 0) grain = 1;
    int nt = ck_parallel_threads_for(n, grain, nthreads);
    if (nt <= 1) {
        body(0, n, 0, ctx);
        return CK_OK;
    }
    ck_task_job job = {n, grain, body, ctx, 0};
    atomic_init(&job.next, 0);
    if (blas_inside) ck_blas_serial_enter();
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
    ck_task_worker(&job, omp_get_thread_num());
#else
    GOMP_parallel(ck_task_entry, &job, (unsigned)nt, 0);
#endif
    if (blas_inside) ck_blas_serial_leave();
    return CK_OK;
}

int ck_parallel_for(size_t n, size_t grain, int nthreads, ck_range_body body, void *ctx) {
    if (body == NULL) return CK_EARG;
    if (n == 0) return CK_OK;
    if (grain == 0) grain = 1;
    int nt = nthreads > 0 ? nthreads : omp_get_max_threads();
    size_t blocks = (n + grain - 1) / grain;
    if ((size_t)nt > blocks) nt = (int)blocks;
    if (nt <= 1) {
        body(0, n, ctx);
        return CK_OK;
    }
    ck_parallel_job job = {n, grain, body, ctx};
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
    ck_run_share(&job, omp_get_thread_num(), omp_get_num_threads());
#else
    GOMP_parallel(ck_team_entry, &job, (unsigned)nt, 0);
#endif
    return CK_OK;
}
