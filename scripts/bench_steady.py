#!/usr/bin/env python3
"""Steady timings (issue #28 item 4): each headline command run --runs times in a row as fresh processes.

For every case it reports the median wall time with min-max, max/median (the issue's bar: <= 1.3 over 10
consecutive runs), user and system time (os.wait4), peak RSS, and the command's own split of its run from its
`--json` timings (compute against reading, writing and process start/exit), so a slow run can be attributed.
Standard library + NumPy (to make the inputs) only.

Cases (inputs made once under --work):
  ntk-ref      `tangentflow ntk`, tanh 16-256-256-10, N = 128 (G 1280², 13 MB)
  ntk-1m       `tangentflow ntk`, tanh 16-1024-1024-10 (1.08M parameters), N = 256 (G 2560², 52 MB)
  jacobian     `tangentflow jacobian`, tanh 16-256-256-10, N = 128 (D 1280 × 72,714, 745 MB)
  flow         `tangentflow flow`, the adapted flow of scripts/bench_flow_jax.py (tanh 16-64-64-10, N = 64,
               Dopri5, rtol 1e-8, atol 1e-10, t 0 -> 0.99), 2 threads
  assign       `tangentflow ot assign --x --y`, m = 4096 points in d = 17
  sinkhorn     `tangentflow ot sinkhorn-grid`, 256² grid, reg 1e-3, tol 1e-9 (scripts/bench_sinkhorn_grid.py's case)

Usage:
  python3 scripts/bench_steady.py --bin .build/release/tangentflow --runs 10 \\
      --json Benchmarks/results/steady-$(date +%F).json
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tf_bench_common import cpu_model  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(argv):
    """Runs argv as a fresh process; wall from fork to exit, user/system/peak RSS of the child."""
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    out, err = p.stdout.read().decode(), p.stderr.read().decode()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {code}: {err[-500:]}")
    split = {}
    try:
        doc = json.loads(out)
        split = {k: v for k, v in (doc.get("timings") or {}).items() if isinstance(v, (int, float))}
    except ValueError:
        pass
    return {"wall": wall, "user": ru.ru_utime, "sys": ru.ru_stime, "maxrss_mb": ru.ru_maxrss / 1024, "split": split}


def inputs(binary, work):
    import numpy as np
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(0)
    f = lambda name: os.path.join(work, name)  # noqa: E731
    if not os.path.exists(f("ref_x.npy")):
        subprocess.run([binary, "init", "--widths", "16,256,256,10", "--seed", "1", "-o", f("ref_theta.npy"), "--quiet"], check=True)
        np.save(f("ref_x.npy"), rng.standard_normal((128, 16)))
        subprocess.run([binary, "init", "--widths", "16,1024,1024,10", "--seed", "1", "-o", f("m1_theta.npy"), "--quiet"], check=True)
        np.save(f("m1_x.npy"), rng.standard_normal((256, 16)))
        subprocess.run([binary, "init", "--widths", "16,64,64,10", "--seed", "3", "-o", f("flow_theta.npy"), "--quiet"], check=True)
        np.save(f("flow_x.npy"), rng.standard_normal((64, 16)))
        np.save(f("flow_y.npy"), rng.standard_normal((64, 10)))
        np.save(f("assign_x.npy"), rng.standard_normal((4096, 17)))
        np.save(f("assign_y.npy"), rng.standard_normal((4096, 17)))
        n = 256
        t = np.linspace(0, 1, n)
        gx, gy = np.meshgrid(t, t, indexing="ij")
        a = np.exp(-((gx - 0.3) ** 2 + (gy - 0.3) ** 2) / 0.02) + 1e-3
        b = np.exp(-((gx - 0.7) ** 2 + (gy - 0.6) ** 2) / 0.03) + 1e-3
        np.save(f("sk_a.npy"), (a / a.sum()).ravel())
        np.save(f("sk_b.npy"), (b / b.sum()).ravel())
    return f


def cases(binary, work):
    f = inputs(binary, work)
    common = ["--json", "--quiet"]
    return {
        "ntk-ref": [binary, "ntk", "--widths", "16,256,256,10", "--theta", f("ref_theta.npy"), "--x", f("ref_x.npy"),
                    "-o", f("G_ref.npy")] + common,
        "ntk-1m": [binary, "ntk", "--widths", "16,1024,1024,10", "--theta", f("m1_theta.npy"), "--x", f("m1_x.npy"),
                   "-o", f("G_1m.npy")] + common,
        "jacobian": [binary, "jacobian", "--widths", "16,256,256,10", "--theta", f("ref_theta.npy"), "--x",
                     f("ref_x.npy"), "-o", f("D_ref.npy")] + common,
        "flow": [binary, "flow", "--widths", "16,64,64,10", "--x", f("flow_x.npy"), "--y", f("flow_y.npy"), "--theta",
                 f("flow_theta.npy"), "--t-end", "0.99", "--rtol", "1e-8", "--atol", "1e-10", "--beta", "0",
                 "--save-points", "2", "--threads", "2", "-o", f("flow-out")] + common,
        "assign": [binary, "ot", "assign", "--x", f("assign_x.npy"), "--y", f("assign_y.npy"), "-o",
                   f("perm.npy")] + common,
        "sinkhorn": [binary, "ot", "sinkhorn-grid", "--n", "256", "--a", f("sk_a.npy"), "--b", f("sk_b.npy"),
                     "--reg", "1e-3", "--tol", "1e-9", "-o", f("sk-out")] + common,
    }


def summary(values):
    med = statistics.median(values)
    return {"median": med, "min": min(values), "max": max(values), "max_over_median": max(values) / med}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=".build/release/tangentflow")
    ap.add_argument("--cases", default="ntk-ref,ntk-1m,jacobian,flow,assign,sinkhorn")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--work", default="/tmp/tf-bench-steady")
    ap.add_argument("--json")
    args = ap.parse_args()
    binary = os.path.abspath(args.bin)
    table = cases(binary, args.work)
    stamp = datetime.datetime.now().isoformat(timespec="seconds")
    print(f"# {stamp} {cpu_model()} ({os.cpu_count()} cores), {args.runs} consecutive runs per case")
    results = {}
    for name in args.cases.split(","):
        argv = table[name]
        timed(argv)  # one untimed run: the binary and inputs in the page cache, as for the reference tools
        runs = [timed(argv) for _ in range(args.runs)]
        walls = [r["wall"] for r in runs]
        s = summary(walls)
        splits = {k: statistics.median(r["split"][k] for r in runs if k in r["split"])
                  for k in runs[0]["split"]}
        results[name] = {"command": " ".join(os.path.relpath(a, args.work) if a.startswith(args.work) else a
                                             for a in argv).replace(binary, "tangentflow"),
                         "wall": s, "walls": walls, "user": [r["user"] for r in runs], "sys": [r["sys"] for r in runs],
                         "maxrss_mb": max(r["maxrss_mb"] for r in runs), "split_medians": splits}
        print(f"{name:9s} wall {s['median']:.3f} s ({s['min']:.3f}–{s['max']:.3f})  max/median {s['max_over_median']:.2f}"
              f"  user {statistics.median(results[name]['user']):.2f}  sys {statistics.median(results[name]['sys']):.2f}"
              f"  rss {results[name]['maxrss_mb']:.0f} MB  split {json.dumps({k: round(v, 3) for k, v in splits.items()})}",
              flush=True)
    if args.json:
        with open(args.json + ".tmp", "w") as fh:
            json.dump({"date": stamp, "cpu": cpu_model(), "cores": os.cpu_count(), "runs": args.runs,
                       "cases": results}, fh, indent=1)
        os.replace(args.json + ".tmp", args.json)
        print(f"# wrote {args.json}")


if __name__ == "__main__":
    main()
