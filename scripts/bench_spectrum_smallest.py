#!/usr/bin/env python3
"""Side by side, whole processes: the K smallest eigenpairs of an MLP's NTK by `tangentflow ntk-spectrum --which
smallest` (its dense route at QN ≤ --dense-limit) against what a NumPy/SciPy user writes: the layer-factored NTK
(scripts/tf_mlp_numpy.py, tanh) and `scipy.linalg.eigh(subset_by_index=[0, K−1], driver='evr')`, LAPACK's
index-range driver. Same θ and X, runs alternating, each a fresh process under /usr/bin/time -v; medians with
min–max, and the eigenvalues compared (|Δλ|/λ_max).

    env -u OPENBLAS_CORETYPE /work/venvs/modern/bin/python scripts/bench_spectrum_smallest.py \\
        --bin .build/release/tangentflow --widths 16,256,256,10 --n 800 --k 4 --runs 5 [--json out.json]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

import numpy as np


def worker(args):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import scipy.linalg as sl
    import tf_mlp_numpy as M
    widths = [int(w) for w in args.widths.split(",")]
    g = M.ntk_layer_factored(np.load(os.path.join(args.data, "theta.npy")), widths,
                             np.load(os.path.join(args.data, "X.npy")), "tanh")
    w, v = sl.eigh(g, subset_by_index=[0, args.k - 1], driver="evr", overwrite_a=True, check_finite=False)
    np.save(os.path.join(args.data, "scipy_vals.npy"), w)


def timed(cmd):
    r = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({r.returncode}): {r.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", r.stderr).group(1)
    secs = sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall.split(":"))))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1)) / 1024
    return secs, rss


def summary(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "runs": xs}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build/release/tangentflow")
    ap.add_argument("--widths", default="16,256,256,10")
    ap.add_argument("--n", type=int, default=800)
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json")
    ap.add_argument("--worker", action="store_true")
    ap.add_argument("--data")
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    data = tempfile.mkdtemp(prefix="spectrum-smallest-bench-")
    args.data = data
    subprocess.run([args.bin, "init", "--widths", args.widths, "--seed", "1", "-o", os.path.join(data, "theta.npy"), "--quiet"],
                   check=True)
    m0 = int(args.widths.split(",")[0])
    np.save(os.path.join(data, "X.npy"), np.random.default_rng(0).standard_normal((args.n, m0)))
    qn = args.n * int(args.widths.split(",")[-1])
    tf_cmd = [args.bin, "ntk-spectrum", "--widths", args.widths, "--theta", os.path.join(data, "theta.npy"), "--x",
              os.path.join(data, "X.npy"), "--k", str(args.k), "--which", "smallest", "--dense-limit", str(max(qn, 8192)),
              "--quiet", "-o", os.path.join(data, "tf")]
    py_cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--data", data, "--widths", args.widths, "--k", str(args.k)]
    tf, py = [], []
    for r in range(args.runs):
        tf.append(timed(tf_cmd))
        py.append(timed(py_cmd))
        print(f"round {r + 1}: tangentflow {tf[-1][0]:.2f} s, NumPy+SciPy {py[-1][0]:.2f} s", file=sys.stderr)
    a = np.load(os.path.join(data, "tf", "eigenvalues.npy"))
    b = np.load(os.path.join(data, "scipy_vals.npy"))
    run = json.load(open(os.path.join(data, "tf", "run.json")))
    lmax = run["results"]["reference_eigenvalue"]
    out = {
        "case": {"widths": args.widths, "N": args.n, "QN": qn, "k": args.k},
        "tangentflow": {"wall_s": summary([t for t, _ in tf]), "rss_mb": summary([m for _, m in tf]),
                        "relative_residuals": run["results"]["relative_residuals"]},
        "numpy_scipy_evr": {"wall_s": summary([t for t, _ in py]), "rss_mb": summary([m for _, m in py])},
        "ratio_of_medians": statistics.median([t for t, _ in py]) / statistics.median([t for t, _ in tf]),
        "ratio_per_round": summary([p[0] / t[0] for t, p in zip(tf, py)]),
        "max_abs_dlambda_over_lmax": float(np.abs(a - b).max() / lmax),
        "eigenvalues": a.tolist(),
    }
    print(json.dumps(out, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
