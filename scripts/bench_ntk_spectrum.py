#!/usr/bin/env python3
"""Side by side: `tangentflow ntk-spectrum` against the baseline a user writes by hand, SciPy's `eigsh` over a
`LinearOperator` whose product is JAX's jvp∘vjp of the MLP (float64), same model, same k, tol 1e-10.
`--precision single --tol 1e-6` runs tangentflow with single-precision products at the accuracy issue #27 asks
for (residuals ≤ 1e-6·λ₁, checked in double by the tool and here by JAX's float64 product); the baseline is
unchanged (float64, tol 1e-10), so that ratio is not like for like in accuracy and is reported as such.

    /work/venvs/modern/bin/python scripts/bench_ntk_spectrum.py --bin /work/.build-spectrum/release/tangentflow \\
        --n 2000 --runs 5 [--widths 16,512,512,10 --k 8] [--json scripts/results/ntk-spectrum-N2000.json]

Each run is a fresh process under /usr/bin/time -v (wall time and peak RSS of the whole process, JAX's XLA
compilation included); the two tools alternate run by run, so load from other processes hits both alike. The
JAX worker also reports the seconds spent inside eigsh and its number of products. After the runs, the
eigenvalues of both are compared, and tangentflow's eigenvectors are checked with JAX's own product:
residuals ‖Gv − λv‖/λ₁ and orthogonality ‖VᵀV − I‖_max. Medians with min–max are reported.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


def mlp_jax(widths, x64=True):
    import jax
    jax.config.update("jax_enable_x64", x64)
    import jax.numpy as jnp

    shapes = [(widths[l + 1], widths[l]) for l in range(len(widths) - 1)]

    def f(theta, x):
        h, off = x, 0
        for l, (mo, mi) in enumerate(shapes):
            w = theta[off:off + mo * mi].reshape(mo, mi)
            off += mo * mi
            b = theta[off:off + mo]
            off += mo
            z = h @ w.T + b
            h = jnp.tanh(z) if l + 1 < len(shapes) else z
        return h.reshape(-1)  # sample-major i*Q+q

    return jax, jnp, f


def worker(args):
    single = args.jax_dtype == "float32"
    jax, jnp, f = mlp_jax([int(w) for w in args.widths.split(",")], x64=not single)
    from scipy.sparse.linalg import LinearOperator, eigsh
    dtype = np.float32 if single else np.float64
    theta = jnp.asarray(np.load(os.path.join(args.data, "theta.npy")).astype(dtype))
    x = jnp.asarray(np.load(os.path.join(args.data, "X.npy")).astype(dtype))
    fx = lambda t: f(t, x)

    @jax.jit
    def matvec(v):
        _, vjp = jax.vjp(fx, theta)
        (w,) = vjp(v)
        return jax.jvp(fx, (theta,), (w,))[1]

    qn = int(fx(theta).shape[0])
    count = [0]

    def mv(v):
        count[0] += 1
        return np.asarray(matvec(jnp.asarray(v.reshape(-1))))

    matvec(jnp.zeros(qn, dtype=dtype)).block_until_ready()  # compile outside the timed eigsh
    op = LinearOperator((qn, qn), matvec=mv, dtype=dtype)
    t0 = time.perf_counter()
    vals, vecs = eigsh(op, k=args.k, which="LA", tol=args.jax_tol)
    dt = time.perf_counter() - t0
    order = np.argsort(vals)[::-1]
    np.save(os.path.join(args.data, "jax_vals.npy"), vals[order])
    print(json.dumps({"eigsh_s": dt, "products": count[0], "eigenvalues": vals[order].tolist()}))


def verify(args):
    """Residuals and orthogonality of tangentflow's eigenpairs, measured with JAX's jvp∘vjp."""
    jax, jnp, f = mlp_jax([int(w) for w in args.widths.split(",")])
    theta = jnp.asarray(np.load(os.path.join(args.data, "theta.npy")))
    x = jnp.asarray(np.load(os.path.join(args.data, "X.npy")))
    fx = lambda t: f(t, x)

    @jax.jit
    def matvec(v):
        _, vjp = jax.vjp(fx, theta)
        (w,) = vjp(v)
        return jax.jvp(fx, (theta,), (w,))[1]

    vals = np.load(os.path.join(args.data, "tf", "eigenvalues.npy"))
    vecs = np.load(os.path.join(args.data, "tf", "eigenvectors.npy"))
    res = [float(np.linalg.norm(np.asarray(matvec(jnp.asarray(vecs[:, j]))) - vals[j] * vecs[:, j])) for j in range(vals.size)]
    ortho = float(np.abs(vecs.T @ vecs - np.eye(vals.size)).max())
    print(json.dumps({"residuals": res, "relative_max": max(res) / vals[0], "orthogonality": ortho}))


def timed(cmd, env=None):
    r = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", r.stderr).group(1)
    parts = [float(p) for p in wall.split(":")]
    secs = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1)) / 1024
    if r.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({r.returncode}): {r.stderr[-2000:]}")
    return secs, rss, r.stdout


def summary(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "runs": xs}


def report(result, path):
    """Prints the result as JSON, and writes it to `path` when given."""
    print(json.dumps(result, indent=1))
    if path:
        with open(path, "w") as fh:
            json.dump(result, fh, indent=1)


def parser(widths, n, k):
    """The options every spectrum bench takes (shared with bench_spectrum_smallest.py)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build/release/tangentflow")
    ap.add_argument("--widths", default=widths)
    ap.add_argument("--n", type=int, default=n)
    ap.add_argument("--k", type=int, default=k)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json")
    ap.add_argument("--worker", action="store_true")
    ap.add_argument("--data")
    return ap


def make_model(args, prefix):
    """A temporary folder with θ (`tangentflow init --seed 1`) and X (N×M₀ standard normal, seed 0); sets args.data."""
    data = tempfile.mkdtemp(prefix=prefix)
    args.data = data
    subprocess.run([args.bin, "init", "--widths", args.widths, "--seed", "1", "-o", os.path.join(data, "theta.npy"), "--quiet"],
                   check=True)
    m0 = int(args.widths.split(",")[0])
    np.save(os.path.join(data, "X.npy"), np.random.default_rng(0).standard_normal((args.n, m0)))
    return data


def main():
    ap = parser("16,512,512,10", 2000, 8)
    ap.add_argument("--verify", action="store_true")
    ap.add_argument("--precision", default="double", choices=["double", "single"],
                    help="tangentflow's --precision (the JAX baseline stays float64 at tol 1e-10)")
    ap.add_argument("--tol", default="1e-10", help="tangentflow's --tol")
    ap.add_argument("--jax-tol", type=float, default=1e-10, help="eigsh's tol (default: the issue's baseline, 1e-10)")
    ap.add_argument("--jax-dtype", default="float64", choices=["float64", "float32"],
                    help="JAX's arithmetic (float32: jax_enable_x64 off, eigsh on a float32 LinearOperator)")
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    if args.verify:
        return verify(args)
    data = make_model(args, "ntk-spectrum-bench-")
    env = dict(os.environ, XLA_FLAGS="--xla_cpu_multi_thread_eigen=true", OMP_NUM_THREADS="2")
    tf_cmd = [args.bin, "ntk-spectrum", "--widths", args.widths, "--theta", os.path.join(data, "theta.npy"), "--x",
              os.path.join(data, "X.npy"), "--k", str(args.k), "--tol", args.tol, "--precision", args.precision, "--json", "-o", os.path.join(data, "tf")]
    jax_cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--data", data, "--widths", args.widths, "--k", str(args.k),
               "--jax-tol", str(args.jax_tol), "--jax-dtype", args.jax_dtype]
    tf_wall, tf_rss, tf_solve, jx_wall, jx_rss, jx_eigsh = [], [], [], [], [], []
    tf_out = jx_out = None
    for run in range(args.runs):
        for tool in (("tf", "jax") if run % 2 == 0 else ("jax", "tf")):
            if tool == "tf":
                w, r, out = timed(tf_cmd, env)
                tf_out = json.loads(out)
                tf_wall.append(w), tf_rss.append(r), tf_solve.append(tf_out["results"]["seconds"])
            else:
                w, r, out = timed(jax_cmd, env)
                jx_out = json.loads(out)
                jx_wall.append(w), jx_rss.append(r), jx_eigsh.append(jx_out["eigsh_s"])
            print(f"run {run} {tool}: wall {w:.2f} s, peak {r:.0f} MiB", flush=True)
    check = json.loads(subprocess.run(jax_cmd[:2] + ["--verify", "--data", data, "--widths", args.widths],
                                      capture_output=True, text=True, check=True).stdout)
    tv, jv = np.array(tf_out["results"]["eigenvalues"]), np.array(jx_out["eigenvalues"])
    result = {
        "case": {"widths": args.widths, "n": args.n, "qn": args.n * int(args.widths.split(",")[-1]), "k": args.k,
                 "jax_tol": args.jax_tol, "jax_dtype": args.jax_dtype,
                 "tangentflow_tol": float(args.tol), "tangentflow_precision": args.precision},
        "tangentflow": {"wall_s": summary(tf_wall), "solve_s": summary(tf_solve), "peak_mib": summary(tf_rss),
                        "products": tf_out["results"]["products"], "relative_residuals": tf_out["results"]["relative_residuals"]},
        "jax_eigsh": {"wall_s": summary(jx_wall), "eigsh_s": summary(jx_eigsh), "peak_mib": summary(jx_rss),
                      "products": jx_out["products"]},
        "ratio_jax_eigsh_over_tangentflow_wall": statistics.median(jx_eigsh) / statistics.median(tf_wall),
        "ratio_wall": statistics.median(jx_wall) / statistics.median(tf_wall),
        "eigenvalue_max_rel_diff": float(np.abs(tv - jv).max() / jv[0]),
        "independent_check_with_jax_products": check,
        "load_note": "runs alternate tool by tool; the machine is shared (see load average)",
        "loadavg": open("/proc/loadavg").read().split()[:3],
    }
    report(result, args.json)


if __name__ == "__main__":
    main()
