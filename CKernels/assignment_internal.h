/* assignment_internal.h — the row scans of the linear assignment solver (assignment_scan.c), shared with
 * assignment.c only. */
#ifndef CK_ASSIGNMENT_INTERNAL_H
#define CK_ASSIGNMENT_INTERNAL_H
#include <math.h>
#include <stddef.h>

/* The two smallest (value, column) pairs seen, ordered by value then column (v1 ≤ v2; j = -1: none yet). */
typedef struct {
    double v1, v2;
    long j1, j2;
} ck_lap_two;

static inline void ck_lap_two_reset(ck_lap_two *t) {
    t->v1 = t->v2 = INFINITY;
    t->j1 = t->j2 = -1;
}

/* Offers (value, column); a column < 0 is ignored. Lexicographic (value, column) order: ties go to the lower
 * column whatever the order of the offers. */
static inline void ck_lap_two_push(ck_lap_two *t, double value, long j) {
    if (j < 0) return;
    if (t->j1 < 0 || value < t->v1 || (value == t->v1 && j < t->j1)) {
        t->v2 = t->v1;
        t->j2 = t->j1;
        t->v1 = value;
        t->j1 = j;
    } else if (t->j2 < 0 || value < t->v2 || (value == t->v2 && j < t->j2)) {
        t->v2 = value;
        t->j2 = j;
    }
}

/* level: 2 AVX-512, 1 AVX2, 0 scalar (ck_vmath_level()). See assignment_scan.c for the equations. */
long ck_lap_relax_argmin(int level, size_t n, const double *row, const double *v, double h, double *d, long *pred,
                         long i, double *best);
void ck_lap_two_min(int level, size_t n, const double *row, const double *v, ck_lap_two *out);
#endif
