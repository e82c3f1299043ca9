/* assignment.c — exact dense linear assignment by shortest augmenting paths (Jonker & Volgenant 1987, "A shortest
 * augmenting path algorithm for dense and sparse linear assignment problems"), rectangular and with forbidden
 * (+inf) pairs. Used for W₂ between equal-size particle sets (MATH.md §6) and by `tangentflow ot assign`.
 *
 * The problem, on a row-major n×m cost c (n ≤ m, row r contiguous), and its LP dual:
 *   min Σ_r c[r, x_r] over injective x : rows → columns
 *   max Σ_r u_r + Σ_j v_j  s.t.  u_r + v_j ≤ c[r, j],  v_j ≤ 0 when n < m.
 * Invariant of every phase: an assigned row r has x_r ∈ argmin_j (c[r, j] − v_j) (so u_r = c[r, x_r] − v_{x_r}
 * is dual feasible and tight). Phases:
 *   1. Start. Square and finite, cold: column reduction and reduction transfer (JV). Otherwise v is given (warm
 *      start, square only) or 0, and a greedy pass assigns each row to its argmin column when that column is free.
 *   2. Square and finite: one budgeted round of augmenting row reduction (JV), whose scan is ck_lap_two_min.
 *   3. One Dijkstra search per free row on the reduced costs (JV's augmentation, with a contiguous vectorised
 *      step ck_lap_relax_argmin instead of a list of remaining columns). If no free column is reachable through
 *      finite entries, no complete assignment exists: CK_EINFEASIBLE (Berge: the symmetric difference with a
 *      row-complete assignment would hold an augmenting path from that row).
 * In the rectangular case v starts at 0 and only the columns a search settles (assigned ones, which stay assigned)
 * are lowered, so v ≤ 0 with v_j = 0 on the unassigned columns: complementary slackness, hence optimality. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "assignment_internal.h"
#include "internal.h"

/* Augmenting row reduction: one round, at most CK_LAP_ARR_BUDGET scans per initially free row before the
 * displaced rows are left to the Dijkstra searches. JV's two unbounded rounds (as in the lapjv package) spent
 * 1.4–1.7 s of a 1.7 s solve at m = 4096 (uniform points in R¹⁷), where the searches finish the same work in
 * 0.5 s; budgets 1, 4, 16 gave 0.54, 0.46, 0.57 s (solve only, noisy shared machine). */
#define CK_LAP_ARR_BUDGET 4

typedef struct {
    size_t n, m;     /* rows ≤ columns */
    const double *c; /* row-major: row r at c + r*ld */
    size_t ld;
    int level; /* ck_vmath_level() */
} lap_cost;

static inline const double *row_at(const lap_cost *k, size_t r) { return k->c + r * k->ld; }

/* Column reduction and reduction transfer (square). Fills x, y, v; returns the rows left free in free_rows. */
static size_t column_reduction(const lap_cost *k, long *x, long *y, double *v, long *free_rows, char *unique) {
    size_t n = k->n;
    for (size_t i = 0; i < n; i++) { x[i] = -1; v[i] = INFINITY; y[i] = 0; unique[i] = 1; }
    for (size_t i = 0; i < n; i++) {
        const double *row = row_at(k, i);
        for (size_t j = 0; j < n; j++)
            if (row[j] < v[j]) { v[j] = row[j]; y[j] = (long)i; }
    }
    for (size_t jj = n; jj-- > 0;) {
        long i = y[jj];
        if (x[i] < 0) {
            x[i] = (long)jj;
        } else {
            unique[i] = 0;
            y[jj] = -1;
        }
    }
    size_t nfree = 0;
    for (size_t i = 0; i < n; i++) {
        if (x[i] < 0) {
            free_rows[nfree++] = (long)i;
        } else if (unique[i] && n > 1) {
            /* Transfer: lower v of the row's column by the smallest other reduced cost. */
            long j = x[i];
            ck_lap_two t;
            ck_lap_two_min(k->level, n, row_at(k, i), v, &t);
            v[j] -= t.j1 == j ? t.v2 : t.v1;
        }
    }
    return nfree;
}

/* Greedy start from given v: each row to its argmin column if free. Returns the free rows, or SIZE_MAX when a
 * row has no finite entry (infeasible). */
static size_t greedy_start(const lap_cost *k, long *x, long *y, const double *v, long *free_rows) {
    size_t nfree = 0;
    for (size_t j = 0; j < k->m; j++) y[j] = -1;
    for (size_t i = 0; i < k->n; i++) {
        ck_lap_two t;
        ck_lap_two_min(k->level, k->m, row_at(k, i), v, &t);
        x[i] = -1;
        if (!(t.v1 < INFINITY)) return SIZE_MAX;
        if (y[t.j1] < 0) {
            x[i] = t.j1;
            y[t.j1] = (long)i;
        } else {
            free_rows[nfree++] = (long)i;
        }
    }
    return nfree;
}

/* Augmenting row reduction (square, finite): returns the number of rows still free. */
static size_t augmenting_row_reduction(const lap_cost *k, size_t nfree, long *free_rows, long *x, long *y,
                                       double *v) {
    size_t n = k->n, current = 0, new_free = 0, rr_count = 0, budget = CK_LAP_ARR_BUDGET * nfree;
    while (current < nfree) {
        rr_count++;
        long free_i = free_rows[current++];
        ck_lap_two t;
        ck_lap_two_min(k->level, n, row_at(k, (size_t)free_i), v, &t);
        long j1 = t.j1, j2 = t.j2;
        long i0 = y[j1];
        double v1_new = v[j1] - (t.v2 - t.v1);
        int lowers = v1_new < v[j1];
        if (rr_count < current * n && rr_count <= budget) {
            if (lowers) {
                v[j1] = v1_new;
            } else if (i0 >= 0 && j2 >= 0) {
                j1 = j2;
                i0 = y[j1];
            }
            if (i0 >= 0) {
                if (lowers) free_rows[--current] = i0;
                else free_rows[new_free++] = i0;
            }
        } else if (i0 >= 0) {
            free_rows[new_free++] = i0;
        }
        x[free_i] = j1;
        y[j1] = free_i;
    }
    return new_free;
}

/* Workspace of the Dijkstra searches. */
typedef struct {
    double *d;       /* m: tentative distances; NaN once settled */
    long *pred;      /* m: row the column was reached from */
    long *settled;   /* m: settled columns in order */
    double *dset;    /* m: their distances */
} lap_search;

/* Shortest augmenting path from free row f; augments x, y and lowers v of the settled columns.
 * Returns CK_OK or CK_EINFEASIBLE. */
static int augment_row(const lap_cost *k, long f, long *x, long *y, double *v, lap_search *s) {
    size_t m = k->m, nset = 0;
    for (size_t j = 0; j < m; j++) s->d[j] = INFINITY;
    double mind;
    long j = ck_lap_relax_argmin(k->level, m, row_at(k, (size_t)f), v, 0.0, s->d, s->pred, f, &mind);
    while (j >= 0 && y[j] >= 0) {
        s->settled[nset] = j;
        s->dset[nset++] = mind;
        s->d[j] = NAN;
        long i = y[j];
        const double *row = row_at(k, (size_t)i);
        double h = row[j] - v[j] - mind;
        j = ck_lap_relax_argmin(k->level, m, row, v, h, s->d, s->pred, i, &mind);
    }
    if (j < 0) return CK_EINFEASIBLE; /* every unsettled column is +inf away */
    for (size_t t = 0; t < nset; t++) v[s->settled[t]] += s->dset[t] - mind;
    for (size_t guard = 0;; guard++) {
        long i = s->pred[j];
        y[j] = i;
        long next = x[i];
        x[i] = j;
        if (i == f) break;
        j = next;
        if (guard > m) return CK_EARG; /* a broken predecessor chain: never on valid input */
    }
    return CK_OK;
}

/* Solves the row-major problem (n ≤ m). v: m duals, input when warm, output always; x: n columns. */
static int lap_solve(const lap_cost *k, int finite, int warm, long *x, double *v) {
    size_t n = k->n, m = k->m;
    long *y = malloc(m * sizeof(long));
    long *free_rows = malloc((n ? n : 1) * sizeof(long));
    char *unique = malloc(m);
    lap_search s = {malloc(m * sizeof(double)), malloc(m * sizeof(long)), malloc(m * sizeof(long)),
                    malloc(m * sizeof(double))};
    int status = CK_OK;
    if (!y || !free_rows || !unique || !s.d || !s.pred || !s.settled || !s.dset) {
        status = CK_ENOMEM;
        goto done;
    }
    int square_finite = finite && n == m;
    size_t nfree;
    if (square_finite && !warm) {
        nfree = column_reduction(k, x, y, v, free_rows, unique);
    } else {
        if (!warm || n != m)
            for (size_t j = 0; j < m; j++) v[j] = 0;
        nfree = greedy_start(k, x, y, v, free_rows);
        if (nfree == SIZE_MAX) {
            status = CK_EINFEASIBLE;
            goto done;
        }
    }
    if (square_finite)
        if (nfree > 0) nfree = augmenting_row_reduction(k, nfree, free_rows, x, y, v);
    for (size_t f = 0; f < nfree && status == CK_OK; f++) status = augment_row(k, free_rows[f], x, y, v, &s);
done:
    free(y);
    free(free_rows);
    free(unique);
    free(s.d);
    free(s.pred);
    free(s.settled);
    free(s.dset);
    return status;
}

int ck_assignment_rows(size_t n, size_t m, const double *c, size_t ldc, int warm, long *col_of_row,
                       double *row_potential, double *col_potential) {
    if (n > m || ldc < (m > 0 ? m : 1)) return CK_EDIM;
    if (n == 0) return CK_OK;
    if (!c || !col_of_row || !col_potential) return CK_EARG;
    int finite = 1;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) {
            double e = c[i * ldc + j];
            if (isnan(e) || e == -INFINITY) return CK_EARG;
            if (e == INFINITY) finite = 0;
        }
    if (warm)
        for (size_t j = 0; j < m; j++)
            if (!isfinite(col_potential[j])) return CK_EARG;
    lap_cost k = {n, m, c, ldc, ck_vmath_level()};
    int status = lap_solve(&k, finite, warm, col_of_row, col_potential);
    if (status == CK_OK && row_potential)
        for (size_t i = 0; i < n; i++) {
            long j = col_of_row[i];
            row_potential[i] = c[i * ldc + (size_t)j] - col_potential[j];
        }
    return status;
}

int ck_assignment(size_t m, const double *c, size_t ldc, long *perm, double *row_potential, double *col_potential,
                  double *total) {
    if (m == 0 || ldc < m) return CK_EDIM;
    if (!c || !perm) return CK_EARG;
    for (size_t j = 0; j < m; j++)
        for (size_t i = 0; i < m; i++)
            if (!isfinite(c[i + j * ldc])) return CK_EARG;
    /* A column-major m×m C is the row-major storage of Cᵀ: "row" r of the view is column r of C. */
    long *x = malloc(m * sizeof(long)); /* view row (= our column j) → view column (= our row i) */
    double *v = malloc(m * sizeof(double));
    int status = (x && v) ? CK_OK : CK_ENOMEM;
    if (status == CK_OK) {
        lap_cost k = {m, m, c, ldc, ck_vmath_level()};
        status = lap_solve(&k, 1, 0, x, v);
    }
    if (status == CK_OK) {
        double sum = 0;
        for (size_t j = 0; j < m; j++) perm[x[j]] = (long)j;
        for (size_t i = 0; i < m; i++) sum += c[i + (size_t)perm[i] * ldc];
        if (total) *total = sum;
        /* Duals of the view: v is indexed by our rows; our columns' duals follow from equality on the assignment. */
        if (row_potential) memcpy(row_potential, v, m * sizeof(double));
        if (col_potential)
            for (size_t j = 0; j < m; j++) col_potential[j] = c[(size_t)x[j] + j * ldc] - v[x[j]];
    }
    free(x);
    free(v);
    return status;
}

int ck_assignment_sqeuclidean(size_t m, size_t d, const double *x, size_t ldx, const double *y, size_t ldy, int warm,
                              long *perm, double *col_potential, double *total) {
    if (m == 0 || d == 0 || !ck_valid_operand(m, d, ldx) || !ck_valid_operand(m, d, ldy) || m > CK_MAX_DIM)
        return CK_EDIM;
    if (!x || !y || !perm || !col_potential) return CK_EARG;
    double xmax = 0, ymax = 0;
    for (size_t t = 0; t < d; t++)
        for (size_t i = 0; i < m; i++) {
            double a = fabs(x[i + t * ldx]), b = fabs(y[i + t * ldy]);
            if (!(a <= 1.7976931348623157e308) || !(b <= 1.7976931348623157e308)) return CK_EARG;
            if (a > xmax) xmax = a;
            if (b > ymax) ymax = b;
        }
    if (warm)
        for (size_t j = 0; j < m; j++)
            if (!isfinite(col_potential[j])) return CK_EARG;

    /* The points are scaled by 2^-k ≥ 1/(max|x| + max|y|) (a power of two: exact), so every coordinate is at most 1
     * in magnitude and c[r, j] = |x_r|² + |y_j|² − 2 x_r·y_j (scaled by 2^-2k) neither overflows nor, in the
     * dgemm, loses the small entries. One dgemm gives −2 Y Xᵀ column-major, i.e. row r of the row-major cost
     * contiguous; then the norms are added (they move no optimum, but the column reduction's start is much better
     * with them). */
    int k2 = 0;
    if (xmax + ymax > 0) frexp(xmax + ymax, &k2);
    if (!(xmax + ymax <= 1.7976931348623157e308)) k2 = 1025;
    double down = ldexp(1.0, -k2), down2 = ldexp(1.0, -2 * k2), up2 = ldexp(1.0, 2 * k2);
    double *c = ck_scratch_alloc(m * m * sizeof(double));
    double *xs = malloc(m * d * sizeof(double)), *ys = malloc(m * d * sizeof(double));
    double *nx = malloc(m * sizeof(double)), *ny = malloc(m * sizeof(double));
    long *xr = malloc(m * sizeof(long));
    int status = (c && xs && ys && nx && ny && xr) ? CK_OK : CK_ENOMEM;
    if (status == CK_OK) {
        for (size_t i = 0; i < m; i++) nx[i] = ny[i] = 0;
        for (size_t t = 0; t < d; t++)
            for (size_t i = 0; i < m; i++) {
                double a = x[i + t * ldx] * down, b = y[i + t * ldy] * down;
                xs[i + t * m] = a;
                ys[i + t * m] = b;
                nx[i] += a * a;
                ny[i] += b * b;
            }
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, (int)m, (int)m, (int)d, -2.0, ys, (int)m, xs, (int)m, 0.0,
                    c, (int)m);
        for (size_t r = 0; r < m; r++) {
            double *row = c + r * m, xr2 = nx[r];
            for (size_t j = 0; j < m; j++) row[j] += xr2 + ny[j];
        }
        if (warm)
            for (size_t j = 0; j < m; j++) col_potential[j] *= down2;
        lap_cost k = {m, m, c, m, ck_vmath_level()};
        status = lap_solve(&k, 1, warm, xr, col_potential);
    }
    if (status == CK_OK) {
        double sum = 0;
        for (size_t r = 0; r < m; r++) {
            size_t j = (size_t)xr[r];
            perm[r] = (long)j;
            double s2 = 0;
            for (size_t t = 0; t < d; t++) {
                double diff = x[r + t * ldx] - y[j + t * ldy];
                s2 += diff * diff;
            }
            sum += s2;
        }
        for (size_t j = 0; j < m; j++) col_potential[j] *= up2;
        if (total) *total = sum;
    }
    ck_scratch_free(c);
    free(xs);
    free(ys);
    free(nx);
    free(ny);
    free(xr);
    return status;
}

int ck_pairwise_sqdist(size_t m, size_t n, size_t d, const double *x, size_t ldx, const double *y, size_t ldy,
                       double *c, size_t ldc) {
    if (ldx < (m > 0 ? m : 1) || ldy < (n > 0 ? n : 1) || ldc < (m > 0 ? m : 1)) return CK_EDIM;
    if (m == 0 || n == 0) return CK_OK;
    if (!x || !y || !c) return CK_EARG;
    for (size_t j = 0; j < n; j++) {
        double *col = c + j * ldc;
        for (size_t i = 0; i < m; i++) col[i] = 0;
        for (size_t t = 0; t < d; t++) {
            double yj = y[j + t * ldy];
            const double *xt = x + t * ldx;
            for (size_t i = 0; i < m; i++) {
                double diff = xt[i] - yj;
                col[i] += diff * diff;
            }
        }
    }
    return CK_OK;
}
