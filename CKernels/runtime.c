/* runtime.c — which OpenBLAS kernels run, and leaving a generic fallback once, before the first BLAS call.
 *
 * Debian's OpenBLAS 0.3.21 does not know some AVX-512 Xeons and falls back to "Prescott" kernels
 * (dgemm ~31 instead of ~150 GFLOP/s, DESIGN.md). libopenblas exports gotoblas_dynamic_quit/init; calling
 * quit, setting OPENBLAS_CORETYPE, calling init and restoring the environment switches the kernels in
 * process. We look the two symbols up with dlsym(RTLD_DEFAULT, …) so that a BLAS without them still links
 * and runs (selection then reports CK_BLAS_NO_DYNAMIC), and never override a user's OPENBLAS_CORETYPE.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckernels.h"
#include "internal.h"

extern char *openblas_get_corename(void);
extern char *openblas_get_config(void);
extern int openblas_get_num_threads(void);
extern void ilaver_(int *major, int *minor, int *patch);
extern int omp_get_max_threads(void);
extern void omp_set_num_threads(int);
extern void openblas_set_num_threads(int);

static pthread_once_t ck_once = PTHREAD_ONCE_INIT;
static int ck_selection = CK_BLAS_KEPT;      /* written once inside pthread_once */
static char ck_detected[32] = "unknown";     /* written once inside pthread_once */

int ck_runtime_cpu_features(void) {
    __builtin_cpu_init();
    int f = 0;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) f |= 1;
    if (__builtin_cpu_supports("avx512f")) f |= 2;
    return f;
}

/* Cores without AVX2 kernels: what OpenBLAS falls back to on a CPU it does not recognise. */
static int ck_is_generic_core(const char *core) {
    static const char *const generic[] = {"Prescott", "Core2",   "Penryn",  "Dunnington", "Nehalem",
                                          "Katmai",   "Coppermine", "Northwood", "Banias", "Atom",
                                          "Opteron",  "Opteron(SSE3)", "Barcelona", "Bobcat", "Sandybridge",
                                          "Bulldozer", "Piledriver", "Steamroller", "Excavator", "Unknown"};
    if (core == NULL) return 0;
    for (size_t i = 0; i < sizeof generic / sizeof generic[0]; i++)
        if (strcasecmp(core, generic[i]) == 0) return 1;
    return 0;
}

typedef void (*ck_void_fn)(void);

static int ck_switch_core(const char *core) {
    ck_void_fn quit = (ck_void_fn)dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit");
    ck_void_fn init = (ck_void_fn)dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init");
    if (quit == NULL || init == NULL) return CK_EUNAVAILABLE;
    const char *prev = getenv("OPENBLAS_CORETYPE");
    char *saved = prev ? strdup(prev) : NULL;
    setenv("OPENBLAS_CORETYPE", core, 1);
    quit();
    init();
    if (saved) {
        setenv("OPENBLAS_CORETYPE", saved, 1);
        free(saved);
    } else {
        unsetenv("OPENBLAS_CORETYPE");
    }
    return CK_OK;
}

static int ck_select(void) {
    const char *core = openblas_get_corename();
    if (getenv("OPENBLAS_CORETYPE") != NULL) return CK_BLAS_USER_OVERRIDE;
    if (!ck_is_generic_core(core)) return CK_BLAS_KEPT;
    int f = ck_runtime_cpu_features();
    const char *target = (f & 2) ? "SkylakeX" : (f & 1) ? "Haswell" : NULL;
    if (target == NULL) return CK_BLAS_NO_BETTER;
    if (ck_switch_core(target) != CK_OK) return CK_BLAS_NO_DYNAMIC;
    return CK_BLAS_SWITCHED;
}

/* OpenBLAS's pthread workers, after a threaded call, spin on sched_yield() for 2^THREAD_TIMEOUT cycles
 * (2^28 ≈ 0.1 s here) before they sleep. Kernels that call BLAS every few milliseconds therefore keep a worker
 * spinning all the time: on 2 cores it steals the core from the OpenMP team and shows up as system time
 * (132,533 sched_yield calls, 1.4–2.9 s of system time in a 4 s adapted flow, issue #28). The timeout is read
 * from OPENBLAS_THREAD_TIMEOUT when the pool starts, which the library's constructor did before main; so set
 * the variable (unless the user did), re-read the environment and stop the pool, which the next threaded call
 * starts again with the short timeout (2^CK_BLAS_SPIN_LOG2 cycles ≈ 0.1 ms, measured in BENCHMARKS.md).
 * Looked up with dlsym so that a BLAS without these symbols still links and runs. */
enum { CK_BLAS_SPIN_LOG2 = 18 };

static void ck_quiet_blas_pool(void) {
    if (getenv("OPENBLAS_THREAD_TIMEOUT") != NULL) return;
    ck_void_fn read_env = (ck_void_fn)dlsym(RTLD_DEFAULT, "openblas_read_env");
    ck_void_fn shutdown = (ck_void_fn)dlsym(RTLD_DEFAULT, "blas_thread_shutdown_");
    if (read_env == NULL || shutdown == NULL) return;
    char value[8];
    snprintf(value, sizeof value, "%d", (int)CK_BLAS_SPIN_LOG2);
    setenv("OPENBLAS_THREAD_TIMEOUT", value, 0);
    read_env();
    shutdown();
    unsetenv("OPENBLAS_THREAD_TIMEOUT");
}

static void ck_select_once(void) {
    /* LLVM libomp keeps idle team threads spinning for KMP_BLOCKTIME (200 ms) after a region; the kernels
     * alternate OpenMP regions with calls into OpenBLAS's own pthread pool, so spinning workers of one pool
     * steal the two cores from the other. Sleep at once instead, unless the user chose. libomp reads the
     * variable when it initialises, at the first OpenMP call, which every entry point makes after this. */
    setenv("KMP_BLOCKTIME", "0", 0);
    ck_quiet_blas_pool();
    const char *core = openblas_get_corename();
    strncpy(ck_detected, core ? core : "unknown", sizeof ck_detected - 1);
    ck_selection = ck_select();
}

int ck_runtime_ensure_fast_blas(void) {
    pthread_once(&ck_once, ck_select_once);
    return ck_selection;
}

int ck_runtime_blas_selection(void) { return ck_runtime_ensure_fast_blas(); }

const char *ck_runtime_blas_core(void) {
    ck_runtime_ensure_fast_blas();
    const char *c = openblas_get_corename();
    return c ? c : "unknown";
}

const char *ck_runtime_blas_detected_core(void) {
    ck_runtime_ensure_fast_blas();
    return ck_detected;
}

const char *ck_runtime_blas_config(void) {
    const char *c = openblas_get_config();
    return c ? c : "unknown";
}

int ck_runtime_blas_threads(void) { return openblas_get_num_threads(); }

int ck_runtime_blas_idle_spin_log2(void) {
    ck_runtime_ensure_fast_blas();
    typedef int (*ck_int_fn)(void);
    ck_int_fn timeout = (ck_int_fn)dlsym(RTLD_DEFAULT, "openblas_thread_timeout");
    return timeout == NULL ? -1 : timeout();
}

void ck_runtime_set_threads(int n) {
    ck_runtime_ensure_fast_blas();
    if (n <= 0) return;
    openblas_set_num_threads(n);
    omp_set_num_threads(n);
}

int ck_runtime_omp_max_threads(void) { return omp_get_max_threads(); }

void ck_runtime_lapack_version(int *major, int *minor, int *patch) {
    int a = 0, b = 0, c = 0;
    ilaver_(&a, &b, &c);
    if (major) *major = a;
    if (minor) *minor = b;
    if (patch) *patch = c;
}

void ck_advise_huge_pages(void *p, size_t bytes) {
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)1 << 21;
    if (p == NULL || bytes < 4 * huge) return;
    uintptr_t begin = ((uintptr_t)p + huge - 1) & ~(huge - 1), end = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (end > begin) (void)madvise((void *)begin, end - begin, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

int ck_runtime_retain_freed_memory(void) {
    /* glibc returns blocks above M_MMAP_THRESHOLD to the kernel on free, and trims the heap above
     * M_TRIM_THRESHOLD; each new block is then paid again in page faults (≈2.4 µs per 4 KiB page here). */
    int ok = mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    ok &= mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
    ok &= mallopt(M_TOP_PAD, 64 * 1024 * 1024);
    ck_scratch_enable();
    return ok ? CK_OK : CK_EUNAVAILABLE;
}

int ck_runtime_force_blas_core(const char *core) {
    if (core == NULL) return CK_EARG;
    ck_runtime_ensure_fast_blas();
    return ck_switch_core(core);
}

int ck_runtime_reselect_blas(void) {
    ck_runtime_ensure_fast_blas();
    return ck_select();
}
