/* scratch.c — large work blocks (tapes, NTK workspaces) kept for the next call once the caller has opted in.
 *
 * glibc serves every block above 32 MiB (its largest mmap threshold) with a fresh mmap and unmaps it on free, so
 * without this each NTK of the 1M-parameter network faults in its 50 MB tape and 57 MB workspace again: ≈16 ms
 * of kernel page zeroing per 160 MB measured here, even in 2 MiB pages. After ck_runtime_retain_freed_memory()
 * (which also enables this), up to CK_SCRATCH_SLOTS freed blocks of at least CK_SCRATCH_MIN bytes are kept and
 * handed to the next request they can hold; ck_runtime_release_retained_memory() returns them. Each block carries
 * its capacity in a header, so a block is never handed out for more than it holds.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "ckernels.h"
#include "internal.h"

enum { CK_SCRATCH_SLOTS = 4, CK_SCRATCH_HEADER = 64 };
#define CK_SCRATCH_MIN ((size_t)32 << 20)

static pthread_mutex_t ck_scratch_lock = PTHREAD_MUTEX_INITIALIZER;
static void *ck_scratch_slot[CK_SCRATCH_SLOTS]; /* header addresses of kept blocks */
static int ck_scratch_on;

static size_t ck_scratch_capacity(const void *header) { return *(const size_t *)header; }

void ck_scratch_enable(void) {
    pthread_mutex_lock(&ck_scratch_lock);
    ck_scratch_on = 1;
    pthread_mutex_unlock(&ck_scratch_lock);
}

void *ck_scratch_alloc(size_t bytes) {
    if (bytes > SIZE_MAX - CK_SCRATCH_HEADER) return NULL;
    void *header = NULL;
    if (bytes >= CK_SCRATCH_MIN) {
        pthread_mutex_lock(&ck_scratch_lock);
        int best = -1; /* the smallest kept block that holds the request */
        for (int s = 0; s < CK_SCRATCH_SLOTS; s++)
            if (ck_scratch_slot[s] != NULL && ck_scratch_capacity(ck_scratch_slot[s]) >= bytes &&
                (best < 0 || ck_scratch_capacity(ck_scratch_slot[s]) < ck_scratch_capacity(ck_scratch_slot[best])))
                best = s;
        if (best >= 0) {
            header = ck_scratch_slot[best];
            ck_scratch_slot[best] = NULL;
        }
        pthread_mutex_unlock(&ck_scratch_lock);
    }
    if (header == NULL) {
        header = malloc(CK_SCRATCH_HEADER + bytes);
        if (header == NULL) return NULL;
        *(size_t *)header = bytes;
        ck_advise_huge_pages((char *)header + CK_SCRATCH_HEADER, bytes);
    }
    return (char *)header + CK_SCRATCH_HEADER;
}

void ck_scratch_free(void *p) {
    if (p == NULL) return;
    void *header = (char *)p - CK_SCRATCH_HEADER, *evict = header;
    if (ck_scratch_capacity(header) >= CK_SCRATCH_MIN) {
        pthread_mutex_lock(&ck_scratch_lock);
        if (ck_scratch_on) {
            /* an empty slot, else the smallest kept block, replaced if it is smaller than this one */
            int victim = 0;
            for (int s = 0; s < CK_SCRATCH_SLOTS; s++) {
                if (ck_scratch_slot[s] == NULL) {
                    victim = s;
                    break;
                }
                if (ck_scratch_capacity(ck_scratch_slot[s]) < ck_scratch_capacity(ck_scratch_slot[victim])) victim = s;
            }
            void *old = ck_scratch_slot[victim];
            if (old == NULL || ck_scratch_capacity(old) < ck_scratch_capacity(header)) {
                ck_scratch_slot[victim] = header;
                evict = old;
            }
        }
        pthread_mutex_unlock(&ck_scratch_lock);
    }
    free(evict);
}

void ck_runtime_release_retained_memory(void) {
    void *kept[CK_SCRATCH_SLOTS];
    pthread_mutex_lock(&ck_scratch_lock);
    for (int s = 0; s < CK_SCRATCH_SLOTS; s++) {
        kept[s] = ck_scratch_slot[s];
        ck_scratch_slot[s] = NULL;
    }
    pthread_mutex_unlock(&ck_scratch_lock);
    for (int s = 0; s < CK_SCRATCH_SLOTS; s++) free(kept[s]);
}
