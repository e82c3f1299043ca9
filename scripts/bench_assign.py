#!/usr/bin/env python3
"""Exact linear assignment, whole processes interleaved: `tangentflow ot assign` (--x/--y and --cost) against
lapjv 1.3.29 (`from lapjv import lapjv`, Jonker–Volgenant, AVX2) and scipy.optimize.linear_sum_assignment on the
same uniform random points in [0,1]^d (fixed seed), cost |x − y|².

Like for like: the Python processes load X.npy and Y.npy, build the cost with
scipy.spatial.distance.cdist(X, Y, 'sqeuclidean') and solve, as `ot assign --x --y` loads the points, builds the
cost and solves; `--cost` is compared against the same Python processes (it loads the m×m matrix instead of
building it). Each Python process also reports its in-process solve-only time (`solve_s`, the solver call alone),
stated separately. The optimal costs must agree to 1e-12 relative (exit 1 otherwise). Note: lapjv, called as
its README shows, converts a float64 cost to float32 before solving (force_doubles=False); the cost of the
assignment it returns is evaluated here in float64 on the float64 matrix.

    /work/venvs/modern/bin/python scripts/bench_assign.py --bin /work/.build-assign/release/tangentflow \
        --sizes 1024 4096 --runs 5 --out Benchmarks/results/assign-DATE.json
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

WORKER = r"""
import sys, time, json
import numpy as np
from scipy.spatial.distance import cdist
solver, xp, yp = sys.argv[1:4]
x = np.load(xp); y = np.load(yp)
c = cdist(x, y, 'sqeuclidean')
t = time.perf_counter()
if solver == 'lapjv':
    from lapjv import lapjv
    rows, _, _ = lapjv(c)
    cols = rows; rows = np.arange(len(cols))
else:
    from scipy.optimize import linear_sum_assignment
    rows, cols = linear_sum_assignment(c)
solve = time.perf_counter() - t
print(json.dumps({"solve_s": solve, "total": float(c[rows, cols].sum())}))
"""


def run(cmd):
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr}")
    return wall, p.stdout


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": len(values)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="path to the tangentflow executable")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 4096])
    ap.add_argument("--d", type=int, default=17)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scipy-max", type=int, default=4096, help="largest m for scipy (it is O(m³) and slow)")
    ap.add_argument("--cost-max", type=int, default=4096, help="largest m for --cost (writes an m×m .npy)")
    ap.add_argument("--out", help="write the results as JSON here")
    args = ap.parse_args()
    py = sys.executable
    results = {"machine": "AMD EPYC, 2 cores (shared)", "python": platform.python_version(), "d": args.d,
               "seed": args.seed, "command": " ".join(sys.argv), "sizes": {}}
    try:
        import lapjv as _l, scipy as _s
        results["lapjv"] = getattr(_l, "__version__", "1.3.29")
        results["scipy"] = _s.__version__
    except ImportError:
        pass
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        worker = os.path.join(tmp, "worker.py")
        with open(worker, "w") as f:
            f.write(WORKER)
        for m in args.sizes:
            rng = np.random.default_rng(args.seed + m)
            x, y = rng.random((m, args.d)), rng.random((m, args.d))
            xp, yp, cp = (os.path.join(tmp, n) for n in ("X.npy", "Y.npy", "C.npy"))
            np.save(xp, x)
            np.save(yp, y)
            tools = {
                "tangentflow --x/--y": [args.bin, "ot", "assign", "--x", xp, "--y", yp, "-o", os.path.join(tmp, "p.npy"), "--json"],
                "python cdist+lapjv": [py, worker, "lapjv", xp, yp],
            }
            if m <= args.cost_max:
                from scipy.spatial.distance import cdist
                np.save(cp, cdist(x, y, "sqeuclidean"))
                tools["tangentflow --cost"] = [args.bin, "ot", "assign", "--cost", cp, "-o", os.path.join(tmp, "q.npy"), "--json"]
            if m <= args.scipy_max:
                tools["python cdist+scipy"] = [py, worker, "scipy", xp, yp]
            walls = {k: [] for k in tools}
            solves = {k: [] for k in tools if k.startswith("python")}
            totals = {}
            for r in range(args.runs):
                for name, cmd in tools.items():  # interleaved: one run of each tool per round
                    wall, out = run(cmd)
                    walls[name].append(wall)
                    if name.startswith("python"):
                        rec = json.loads(out)
                        solves[name].append(rec["solve_s"])
                        totals[name] = rec["total"]
                    else:
                        rec = json.loads(out)
                        cost = rec["results"]["cost"]
                        totals[name] = cost * m if "--x" in cmd else cost
                print(f"m={m} round {r + 1}: " + ", ".join(f"{k} {v[-1]:.3f}s" for k, v in walls.items()), file=sys.stderr)
            ref = totals["python cdist+lapjv"]
            agree = {k: abs(v - ref) / abs(ref) for k, v in totals.items()}
            ok &= all(v <= 1e-12 for v in agree.values())
            results["sizes"][str(m)] = {
                "whole_process_s": {k: summary(v) for k, v in walls.items()},
                "python_solve_only_s": {k: summary(v) for k, v in solves.items()},
                "optimal_total": totals, "relative_difference_to_lapjv": agree,
            }
            print(json.dumps(results["sizes"][str(m)], indent=1), file=sys.stderr)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)
            f.write("\n")
    if not ok:
        sys.exit("optimal costs differ by more than 1e-12 relative")


if __name__ == "__main__":
    main()
