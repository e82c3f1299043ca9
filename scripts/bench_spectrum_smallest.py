#!/usr/bin/env python3
"""Side by side, whole processes: the K smallest eigenpairs of an MLP's NTK by `tangentflow ntk-spectrum --which
smallest` (its dense route at QN ≤ --dense-limit) against what a NumPy/SciPy user writes: the layer-factored NTK
(scripts/tf_mlp_numpy.py, tanh) and `scipy.linalg.eigh(subset_by_index=[0, K−1], driver='evr')`, LAPACK's
index-range driver. Same θ and X, runs alternating, each a fresh process under /usr/bin/time -v; medians with
min–max, and the eigenvalues compared (|Δλ|/λ_max).

    env -u OPENBLAS_CORETYPE /work/venvs/modern/bin/python scripts/bench_spectrum_smallest.py \\
        --bin .build/release/tangentflow --widths 16,256,256,10 --n 800 --k 4 --runs 5 [--json out.json]
"""
import json
import os
import statistics
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_ntk_spectrum import make_model, parser, report, summary, timed  # noqa: E402  (one harness for the spectrum benches)


def worker(args):
    import scipy.linalg as sl
    import tf_mlp_numpy as M
    widths = [int(w) for w in args.widths.split(",")]
    g = M.ntk_layer_factored(np.load(os.path.join(args.data, "theta.npy")), widths,
                             np.load(os.path.join(args.data, "X.npy")), "tanh")
    w, v = sl.eigh(g, subset_by_index=[0, args.k - 1], driver="evr", overwrite_a=True, check_finite=False)
    np.save(os.path.join(args.data, "scipy_vals.npy"), w)


def main():
    args = parser("16,256,256,10", 800, 4).parse_args()
    if args.worker:
        return worker(args)
    data = make_model(args, "spectrum-smallest-bench-")
    qn = args.n * int(args.widths.split(",")[-1])
    tf_cmd = [args.bin, "ntk-spectrum", "--widths", args.widths, "--theta", os.path.join(data, "theta.npy"), "--x",
              os.path.join(data, "X.npy"), "--k", str(args.k), "--which", "smallest", "--dense-limit", str(max(qn, 8192)),
              "--quiet", "-o", os.path.join(data, "tf")]
    py_cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--data", data, "--widths", args.widths, "--k", str(args.k)]
    tf, py = [], []
    for r in range(args.runs):
        tf.append(timed(tf_cmd)[:2])
        py.append(timed(py_cmd)[:2])
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
    report(out, args.json)


if __name__ == "__main__":
    main()
