#!/usr/bin/env python3
"""Benchmark of `tangentflow flow --field adapted --route matrix-free` (LSMR on D) against the dense Gram route
(Python standard library only; peak memory from GNU time).

    python3 scripts/bench_matrix_free_flow.py [--bin .build/release/tangentflow] [--runs 5] [--large-samples 20000]
                                              [--large-steps 3] [--skip-large] [--skip-both] [--data gaussian]
                                              [--samples 200] [--large-krylov-tol T]

1. Both routes fit (widths 16,64,64,10; N = --samples, default 200, QN = 10·N): explicit Euler, 5 steps of
   Δt ≈ 0.1, --save-points 2, the two routes interleaved --runs times. Reported per route: median (min–max) of the
   solve's wall time per field evaluation (run.json "wall_time" / "field_evaluations", diagnostics excluded),
   LSMR iterations per solve, peak RSS, and the relative difference of the final θ between the routes.
2. G does not fit (widths 16,256,256,10; N = --large-samples, QN = 10·N; G = 8(QN)² bytes): the matrix-free route
   alone, --large-steps Euler steps (with --large-krylov-tol), once: wall time per field evaluation, iterations per solve, peak RSS.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile


def run(binary, args, out):
    cmd = ["/usr/bin/time", "-v", binary] + args + ["--json", "-o", out]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr[-2000:]))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    doc = json.loads(p.stdout)
    r = doc["results"]
    return {"per_eval": r["wall_time"] / r["field_evaluations"], "evals": r["field_evaluations"], "rss_mib": rss,
            "iters": r.get("krylov_iterations_mean"), "iters_max": r.get("krylov_iterations_max"), "dir": out}


def theta(path):
    """float64 vector of a .npy written by tangentflow (little-endian, 1-D)."""
    import struct
    with open(path, "rb") as f:
        data = f.read()
    hlen = struct.unpack("<H", data[8:10])[0]
    body = data[10 + hlen:]
    return struct.unpack("<%dd" % (len(body) // 8), body)


def reldiff(a, b):
    num = sum((x - y) ** 2 for x, y in zip(a, b)) ** 0.5
    den = sum(y * y for y in b) ** 0.5
    return num / den


def summary(xs, fmt="%.3g"):
    return (fmt + " (" + fmt + "–" + fmt + ")") % (statistics.median(xs), min(xs), max(xs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build/release/tangentflow")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--large-samples", type=int, default=20000)
    ap.add_argument("--large-steps", type=int, default=3)
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--skip-both", action="store_true")
    ap.add_argument("--data", default="gaussian", help="synthetic data set (clusters: nearly rank-deficient D, slow LSMR)")
    ap.add_argument("--samples", default="200", help="comma-separated N of part 1")
    ap.add_argument("--large-krylov-tol", default=None, help="--krylov-tol of part 2 (default: the dense cut-off's)")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-mf-")
    if not a.skip_both:
        for n in [int(v) for v in a.samples.split(",")]:
            step = 0.1 * n  # Δs with t = 1 − e^{−s/N}: Δt ≈ 0.1 per step
            common = ["flow", "--widths", "16,64,64,10", "--samples", str(n), "--data", a.data, "--stepper", "euler", "--step", str(step),
                      "--s-end", str(5 * step), "--save-points", "2"]
            res = {"gram": [], "matrix-free": []}
            for i in range(a.runs):
                for route in ("gram", "matrix-free"):
                    res[route].append(run(a.bin, common + ["--route", route], os.path.join(tmp, "n%d-%s-%d" % (n, route, i))))
            d = reldiff(theta(res["matrix-free"][0]["dir"] + "/theta_final.npy"), theta(res["gram"][0]["dir"] + "/theta_final.npy"))
            g, m = res["gram"], res["matrix-free"]
            ratio = [x["per_eval"] / y["per_eval"] for x, y in zip(m, g)]
            print("N = %d (QN = %d): per field evaluation gram %s s, matrix-free %s s (ratio mf/gram %s); LSMR iterations "
                  "per solve %s (max %d); peak RSS gram %s MiB, matrix-free %s MiB; final θ relative difference %.2e"
                  % (n, 10 * n, summary([x["per_eval"] for x in g]), summary([x["per_eval"] for x in m]), summary(ratio),
                     summary([x["iters"] for x in m]), max(x["iters_max"] for x in m),
                     summary([x["rss_mib"] for x in g], "%.0f"), summary([x["rss_mib"] for x in m], "%.0f"), d), flush=True)
    if not a.skip_large:
        n = a.large_samples
        step = 0.05 * n
        tol = ["--krylov-tol", a.large_krylov_tol] if a.large_krylov_tol else []
        r = run(a.bin, ["flow", "--widths", "16,256,256,10", "--samples", str(n), "--data", a.data, "--route", "matrix-free",
                        "--stepper", "euler", "--step", str(step), "--s-end", str(a.large_steps * step), "--save-points", "2"] + tol,
                os.path.join(tmp, "large"))
        qn = 10 * n
        print("N = %d (QN = %d, G would be %.0f GB): %d field evaluations, %.1f s each, LSMR iterations per solve %.1f "
              "(max %d), peak RSS %.0f MiB" % (n, qn, 8 * qn * qn / 1e9, r["evals"], r["per_eval"], r["iters"], r["iters_max"],
                                               r["rss_mib"]), flush=True)


if __name__ == "__main__":
    main()
