#!/usr/bin/env python3
"""Grid Sinkhorn, whole process against whole process: `tangentflow ot sinkhorn-grid` vs an ott-jax script.

Run in venv A (/work/venvs/modern) after `swift build -c release --product tangentflow`:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /work/venvs/modern/bin/python scripts/bench_sinkhorn_grid.py \\
        --bin .build/release/tangentflow --sizes 128,256,512 --tf-reps 5 --ott-reps 5,3,3 \\
        --tf-variants 'default;threads-1=--threads 1;eps-start-4e-3=--eps-start 0.004'

writes Benchmarks/results/sinkhorn-grid-<date>.json (--json). The tests' reference costs at 64x64
(Tests/TangentFlowTests/Resources/reference/ot/ott_grid_costs.json) come from

    ... scripts/bench_sinkhorn_grid.py --make-reference Tests/TangentFlowTests/Resources/reference/ot

The problem is scripts/bench_ot_python.py's "grid-sinkhorn" case at side n: points (i/(n-1), j/(n-1)),
k = i*n + j, cost C_kl = |x_k - x_l|^2 / 2, the two-bump marginals of grid_marginals(n), reg = 1e-3, stop at an
L1 marginal error <= 1e-9, float64. Each timed run is a fresh process that does the whole job and is timed from
fork to exit (wall clock):

  * tangentflow: `tangentflow ot sinkhorn-grid --n N --a a.npy --b b.npy --reg 1e-3 --tol 1e-9 -o DIR --json`
    (reads a, b; solves; <P, C>; writes f.npy, g.npy, run.json; prints JSON). The script checks the printed
    errors (error_a, error_b <= 1e-9) and records the run's own split (read_s, solve_s, cost_s, write_s, total_s;
    process start and exit are wall - total_s).
  * ott-jax: `python bench_sinkhorn_grid.py --ott-worker N DIR` (this file): imports jax + ott, reads a, b,
    builds Grid(x=[t, t], cost_fns=[SqEuclidean()], epsilon=2*reg) (ott's SqEuclidean is |x-y|^2: C' = 2C,
    eps' = 2 reg, the same kernel and plan; f = f'/2, g = g'/2), runs Sinkhorn(lse_mode=True, threshold=1e-9,
    norm_error=1, max_iterations=20000) under jax.jit (compile included: it is part of the process), takes ott's
    transport cost out.primal_cost / 2 (= <P, C>, computed by ott through its low-rank factorisation of the grid
    cost) and out.reg_ot_cost / 2, writes f.npy, g.npy, and prints a JSON line with its own split.
  Both results are then checked here by an independent O(n^3) NumPy evaluation (separable log-sum-exp, float64)
  of both L1 marginal errors and <P, C> from the potentials each tool wrote.

The tools are interleaved (tangentflow, ott, tangentflow, ott, ...) so that a disturbance of the shared machine
hits both; per run the script records the CPU other processes used meanwhile (other_load_cores) and the child's
own CPU time (user + system, cpu_s: less sensitive to a loaded machine than wall time, reported beside it).
Medians and min-max over the runs. ott at 256^2 takes minutes a run: --ott-reps takes one count per size. Sizes where
--ott-max-s says a run would be too long (estimated from the n^3 x iterations scaling of the previous size) are
run for tangentflow alone and say so.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import tf_bench_common as TB  # noqa: E402
from bench_ot_python import grid_coords, grid_marginals  # noqa: E402

REG = 1e-3
TOL = 1e-9
OTT_MAX_ITER = 20000


# --------------------------------------------------------------------------- independent check (O(n^3) NumPy)

def _lse(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(m, axis) + np.log(np.sum(np.exp(x - m), axis=axis))


def separable_eval(f, g, a, b, n, reg):
    """L1 errors of both marginals, <P, C> and sum P for P_kl = exp((f_k + g_l - C_kl)/reg) on the n x n grid.

    C = c (+) c with c_ip = (t_i - t_p)^2 / 2: every sum over l = (p, q) is two 1-D log-sum-exps (O(n^3)); the
    cost uses log(c e^{-c/reg}) = log c - c/reg on the weighted axis."""
    t = grid_coords(n)
    c = 0.5 * (t[:, None] - t[None, :]) ** 2
    lk = -c / reg
    with np.errstate(divide="ignore"):
        lkc = np.log(c) - c / reg

    def apply(w, k1, k2):  # out_ij = log sum_pq exp(w_pq + k1[i, p] + k2[j, q])
        w = w.reshape(n, n)
        L = _lse(w[:, None, :] + k2[None, :, :], axis=2)  # L[p, j]
        return _lse(L.T[:, None, :] + k1[None, :, :], axis=2).T.reshape(-1)  # out[i, j]

    def col(w, k1, k2):  # sum over k of exp(w_k - C_kl): the transpose is the same operator (C symmetric)
        return apply(w, k1, k2)

    row = np.exp(f / reg + apply(g / reg, lk, lk))
    colm = np.exp(g / reg + col(f / reg, lk, lk))
    cost = float(np.sum(np.exp(f / reg + apply(g / reg, lkc, lk))) + np.sum(np.exp(f / reg + apply(g / reg, lk, lkc))))
    return {"err_l1_a": float(np.abs(row - a).sum()), "err_l1_b": float(np.abs(colm - b).sum()),
            "cost": cost, "mass": float(row.sum())}


# --------------------------------------------------------------------------- the ott-jax process

def ott_worker(n, work):
    t0 = time.perf_counter()
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from ott.geometry import costs, grid
    from ott.problems.linear import linear_problem
    from ott.solvers.linear import sinkhorn
    t_import = time.perf_counter()
    a = np.load(os.path.join(work, "a.npy"))
    b = np.load(os.path.join(work, "b.npy"))
    t_read = time.perf_counter()
    t = jnp.asarray(grid_coords(n))
    geom = grid.Grid(x=[t, t], cost_fns=[costs.SqEuclidean()], epsilon=2.0 * REG)
    solver = sinkhorn.Sinkhorn(lse_mode=True, threshold=TOL, norm_error=1, max_iterations=OTT_MAX_ITER)

    @jax.jit
    def solve(a, b):
        out = solver(linear_problem.LinearProblem(geom, a, b))
        errs = out.errors.reshape(-1)
        last = errs[jnp.maximum(jnp.sum(errs != -1) - 1, 0)]
        return out.f / 2.0, out.g / 2.0, out.n_iters, out.converged, last, out.reg_ot_cost / 2.0, out.primal_cost / 2.0

    res = jax.block_until_ready(solve(jnp.asarray(a), jnp.asarray(b)))
    t_solve = time.perf_counter()
    f, g, it, conv, last, reg_cost, cost = (np.asarray(x) for x in res)
    out_dir = os.path.join(work, "ott-out")
    os.makedirs(out_dir, exist_ok=True)
    np.save(os.path.join(out_dir, "f.npy"), f)
    np.save(os.path.join(out_dir, "g.npy"), g)
    t_write = time.perf_counter()
    print(json.dumps({"iterations": int(it), "converged": bool(conv), "solver_err": float(last),
                      "cost": float(cost), "reg_ot_cost": float(reg_cost),
                      "split_s": {"import": t_import - t0, "read": t_read - t_import,
                                  "jit_and_solve_and_cost": t_solve - t_read, "write": t_write - t_solve}}))


def make_reference(out_dir, n=64):
    """ott-jax's own costs on the 64x64 problem (the a, b of Tests/.../Resources/reference/ot), in our units.

    Writes ott_grid_costs.json: for thresholds 1e-9 and 1e-13 (L1 error of the column marginal), ott's
    primal_cost / 2 (= <P, C>, C = |x-y|^2/2) and reg_ot_cost / 2 (= <P, C> + reg KL(P | a x b) at the
    solution, evaluated by ott as its dual objective), with iterations and this script's separable NumPy check.
    Halving: ott solves C' = 2C at eps' = 2 reg, the same plan, so every cost and potential is twice ours."""
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from ott.geometry import costs, grid
    from ott.problems.linear import linear_problem
    from ott.solvers.linear import sinkhorn
    from importlib.metadata import version
    a = np.load(os.path.join(out_dir, "a.npy"))
    b = np.load(os.path.join(out_dir, "b.npy"))
    a0, b0 = grid_marginals(n)
    assert np.abs(a - a0).max() < 1e-18 and np.abs(b - b0).max() < 1e-18, "a.npy/b.npy are not grid_marginals(64)"
    t = jnp.asarray(grid_coords(n))
    geom = grid.Grid(x=[t, t], cost_fns=[costs.SqEuclidean()], epsilon=2.0 * REG)
    rows = []
    for thr in (1e-9, 1e-13):
        solver = sinkhorn.Sinkhorn(lse_mode=True, threshold=thr, norm_error=1, max_iterations=10 * OTT_MAX_ITER)
        out = jax.jit(lambda a, b: solver(linear_problem.LinearProblem(geom, a, b)))(jnp.asarray(a), jnp.asarray(b))
        f, g = np.asarray(out.f) / 2, np.asarray(out.g) / 2
        rows.append({"threshold": thr, "iterations": int(out.n_iters), "converged": bool(out.converged),
                     "primal_cost_over_2": float(out.primal_cost) / 2, "reg_ot_cost_over_2": float(out.reg_ot_cost) / 2,
                     "numpy_check": separable_eval(f, g, a, b, n, REG)})
    doc = {"written_by": "scripts/bench_sinkhorn_grid.py --make-reference", "date": _dt.date.today().isoformat(),
           "versions": {d: version(d) for d in ("numpy", "jax", "jaxlib", "ott-jax")},
           "problem": {"n": n, "reg": REG, "cost": "C_kl = |x_k - x_l|^2 / 2", "a": "a.npy", "b": "b.npy"},
           "solver": ("ott.geometry.grid.Grid(x=[t, t], cost_fns=[costs.SqEuclidean()], epsilon=2*reg); "
                      "Sinkhorn(lse_mode=True, threshold, norm_error=1, inner_iterations=10); costs halved"),
           "runs": rows}
    with open(os.path.join(out_dir, "ott_grid_costs.json"), "w") as fh:
        json.dump(doc, fh, indent=2)
    print(json.dumps(doc, indent=2))


# --------------------------------------------------------------------------- driver

def run_process(cmd, env=None):
    """Run cmd to exit; returns (completed process, wall s, other processes' average cores, the child's CPU s)."""
    b0, c0, w0 = TB.busy_cpu_s(), TB.own_cpu_s(), time.perf_counter()
    child0 = TB_children_cpu()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - w0
    # own_cpu_s counts this process; the child's CPU is in busy too: subtract it via RUSAGE_CHILDREN deltas.
    cpu = TB_children_cpu() - child0
    other = max(0.0, ((TB.busy_cpu_s() - b0) - (TB.own_cpu_s() - c0) - cpu) / wall)
    return p, wall, other, cpu


def TB_children_cpu():
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def tf_run(args, n, work, label, extra):
    out = os.path.join(work, f"tf-out-{label}")
    binary = args.bin
    for x in [x for x in extra if x.startswith("bin=")]:
        binary = os.path.abspath(x[4:])
    extra = [x for x in extra if not x.startswith(("bin=", "maxn="))]
    cmd = [binary, "ot", "sinkhorn-grid", "--n", str(n), "--a", os.path.join(work, "a.npy"), "--b",
           os.path.join(work, "b.npy"), "--reg", f"{REG:g}", "--tol", f"{TOL:g}", "-o", out, "--json", "--quiet"] + extra
    p, wall, other, cpu = run_process(cmd)
    if p.returncode != 0:
        raise SystemExit(f"tangentflow failed ({p.returncode}): {p.stderr[-2000:]}")
    d = json.loads(p.stdout)
    r = d["results"]
    if not (r["error_a"] <= TOL and r["error_b"] <= TOL):
        raise SystemExit(f"tangentflow printed marginal errors above {TOL:g}: {r}")
    return {"wall_s": wall, "cpu_s": cpu, "other_load_cores": other, "results": r, "timings": d["timings"], "out": out}


def ott_run(args, n, work):
    cmd = [args.python, os.path.abspath(__file__), "--ott-worker", str(n), work]
    p, wall, other, cpu = run_process(cmd)
    if p.returncode != 0:
        raise SystemExit(f"ott worker failed ({p.returncode}): {p.stderr[-3000:]}")
    r = json.loads(p.stdout.strip().splitlines()[-1])
    if not r["converged"]:
        raise SystemExit(f"ott did not converge: {r}")
    return {"wall_s": wall, "cpu_s": cpu, "other_load_cores": other, "results": r, "out": os.path.join(work, "ott-out")}


def summary(runs):
    w = [r["wall_s"] for r in runs]
    c = [r["cpu_s"] for r in runs]
    return {"median_s": statistics.median(w), "min_s": min(w), "max_s": max(w), "reps": len(w), "times_s": w,
            "cpu_median_s": statistics.median(c), "cpu_min_s": min(c), "cpu_max_s": max(c), "cpu_s": c,
            "other_load_cores": [r["other_load_cores"] for r in runs]}


def save(out, meta, cases, partial):
    """Write the record so far (after every run: an interrupted session keeps its raw runs under "partial")."""
    doc = {"meta": meta, "cases": cases}
    if partial is not None:
        doc["partial"] = partial
    tmp = out + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(doc, fh, indent=2)
    os.replace(tmp, out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ott-worker", nargs=2, metavar=("N", "DIR"), help=argparse.SUPPRESS)
    ap.add_argument("--make-reference", metavar="DIR",
                    help="write DIR/ott_grid_costs.json (ott's costs at 64x64 from DIR/a.npy, b.npy) and exit")
    ap.add_argument("--bin", default=os.path.join(HERE, "..", ".build", "release", "tangentflow"))
    ap.add_argument("--python", default=sys.executable, help="interpreter for the ott worker")
    ap.add_argument("--sizes", default="128,256")
    ap.add_argument("--tf-reps", type=int, default=5)
    ap.add_argument("--tf-variants", default="default",
                    help="semicolon list of LABEL=extra tangentflow options to time, interleaved; the first is the "
                         "headline (e.g. 'default;threads-1=--threads 1;eps-start-4e-3=--eps-start 0.004'); "
                         "the tokens bin=PATH (another binary, e.g. an older build) and maxn=N (only sizes <= N) "
                         "are read by this script")
    ap.add_argument("--ott-reps", default="5,3", help="ott runs per size (one number, or one per size)")
    ap.add_argument("--ott-max-s", type=float, default=900.0,
                    help="skip ott at a size whose estimated run time exceeds this (s)")
    ap.add_argument("--json", help="output (default Benchmarks/results/sinkhorn-grid-<date>.json)")
    ap.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    args = ap.parse_args(argv)
    if args.ott_worker:
        ott_worker(int(args.ott_worker[0]), args.ott_worker[1])
        return 0
    if args.make_reference:
        make_reference(args.make_reference)
        return 0

    sizes = [int(s) for s in args.sizes.split(",") if s]
    ott_reps = [int(s) for s in args.ott_reps.split(",") if s]
    ott_reps += [ott_reps[-1]] * (len(sizes) - len(ott_reps))
    variants = []
    for item in args.tf_variants.split(";"):
        label, _, extra = item.partition("=")
        variants.append((label.strip(), extra.split()))
    threads = [v[0] for v in variants]
    args.bin = os.path.abspath(args.bin)
    meta = {
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "argv": sys.argv[1:] if argv is None else list(argv),
        "host": platform.node(), "platform": platform.platform(), "cpu": TB.cpu_model(), "cpu_count": os.cpu_count(),
        "bin": args.bin,
        "tangentflow_version": subprocess.run([args.bin, "--version"], capture_output=True, text=True).stdout.strip(),
        "tangentflow_info": subprocess.run([args.bin, "info"], capture_output=True, text=True).stdout.strip().splitlines(),
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                                               "OMP_NUM_THREADS", "XLA_FLAGS")},
        "problem": {"reg": REG, "tol_l1": TOL, "cost": "C_kl = |x_k - x_l|^2 / 2 on the n x n grid of [0, 1]^2",
                    "marginals": "scripts/bench_ot_python.py grid_marginals(n)"},
        "timing": "wall clock of a fresh process from fork to exit; tools interleaved; medians and min-max over runs",
    }
    try:
        from importlib.metadata import version
        meta["versions"] = {d: version(d) for d in ("numpy", "jax", "jaxlib", "ott-jax")}
    except Exception as e:  # pragma: no cover
        meta["versions"] = str(e)
    print(f"cpu: {meta['cpu']}  cores: {meta['cpu_count']}  {meta['tangentflow_version']}", flush=True)

    out = args.json or os.path.join(HERE, "..", "Benchmarks", "results", f"sinkhorn-grid-{_dt.date.today().isoformat()}.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    cases = []
    prev = None  # (n, ott median, iterations) to estimate the next size's ott run time
    root = args.work or tempfile.mkdtemp(prefix="sinkhorn-bench-")
    for n, oreps in zip(sizes, ott_reps):
        work = os.path.join(root, f"n{n}")
        os.makedirs(work, exist_ok=True)
        a, b = grid_marginals(n)
        np.save(os.path.join(work, "a.npy"), a)
        np.save(os.path.join(work, "b.npy"), b)
        est = None
        if prev is not None:
            pn, ps, _ = prev
            est = ps * (n / pn) ** 3 * 2.0  # n^3 work per iteration, and about twice the iterations (see notes)
        run_ott = oreps > 0 and (est is None or est <= args.ott_max_s)
        print(f"\n-- n = {n} ({n * n} points): tangentflow x{args.tf_reps} (threads {threads})"
              + (f", ott x{oreps}" if run_ott else ", ott not run (--ott-reps 0)" if oreps == 0
                 else f", ott skipped (estimated {est:.0f} s a run > {args.ott_max_s:.0f} s)"),
              flush=True)
        tf_runs = {label: [] for label, _ in variants}
        ott_runs = []
        TB.wait_quiet(60)
        for rep in range(max(args.tf_reps, oreps if run_ott else 0)):
            for t, extra in variants:
                maxn = [int(x[5:]) for x in extra if x.startswith("maxn=")]
                if maxn and n > maxn[0]:
                    continue
                if len(tf_runs[t]) < args.tf_reps:
                    r = tf_run(args, n, work, t, extra)
                    tf_runs[t].append(r)
                    save(out, meta, cases, partial={"n": n, "tangentflow": tf_runs, "ott": ott_runs})
                    tm = r["timings"]
                    print(f"#   tangentflow {t}: {r['wall_s']:.3f} s (cpu {r['cpu_s']:.2f} s; solve {tm.get('solve_s', 0):.3f}, "
                          f"cost {tm.get('cost_s', 0):.3f}, run {tm.get('total_s', 0):.3f}), "
                          f"{r['results']['iterations']} it, other load {r['other_load_cores']:.2f}", flush=True)
            if run_ott and len(ott_runs) < oreps:
                r = ott_run(args, n, work)
                ott_runs.append(r)
                save(out, meta, cases, partial={"n": n, "tangentflow": tf_runs, "ott": ott_runs})
                print(f"#   ott-jax: {r['wall_s']:.2f} s (cpu {r['cpu_s']:.1f} s; {r['results']['split_s']}), {r['results']['iterations']} it, "
                      f"other load {r['other_load_cores']:.2f}", flush=True)
        case = {"n": n, "points": n * n, "tangentflow": {}}
        for t, runs in tf_runs.items():
            if not runs:
                continue
            last = runs[-1]
            f = np.load(os.path.join(last["out"], "f.npy"))
            g = np.load(os.path.join(last["out"], "g.npy"))
            # the NumPy check holds n^3 arrays (1 GiB at 512): the headline variant only above 256
            chk = separable_eval(f, g, a, b, n, REG) if (t == threads[0] or n <= 256) else None
            s = summary(runs)
            extra = dict(variants)[t]
            s.update({
                "variant": t,
                "command": f"tangentflow ot sinkhorn-grid --n {n} --a a.npy --b b.npy --reg {REG:g} --tol {TOL:g} -o DIR --json"
                           + "".join(" " + x for x in extra),
                "results": last["results"],
                "split_median_s": {k: statistics.median(r["timings"][k] for r in runs)
                                   for k in ("read_s", "solve_s", "cost_s", "write_s", "total_s") if k in runs[0]["timings"]},
                "outside_run_median_s": statistics.median(r["wall_s"] - r["timings"]["total_s"] for r in runs),
                "numpy_check": chk,
            })
            case["tangentflow"][t] = s
        if ott_runs:
            f = np.load(os.path.join(ott_runs[-1]["out"], "f.npy"))
            g = np.load(os.path.join(ott_runs[-1]["out"], "g.npy"))
            s = summary(ott_runs)
            s.update({"results": ott_runs[-1]["results"], "numpy_check": separable_eval(f, g, a, b, n, REG),
                      "splits_s": [r["results"]["split_s"] for r in ott_runs]})
            case["ott"] = s
            base = case["tangentflow"][threads[0]]
            case["speedup_median"] = s["median_s"] / base["median_s"]
            case["speedup_min_over_max"] = s["min_s"] / base["max_s"]
            case["speedup_max_over_min"] = s["max_s"] / base["min_s"]
            case["cpu_speedup_median"] = s["cpu_median_s"] / base["cpu_median_s"]
            case["cost_rel_diff_tf_vs_ott"] = abs(base["results"]["cost"] - s["results"]["cost"]) / s["results"]["cost"]
            case["reg_ot_cost_rel_diff_tf_vs_ott"] = (abs(base["results"]["reg_ot_cost"] - s["results"]["reg_ot_cost"])
                                                      / abs(s["results"]["reg_ot_cost"]))
            prev = (n, s["median_s"], s["results"]["iterations"])
            print(f"# n={n}: tangentflow median {base['median_s']:.3f} s [{base['min_s']:.3f}, {base['max_s']:.3f}], "
                  f"ott median {s['median_s']:.2f} s [{s['min_s']:.2f}, {s['max_s']:.2f}] -> {case['speedup_median']:.0f}x; "
                  f"<P,C> tf {base['results']['cost']:.15g} ott {s['results']['cost']:.15g} "
                  f"(rel {case['cost_rel_diff_tf_vs_ott']:.1e})", flush=True)
        else:
            case["ott"] = {"skipped": True, "estimated_run_s": est,
                           "reason": f"estimated > {args.ott_max_s:.0f} s a run (--ott-max-s)" if est else "--ott-reps 0"}
        for t, s in case["tangentflow"].items():
            print(f"# n={n} tangentflow {t}: median {s['median_s']:.3f} s "
                  f"[{s['min_s']:.3f}, {s['max_s']:.3f}]; split {s['split_median_s']}; numpy check {s['numpy_check']}",
                  flush=True)
        cases.append(case)
        save(out, meta, cases, partial=None)
    print(f"# wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
