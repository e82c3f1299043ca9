#!/usr/bin/env python3
"""Reference runs of scipy.sparse.linalg.lsmr for the Swift tests of `LSMR.solve` (SciPy, NumPy).

    /work/venvs/modern/bin/python scripts/make_lsmr_reference.py [--out Tests/TangentFlowTests/Resources/lsmr]

Three problems, each A (m×n), b (m,), solved with x0 = 0, damp = 0; the settings make the run short enough that
the Swift iterates must agree with SciPy's to rounding (long runs lose orthogonality and drift apart):
    capped_*     A 40×25 = U diag(s) Vᵀ, s log-spaced 1 … 1e-2, inconsistent b, stopped by maxiter = 12 (istop 7)
    clustered_*  A 40×25 with singular values {1, 0.3, 0.05} (multiplicities 8, 8, 9), inconsistent b,
                 atol = btol = 1e-10: the least-squares test stops it after 3–4 iterations (istop 2)
    wide_*       A 20×30 of rank 12, consistent b = A z, atol = btol = 1e-9 (istop 1)
Each writes <name>_a.npy, <name>_b.npy, <name>_x.npy and <name>_info.npy = [istop, itn, normr, normar, normA, condA, normx, tol, maxiter].
"""
import argparse
import os

import numpy as np
from scipy.sparse.linalg import lsmr


def problems():
    """(name, A, b, tol, maxiter)"""
    rng = np.random.default_rng(20260607)
    u, _ = np.linalg.qr(rng.standard_normal((40, 25)))
    v, _ = np.linalg.qr(rng.standard_normal((25, 25)))
    yield "capped", u @ np.diag(np.logspace(0, -2, 25)) @ v.T, rng.standard_normal(40), 1e-10, 12
    s = np.array([1.0] * 8 + [0.3] * 8 + [0.05] * 9)
    yield "clustered", u @ np.diag(s) @ v.T, rng.standard_normal(40), 1e-10, 500
    a = rng.standard_normal((20, 12)) @ rng.standard_normal((12, 30))
    yield "wide", a, a @ rng.standard_normal(30), 1e-9, 500


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="Tests/TangentFlowTests/Resources/lsmr")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, a, b, tol, maxiter in problems():
        x, istop, itn, normr, normar, norma, conda, normx = lsmr(a, b, atol=tol, btol=tol, conlim=1e8, maxiter=maxiter)
        print(name, "istop", istop, "itn", itn, "normr", normr, "normar", normar)
        np.save(os.path.join(args.out, f"{name}_a.npy"), a)
        np.save(os.path.join(args.out, f"{name}_b.npy"), b)
        np.save(os.path.join(args.out, f"{name}_x.npy"), x)
        np.save(os.path.join(args.out, f"{name}_info.npy"), np.array([istop, itn, normr, normar, norma, conda, normx, tol, maxiter], dtype=float))


if __name__ == "__main__":
    main()
