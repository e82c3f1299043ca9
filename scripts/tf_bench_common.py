"""Timing / memory harness shared by bench_ntk_python.py (venv A) and
bench_ntk_neural_tangents.py (venv B).  Standard library + NumPy only.

Worker protocol (one subprocess per (case, tool, phase), so peak RSS is per tool):
  <python> <script> --worker --case C --tool T --data DIR --phase verify --out R.npy
      builds the tool, runs it once, saves the result (float64, C order) to R.npy
      and prints one JSON line {"baseline_rss_mb": ...} on stdout.
  <python> <script> --worker --case C --tool T --data DIR --phase time
      builds the tool, warms up, times several repeats and prints one JSON line
      with median_s, min_s, reps, times, peak_rss_mb, baseline_rss_mb.
The driver (bench_ntk_python.py) compares R.npy with its own NumPy reference
*before* it launches the timing phase.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time

import numpy as np

MLP_CASES = {
    # case: (widths, N, activation)
    "ntk-mlp-ref": ([16, 256, 256, 10], 128, "tanh"),
    "ntk-mlp-1m": ([16, 1024, 1024, 10], 256, "tanh"),
    "jacobian-mlp-ref": ([16, 256, 256, 10], 128, "tanh"),
}


def maxrss_mb() -> float:
    """Peak resident set size of this process in MB.

    Read from /proc/self/status VmHWM (reset by execve), not from
    getrusage().ru_maxrss: on Linux ru_maxrss survives fork+exec, so a worker
    launched by a big driver would report the driver's peak.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def busy_cpu_s() -> float:
    """Non-idle CPU seconds of the whole machine since boot (/proc/stat)."""
    with open("/proc/stat") as f:
        vals = [int(v) for v in f.readline().split()[1:9]]
    idle = vals[3] + vals[4]  # idle + iowait
    return (sum(vals) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def wait_quiet(max_wait_s, thresh_cores=0.25):
    """Wait until the machine looks idle; return (busy cores over the last 1 s, seconds waited)."""
    t0 = time.time()
    while True:
        b0 = busy_cpu_s()
        time.sleep(1.0)
        busy = busy_cpu_s() - b0
        if busy < thresh_cores or time.time() - t0 > max_wait_s:
            return busy, time.time() - t0
        time.sleep(4.0)


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (platform.processor() elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor()


def load_mlp_data(data_dir, case):
    widths, N, act = MLP_CASES[case]
    tag = "ref" if widths[1] == 256 else "1m"
    theta = np.load(os.path.join(data_dir, f"mlp_{tag}_theta.npy"))
    X = np.load(os.path.join(data_dir, f"mlp_{tag}_x.npy"))
    assert X.shape == (N, widths[0])
    return widths, N, act, theta, X


def time_fn(fn, sync=lambda r: r, warmup=2, min_reps=5, max_reps=20, budget_s=20.0):
    """Warm up, then repeat until max_reps or (>= min_reps and budget exhausted)."""
    r = None
    for _ in range(warmup):
        r = None
        r = sync(fn())
    r = None
    times = []
    t0 = time.perf_counter()
    while len(times) < max_reps:
        t = time.perf_counter()
        r = sync(fn())
        times.append(time.perf_counter() - t)
        r = None  # keep at most one result alive (peak memory)
        if len(times) >= min_reps and time.perf_counter() - t0 > budget_s:
            break
    return times


def worker_main(build_tool, argv=None):
    """build_tool(case, tool, data_dir) -> (fn, sync, timing_kwargs).

    fn() computes the result; sync(r) blocks until r is ready and returns it
    as something np.asarray can take.
    """
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", action="store_true")
    ap.add_argument("--case", required=True)
    ap.add_argument("--tool", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--phase", choices=["verify", "time"], required=True)
    ap.add_argument("--out")
    a = ap.parse_args(argv)
    fn, sync, kw = build_tool(a.case, a.tool, a.data)
    baseline = maxrss_mb()
    if a.phase == "verify":
        t = time.perf_counter()
        r = np.asarray(sync(fn()), dtype=np.float64)
        first = time.perf_counter() - t
        np.save(a.out, np.ascontiguousarray(r))
        rec = {"baseline_rss_mb": baseline, "first_call_s": first, "shape": list(r.shape)}
    else:
        b0, c0, w0 = busy_cpu_s(), own_cpu_s(), time.perf_counter()
        times = time_fn(fn, sync, **kw)
        b1, c1, w1 = busy_cpu_s(), own_cpu_s(), time.perf_counter()
        rec = {
            # average number of cores used by *other* processes while timing
            "other_load_cores_timed": max(0.0, ((b1 - b0) - (c1 - c0)) / (w1 - w0)),
            "median_s": statistics.median(times),
            "min_s": min(times),
            "reps": len(times),
            "times": times,
            "peak_rss_mb": maxrss_mb(),
            "baseline_rss_mb": baseline,
        }
    sys.stdout.flush()
    print("@@RESULT@@" + json.dumps(rec), flush=True)


def timing_kwargs_for(expected_s):
    """Repeat policy by rough expected run time of one call."""
    if expected_s < 0.5:
        return dict(warmup=3, min_reps=10, max_reps=30, budget_s=10.0)
    if expected_s < 10:
        return dict(warmup=1, min_reps=5, max_reps=10, budget_s=30.0)
    return dict(warmup=1, min_reps=3, max_reps=3, budget_s=0.0)
