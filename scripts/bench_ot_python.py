#!/usr/bin/env python3
"""Python baselines for TangentFlow's optimal transport: grid Sinkhorn and assignment.

Run in venv A (/work/venvs/modern, pinned in scripts/requirements-modern.txt):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        /work/venvs/modern/bin/python scripts/bench_ot_python.py

writes scripts/results/ot-<date>.json (--json) and the reference arrays to
/work/ot-ref (--out-dir).  --slow adds POT's log-domain Sinkhorn (~15 min).

Case "grid-sinkhorn-64" (the command-line contract):
  * n = 64, points x_k = (i/(n-1), j/(n-1)), k = i*n + j (i the first
    coordinate), the same points for both marginals; cost C_kl = |x_k - x_l|^2 / 2
    (largest cost 1); n^2 = 4096 points.
  * u = i/(n-1), v = j/(n-1),
      a ∝ exp(-((u-0.3)^2 + (v-0.35)^2)/(2*0.1^2)) + 0.6*exp(-((u-0.7)^2 + (v-0.7)^2)/(2*0.15^2)) + 0.05
      b ∝ exp(-((u-0.65)^2 + (v-0.3)^2)/(2*0.12^2)) + 0.8*exp(-((u-0.25)^2 + (v-0.75)^2)/(2*0.08^2)) + 0.05
    each divided by its sum.
  * reg = 1e-3: plan P_kl = exp((f_k + g_l - C_kl)/reg); stop at an L1 marginal
    error <= 1e-9; float64.
  Tools:
  * ott-jax Grid (ott.geometry.grid.Grid, separable log-sum-exp kernel), lse_mode,
    threshold 1e-9, norm_error 1, max_iterations 20000, jitted, timed after an AOT
    compile and one warm-up call.  ott's costs.SqEuclidean is |x-y|^2 (no 1/2), so
    ott solves C' = 2C with epsilon' = 2*reg: same kernel C'/eps' = C/reg, same plan,
    and ott's potentials are f' = 2f, g' = 2g.  The script checks this on an 8x8
    grid against a dense 1/2|x-y|^2 cost before timing (meta.ott_convention_check).
    ott updates g (column marginal b) first and f second, so the row marginal is
    exact after every iteration; its stopping error is the L1 error of the column
    marginal, ||P^T 1 - b||_1 (strictly < threshold), evaluated every
    inner_iterations (default 10) iterations; its iteration count is therefore a
    multiple of 10.  A second row uses inner_iterations = 1 (error every iteration:
    exact count, ~1.5x the work per iteration).
  * POT ot.sinkhorn(method='sinkhorn') on the dense 4096x4096 cost, once.  POT's
    stopping error is the *L2* norm of the column-marginal error, checked every 10
    iterations, so stopThr = 1e-9 stops it at an L1 error of a few 1e-8; a second
    run uses stopThr = 1e-9/sqrt(n^2) (enough for L1 <= 1e-9 since
    ||e||_1 <= sqrt(N)||e||_2).  exp(-C/reg) underflows to 0 where C > ~0.745
    (counted and reported).
  * (--slow) POT ot.sinkhorn(method='sinkhorn_log'), stopThr = 1e-9, once.
  For every tool the script reports the iterations, the L1 errors of both
  marginals and the transport cost <P, C>, all recomputed here in float64 from
  the tool's potentials on the dense cost.
  The reference (saved to --out-dir): ott Grid run to threshold --ref-threshold
  (1e-13), untimed.

Case "assignment-1024x17":
  * X then Y: numpy.random.default_rng(20261123).standard_normal((1024, 17)), one
    generator, X drawn first; C_ij = |x_i - y_j|^2.
  * Timed separately: building C (scipy cdist 'sqeuclidean'; and the GEMM form
    |x|^2 + |y|^2 - 2 X Y^T, for information), scipy.optimize.linear_sum_assignment(C)
    on the prebuilt C, and ot.emd(uniform, uniform, C) plus reading perm off the
    plan (argmax per row).  Both solvers must reach the same mean cost
    mean_i |x_i - y_perm(i)|^2 (recomputed from X, Y) to 1e-12 relative; POT's dual
    potentials give an optimality certificate (duality gap, min reduced cost).

Reference files in --out-dir (float64 unless noted; manifest.json describes them):
  a.npy b.npy (4096,), f.npy g.npy (4096,) reference potentials in our convention
  (reg = 1e-3, C = 1/2|x-y|^2) in the gauge mean(f) = 0 (potentials are defined up
  to f + c, g - c), sinkhorn_cost.npy (shape (1,), <P, C>), X.npy Y.npy (1024, 17),
  perm.npy (int64, perm[i] = j), assignment_cost.npy (shape (1,), mean_i |x_i - y_perm(i)|^2).

Threads: like the other scripts here, nothing is pinned: NumPy/SciPy's OpenBLAS,
XLA:CPU and POT's BLAS calls use the machine's 2 cores by default
(OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / XLA_FLAGS are recorded in meta.env and
are unset for the recorded run); linear_sum_assignment, cdist and ot.emd
(numThreads=1) are single-threaded.  OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (set on
some machines of this workplace) slow the BLAS kernels: time with them unset in
that one command, as above.

Other sessions may share the machine: before each timed block the script waits
(up to --quiet-wait s) for the machine to look idle, and records the average CPU
used by other processes during the block (other_load_cores); a block with that
well above 0 was disturbed (min_s is then the more trustworthy number).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import statistics
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import tf_bench_common as TB  # noqa: E402

NTHREADS = os.cpu_count() or 1

# grid Sinkhorn
GRID_N = 64
REG = 1e-3
THRESHOLD = 1e-9
MAX_ITER = 20000
# assignment
ASSIGN_M, ASSIGN_D = 1024, 17
ASSIGN_SEED = 20261123
ASSIGN_RTOL = 1e-12

ENV_KEYS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
            "MKL_NUM_THREADS", "XLA_FLAGS", "JAX_PLATFORMS")


# --------------------------------------------------------------------------- machine load / timing

def timed_block(fn, sync=lambda r: r, **kw):
    """TB.time_fn (warm-up, then repeats) plus the average CPU used by other processes."""
    b0, c0, w0 = TB.busy_cpu_s(), TB.own_cpu_s(), time.perf_counter()
    times = TB.time_fn(fn, sync, **kw)
    b1, c1, w1 = TB.busy_cpu_s(), TB.own_cpu_s(), time.perf_counter()
    other = max(0.0, ((b1 - b0) - (c1 - c0)) / (w1 - w0))
    return times, other


def timed_once(fn):
    """Run fn() once; return (result, wall s, average cores used by other processes)."""
    b0, c0, t0 = TB.busy_cpu_s(), TB.own_cpu_s(), time.perf_counter()
    r = fn()
    wall = time.perf_counter() - t0
    other = max(0.0, ((TB.busy_cpu_s() - b0) - (TB.own_cpu_s() - c0)) / wall)
    return r, wall, other


def reps_policy(first_s, reps=None):
    if reps is not None:
        return reps
    if first_s < 1.0:
        return 10
    if first_s < 10.0:
        return 5
    return 3


# --------------------------------------------------------------------------- grid problem

def grid_coords(n=GRID_N):
    return np.arange(n, dtype=np.float64) / (n - 1)


def grid_marginals(n=GRID_N):
    t = grid_coords(n)
    u, v = np.meshgrid(t, t, indexing="ij")  # u[i, j] = i/(n-1), v[i, j] = j/(n-1); ravel -> i*n + j

    def bump(u0, v0, s):
        return np.exp(-((u - u0) ** 2 + (v - v0) ** 2) / (2 * s ** 2))

    a = (bump(0.3, 0.35, 0.1) + 0.6 * bump(0.7, 0.7, 0.15) + 0.05).ravel()
    b = (bump(0.65, 0.3, 0.12) + 0.8 * bump(0.25, 0.75, 0.08) + 0.05).ravel()
    return a / a.sum(), b / b.sum()


def grid_cost(n=GRID_N):
    """Dense C[(i*n+j), (k*n+l)] = ((t_i - t_k)^2 + (t_j - t_l)^2) / 2."""
    t = grid_coords(n)
    D1 = (t[:, None] - t[None, :]) ** 2
    return (0.5 * (D1[:, None, :, None] + D1[None, :, None, :])).reshape(n * n, n * n)


def dense_eval(f, g, a, b, C, reg):
    """float64 <P, C>, ||P 1 - a||_1, ||P^T 1 - b||_1, total mass, for P = exp((f + g - C)/reg)."""
    P = np.exp((f[:, None] + g[None, :] - C) / reg)
    out = {
        "cost": float(np.sum(P * C)),
        "err_l1_a": float(np.abs(P.sum(axis=1) - a).sum()),
        "err_l1_b": float(np.abs(P.sum(axis=0) - b).sum()),
        "mass": float(P.sum()),
    }
    del P
    return out


def gauge(f, g):
    """Fix the gauge f + c, g - c by mean(f) = 0."""
    c = float(np.mean(f))
    return f - c, g + c


def make_ott(jax, jnp, n, reg, threshold, max_iterations, inner_iterations):
    """Jittable solve(a, b) -> (f, g, n_iters, converged, last_error) in OUR convention (C/2, reg)."""
    from ott.geometry import costs, grid
    from ott.problems.linear import linear_problem
    from ott.solvers.linear import sinkhorn

    t = jnp.asarray(grid_coords(n))
    # ott's SqEuclidean is |x - y|^2 (no 1/2): C' = 2C, so epsilon' = 2*reg gives the same kernel and plan.
    geom = grid.Grid(x=[t, t], cost_fns=[costs.SqEuclidean()], epsilon=2.0 * reg)
    solver = sinkhorn.Sinkhorn(lse_mode=True, threshold=threshold, norm_error=1,
                               inner_iterations=inner_iterations, max_iterations=max_iterations)

    def solve(a, b):
        out = solver(linear_problem.LinearProblem(geom, a, b))
        errs = out.errors.reshape(-1)
        last = errs[jnp.maximum(jnp.sum(errs != -1) - 1, 0)]
        return out.f / 2.0, out.g / 2.0, out.n_iters, out.converged, last

    return solve


def ott_convention_check(jax, jnp, n=8, reg=1e-2):
    """Check on an n x n grid: Grid(SqEuclidean, eps=2 reg) with f/2, g/2 == dense 1/2|x-y|^2 with eps=reg.

    Also shows which marginal ott's stopping error measures (loose threshold, so the
    two marginal errors differ visibly)."""
    from ott.geometry import costs, geometry, grid
    from ott.problems.linear import linear_problem
    from ott.solvers.linear import sinkhorn

    rng = np.random.default_rng(0)
    a = rng.random(n * n) + 0.1
    b = rng.random(n * n) + 0.1
    a, b = a / a.sum(), b / b.sum()
    C = grid_cost(n)
    t = grid_coords(n)
    g_grid = grid.Grid(x=[jnp.asarray(t), jnp.asarray(t)], cost_fns=[costs.SqEuclidean()], epsilon=2 * reg)
    g_dense = geometry.Geometry(cost_matrix=jnp.asarray(C), epsilon=reg)
    res = {"n": n, "reg": reg}
    res["grid_1d_cost_vs_(ti-tj)^2_maxabs"] = float(max(
        np.abs(np.asarray(gm.cost_matrix) - (t[:, None] - t[None, :]) ** 2).max() for gm in g_grid.geometries))
    tight = sinkhorn.Sinkhorn(lse_mode=True, threshold=1e-12, max_iterations=20000)
    og = tight(linear_problem.LinearProblem(g_grid, jnp.asarray(a), jnp.asarray(b)))
    od = tight(linear_problem.LinearProblem(g_dense, jnp.asarray(a), jnp.asarray(b)))
    fg, gg = np.asarray(og.f) / 2, np.asarray(og.g) / 2
    res["grid_half_potentials_vs_dense_maxabs"] = float(max(np.abs(fg - np.asarray(od.f)).max(),
                                                            np.abs(gg - np.asarray(od.g)).max()))
    res["iterations_grid_dense"] = [int(og.n_iters), int(od.n_iters)]
    ev = dense_eval(fg, gg, a, b, C, reg)
    res["grid_half_potentials_dense_eval"] = ev
    res["ott_primal_cost_grid_over_2"] = float(og.primal_cost) / 2
    res["ott_primal_cost_dense"] = float(od.primal_cost)
    # which marginal does the stopping error measure?
    loose = sinkhorn.Sinkhorn(lse_mode=True, threshold=1e-5, max_iterations=20000, inner_iterations=1)
    ol = loose(linear_problem.LinearProblem(g_grid, jnp.asarray(a), jnp.asarray(b)))
    e = np.asarray(ol.errors).reshape(-1)
    ev2 = dense_eval(np.asarray(ol.f) / 2, np.asarray(ol.g) / 2, a, b, C, reg)
    res["loose_stop"] = {"ott_last_error": float(e[e != -1][-1]), "l1_err_a": ev2["err_l1_a"],
                         "l1_err_b": ev2["err_l1_b"], "iterations": int(ol.n_iters)}
    ok = (res["grid_half_potentials_vs_dense_maxabs"] < 1e-12 and ev["err_l1_a"] < 1e-11 and ev["err_l1_b"] < 1e-11
          and abs(res["loose_stop"]["ott_last_error"] - ev2["err_l1_b"]) < 1e-12 and ev2["err_l1_a"] < 1e-13)
    res["ok"] = bool(ok)
    return res


def pot_run(ot, a, b, C, reg, method, stopThr, numItermax):
    """One POT Sinkhorn run; returns (plan, potentials f, g in our convention, niter, warnings)."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        P, log = ot.sinkhorn(a, b, C, reg, method=method, stopThr=stopThr, numItermax=numItermax,
                             log=True, warn=True)
    msgs = sorted({f"{type(x.message).__name__}: {x.message}" for x in w})
    if "log_u" in log:
        f, g = reg * np.asarray(log["log_u"]), reg * np.asarray(log["log_v"])
    else:
        with np.errstate(divide="ignore"):
            f, g = reg * np.log(log["u"]), reg * np.log(log["v"])
    errs = [float(e) for e in log.get("err", [])]
    return P, f, g, int(log["niter"]), errs, msgs


def plan_eval(P, a, b, C):
    return {"cost": float(np.sum(P * C)), "err_l1_a": float(np.abs(P.sum(axis=1) - a).sum()),
            "err_l1_b": float(np.abs(P.sum(axis=0) - b).sum()), "mass": float(P.sum()),
            "finite": bool(np.isfinite(P).all())}


def run_grid(args, meta, records, out_dir):
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import ot
    import ott

    case = f"grid-sinkhorn-{GRID_N}"
    n, reg = GRID_N, REG
    N = n * n
    a, b = grid_marginals(n)
    ott_version = f"ott-jax {ott.__version__} (jax {jax.__version__})"
    pot_version = f"POT {ot.__version__} (numpy {np.__version__})"

    print(f"\n-- {case}: n = {n} (N = {N}), reg = {reg:g}, L1 threshold {THRESHOLD:g}", flush=True)
    chk = ott_convention_check(jax, jnp)
    meta["ott_convention_check"] = chk
    print(f"# ott convention check (8x8 grid, reg 1e-2): Grid(SqEuclidean, eps=2reg) f/2,g/2 vs dense "
          f"1/2|x-y|^2 (eps=reg) max |diff| {chk['grid_half_potentials_vs_dense_maxabs']:.1e}; "
          f"stopping error {chk['loose_stop']['ott_last_error']:.3e} = L1 col err "
          f"{chk['loose_stop']['l1_err_b']:.3e} (row {chk['loose_stop']['l1_err_a']:.1e}) -> "
          f"{'ok' if chk['ok'] else 'FAILED'}", flush=True)
    if not chk["ok"]:
        raise SystemExit("ott convention check failed: " + json.dumps(chk))

    C = grid_cost(n)
    assert C.shape == (N, N) and C.max() == 1.0
    aj, bj = jnp.asarray(a), jnp.asarray(b)

    # ---- reference: ott Grid to a tight threshold (untimed)
    ref_solve = jax.jit(make_ott(jax, jnp, n, reg, args.ref_threshold, 10 * MAX_ITER, 10))
    f_ref, g_ref, it_ref, conv_ref, last_ref = (np.asarray(x) for x in ref_solve(aj, bj))
    f_ref, g_ref = gauge(f_ref, g_ref)
    ev_ref = dense_eval(f_ref, g_ref, a, b, C, reg)
    ref = {"tool": "ott-jax Grid lse, inner_iterations 10", "threshold": args.ref_threshold,
           "iterations": int(it_ref), "converged": bool(conv_ref), "solver_err": float(last_ref), **ev_ref}
    meta["grid_sinkhorn_reference"] = ref
    print(f"# reference (ott, threshold {args.ref_threshold:g}): {int(it_ref)} iterations, converged "
          f"{bool(conv_ref)}, <P,C> = {ev_ref['cost']:.15g}, L1 err a {ev_ref['err_l1_a']:.2e} b "
          f"{ev_ref['err_l1_b']:.2e}", flush=True)
    cost_ref = ev_ref["cost"]

    def finish(rec, f, g):
        f, g = gauge(np.asarray(f, dtype=np.float64), np.asarray(g, dtype=np.float64))
        ok = np.isfinite(f).all() and np.isfinite(g).all()
        if ok:
            rec.update(dense_eval(f, g, a, b, C, reg))
            rec["cost_rel_diff_vs_ref"] = abs(rec["cost"] - cost_ref) / cost_ref
            rec["potentials_maxabs_diff_vs_ref"] = float(max(np.abs(f - f_ref).max(), np.abs(g - g_ref).max()))
        return f, g

    # ---- ott-jax Grid, timed
    ott_keep = None
    for inner in (10, 1):
        tool = f"ott-jax-grid-lse-inner{inner}"
        solve = make_ott(jax, jnp, n, reg, THRESHOLD, MAX_ITER, inner)
        busy, waited = TB.wait_quiet(args.quiet_wait)
        t = time.perf_counter()
        compiled = jax.jit(solve).lower(aj, bj).compile()
        compile_s = time.perf_counter() - t
        res, first, _o = timed_once(lambda: jax.block_until_ready(compiled(aj, bj)))  # warm-up
        reps = reps_policy(first, args.reps)
        busy, waited2 = TB.wait_quiet(args.quiet_wait)
        times, other = timed_block(lambda: compiled(aj, bj), jax.block_until_ready,
                                   warmup=0, min_reps=reps, max_reps=reps, budget_s=0.0)
        f, g, it, conv, last = (np.asarray(x) for x in res)
        rec = {"case": case, "tool": tool, "version": ott_version,
               "median_s": statistics.median(times), "min_s": min(times), "reps": len(times),
               "times_s": times, "threads": NTHREADS, "compile_s": compile_s, "first_call_s": first,
               "iterations": int(it), "converged": bool(conv), "solver_err": float(last),
               "other_load_cores": other,
               "notes": (f"ott.geometry.grid.Grid(x=[t, t], cost_fns=[costs.SqEuclidean()], epsilon=2*reg) "
                         f"(SqEuclidean is |x-y|^2, so C' = 2C, eps' = 2reg; f = f'/2, g = g'/2); "
                         f"Sinkhorn(lse_mode=True, threshold={THRESHOLD:g}, norm_error=1, "
                         f"inner_iterations={inner}, max_iterations={MAX_ITER}); stopping error = "
                         f"||P^T 1 - b||_1 checked every {inner} iteration(s) (row marginal exact: f is "
                         f"updated last); jit AOT compile then 1 warm-up call; quiet-wait {waited2:.0f} s")}
        fq, gq = finish(rec, f, g)
        if inner == 10:
            ott_keep = (fq, gq)
        records.append(rec)
        print(f"#   {tool}: median {rec['median_s']:.3f} s, min {rec['min_s']:.3f} s ({rec['reps']} reps, compile "
              f"{compile_s:.2f} s, other load {other:.2f}), {rec['iterations']} it, L1 err a "
              f"{rec.get('err_l1_a', float('nan')):.2e} b {rec.get('err_l1_b', float('nan')):.2e}, "
              f"<P,C> {rec.get('cost', float('nan')):.15g}", flush=True)

    # ---- POT dense
    K0 = np.exp(-C / reg)
    underflow = int((K0 == 0).sum())
    del K0
    pot_runs = []
    if not args.no_pot:
        pot_runs.append(("pot-sinkhorn", "sinkhorn", THRESHOLD))
        pot_runs.append(("pot-sinkhorn-l1matched", "sinkhorn", THRESHOLD / math.sqrt(N)))
    if args.slow:
        pot_runs.append(("pot-sinkhorn_log", "sinkhorn_log", THRESHOLD))
    for tool, method, thr in pot_runs:
        busy, waited = TB.wait_quiet(args.quiet_wait)
        print(f"#   {tool} (method={method!r}, stopThr={thr:.4g}) ...", flush=True)
        (P, f, g, niter, errs, msgs), wall, other = timed_once(
            lambda: pot_run(ot, a, b, C, reg, method, thr, args.pot_max_iter))
        rec = {"case": case, "tool": tool, "version": pot_version, "median_s": wall, "min_s": wall, "reps": 1,
               "times_s": [wall], "threads": NTHREADS, "iterations": niter,
               "converged": bool(errs and errs[-1] < thr), "solver_err": errs[-1] if errs else None,
               "other_load_cores": other, "warnings": msgs}
        pe = plan_eval(P, a, b, C)
        del P
        finish(rec, f, g)  # L1 errors and cost from the potentials (as for ott)
        rec["plan_eval"] = pe  # the same from POT's returned plan
        rec["notes"] = (f"ot.sinkhorn(a, b, C, {reg:g}, method={method!r}, stopThr={thr:.6g}, "
                        f"numItermax={args.pot_max_iter}) on the dense {N}x{N} float64 cost (build not timed); "
                        f"stopping error = L2 norm of the column-marginal error, every 10 iterations; "
                        + (f"exp(-C/reg) underflows to 0 in {underflow} of {N * N} entries "
                           f"({underflow / (N * N):.2%}, C > ~0.745); " if method == "sinkhorn" else "")
                        + f"one run; quiet-wait {waited:.0f} s")
        records.append(rec)
        print(f"#   {tool}: {wall:.2f} s (other load {other:.2f}), {niter} it, solver L2 err "
              f"{rec['solver_err'] if rec['solver_err'] is None else format(rec['solver_err'], '.3e')}, L1 err a {rec.get('err_l1_a', float('nan')):.2e} b "
              f"{rec.get('err_l1_b', float('nan')):.2e}, <P,C> {rec.get('cost', float('nan')):.15g}"
              + (f", warnings: {msgs}" if msgs else ""), flush=True)
    meta["grid_kernel_underflow_entries"] = underflow

    # ---- reference files
    if out_dir:
        np.save(os.path.join(out_dir, "a.npy"), a)
        np.save(os.path.join(out_dir, "b.npy"), b)
        np.save(os.path.join(out_dir, "f.npy"), f_ref)
        np.save(os.path.join(out_dir, "g.npy"), g_ref)
        np.save(os.path.join(out_dir, "sinkhorn_cost.npy"), np.atleast_1d(np.float64(cost_ref)))  # 1-D: TangentFlow reads 1-D/2-D arrays only
        np.save(os.path.join(out_dir, "f_thr1e-9.npy"), ott_keep[0])
        np.save(os.path.join(out_dir, "g_thr1e-9.npy"), ott_keep[1])
    return {
        "grid_sinkhorn": {
            "n": n, "N": N, "reg": reg, "threshold": THRESHOLD,
            "index": "k = i*n + j, point (i/(n-1), j/(n-1))", "cost": "C_kl = |x_k - x_l|^2 / 2",
            "plan": "P_kl = exp((f_k + g_l - C_kl)/reg)", "gauge": "mean(f) = 0",
            "files": {"a": "a.npy", "b": "b.npy", "f": "f.npy", "g": "g.npy", "cost": "sinkhorn_cost.npy",
                      "f_at_threshold_1e-9": "f_thr1e-9.npy", "g_at_threshold_1e-9": "g_thr1e-9.npy"},
            "reference": ref,
            "cost_at_threshold_1e-9_ott_inner10": next(r["cost"] for r in records
                                                       if r["tool"] == "ott-jax-grid-lse-inner10"),
        }
    }


# --------------------------------------------------------------------------- assignment

def run_assignment(args, meta, records, out_dir):
    import ot
    import scipy
    from scipy.optimize import linear_sum_assignment
    from scipy.spatial.distance import cdist

    case = f"assignment-{ASSIGN_M}x{ASSIGN_D}"
    m, d = ASSIGN_M, ASSIGN_D
    rng = np.random.default_rng(ASSIGN_SEED)
    X = rng.standard_normal((m, d))
    Y = rng.standard_normal((m, d))
    print(f"\n-- {case}: X, Y ~ N(0,1) ({m}x{d}) from default_rng({ASSIGN_SEED}), C_ij = |x_i - y_j|^2", flush=True)

    def build_cdist():
        return cdist(X, Y, "sqeuclidean")

    def build_gemm():
        return (X * X).sum(1)[:, None] + (Y * Y).sum(1)[None, :] - 2.0 * (X @ Y.T)

    C = build_cdist()
    w = np.full(m, 1.0 / m)

    def mean_cost(perm):
        return float(np.mean(np.sum((X - Y[perm]) ** 2, axis=1)))

    # verification runs (untimed)
    r, c = linear_sum_assignment(C)
    assert (r == np.arange(m)).all()
    perm_lsa = c.astype(np.int64)
    G, log = ot.emd(w, w, C, numItermax=args.emd_max_iter, log=True)
    perm_emd = np.argmax(G, axis=1).astype(np.int64)
    nnz = int((G > 0).sum())
    is_perm = nnz == m and len(set(perm_emd.tolist())) == m and bool(np.allclose(G[np.arange(m), perm_emd], 1.0 / m,
                                                                                  rtol=1e-12, atol=0))
    u, v = np.asarray(log["u"]), np.asarray(log["v"])
    dual = float(w @ u + w @ v)
    cost_lsa, cost_emd = mean_cost(perm_lsa), mean_cost(perm_emd)
    rel = abs(cost_lsa - cost_emd) / abs(cost_lsa)
    gemm_dev = float(np.abs(build_gemm() - C).max())
    check = {
        "cost_scipy": cost_lsa, "cost_pot": cost_emd, "rel_diff": rel, "ok": bool(rel <= ASSIGN_RTOL and is_perm),
        "same_permutation": bool((perm_lsa == perm_emd).all()),
        "pot_plan_is_permutation": is_perm, "pot_plan_nnz": nnz, "pot_result_code": int(log["result_code"]),
        "pot_warning": log.get("warning"), "pot_cost": float(log["cost"]),
        "pot_dual_objective": dual, "duality_gap_rel": abs(dual - cost_emd) / cost_emd,
        "min_reduced_cost": float((C - u[:, None] - v[None, :]).min()),
        "gemm_vs_cdist_maxabs": gemm_dev,
        "scipy_on_gemm_C_same_permutation": bool((linear_sum_assignment(build_gemm())[1] == perm_lsa).all()),
    }
    meta["assignment_check"] = check
    print(f"# mean cost scipy {cost_lsa:.17g}, POT {cost_emd:.17g} (rel diff {rel:.1e}, same perm "
          f"{check['same_permutation']}); POT dual {dual:.17g} (gap {check['duality_gap_rel']:.1e}, min reduced "
          f"cost {check['min_reduced_cost']:.1e}) -> {'ok' if check['ok'] else 'FAILED'}", flush=True)

    tools = [
        ("build-C-cdist", f"scipy {scipy.__version__}", build_cdist, dict(warmup=3, min_reps=10, max_reps=30,
                                                                           budget_s=10.0),
         "scipy.spatial.distance.cdist(X, Y, 'sqeuclidean') (direct differences, single thread); the C used by "
         "both solvers"),
        ("build-C-gemm", f"numpy {np.__version__}", build_gemm, dict(warmup=3, min_reps=10, max_reps=30,
                                                                      budget_s=10.0),
         f"|x|^2 + |y|^2 - 2 X @ Y.T (BLAS gemm); max |diff| vs cdist {gemm_dev:.1e}; for information"),
        ("scipy-linear_sum_assignment", f"scipy {scipy.__version__}", lambda: linear_sum_assignment(C)[1],
         dict(warmup=2, min_reps=5, max_reps=20, budget_s=10.0),
         "scipy.optimize.linear_sum_assignment(C) on the prebuilt C (solve only)"),
        ("pot-emd", f"POT {ot.__version__}",
         lambda: np.argmax(ot.emd(w, w, C, numItermax=args.emd_max_iter), axis=1),
         dict(warmup=2, min_reps=5, max_reps=20, budget_s=10.0),
         f"ot.emd(1/m, 1/m, C, numItermax={args.emd_max_iter}) (network simplex, numThreads=1) + argmax per row "
         f"on the prebuilt C (solve only)"),
    ]
    for tool, version, fn, kw, note in tools:
        busy, waited = TB.wait_quiet(args.quiet_wait)
        times, other = timed_block(fn, **kw)
        rec = {"case": case, "tool": tool, "version": version, "median_s": statistics.median(times),
               "min_s": min(times), "reps": len(times), "times_s": times, "threads": NTHREADS,
               "other_load_cores": other, "notes": note + f"; quiet-wait {waited:.0f} s"}
        if tool == "scipy-linear_sum_assignment":
            rec["cost"] = cost_lsa
        elif tool == "pot-emd":
            rec["cost"] = cost_emd
            rec["solver_err"] = check["duality_gap_rel"]
        records.append(rec)
        print(f"#   {tool}: median {rec['median_s'] * 1e3:.2f} ms, min {rec['min_s'] * 1e3:.2f} ms "
              f"({rec['reps']} reps, other load {other:.2f})", flush=True)

    if out_dir:
        np.save(os.path.join(out_dir, "X.npy"), X)
        np.save(os.path.join(out_dir, "Y.npy"), Y)
        np.save(os.path.join(out_dir, "perm.npy"), perm_lsa)
        np.save(os.path.join(out_dir, "assignment_cost.npy"), np.atleast_1d(np.float64(cost_lsa)))
    return {
        "assignment": {
            "m": m, "d": d, "seed": ASSIGN_SEED,
            "draw": "rng = numpy.random.default_rng(seed); X = rng.standard_normal((m, d)); Y = rng.standard_normal((m, d))",
            "cost": "C_ij = |x_i - y_j|^2; optimal cost = mean_i |x_i - y_perm(i)|^2",
            "files": {"X": "X.npy", "Y": "Y.npy", "perm": "perm.npy (int64, perm[i] = j)",
                      "cost": "assignment_cost.npy"},
            "optimal_cost": cost_lsa, "check": check,
        }
    }


# --------------------------------------------------------------------------- output

def fmt_s(x):
    if x is None:
        return "-"
    return f"{x * 1e3:.2f} ms" if x < 1.0 else f"{x:.3f} s"


def format_table(records):
    hdr = (f"{'case':20s} {'tool':30s} {'median':>11s} {'min':>11s} {'reps':>4s} {'iters':>6s} "
           f"{'L1 err a':>9s} {'L1 err b':>9s} {'cost':>22s} {'load':>5s}")
    lines = [hdr, "-" * len(hdr)]
    for r in records:
        it = "-" if r.get("iterations") is None else str(r["iterations"])
        ea = "-" if r.get("err_l1_a") is None else f"{r['err_l1_a']:.2e}"
        eb = "-" if r.get("err_l1_b") is None else f"{r['err_l1_b']:.2e}"
        cost = "-" if r.get("cost") is None else f"{r['cost']:.16g}"
        lines.append(f"{r['case']:20s} {r['tool']:30s} {fmt_s(r['median_s']):>11s} {fmt_s(r['min_s']):>11s} "
                     f"{r['reps']:4d} {it:>6s} {ea:>9s} {eb:>9s} {cost:>22s} {r.get('other_load_cores', 0):5.2f}")
    return "\n".join(lines)


def _versions():
    from importlib.metadata import PackageNotFoundError, version
    v = {}
    for dist in ("numpy", "scipy", "jax", "jaxlib", "ott-jax", "POT", "threadpoolctl"):
        try:
            v[dist] = version(dist)
        except PackageNotFoundError:
            v[dist] = None
    return v


def _blas_info():
    try:
        from threadpoolctl import threadpool_info
        return [{k: d.get(k) for k in ("user_api", "internal_api", "prefix", "version", "architecture",
                                       "num_threads", "threading_layer")}
                for d in threadpool_info()]
    except Exception as e:  # pragma: no cover
        return f"unavailable: {e}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default="grid-sinkhorn,assignment", help="comma list of grid-sinkhorn, assignment")
    ap.add_argument("--json", help="output path (default scripts/results/ot-<date>.json)")
    ap.add_argument("--out-dir", default="/work/ot-ref", help="reference .npy files ('' to skip)")
    ap.add_argument("--slow", action="store_true", help="also POT sinkhorn_log (~15 min)")
    ap.add_argument("--no-pot", action="store_true", help="skip POT's dense Sinkhorn runs (~40 s)")
    ap.add_argument("--reps", type=int, default=None,
                    help="timed ott solves (default 5 if one solve < 10 s, else 3)")
    ap.add_argument("--ref-threshold", type=float, default=1e-13,
                    help="L1 threshold of the untimed ott reference solve (saved potentials/cost)")
    ap.add_argument("--pot-max-iter", type=int, default=100000)
    ap.add_argument("--emd-max-iter", type=int, default=10_000_000)
    ap.add_argument("--quiet-wait", type=float, default=120.0,
                    help="max seconds to wait for an idle machine before each timed block")
    args = ap.parse_args(argv)
    cases = [c for c in args.cases.split(",") if c]
    for c in cases:
        if c not in ("grid-sinkhorn", "assignment"):
            ap.error(f"unknown case {c}")

    meta = {
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "argv": sys.argv[1:] if argv is None else list(argv),
        "host": platform.node(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": TB.cpu_model(),
        "cpu_count": NTHREADS,
        "threads": (f"not pinned (house convention): OpenBLAS and XLA:CPU default to the {NTHREADS} cores; "
                    f"linear_sum_assignment, cdist and ot.emd are single-threaded"),
        "versions": _versions(),
        "env": {k: os.environ.get(k) for k in ENV_KEYS},
        "nice": os.nice(0),
    }
    print("== TangentFlow Python OT baselines ==")
    print(f"cpu: {meta['cpu']}  cores: {NTHREADS}  python {meta['python']}")
    for k, v in meta["env"].items():
        print(f"env {k} = {v if v is not None else '(unset)'}")
    if meta["env"]["OPENBLAS_CORETYPE"] or meta["env"]["OPENBLAS_L2_SIZE"]:
        print("WARNING: OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE set; NumPy timings will be pessimistic. "
              "Re-run with `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ...`.")
    print("versions:", json.dumps(meta["versions"]), flush=True)

    out_dir = args.out_dir or None
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
    busy0, waited0 = TB.wait_quiet(args.quiet_wait)
    print(f"# start: {busy0:.2f} busy cores after waiting {waited0:.0f} s", flush=True)

    records, manifest = [], {}
    if "grid-sinkhorn" in cases:
        manifest.update(run_grid(args, meta, records, out_dir))
    if "assignment" in cases:
        manifest.update(run_assignment(args, meta, records, out_dir))

    meta["blas"] = _blas_info()  # after the runs: jaxlib / POT load their libraries lazily
    try:
        import jax
        meta["jax_devices"] = [str(d) for d in jax.devices()]
    except Exception:  # pragma: no cover
        pass

    out_path = args.json or os.path.join(HERE, "results", f"ot-{_dt.date.today().isoformat()}.json")
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w") as f:
        json.dump({"meta": meta, "records": records}, f, indent=2)
    if out_dir:
        manifest["written_by"] = {"script": "scripts/bench_ot_python.py", "date": meta["date"],
                                  "versions": meta["versions"]}
        with open(os.path.join(out_dir, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=2)
    print()
    print(format_table(records))
    print(f"# wrote {out_path}" + (f" and reference files in {out_dir}" if out_dir else ""))
    failed = [k for k in ("ott_convention_check", "assignment_check") if k in meta and not meta[k]["ok"]]
    if failed:
        print(f"FAILED checks: {failed}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
