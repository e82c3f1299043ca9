#!/usr/bin/env python3
"""Whole process against whole process, interleaved (issue #28: honest headlines).

For each case the driver runs every tool's command line as a fresh process, round-robin over `--runs` rounds (so
a burst of load from other sessions hits both tools alike), and records wall, user and system time of each process
(os.wait4). It reports medians with min–max, the ratio of medians, and per round the ratio of that round's two
runs (and, where a case runs two variants of TangentFlow, flow's 1 and 2 threads, their own per-round ratio and
the rounds in which the second was slower); then it checks the tools' outputs agree (max-abs relative difference). Standard library + NumPy (for the
output check) only; the Python tools run in the venvs of scripts/setup_python_env.sh.

Cases (inputs are generated once under --work):
  ntk-1m   `tangentflow ntk` on the MLP 16-1024-1024-10 (1.08M parameters), N = 256 (G is 2560², 52 MB), reading θ
           and X and writing G, against scripts/ntk_numpy_worker.py (the layer-factored formula as written).
  flow     the adapted flow of scripts/bench_flow_jax.py (tanh 16-64-64-10, N = 64, Dopri5, rtol 1e-8, atol 1e-10,
           t 0 → 0.99) as `tangentflow flow` with --threads 1 and 2, against bench_flow_jax.py --once (JAX +
           diffrax: import, compile, one solve).

Usage:
  python3 scripts/bench_whole_process.py --bin .build/release/tangentflow --cases ntk-1m,flow --runs 7 \\
      --json Benchmarks/results/whole-process-$(date +%F).json
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
MODERN = os.environ.get("MODERN_PYTHON", "/work/venvs/modern/bin/python")


def run(argv, env=None):
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _, _, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    out, err = p.stdout.read().decode(), p.stderr.read().decode()
    p.returncode = 0
    if ru is None:
        raise RuntimeError("wait4 failed")
    return {"wall": wall, "user": ru.ru_utime, "sys": ru.ru_stime, "maxrss_mb": ru.ru_maxrss / 1024, "out": out[-400:],
            "err": err[-400:]}


def python_env():
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    return env


def case_ntk(args, work):
    import numpy as np
    widths = "16,1024,1024,10"
    th, x = f"{work}/ntk1m_theta.npy", f"{work}/ntk1m_x.npy"
    if not os.path.exists(th):
        subprocess.run([args.bin, "init", "--widths", widths, "--seed", "1", "-o", th, "--quiet"], check=True)
        np.save(x, np.random.default_rng(0).standard_normal((256, 16)))
    tools = {
        "tangentflow": [args.bin, "ntk", "--widths", widths, "--activation", "tanh", "--theta", th, "--x", x,
                        "-o", f"{work}/G_tf.npy", "--quiet"],
        "numpy-factored": [MODERN, f"{HERE}/ntk_numpy_worker.py", "--widths", widths, "--theta", th, "--x", x,
                           "-o", f"{work}/G_np.npy"],
    }

    def check():
        a, b = np.load(f"{work}/G_tf.npy"), np.load(f"{work}/G_np.npy")
        return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))
    return tools, check


def case_flow(args, work):
    import numpy as np
    d = f"{work}/flow-inputs"
    if not os.path.exists(f"{d}/X.npy"):
        subprocess.run([MODERN, f"{HERE}/bench_flow_jax.py", "--save-inputs", d, "--once", f"{work}/theta_jax.npy"],
                       check=True, env=python_env(), stdout=subprocess.DEVNULL)
    common = [args.bin, "flow", "--widths", "16,64,64,10", "--x", f"{d}/X.npy", "--y", f"{d}/Y.npy", "--theta",
              f"{d}/theta0.npy", "--t-end", "0.99", "--rtol", "1e-8", "--atol", "1e-10", "--beta", "0",
              "--save-points", "2", "--quiet"]
    tools = {
        "tangentflow-1-thread": common + ["--threads", "1", "-o", f"{work}/flow-tf1"],
        "tangentflow-2-threads": common + ["--threads", "2", "-o", f"{work}/flow-tf2"],
        "jax-diffrax": [MODERN, f"{HERE}/bench_flow_jax.py", "--x", f"{d}/X.npy", "--y", f"{d}/Y.npy", "--theta",
                        f"{d}/theta0.npy", "--once", f"{work}/theta_jax.npy"],
    }

    def check():
        a, b = np.load(f"{work}/flow-tf2/theta_final.npy"), np.load(f"{work}/theta_jax.npy")
        return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))
    return tools, check


CASES = {"ntk-1m": case_ntk, "flow": case_flow}


def summary(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "runs": len(xs)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=".build/release/tangentflow")
    ap.add_argument("--cases", default="ntk-1m,flow")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--work", default="/tmp/tf-bench-whole")
    ap.add_argument("--json")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    record = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "cpu": cpu_model(),
              "cores": os.cpu_count(), "runs": args.runs, "cases": {}}
    print(f"# {record['date']} {record['cpu']} ({record['cores']} cores), {args.runs} interleaved rounds")
    for name in args.cases.split(","):
        tools, check = CASES[name](args, args.work)
        times = {t: [] for t in tools}
        for r in range(args.runs):
            for t, argv in tools.items():
                env = python_env() if argv[0] == MODERN else None
                times[t].append(run(argv, env))
        rec = {}
        for t, rs in times.items():
            rec[t] = {k: summary([x[k] for x in rs]) for k in ("wall", "user", "sys", "maxrss_mb")}
            rec[t]["last_output"] = rs[-1]["out"].strip().splitlines()[-1:] if rs[-1]["out"].strip() else []
            w = rec[t]["wall"]
            print(f"{name:8s} {t:24s} wall {w['median']:.3f} s ({w['min']:.3f}–{w['max']:.3f})  "
                  f"user {rec[t]['user']['median']:.2f}  sys {rec[t]['sys']['median']:.2f}  "
                  f"max/median {w['max'] / w['median']:.2f}  rss {rec[t]['maxrss_mb']['median']:.0f} MB")
        names = list(tools)
        base = names[-1]
        for t in names[:-1]:
            per_round = [b["wall"] / a["wall"] for a, b in zip(times[t], times[base])]
            rec[f"ratio {base} / {t}"] = {"of_medians": rec[base]["wall"]["median"] / rec[t]["wall"]["median"],
                                          "per_round": summary(per_round)}
            pr = rec[f"ratio {base} / {t}"]
            print(f"{name:8s} ratio {base} / {t}: {pr['of_medians']:.2f}× of medians; per round median "
                  f"{pr['per_round']['median']:.2f}× ({pr['per_round']['min']:.2f}–{pr['per_round']['max']:.2f})")
        if len(names) >= 3:  # two variants of one tool (flow: 1 and 2 threads): their own per-round pairs
            a, b = names[0], names[1]
            pairs = [x["wall"] / y["wall"] for x, y in zip(times[a], times[b])]
            rec[f"ratio {a} / {b}"] = {"of_medians": rec[a]["wall"]["median"] / rec[b]["wall"]["median"],
                                       "per_round": summary(pairs), "rounds_where_second_slower": sum(p < 1 for p in pairs)}
            pr = rec[f"ratio {a} / {b}"]
            print(f"{name:8s} ratio {a} / {b}: {pr['of_medians']:.2f}× of medians; per round median "
                  f"{pr['per_round']['median']:.2f}× ({pr['per_round']['min']:.2f}–{pr['per_round']['max']:.2f}); "
                  f"{b} slower in {pr['rounds_where_second_slower']} of {len(pairs)} rounds")
        rec["max_rel_difference"] = check()
        print(f"{name:8s} outputs agree to {rec['max_rel_difference']:.2e} (max-abs relative)")
        record["cases"][name] = rec
    if args.json:
        with open(args.json, "w") as f:
            json.dump(record, f, indent=1)
        print(f"# wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
