/* ntk.c — the MLP NTK G = Θ(X, X) in ScaLAPACK's 2-D block-cyclic layout, its spectrum, and the Gram-route
 * pseudoinverse applied to a vector (MATH.md §2; (2.21)–(2.22) in 2408.01517).
 *
 * Layout: G is QN×QN in nb×nb blocks over a prow×pcol grid; local row li of process row p is global row
 *   gi = ((li / nb)·prow + p)·nb + li mod nb,   sample gi / Q, output gi mod Q   (sample-major, MATH.md §1),
 * and likewise for columns. A rank's local rows touch the sample set S_r (about N/prow samples, plus the samples
 * a block edge cuts when nb is not a multiple of Q); it records the MLP pass of S_r once (activations h and
 * sensitivities δ, CKernels' tape) and keeps it. Its local columns are taken in groups of consecutive local
 * column blocks (about 512 columns); for each group it records the pass of the samples the group touches and
 * computes Θ(X[S_r], X[S_g]) with ck_mlp_pass_ntk_cross into a panel, from which it copies exactly its local
 * entries. So each rank evaluates the layer-factored formula only for the sample pairs its blocks touch, and
 * G is never assembled anywhere.
 *
 * Memory per rank (doubles): mloc·nloc (local G, ≈ (QN)²/P) + the row tape |S_r|·(Σ_{ℓ<L} M_ℓ + Q +
 * Σ_{0<ℓ<L} M_ℓ(1+Q)) + one panel Q|S_r|·Q|S_g| (+ CKernels' per-thread NTK buffers for it); the eigen route adds
 * the eigenvectors Z (mloc·nloc) and pdsyevr's workspace. See docs/scaling.md.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "scalapack.h"

struct cd_ntk {
    cd_grid grid;
    ck_mlp net;
    size_t widths[CK_MAX_LAYERS_CD + 1];
    double wscale[CK_MAX_LAYERS_CD], bscale[CK_MAX_LAYERS_CD];
    size_t n, m0, Q, qn, K;
    double *theta, *x; /* copies: θ (K), X (n×M_0, ld n) — to recompute G after a factorisation consumed it */
    int nthreads;
    int desc[9];
    size_t mloc, nloc, lld;
    double *a;  /* local G, lld×nloc */
    int valid;  /* a holds G */
    ck_mlp_pass *rowpass;
    size_t nrs;      /* |S_r| */
    size_t *rowmap;  /* local row → row of the row pass's Θ (index in S_r · Q + q) */
    size_t panel_doubles;
    double seconds_fill;
};

static size_t cd_l2g(size_t l, int nb, int p, int np) {
    size_t b = (size_t)nb;
    return ((l / b) * (size_t)np + (size_t)p) * b + l % b;
}

static uint64_t cd_hash(const void *p, size_t bytes, uint64_t h) {
    const unsigned char *b = p;
    for (size_t i = 0; i < bytes; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* COLLECTIVE: CD_EINPUT naming the first rank whose hash differs from rank 0's. */
static int cd_hash_check(uint64_t h, const char *what) {
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    uint64_t *all = malloc((size_t)size * sizeof *all);
    int st = all ? CK_OK : CK_ENOMEM;
    st = cd_agree(st, "out of memory");
    if (st != CK_OK) {
        free(all);
        return st;
    }
    MPI_Allgather(&h, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, MPI_COMM_WORLD);
    for (int r = 1; r < size; r++)
        if (all[r] != all[0]) {
            free(all);
            return cd_fail(CD_EINPUT, "%s differs between ranks: rank %d holds a different copy than rank 0 (every "
                                      "rank must pass identical inputs)", what, r);
        }
    free(all);
    return CK_OK;
}

static const char *cd_first_nonfinite(const double *v, size_t n, size_t *at) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) {
            *at = i;
            return isnan(v[i]) ? "NaN" : "infinite";
        }
    return NULL;
}

static size_t cd_panel_columns = 512;

void cd_ntk_set_panel_columns(size_t columns) { cd_panel_columns = columns > 0 ? columns : 512; }

/* (Re)computes the local blocks of G. Local only (no communication); returns a CK status. */
static int cd_ntk_fill(cd_ntk *t) {
    double t0 = MPI_Wtime();
    const cd_grid *g = &t->grid;
    size_t Q = t->Q, nb = (size_t)g->nb, ldp = t->nrs * Q;
    size_t bpg = (cd_panel_columns + nb - 1) / nb; /* local column blocks per group: ≈ 512 columns */
    size_t width = bpg * nb;
    /* Samples a group can touch: its blocks are not adjacent globally (pcol > 1), so each of the bpg blocks of nb
     * columns touches up to ⌈nb/Q⌉ + 1 samples of its own. */
    size_t maxs = bpg * ((nb + Q - 1) / Q + 1);
    double *panel = malloc(ldp * (maxs * Q) * sizeof(double) + 1);
    double *xs = malloc(maxs * t->m0 * sizeof(double) + 1);
    size_t *samples = malloc(maxs * sizeof(size_t) + 1), *colmap = malloc(width * sizeof(size_t) + 1);
    int st = panel && xs && samples && colmap ? CK_OK : CK_ENOMEM;
    t->panel_doubles = ldp * maxs * Q;
    for (size_t c0 = 0; st == CK_OK && c0 < t->nloc; c0 += width) {
        size_t c1 = c0 + width < t->nloc ? c0 + width : t->nloc, ns = 0;
        for (size_t lj = c0; lj < c1; lj++) {
            size_t gj = cd_l2g(lj, g->nb, g->mycol, g->pcol), s = gj / Q;
            if (ns == 0 || samples[ns - 1] != s) samples[ns++] = s;
            colmap[lj - c0] = (ns - 1) * Q + gj % Q;
        }
        for (size_t c = 0; c < t->m0; c++)
            for (size_t i = 0; i < ns; i++) xs[i + c * ns] = t->x[samples[i] + c * t->n];
        ck_mlp_pass *cp = ck_mlp_pass_create(&t->net, t->theta, xs, ns, ns, t->nthreads, &st);
        if (cp == NULL) break;
        st = ck_mlp_pass_ntk_cross(t->rowpass, cp, panel, ldp, t->nthreads);
        ck_mlp_pass_free(cp);
        if (st != CK_OK) break;
        for (size_t lj = c0; lj < c1; lj++) {
            const double *pc = panel + colmap[lj - c0] * ldp;
            double *ac = t->a + lj * t->lld;
            for (size_t li = 0; li < t->mloc; li++) ac[li] = pc[t->rowmap[li]];
        }
    }
    free(panel);
    free(xs);
    free(samples);
    free(colmap);
    t->valid = st == CK_OK;
    t->seconds_fill += MPI_Wtime() - t0;
    return st;
}

void cd_ntk_free(cd_ntk *t) {
    if (t == NULL) return;
    ck_mlp_pass_free(t->rowpass);
    free(t->theta);
    free(t->x);
    free(t->a);
    free(t->rowmap);
    free(t);
}

int cd_ntk_create(const cd_grid *grid, const ck_mlp *net, const double *theta, const double *x, size_t ldx, size_t n,
                  int nthreads, cd_ntk **out) {
    char msg[512] = "";
    int st = CK_OK;
    *out = NULL;
    size_t K = 0, L = 0, Q = 0, m0 = 0;
    /* 1. Each rank checks its own inputs; the lowest failing rank's message goes to all. */
    if (grid == NULL || net == NULL || theta == NULL || x == NULL) {
        st = CK_EARG;
        snprintf(msg, sizeof msg, "NULL grid, network, θ or X");
    } else if ((K = ck_mlp_parameter_count(net)) == 0 || net->nlayers > CK_MAX_LAYERS_CD) {
        st = CK_EARG;
        snprintf(msg, sizeof msg, "invalid network description (widths, depth <= %d, activation)", CK_MAX_LAYERS_CD);
    } else {
        L = net->nlayers;
        Q = net->widths[L];
        m0 = net->widths[0];
        size_t at = 0;
        const char *bad;
        if (n == 0 || ldx < n) {
            st = CK_EDIM;
            snprintf(msg, sizeof msg, "need n >= 1 samples and ldx >= n, got n = %zu, ldx = %zu", n, ldx);
        } else if (n * Q > (size_t)INT32_MAX / 2) {
            st = CK_EDIM;
            snprintf(msg, sizeof msg, "QN = %zu exceeds ScaLAPACK's 32-bit indices", n * Q);
        } else if ((bad = cd_first_nonfinite(theta, K, &at)) != NULL) {
            st = CD_EINPUT;
            snprintf(msg, sizeof msg, "θ[%zu] is %s", at, bad);
        } else {
            for (size_t c = 0; c < m0 && st == CK_OK; c++)
                if ((bad = cd_first_nonfinite(x + c * ldx, n, &at)) != NULL) {
                    st = CD_EINPUT;
                    snprintf(msg, sizeof msg, "X[%zu, %zu] is %s", at, c, bad);
                }
        }
    }
    st = cd_agree(st, msg);
    if (st != CK_OK) return st;
    /* 2. Every rank must hold the same problem. */
    uint64_t h = cd_hash(net->widths, (L + 1) * sizeof(size_t), 1469598103934665603ull);
    h = cd_hash(&net->activation, sizeof net->activation, h);
    h = cd_hash(&n, sizeof n, h);
    for (size_t l = 0; l < L; l++) {
        double a = net->wscale ? net->wscale[l] : 1.0, c = net->bscale ? net->bscale[l] : 1.0;
        h = cd_hash(&a, sizeof a, h);
        h = cd_hash(&c, sizeof c, h);
    }
    if ((st = cd_hash_check(h, "the network or sample count")) != CK_OK) return st;
    if ((st = cd_hash_check(cd_hash(theta, K * sizeof(double), 1469598103934665603ull), "θ")) != CK_OK) return st;
    h = 1469598103934665603ull;
    for (size_t c = 0; c < m0; c++) h = cd_hash(x + c * ldx, n * sizeof(double), h);
    if ((st = cd_hash_check(h, "X")) != CK_OK) return st;

    /* 3. Layout and the row pass. */
    cd_ntk *t = calloc(1, sizeof *t);
    if (t != NULL) {
        t->grid = *grid;
        memcpy(t->widths, net->widths, (L + 1) * sizeof(size_t));
        for (size_t l = 0; l < L; l++) {
            t->wscale[l] = net->wscale ? net->wscale[l] : 1.0;
            t->bscale[l] = net->bscale ? net->bscale[l] : 1.0;
        }
        t->net = (ck_mlp){t->widths, L, net->activation, t->wscale, t->bscale};
        t->n = n;
        t->m0 = m0;
        t->Q = Q;
        t->qn = n * Q;
        t->K = K;
        t->nthreads = nthreads;
        int N = (int)t->qn, nb = grid->nb, zero = 0, info = 0;
        t->mloc = (size_t)numroc_(&N, &nb, &grid->myrow, &zero, &grid->prow);
        t->nloc = (size_t)numroc_(&N, &nb, &grid->mycol, &zero, &grid->pcol);
        t->lld = t->mloc > 0 ? t->mloc : 1;
        int lld = (int)t->lld;
        descinit_(t->desc, &N, &N, &nb, &nb, &zero, &zero, &grid->ctxt, &lld, &info);
        t->theta = malloc(K * sizeof(double));
        t->x = malloc(n * m0 * sizeof(double) + 1);
        t->a = malloc(t->lld * (t->nloc > 0 ? t->nloc : 1) * sizeof(double));
        t->rowmap = malloc((t->mloc + 1) * sizeof(size_t));
        if (info != 0) {
            st = cd_fail(CK_EDIM, "descinit rejected the layout (info %d)", info);
        } else if (!t->theta || !t->x || !t->a || !t->rowmap) {
            st = cd_fail(CK_ENOMEM, "cannot allocate the local part of G (%zu × %zu doubles)", t->mloc, t->nloc);
        } else {
            memcpy(t->theta, theta, K * sizeof(double));
            for (size_t c = 0; c < m0; c++) memcpy(t->x + c * n, x + c * ldx, n * sizeof(double));
            size_t *samples = malloc((t->mloc + 1) * sizeof(size_t));
            double *xs = malloc((t->mloc + 1) * m0 * sizeof(double));
            size_t ns = 0;
            if (samples && xs) {
                for (size_t li = 0; li < t->mloc; li++) {
                    size_t gi = cd_l2g(li, nb, grid->myrow, grid->prow), s = gi / Q;
                    if (ns == 0 || samples[ns - 1] != s) samples[ns++] = s;
                    t->rowmap[li] = (ns - 1) * Q + gi % Q;
                }
                for (size_t c = 0; c < m0; c++)
                    for (size_t i = 0; i < ns; i++) xs[i + c * (ns ? ns : 1)] = t->x[samples[i] + c * n];
                t->nrs = ns;
                if (ns > 0) {
                    int pst = CK_OK;
                    t->rowpass = ck_mlp_pass_create(&t->net, t->theta, xs, ns, ns, nthreads, &pst);
                    if (t->rowpass == NULL) st = cd_fail(pst, "recording the row pass failed: %s", ck_status_string(pst));
                }
            } else {
                st = cd_fail(CK_ENOMEM, "cannot allocate the row sample set");
            }
            free(samples);
            free(xs);
            if (st == CK_OK && t->mloc > 0 && t->nloc > 0) {
                st = cd_ntk_fill(t);
                if (st != CK_OK) cd_fail(st, "computing the local blocks of G failed: %s", ck_status_string(st));
            }
            if (st == CK_OK) t->valid = 1;
        }
    } else {
        st = cd_fail(CK_ENOMEM, "out of memory");
    }
    st = cd_agree_status(st);
    if (st != CK_OK) {
        cd_ntk_free(t);
        return st;
    }
    *out = t;
    return CK_OK;
}

void cd_ntk_local(const cd_ntk *t, const double **data, size_t *rows, size_t *cols, size_t *ld) {
    *data = t->a;
    *rows = t->mloc;
    *cols = t->nloc;
    *ld = t->lld;
}

size_t cd_ntk_global_row(const cd_ntk *t, size_t l) { return cd_l2g(l, t->grid.nb, t->grid.myrow, t->grid.prow); }
size_t cd_ntk_global_col(const cd_ntk *t, size_t l) { return cd_l2g(l, t->grid.nb, t->grid.mycol, t->grid.pcol); }

void cd_ntk_memory(const cd_ntk *t, size_t *g_bytes, size_t *tape_bytes, size_t *panel_bytes) {
    size_t L = t->net.nlayers, Q = t->Q, per = Q;
    for (size_t l = 0; l < L; l++) per += t->widths[l];
    for (size_t l = 1; l < L; l++) per += t->widths[l] * (1 + Q);
    if (g_bytes) *g_bytes = t->lld * t->nloc * sizeof(double);
    if (tape_bytes) *tape_bytes = t->nrs * per * sizeof(double);
    if (panel_bytes) *panel_bytes = t->panel_doubles * sizeof(double);
}

/* Refills G if a factorisation consumed it; agreed. */
static int cd_ntk_ensure(cd_ntk *t) {
    int st = CK_OK;
    if (!t->valid && t->mloc > 0 && t->nloc > 0) {
        st = cd_ntk_fill(t);
        if (st != CK_OK) cd_fail(st, "recomputing the local blocks of G failed: %s", ck_status_string(st));
    }
    t->valid = 1;
    return cd_agree_status(st);
}

int cd_ntk_compare(const cd_ntk *t, const double *ref, size_t ldref, double *max_abs_diff) {
    int st = cd_ntk_ensure((cd_ntk *)t);
    if (st != CK_OK) return st;
    double d = 0;
    for (size_t lj = 0; lj < t->nloc; lj++) {
        size_t gj = cd_ntk_global_col(t, lj);
        for (size_t li = 0; li < t->mloc; li++) {
            double e = fabs(t->a[li + lj * t->lld] - ref[cd_ntk_global_row(t, li) + gj * ldref]);
            if (!(e <= d)) d = e; /* NaN propagates */
        }
    }
    MPI_Allreduce(&d, max_abs_diff, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return CK_OK;
}

/* pdsyevr workspace query; returns info. */
static int cd_syevr_query(cd_ntk *t, const char *jobz, double *z, int *lwork, int *liwork) {
    int N = (int)t->qn, one = 1, m = 0, nz = 0, info = 0, il = 0, iu = 0, mone = -1, iwq = 0;
    double vl = 0, vu = 0, wq = 0, wdummy = 0;
    double *w = malloc(t->qn * sizeof(double));
    if (w == NULL) return CK_ENOMEM;
    pdsyevr_(jobz, "A", "L", &N, t->a, &one, &one, t->desc, &vl, &vu, &il, &iu, &m, &nz, w, z ? z : &wdummy, &one,
             &one, t->desc, &wq, &mone, &iwq, &mone, &info);
    free(w);
    *lwork = (int)wq + 1;
    *liwork = iwq > 0 ? iwq : 1;
    return info;
}

size_t cd_ntk_eigen_workspace(const cd_ntk *t, int with_vectors) {
    int lw = 0, liw = 0;
    double dummy = 0;
    cd_syevr_query((cd_ntk *)t, with_vectors ? "V" : "N", with_vectors ? &dummy : NULL, &lw, &liw);
    return (size_t)lw + (size_t)liw / 2;
}

/* pdsyevr on the local G (consumed): eigenvalues into w on every rank, vectors into z if z != NULL. Agreed. */
static int cd_syevr(cd_ntk *t, double *w, double *z) {
    const char *jobz = z ? "V" : "N";
    int lwork = 0, liwork = 0, info, st;
    info = cd_syevr_query(t, jobz, z, &lwork, &liwork);
    double *work = NULL;
    int *iwork = NULL;
    if (info == 0) {
        work = malloc((size_t)lwork * sizeof(double));
        iwork = malloc((size_t)liwork * sizeof(int));
    }
    st = info != 0 ? cd_fail(info, "pdsyevr workspace query failed (info %d)", info)
                   : (work && iwork ? CK_OK : cd_fail(CK_ENOMEM, "cannot allocate pdsyevr's workspace (%d doubles)", lwork));
    st = cd_agree_status(st);
    if (st == CK_OK) {
        int N = (int)t->qn, one = 1, m = 0, nz = 0, il = 0, iu = 0;
        double vl = 0, vu = 0, dummy = 0;
        t->valid = 0;
        pdsyevr_(jobz, "A", "L", &N, t->a, &one, &one, t->desc, &vl, &vu, &il, &iu, &m, &nz, w, z ? z : &dummy, &one,
                 &one, t->desc, work, &lwork, iwork, &liwork, &info);
        st = info == 0 ? CK_OK : cd_fail(info, "pdsyevr failed (info %d)", info);
        st = cd_agree_status(st);
        if (st == CK_OK) st = cd_broadcast(w, t->qn, 0); /* bitwise the same spectrum everywhere */
    }
    free(work);
    free(iwork);
    return st;
}

int cd_ntk_eigenvalues(cd_ntk *t, double *w) {
    int st = cd_ntk_ensure(t);
    if (st != CK_OK) return st;
    return cd_syevr(t, w, NULL);
}

int cd_ntk_pinv_apply(cd_ntk *t, const double *g, int route, double tol_rel, double tol_abs, double *velocity,
                      cd_pinv_report *rep) {
    cd_pinv_report r;
    memset(&r, 0, sizeof r);
    char msg[256] = "";
    int st = CK_OK;
    size_t at = 0, qn = t->qn;
    const char *bad;
    double fill0 = t->seconds_fill;
    if (route < CD_ROUTE_EIGEN || route > CD_ROUTE_AUTOMATIC || !(tol_rel >= 0) || !(tol_abs >= 0) ||
        !isfinite(tol_rel) || !isfinite(tol_abs)) {
        st = CK_EARG;
        snprintf(msg, sizeof msg, "unknown route %d or invalid tolerance (relative %g, absolute %g)", route, tol_rel,
                 tol_abs);
    } else if (g == NULL || velocity == NULL) {
        st = CK_EARG;
        snprintf(msg, sizeof msg, "NULL g or velocity");
    } else if ((bad = cd_first_nonfinite(g, qn, &at)) != NULL) {
        st = CD_EINPUT;
        snprintf(msg, sizeof msg, "g[%zu] is %s", at, bad);
    }
    if ((st = cd_agree(st, msg)) != CK_OK) return st;
    if ((st = cd_hash_check(cd_hash(g, qn * sizeof(double), 1469598103934665603ull), "g")) != CK_OK) return st;
    if ((st = cd_ntk_ensure(t)) != CK_OK) return st;

    const cd_grid *gr = &t->grid;
    int N = (int)qn, nb = gr->nb, zero = 0, one = 1, info = 0, lld = (int)t->lld, descb[9];
    descinit_(descb, &N, &one, &nb, &nb, &zero, &zero, (int *)&gr->ctxt, &lld, &info);
    double *b = calloc(t->lld, sizeof(double)), *c = calloc(t->lld, sizeof(double));
    st = cd_agree(b && c && info == 0 ? CK_OK : CK_ENOMEM, "cannot allocate the distributed right-hand side");
    if (st != CK_OK) goto done;
    if (gr->mycol == 0)
        for (size_t li = 0; li < t->mloc; li++) b[li] = g[cd_ntk_global_row(t, li)];

    double t0 = MPI_Wtime();
    int solved = 0;
    if (route != CD_ROUTE_EIGEN) {
        double anorm = 0;
        if (route == CD_ROUTE_AUTOMATIC) {
            size_t lw = 2 * (t->mloc + t->nloc) + 4 * (size_t)nb + 64;
            double *work = malloc(lw * sizeof(double));
            st = cd_agree(work ? CK_OK : CK_ENOMEM, "cannot allocate pdlansy's workspace");
            if (st != CK_OK) goto done;
            anorm = pdlansy_("1", "L", &N, t->a, &one, &one, t->desc, work);
            free(work);
        }
        t->valid = 0;
        pdpotrf_("L", &N, t->a, &one, &one, t->desc, &info);
        st = cd_agree_status(info < 0 ? cd_fail(info, "pdpotrf rejected argument %d", -info) : CK_OK);
        if (st != CK_OK) goto done;
        MPI_Bcast(&info, 1, MPI_INT, 0, MPI_COMM_WORLD);
        if (info > 0 && route == CD_ROUTE_CHOLESKY) {
            st = cd_fail(CD_ENOTPD, "G is not positive definite (leading minor %d); use the eigen route", info);
            goto done;
        }
        int safe = info == 0;
        if (info == 0 && route == CD_ROUTE_AUTOMATIC) {
            int lwork = -1, liwork = -1, iwq = 0, pinfo = 0;
            double wq = 0;
            pdpocon_("L", &N, t->a, &one, &one, t->desc, &anorm, &r.rcond, &wq, &lwork, &iwq, &liwork, &pinfo);
            lwork = (int)wq + 1;
            liwork = iwq > 0 ? iwq : 1;
            double *work = malloc((size_t)lwork * sizeof(double));
            int *iwork = malloc((size_t)liwork * sizeof(int));
            if (work && iwork)
                pdpocon_("L", &N, t->a, &one, &one, t->desc, &anorm, &r.rcond, work, &lwork, iwork, &liwork, &pinfo);
            free(work);
            free(iwork);
            st = cd_agree(work && iwork && pinfo == 0 ? CK_OK : CK_ENOMEM, "pdpocon failed");
            if (st != CK_OK) goto done;
            MPI_Bcast(&r.rcond, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD); /* one decision for all ranks */
            safe = r.rcond > 100.0 * (double)qn * 2.220446049250313e-16;
        }
        if (safe) {
            pdpotrs_("L", &N, &one, t->a, &one, &one, t->desc, b, &one, &one, descb, &info);
            st = cd_agree_status(info != 0 ? cd_fail(info, "pdpotrs failed (info %d)", info) : CK_OK);
            if (st != CK_OK) goto done;
            r.used_cholesky = 1;
            r.rank = qn;
            solved = 1;
        }
    }
    if (!solved) {
        if ((st = cd_ntk_ensure(t)) != CK_OK) goto done;
        double *z = malloc(t->lld * (t->nloc > 0 ? t->nloc : 1) * sizeof(double)), *w = malloc(qn * sizeof(double));
        st = cd_agree(z && w ? CK_OK : CK_ENOMEM, "cannot allocate the eigenvectors of G");
        if (st == CK_OK) st = cd_syevr(t, w, z);
        if (st == CK_OK) {
            r.lambda_max = w[qn - 1] > 0 ? w[qn - 1] : 0;
            double tol_d = tol_rel * sqrt(r.lambda_max);
            if (tol_abs > tol_d) tol_d = tol_abs;
            double tol_g = (double)qn * 2.220446049250313e-16 * r.lambda_max;
            if (tol_d * tol_d > tol_g) tol_g = tol_d * tol_d;
            r.threshold = tol_g;
            for (size_t j = 0; j < qn; j++) r.rank += w[j] > tol_g;
            double alpha = 1, beta = 0;
            /* c = Zᵀ g;  c_j ← c_j / λ_j (λ_j > tol_G), 0 otherwise;  ψ = Z c */
            pdgemv_("T", &N, &N, &alpha, z, &one, &one, t->desc, b, &one, &one, descb, &one, &beta, c, &one, &one,
                    descb, &one);
            if (gr->mycol == 0)
                for (size_t li = 0; li < t->mloc; li++) {
                    size_t j = cd_ntk_global_row(t, li);
                    c[li] = w[j] > tol_g ? c[li] / w[j] : 0.0;
                }
            pdgemv_("N", &N, &N, &alpha, z, &one, &one, t->desc, c, &one, &one, descb, &one, &beta, b, &one, &one,
                    descb, &one);
        }
        free(z);
        free(w);
        if (st != CK_OK) goto done;
    }
    r.seconds_solve = MPI_Wtime() - t0 - (t->seconds_fill - fill0);
    if (r.seconds_solve < 0) r.seconds_solve = 0;

    /* Dᵀψ: process column 0 holds ψ; each of its ranks pulls back its own entries through its row pass (rows of
     * edge samples owned elsewhere stay 0: Dᵀ is linear), then one reduction. */
    double t1 = MPI_Wtime();
    double *part = calloc(t->K, sizeof(double));
    double *u = calloc(t->nrs * t->Q + 1, sizeof(double));
    st = part && u ? CK_OK : cd_fail(CK_ENOMEM, "cannot allocate the pull-back buffers");
    if (st == CK_OK && gr->mycol == 0 && t->nrs > 0) {
        for (size_t li = 0; li < t->mloc; li++) u[t->rowmap[li]] = b[li];
        st = ck_mlp_pass_vjp(t->rowpass, u, t->nrs * t->Q, 1, part, t->K, t->nthreads);
        if (st != CK_OK) cd_fail(st, "local VJP failed: %s", ck_status_string(st));
    }
    st = cd_agree_status(st);
    if (st == CK_OK) st = cd_sum(part, velocity, t->K);
    free(part);
    free(u);
    r.seconds_vjp = MPI_Wtime() - t1;
done:
    free(b);
    free(c);
    r.seconds_gram = t->seconds_fill - fill0;
    if (rep) *rep = r;
    return st;
}
