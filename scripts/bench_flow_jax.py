#!/usr/bin/env python3
"""Python baseline for TangentFlow's adapted gradient flow: JAX + diffrax.

Case "flow-adapted-ref" (MATH.md §1, §2, §3; arXiv 2408.01517 (2.27), (2.48), (2.52)-(2.57)):

  * MLP, tanh, widths 16-64-64-10 (Q = 10), standard parametrisation
    z = W h + b per layer, tanh on the hidden layers, none on the last.
    θ = [vec_row(W_1), b_1, vec_row(W_2), b_2, vec_row(W_3), b_3], K = 5,898.
  * N = 64 samples X (64×16), targets Y (64×10); outputs sample-major,
    x(θ) ∈ R^640 with entry i*Q + q.
  * C = |x − y|² / (2N), g = ∇ₓC = (x − y)/N.
  * Adapted flow θ' = −D⁺g = −Dᵀψ, G = D Dᵀ (640×640), ψ = G⁺g from the
    symmetric eigendecomposition of G keeping λ_i > tol_G,
    tol_G = max(tol_D², QN·ε·λ_max), tol_D = max(QN, K)·ε·σ_max, σ_max = √λ_max.
    D is computed with jax.jacrev, vmapped over samples (one 10×K Jacobian per
    sample; measured faster than jacrev of the whole 640-vector, see --jacobian).
  * Clock: s ∈ [0, s_end], s_end = −N·ln(1 − 0.99) (t = 1 − e^{−s/N} = 0.99).
  * diffrax.diffeqsolve, Dopri5, PIDController(rtol=1e-8, atol=1e-10),
    dt0=None (diffrax's initial-step heuristic), max_steps=100000, float64.

Reported: compile time (jit lower+compile, AOT), wall time of the compiled solve
(median/min over the timed repeats; 3 repeats if one solve is < 60 s, else 1),
accepted/rejected steps (sol.stats), field evaluations (counted by a host
callback in a separate, untimed run of the same solve), final loss, the
deviation |x(θ(s_end)) − ((1−t)x₀ + t y)| / |x₀ − y| (Prop. 2.4: ≈ integrator
tolerance when G has full rank), and λ_min / λ_max / rank of G at start and end.

Optional second baseline (--scipy, on by default if it is predicted to take
< 120 s): scipy.integrate.solve_ivp(method="RK45", same rtol/atol) driving the
same jitted JAX field (one host round trip per evaluation).

Inputs: --x X.npy --y Y.npy --theta theta0.npy.  If omitted they are generated:
X ~ N(0,1) (64×16) then Y ~ N(0,1) (64×10), both from numpy default_rng(0) in
that order; θ₀ from default_rng(1): per layer W ~ N(0, 1/fan_in) (row-major
draw of shape M_l×M_{l−1}), b = 0.  --save-inputs DIR writes X.npy, Y.npy,
theta0.npy.

OpenBLAS: jaxlib's LAPACK kernels (eigh here) are SciPy's OpenBLAS, so
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (set on some machines of this workplace)
can slow the eigendecomposition.  Time with them unset in that one command:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        /work/venvs/modern/bin/python scripts/bench_flow_jax.py

The values seen by the process are recorded in the JSON meta.

Other sessions may share the machine: before timing, the script waits (up to
--quiet-wait s) for the machine to look idle, and records the average CPU used
by other processes during each timed solve (other_load_cores); a run with that
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import tf_bench_common as TB  # noqa: E402

WIDTHS = [16, 64, 64, 10]
N = 64
Q = WIDTHS[-1]
QN = Q * N
K = sum(WIDTHS[l] * WIDTHS[l - 1] + WIDTHS[l] for l in range(1, len(WIDTHS)))
T_END = 0.99
S_END = -N * math.log(1.0 - T_END)
RTOL, ATOL = 1e-8, 1e-10
MAX_STEPS = 100_000


# --------------------------------------------------------------------------- machine load

def timed(fn):
    """Run fn(); return (result, wall seconds, average cores used by *other* processes)."""
    b0, c0, t0 = TB.busy_cpu_s(), TB.own_cpu_s(), time.perf_counter()
    r = fn()
    wall = time.perf_counter() - t0
    other = max(0.0, ((TB.busy_cpu_s() - b0) - (TB.own_cpu_s() - c0)) / wall)
    return r, wall, other


# --------------------------------------------------------------------------- inputs

def make_inputs():
    import numpy as np
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, WIDTHS[0]))
    Y = rng.standard_normal((N, Q))
    rng = np.random.default_rng(1)
    parts = []
    for l in range(1, len(WIDTHS)):
        fan_in = WIDTHS[l - 1]
        W = rng.standard_normal((WIDTHS[l], fan_in)) / math.sqrt(fan_in)
        parts += [W.reshape(-1), np.zeros(WIDTHS[l])]
    theta = np.concatenate(parts)
    return X, Y, theta


# --------------------------------------------------------------------------- model and field

def build(jax, jnp, jacobian="vmap"):
    """Return (forward, field, gram_eigs) as JAX functions of θ (and X, y)."""
    offs = []
    o = 0
    for l in range(1, len(WIDTHS)):
        m, n = WIDTHS[l], WIDTHS[l - 1]
        offs.append((o, m, n))
        o += m * n + m
    assert o == K

    def mlp(th, h):  # h: (..., M_0) -> (..., Q)
        for li, (o, m, n) in enumerate(offs):
            W = th[o:o + m * n].reshape(m, n)  # row-major, as in MATH.md §1
            b = th[o + m * n:o + m * n + m]
            h = h @ W.T + b
            if li < len(offs) - 1:
                h = jnp.tanh(h)
        return h

    def forward(th, X):  # sample-major x(θ) ∈ R^{QN}
        return mlp(th, X).reshape(-1)

    if jacobian == "vmap":
        def one(t, xi):  # one sample: (Q,) output, returned twice (value as aux)
            out = mlp(t, xi)
            return out, out

        def x_and_D(th, X):
            Ds, xs = jax.vmap(lambda xi: jax.jacrev(one, has_aux=True)(th, xi))(X)  # (N,Q,K), (N,Q)
            return xs.reshape(-1), Ds.reshape(QN, K)
    elif jacobian == "full":
        def x_and_D(th, X):
            D, x = jax.jacrev(lambda t: (forward(t, X), forward(t, X)), has_aux=True)(th)
            return x, D
    else:
        raise ValueError(jacobian)

    eps = float(jnp.finfo(jnp.float64).eps)

    def gram_eigs(th, X):
        _, D = x_and_D(th, X)
        return jnp.linalg.eigh(D @ D.T)[0]

    def field(s, th, args):
        X, y = args
        x, D = x_and_D(th, X)
        g = (x - y) / N
        G = D @ D.T
        lam, V = jnp.linalg.eigh(G)
        lmax = jnp.max(lam)
        tol_D = max(QN, K) * eps * jnp.sqrt(jnp.maximum(lmax, 0.0))
        tol_G = jnp.maximum(tol_D * tol_D, QN * eps * lmax)
        keep = lam > tol_G
        inv = jnp.where(keep, 1.0 / jnp.where(keep, lam, 1.0), 0.0)
        psi = V @ (inv * (V.T @ g))
        # θ' = −Dᵀψ, written ψᵀD: XLA:CPU's f64 D.T @ ψ costs ~5x more here (it transposes D)
        return -(psi @ D)

    return forward, field, gram_eigs, x_and_D


def eig_summary(lam, eps):
    import numpy as np
    lam = np.asarray(lam)
    lmax = float(lam.max())
    tol_D = max(QN, K) * eps * math.sqrt(max(lmax, 0.0))
    tol_G = max(tol_D ** 2, QN * eps * lmax)
    return {"lambda_min": float(lam.min()), "lambda_max": lmax,
            "rank": int((lam > tol_G).sum()), "tol_G": tol_G}


# --------------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--x"), ap.add_argument("--y"), ap.add_argument("--theta")
    ap.add_argument("--save-inputs", metavar="DIR")
    ap.add_argument("--json", help="output path (default scripts/results/flow-<date>.json)")
    ap.add_argument("--jacobian", choices=["vmap", "full"], default="vmap")
    ap.add_argument("--reps", type=int, default=None, help="timed repeats (default 3 if a solve < 60 s else 1)")
    ap.add_argument("--scipy", choices=["auto", "yes", "no"], default="auto")
    ap.add_argument("--quiet-wait", type=float, default=120.0)
    ap.add_argument("--no-count", action="store_true", help="skip the callback run that counts field evaluations")
    ap.add_argument("--once", metavar="THETA_OUT",
                    help="whole-process mode: compile, solve once, save the final θ there and exit (no waiting, no "
                         "repeats; what scripts/bench_whole_process.py times)")
    args = ap.parse_args(argv)

    import numpy as np
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import diffrax

    if args.x or args.y or args.theta:
        if not (args.x and args.y and args.theta):
            ap.error("--x, --y and --theta go together")
        X, Y, theta0 = (np.load(p).astype(np.float64) for p in (args.x, args.y, args.theta))
        inputs = {"x": args.x, "y": args.y, "theta": args.theta}
    else:
        X, Y, theta0 = make_inputs()
        inputs = "generated (X, Y ~ N(0,1) from default_rng(0); θ₀: W ~ N(0,1/fan_in), b = 0 from default_rng(1))"
    assert X.shape == (N, WIDTHS[0]) and Y.shape == (N, Q) and theta0.shape == (K,), (X.shape, Y.shape, theta0.shape)
    if args.save_inputs:
        os.makedirs(args.save_inputs, exist_ok=True)
        for name, a in (("X", X), ("Y", Y), ("theta0", theta0)):
            np.save(os.path.join(args.save_inputs, f"{name}.npy"), np.ascontiguousarray(a))

    eps = float(np.finfo(np.float64).eps)
    forward, field, gram_eigs, x_and_D = build(jax, jnp, args.jacobian)
    y = Y.reshape(-1)
    Xj, yj, th0j = jnp.asarray(X), jnp.asarray(y), jnp.asarray(theta0)

    meta = {
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": TB.cpu_model(),
        "cpu_count": os.cpu_count(),
        "versions": _versions(),
        "jax_devices": [str(d) for d in jax.devices()],
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                                                "OMP_NUM_THREADS", "XLA_FLAGS")},
        "problem": {"widths": WIDTHS, "N": N, "Q": Q, "K": K, "s_end": S_END, "t_end": T_END,
                    "rtol": RTOL, "atol": ATOL, "loss": "|x-y|^2/(2N)", "jacobian": args.jacobian,
                    "inputs": inputs},
    }
    print(f"# OPENBLAS_CORETYPE={meta['env']['OPENBLAS_CORETYPE']} OPENBLAS_L2_SIZE={meta['env']['OPENBLAS_L2_SIZE']}")
    print(f"# versions: {meta['versions']}")
    print(f"# K={K} QN={QN} s_end={S_END:.12g}")

    # ---- the solve
    def make_solve(vf):
        def solve(th0, X, y):
            sol = diffrax.diffeqsolve(
                diffrax.ODETerm(vf), diffrax.Dopri5(), t0=0.0, t1=S_END, dt0=None, y0=th0, args=(X, y),
                stepsize_controller=diffrax.PIDController(rtol=RTOL, atol=ATOL),
                saveat=diffrax.SaveAt(t1=True), max_steps=MAX_STEPS, throw=True)
            st = sol.stats
            return sol.ys[-1], st["num_steps"], st["num_accepted_steps"], st["num_rejected_steps"]
        return solve

    if args.once:
        out = jax.jit(make_solve(field))(th0j, Xj, yj)
        jax.block_until_ready(out)
        np.save(args.once, np.asarray(out[0]))
        print(f"steps={int(out[1])}")
        return 0

    # field evaluation count: same solve, with a host callback in the field (untimed run)
    counter = [0]

    def _bump():
        counter[0] += 1

    def counted_field(s, th, a):
        jax.debug.callback(_bump)
        return field(s, th, a)

    # be polite to other benchmarks: start heavy work only on a quiet machine
    busy0, waited0 = TB.wait_quiet(args.quiet_wait)
    print(f"# start: {busy0:.2f} busy cores after waiting {waited0:.0f} s", flush=True)

    # compile (AOT) the plain solve first, in a fresh process (the counting run below would warm
    # JAX's tracing caches and make a later compile look cheaper: 1.2 s instead of 2.4 s)
    t = time.perf_counter()
    compiled = jax.jit(make_solve(field)).lower(th0j, Xj, yj).compile()
    compile_s = time.perf_counter() - t
    print(f"# compile (lower+compile) {compile_s:.2f} s", flush=True)

    evaluations = None
    if not args.no_count:
        print("# counting run (callback in the field, untimed) ...", flush=True)
        t = time.perf_counter()
        out = jax.jit(make_solve(counted_field))(th0j, Xj, yj)
        jax.block_until_ready(out)
        evaluations = counter[0]
        print(f"#   {evaluations} field evaluations, {int(out[1])} steps ({time.perf_counter() - t:.1f} s incl. compile)",
              flush=True)

    # one field evaluation, for the per-evaluation cost (and the scipy decision)
    fjit = jax.jit(lambda th, X, y: field(0.0, th, (X, y)))
    jax.block_until_ready(fjit(th0j, Xj, yj))
    fe = []
    for _ in range(5):
        _, w, _o = timed(lambda: jax.block_until_ready(fjit(th0j, Xj, yj)))
        fe.append(w)
    field_s = statistics.median(fe)
    print(f"# one field evaluation: median {field_s * 1e3:.1f} ms (min {min(fe) * 1e3:.1f})", flush=True)

    busy, waited = TB.wait_quiet(args.quiet_wait)
    print(f"# machine: {busy:.2f} busy cores after waiting {waited:.0f} s", flush=True)

    times, others = [], []
    res, w, o = timed(lambda: jax.block_until_ready(compiled(th0j, Xj, yj)))
    times.append(w), others.append(o)
    print(f"#   solve 1: {w:.2f} s (other load {o:.2f} cores)", flush=True)
    reps = args.reps if args.reps is not None else (3 if w < 60.0 else 1)
    for r in range(1, reps):
        TB.wait_quiet(args.quiet_wait)
        res, w, o = timed(lambda: jax.block_until_ready(compiled(th0j, Xj, yj)))
        times.append(w), others.append(o)
        print(f"#   solve {r + 1}: {w:.2f} s (other load {o:.2f} cores)", flush=True)

    th_end = np.asarray(res[0])
    steps, acc, rej = int(res[1]), int(res[2]), int(res[3])
    if evaluations is None:
        evaluations_note = "not counted (--no-count)"
    else:
        evaluations_note = (f"counted by a host callback in an untimed run of the same solve "
                            f"(Dopri5 FSAL: 6 per step + 1 = {6 * steps + 1})")

    fwd = jax.jit(forward)
    x0 = np.asarray(fwd(th0j, Xj))
    x_end = np.asarray(fwd(jnp.asarray(th_end), Xj))
    t_end = 1.0 - math.exp(-S_END / N)
    target = (1.0 - t_end) * x0 + t_end * y
    dev = float(np.linalg.norm(x_end - target) / np.linalg.norm(x0 - y))
    loss0 = float(np.sum((x0 - y) ** 2) / (2 * N))
    loss_end = float(np.sum((x_end - y) ** 2) / (2 * N))
    geig = jax.jit(gram_eigs)
    e0 = eig_summary(geig(th0j, Xj), eps)
    e1 = eig_summary(geig(jnp.asarray(th_end), Xj), eps)

    rec = {
        "case": "flow-adapted-ref", "tool": "jax+diffrax",
        "median_s": statistics.median(times), "min_s": min(times), "reps": len(times), "times_s": times,
        "compile_s": compile_s, "steps": acc, "rejected": rej, "num_steps": steps,
        "evaluations": evaluations, "deviation": dev, "final_loss": loss_end, "initial_loss": loss0,
        "predicted_final_loss": (1 - t_end) ** 2 * loss0,
        "theta_change": float(np.linalg.norm(th_end - theta0)),
        "gram_start": e0, "gram_end": e1, "field_eval_s": field_s,
        "other_load_cores": others,
        "notes": (f"Dopri5 + PIDController(rtol={RTOL}, atol={ATOL}), dt0=None, float64, D by "
                  f"{'vmap(jacrev) per sample' if args.jacobian == 'vmap' else 'jacrev of x(θ)'}, G = D Dᵀ, "
                  f"jnp.linalg.eigh; compile_s = jit lower+compile (AOT); solve timed after compile; "
                  f"evaluations {evaluations_note}; quiet-wait {waited:.0f} s, busy {busy:.2f} cores before timing"),
    }
    records = [rec]
    meta["blas"] = _blas_info()  # after the solve: jaxlib loads SciPy's OpenBLAS lazily

    # ---- optional: SciPy solve_ivp(RK45) driving the jitted JAX field
    predicted = (evaluations or 6 * steps + 1) * field_s * 1.1
    do_scipy = args.scipy == "yes" or (args.scipy == "auto" and predicted < 120.0)
    if do_scipy:
        from scipy.integrate import solve_ivp

        def f_np(s, th):
            return np.asarray(fjit(th, Xj, yj))

        busy2, waited2 = TB.wait_quiet(args.quiet_wait)
        print(f"# scipy solve_ivp(RK45) (predicted {predicted:.0f} s) ...", flush=True)
        sol, w, o = timed(lambda: solve_ivp(f_np, (0.0, S_END), theta0, method="RK45", rtol=RTOL, atol=ATOL))
        print(f"#   {w:.2f} s, nfev {sol.nfev}, status {sol.status} (other load {o:.2f} cores)", flush=True)
        thS = sol.y[:, -1]
        xS = np.asarray(fwd(jnp.asarray(thS), Xj))
        records.append({
            "case": "flow-adapted-ref", "tool": "scipy-solve_ivp-RK45+jax-field",
            "median_s": w, "min_s": w, "reps": 1, "times_s": [w], "compile_s": None,
            "steps": len(sol.t) - 1, "rejected": None, "evaluations": int(sol.nfev),
            "deviation": float(np.linalg.norm(xS - target) / np.linalg.norm(x0 - y)),
            "final_loss": float(np.sum((xS - y) ** 2) / (2 * N)), "other_load_cores": [o],
            "notes": (f"scipy.integrate.solve_ivp(method='RK45', rtol={RTOL}, atol={ATOL}), default first step; "
                      f"field = jitted JAX function (already compiled), one host round trip per evaluation; "
                      f"rejected steps not reported by SciPy; status {sol.status}: {sol.message}; "
                      f"quiet-wait {waited2:.0f} s"),
        })
    else:
        print(f"# scipy variant skipped (predicted {predicted:.0f} s, --scipy {args.scipy})")

    out_path = args.json or os.path.join(HERE, "results", f"flow-{_dt.date.today().isoformat()}.json")
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w") as f:
        json.dump({"meta": meta, "records": records}, f, indent=2)
    print(format_table(records))
    print(f"# G at start: λ_min {e0['lambda_min']:.4e} λ_max {e0['lambda_max']:.4e} rank {e0['rank']}/{QN}")
    print(f"# G at end:   λ_min {e1['lambda_min']:.4e} λ_max {e1['lambda_max']:.4e} rank {e1['rank']}/{QN}")
    print(f"# loss {loss0:.6e} -> {loss_end:.6e} (predicted (1-t)^2·C0 = {(1 - t_end) ** 2 * loss0:.6e})")
    print(f"# wrote {out_path}")


def format_table(records):
    hdr = f"{'tool':34s} {'median_s':>9s} {'min_s':>8s} {'reps':>4s} {'compile_s':>9s} {'steps':>6s} " \
          f"{'rej':>4s} {'evals':>6s} {'deviation':>10s} {'final_loss':>11s}"
    lines = [hdr, "-" * len(hdr)]
    for r in records:
        c = "-" if r.get("compile_s") is None else f"{r['compile_s']:.2f}"
        rj = "-" if r.get("rejected") is None else str(r["rejected"])
        ev = "-" if r.get("evaluations") is None else str(r["evaluations"])
        lines.append(f"{r['tool']:34s} {r['median_s']:9.2f} {r['min_s']:8.2f} {r['reps']:4d} {c:>9s} "
                     f"{r['steps']:6d} {rj:>4s} {ev:>6s} {r['deviation']:10.3e} {r['final_loss']:11.4e}")
    return "\n".join(lines)


def _versions():
    v = {}
    for mod in ("numpy", "scipy", "jax", "jaxlib", "diffrax", "equinox", "lineax", "optimistix", "jaxtyping"):
        try:
            m = __import__(mod)
            v[mod] = getattr(m, "__version__", None)
        except Exception:
            v[mod] = None
    if v.get("diffrax") is None or v.get("equinox") is None:
        from importlib.metadata import version, PackageNotFoundError
        for mod in ("diffrax", "equinox", "lineax", "optimistix"):
            try:
                v[mod] = version(mod)
            except PackageNotFoundError:
                pass
    return v


def _blas_info():
    try:
        from threadpoolctl import threadpool_info
        return [{k: d.get(k) for k in ("internal_api", "prefix", "version", "architecture", "num_threads")}
                for d in threadpool_info()]
    except Exception as e:  # pragma: no cover
        return f"unavailable: {e}"


if __name__ == "__main__":
    main()
