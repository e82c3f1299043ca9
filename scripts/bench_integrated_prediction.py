#!/usr/bin/env python3
"""Cost and accuracy of `tangentflow flow --integrated-prediction` (Prop. 2.5 of Chen & Muñoz Ewald, arXiv
2408.01517, integrated with θ) against the plain adapted flow, on a rank-deficient tanh 2-1-2 bottleneck.

Runs the two commands interleaved (--reps each) and prints the median / min / max of the solve's wall time
(run.json / --json `wall_time`, diagnostics excluded), their ratio, and at the last saved point the simulated
deviation, the frozen-projector prediction error and the integrated one. Standard library only.

    python3 scripts/bench_integrated_prediction.py --bin .build/release/tangentflow [--reps 7]
"""
import argparse, csv, json, statistics, subprocess, tempfile

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--bin", default=".build/release/tangentflow")
ap.add_argument("--reps", type=int, default=7)
a = ap.parse_args()
base = ["flow", "--widths", "2,1,2", "--samples", "3", "--data", "gaussian", "--route", "svd", "--t-end", "0.9",
        "--save-points", "4", "--rtol", "1e-10", "--atol", "1e-12", "--json", "--quiet"]
times, steps, last = {"plain": [], "integrated": []}, {}, {}
for rep in range(a.reps):
    for name, extra in (("plain", []), ("integrated", ["--integrated-prediction"])):
        d = tempfile.mkdtemp()
        r = subprocess.run([a.bin] + base + extra + ["-o", d], capture_output=True, text=True, check=True)
        res = json.loads(r.stdout)["results"]
        times[name].append(res["wall_time"])
        steps[name] = res["steps_accepted"]
        if name == "integrated":
            last = list(csv.DictReader(open(d + "/trajectory.csv")))[-1]
for k, v in times.items():
    print("%-10s median %.4g s  min %.4g  max %.4g  (n = %d, %d accepted steps)"
          % (k, statistics.median(v), min(v), max(v), len(v), steps[k]))
print("ratio of medians (integrated / plain): %.3f" % (statistics.median(times["integrated"]) / statistics.median(times["plain"])))
print("last point: deviation %s, frozen-P prediction error %s, integrated prediction error %s"
      % (last["deviation"], last["prediction_error"], last["integrated_prediction_error"]))
