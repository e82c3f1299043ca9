/* assignment.c — exact dense linear assignment (Jonker & Volgenant 1987, "A shortest augmenting path
 * algorithm for dense and sparse linear assignment problems"): column reduction, reduction transfer, two
 * rounds of augmenting row reduction, then one Dijkstra-type shortest augmenting path per free row.
 * O(m³) worst case. Used for W₂ between equal-size particle sets (MATH.md §6, 2.2.2 of file 004).
 *
 * The solver scans rows of a row-major cost. A column-major m×m cost C (Swift's layout) is the row-major
 * storage of Cᵀ, so ck_assignment solves the transposed problem and inverts the permutation: no copy. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

typedef struct {
    size_t n;
    const double *c; /* row-major: row r at c + r*ld */
    size_t ld;
} lap_cost;

static inline double cost_at(const lap_cost *k, size_t r, size_t j) { return k->c[r * k->ld + j]; }

/* Column reduction and reduction transfer. Fills x (row → column), y (column → row), v; returns the rows
 * left free in free_rows. */
static size_t column_reduction(const lap_cost *k, long *x, long *y, double *v, long *free_rows, char *unique) {
    size_t n = k->n;
    for (size_t i = 0; i < n; i++) { x[i] = -1; v[i] = INFINITY; y[i] = 0; unique[i] = 1; }
    for (size_t i = 0; i < n; i++) {
        const double *row = k->c + i * k->ld;
        for (size_t j = 0; j < n; j++) {
            if (row[j] < v[j]) { v[j] = row[j]; y[j] = (long)i; }
        }
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
        } else if (unique[i]) {
            size_t j = (size_t)x[i];
            double min = INFINITY;
            const double *row = k->c + i * k->ld;
            for (size_t j2 = 0; j2 < n; j2++) {
                if (j2 == j) continue;
                double r = row[j2] - v[j2];
                if (r < min) min = r;
            }
            if (n > 1) v[j] -= min;
        }
    }
    return nfree;
}

/* Augmenting row reduction: returns the number of rows still free. */
static size_t augmenting_row_reduction(const lap_cost *k, size_t nfree, long *free_rows, long *x, long *y,
                                       double *v) {
    size_t n = k->n, current = 0, new_free = 0, rr_count = 0;
    while (current < nfree) {
        rr_count++;
        long free_i = free_rows[current++];
        const double *row = k->c + (size_t)free_i * k->ld;
        size_t j1 = 0;
        long j2 = -1;
        double v1 = row[0] - v[0], v2 = INFINITY;
        for (size_t j = 1; j < n; j++) {
            double r = row[j] - v[j];
            if (r < v2) {
                if (r >= v1) {
                    v2 = r;
                    j2 = (long)j;
                } else {
                    v2 = v1;
                    v1 = r;
                    j2 = (long)j1;
                    j1 = j;
                }
            }
        }
        long i0 = y[j1];
        double v1_new = v[j1] - (v2 - v1);
        int lowers = v1_new < v[j1];
        if (rr_count < current * n) {
            if (lowers) {
                v[j1] = v1_new;
            } else if (i0 >= 0 && j2 >= 0) {
                j1 = (size_t)j2;
                i0 = y[j1];
            }
            if (i0 >= 0) {
                if (lowers) free_rows[--current] = i0;
                else free_rows[new_free++] = i0;
            }
        } else if (i0 >= 0) {
            free_rows[new_free++] = i0;
        }
        x[free_i] = (long)j1;
        y[j1] = free_i;
    }
    return new_free;
}

/* Moves the columns of minimal d among cols[lo..n) to cols[lo..hi); returns hi. */
static size_t find_min_columns(size_t n, size_t lo, const double *d, long *cols) {
    size_t hi = lo + 1;
    double mind = d[cols[lo]];
    for (size_t kk = hi; kk < n; kk++) {
        long j = cols[kk];
        if (d[j] <= mind) {
            if (d[j] < mind) {
                hi = lo;
                mind = d[j];
            }
            cols[kk] = cols[hi];
            cols[hi++] = j;
        }
    }
    return hi;
}

/* Scans the columns in cols[lo..hi) (all at the current minimal distance), relaxing the rest. Returns an
 * unassigned column reached at minimal distance, or -1. */
static long scan_columns(const lap_cost *k, size_t *plo, size_t *phi, double *d, long *cols, long *pred,
                         const long *y, const double *v) {
    size_t n = k->n, lo = *plo, hi = *phi;
    while (lo != hi) {
        long j = cols[lo++];
        long i = y[j];
        double mind = d[j];
        const double *row = k->c + (size_t)i * k->ld;
        double h = row[j] - v[j] - mind;
        for (size_t kk = hi; kk < n; kk++) {
            long jj = cols[kk];
            double r = row[jj] - v[jj] - h;
            if (r < d[jj]) {
                d[jj] = r;
                pred[jj] = i;
                if (r == mind) {
                    if (y[jj] < 0) return jj;
                    cols[kk] = cols[hi];
                    cols[hi++] = jj;
                }
            }
        }
    }
    *plo = lo;
    *phi = hi;
    return -1;
}

/* Shortest augmenting path from start_i (Dijkstra on reduced costs); updates v of the settled columns and
 * returns the free column the path ends at. */
static long find_path(const lap_cost *k, long start_i, const long *y, double *v, long *pred, double *d, long *cols) {
    size_t n = k->n, lo = 0, hi = 0, n_ready = 0;
    long final_j = -1;
    const double *row = k->c + (size_t)start_i * k->ld;
    for (size_t j = 0; j < n; j++) {
        cols[j] = (long)j;
        pred[j] = start_i;
        d[j] = row[j] - v[j];
    }
    while (final_j < 0) {
        if (lo == hi) {
            n_ready = lo;
            hi = find_min_columns(n, lo, d, cols);
            for (size_t kk = lo; kk < hi; kk++) {
                if (y[cols[kk]] < 0) {
                    final_j = cols[kk];
                    break;
                }
            }
        }
        if (final_j < 0) final_j = scan_columns(k, &lo, &hi, d, cols, pred, y, v);
        if (final_j < 0 && lo == n) return -1; /* cannot happen on a finite dense cost */
    }
    double mind = d[cols[lo]];
    for (size_t kk = 0; kk < n_ready; kk++) {
        long j = cols[kk];
        v[j] += d[j] - mind;
    }
    return final_j;
}

static int augment(const lap_cost *k, size_t nfree, const long *free_rows, long *x, long *y, double *v, long *pred,
                   double *d, long *cols) {
    for (size_t f = 0; f < nfree; f++) {
        long free_i = free_rows[f];
        long j = find_path(k, free_i, y, v, pred, d, cols);
        if (j < 0) return CK_EARG;
        long i = -1;
        size_t guard = 0;
        while (i != free_i) {
            i = pred[j];
            y[j] = i;
            long tmp = x[i];
            x[i] = j;
            j = tmp;
            if (++guard > k->n) return CK_EARG;
        }
    }
    return CK_OK;
}

/* Solves the row-major problem min Σ_r cost(r, x[r]). */
static int lapjv(const lap_cost *k, long *x, long *y, double *v) {
    size_t n = k->n;
    long *free_rows = malloc(n * sizeof(long));
    long *pred = malloc(n * sizeof(long));
    long *cols = malloc(n * sizeof(long));
    double *d = malloc(n * sizeof(double));
    char *unique = malloc(n);
    int status = CK_OK;
    if (!free_rows || !pred || !cols || !d || !unique) {
        status = CK_ENOMEM;
        goto done;
    }
    size_t nfree = column_reduction(k, x, y, v, free_rows, unique);
    for (int round = 0; round < 2 && nfree > 0; round++) nfree = augmenting_row_reduction(k, nfree, free_rows, x, y, v);
    if (nfree > 0) status = augment(k, nfree, free_rows, x, y, v, pred, d, cols);
done:
    free(free_rows);
    free(pred);
    free(cols);
    free(d);
    free(unique);
    return status;
}

int ck_assignment(size_t m, const double *c, size_t ldc, long *perm, double *row_potential, double *col_potential,
                  double *total) {
    ck_runtime_ensure_fast_blas();
    if (m == 0 || ldc < m) return CK_EDIM;
    if (!c || !perm) return CK_EARG;
    for (size_t j = 0; j < m; j++)
        for (size_t i = 0; i < m; i++)
            if (!isfinite(c[i + j * ldc])) return CK_EARG;
    /* Row-major view of Cᵀ: "row" r of the view is column r of C. */
    lap_cost k = {m, c, ldc};
    long *x = malloc(m * sizeof(long)); /* view row (= our column j) → view column (= our row i) */
    long *y = malloc(m * sizeof(long)); /* our row i → our column j */
    double *v = malloc(m * sizeof(double));
    int status = (x && y && v) ? CK_OK : CK_ENOMEM;
    if (status == CK_OK) status = lapjv(&k, x, y, v);
    if (status == CK_OK) {
        double sum = 0;
        for (size_t i = 0; i < m; i++) {
            perm[i] = y[i];
            sum += c[i + (size_t)y[i] * ldc];
        }
        if (total) *total = sum;
        /* Duals of the view: v is indexed by our rows; the view's row duals (our columns) follow from
         * equality on the assignment. */
        if (row_potential) memcpy(row_potential, v, m * sizeof(double));
        if (col_potential)
            for (size_t j = 0; j < m; j++) col_potential[j] = c[(size_t)x[j] + j * ldc] - v[x[j]];
    }
    free(x);
    free(y);
    free(v);
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
