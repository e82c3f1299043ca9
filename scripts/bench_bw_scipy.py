#!/usr/bin/env python3
"""Times SciPy's closed form of the Bures–Wasserstein geodesic (3.12) of file 002, the reference for the
`bw-geodesic-50` case of kernels-bench.

    A^{1/2} = sqrtm(A);  A^{-1/2} = inv(A^{1/2});  C = sqrtm(A^{1/2} B A^{1/2})
    T = A^{-1/2} C A^{-1/2};  γ(t) = ((1−t)I + tT) A ((1−t)I + tT),  t = 0, 0.1, …, 1

A, B are 50×50 SPD, built as in kernels-bench (G Gᵀ/50 + 0.1 I with G Gaussian). Prints best and median of
`--repeat` runs (each run averages `--inner` calls), and checks γ(1) = B.
Run: /work/venvs/modern/bin/python scripts/bench_bw_scipy.py [--n 50] [--points 11] [--repeat 7] [--inner 50]
"""
import argparse
import json
import statistics
import time

import numpy as np
import scipy
import scipy.linalg as sla


def spd(rng, n):
    g = rng.standard_normal((n, n))
    return g @ g.T / n + 0.1 * np.eye(n)


def bw_geodesic(a, b, points):
    ra = sla.sqrtm(a)
    ra_inv = np.linalg.inv(ra)
    c = sla.sqrtm(ra @ b @ ra)
    t_map = ra_inv @ c @ ra_inv
    eye = np.eye(a.shape[0])
    out = []
    for t in np.linspace(0.0, 1.0, points):
        m = (1 - t) * eye + t * t_map
        out.append(m @ a @ m)
    return np.array(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=50)
    p.add_argument("--points", type=int, default=11)
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--inner", type=int, default=50)
    p.add_argument("--json", help="write one JSON record here")
    args = p.parse_args()
    rng = np.random.default_rng(0)
    a, b = spd(rng, args.n), spd(rng, args.n)
    path = bw_geodesic(a, b, args.points)
    err = np.abs(np.real(path[-1]) - b).max() / np.abs(b).max()
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        for _ in range(args.inner):
            bw_geodesic(a, b, args.points)
        times.append((time.perf_counter() - t0) / args.inner)
    rec = {
        "case": f"bw-geodesic-{args.n}", "path": "scipy-sqrtm", "min_s": min(times), "median_s": statistics.median(times),
        "reps": args.repeat, "inner": args.inner, "points": args.points, "endpoint_rel_error": float(err),
        "numpy": np.__version__, "scipy": scipy.__version__,
    }
    print(f"bw-geodesic-{args.n} scipy sqrtm closed form, {args.points} points: min {rec['min_s'] * 1e3:.3f} ms, "
          f"median {rec['median_s'] * 1e3:.3f} ms (|γ(1) − B|/|B| = {err:.1e}; numpy {np.__version__}, scipy {scipy.__version__})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rec, f, indent=1)


if __name__ == "__main__":
    main()
