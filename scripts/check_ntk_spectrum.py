#!/usr/bin/env python3
"""Independent check of `tangentflow ntk-spectrum` on random small MLPs and hostile inputs (NumPy only).

For each case: random widths, activation (identity among them: a linear model's NTK repeats eigenvalues at the top
too), θ (drawn here, not by `tangentflow init`) and inputs (Gaussian, with duplicated samples, or with zero
samples, which give repeated eigenvalues), either end of the spectrum and a
random k. The NTK reference is G = J Jᵀ with J the Jacobian of this repository's plain-NumPy MLP
(scripts/tf_mlp_numpy.py), not the package's kernels. Checked for every run that exits 0:
  * eigenvalues equal to NumPy's eigvalsh(G) to 1e-9·λ_max, in the promised order;
  * residuals ‖J(Jᵀv) − λv‖ ≤ 1e-8·λ_max and ‖VᵀV − I‖_max ≤ 1e-10;
  * largest end: a power iteration on (I − VVᵀ) G (I − VVᵀ) from a random start never finds a Rayleigh quotient
    above λ_k·(1 + 1e-9) + 1e-12·λ_max.
A run that exits 75 is counted as stopped (honest, but no answer); any other status, or a failed check, fails.
With --precision single every case asks for the largest end with `--precision single --tol 1e-6`, and the
contract checked is that option's: residuals ≤ 1e-6·λ_j (measured here with J(Jᵀv)), eigenvalues to 1e-6·λ_max
(one Rayleigh–Ritz step in double usually gives far better; the worst seen is printed), ‖VᵀV − I‖ ≤ 1e-10, and no
Rayleigh quotient of the deflated G above λ_k·(1 + 1e-6).

    python3 scripts/check_ntk_spectrum.py --bin .build/release/tangentflow [--cases 60] [--seed 1] [--probe converged]
        [--precision single]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tf_mlp_numpy as mlp  # noqa: E402


def draw_case(rng, max_qn=600, largest_only=False):
    act = str(rng.choice(["tanh", "relu", "softplus", "sigmoid", "gelu", "identity"]))
    if act == "identity":  # linear models: one or two layers, Q ≥ 2 (one layer repeats every eigenvalue Q times)
        widths = [int(rng.integers(2, 9))] + [int(rng.integers(2, 9)) for _ in range(int(rng.integers(0, 2)))] + [int(rng.integers(2, 6))]
    else:
        depth = int(rng.integers(1, 4))
        widths = [int(rng.integers(1, 9))] + [int(rng.integers(2, 41)) for _ in range(depth - 1)] + [int(rng.integers(1, 5))]
    q, k_params = widths[-1], mlp.num_params(widths)
    low = max(2, 5 // q + 1)
    n = int(rng.integers(low, max(low + 2, min(max_qn // q, 2 * k_params // q)) + 1))
    x = rng.standard_normal((n, widths[0]))
    kind = str(rng.choice(["normal", "duplicates", "zeros"]))
    if kind == "duplicates" and n >= 4:
        x[n // 2:] = x[: n - n // 2]
    if kind == "zeros" and n >= 3:
        x[: n // 3] = 0.0
    which = str(rng.choice(["largest", "smallest"])) if not largest_only else "largest"
    k = int(rng.integers(1, min(12, n * q - 1) + 1))
    theta = mlp.init_theta(widths, rng)
    return widths, act, x, kind, which, k, theta


def check(args, case, work):
    widths, act, x, kind, which, k, theta = case
    np.save(os.path.join(work, "theta.npy"), theta)
    np.save(os.path.join(work, "X.npy"), x)
    out = os.path.join(work, "out")
    r = subprocess.run(
        [args.bin, "ntk-spectrum", "--widths", ",".join(map(str, widths)), "--activation", act,
         "--theta", os.path.join(work, "theta.npy"), "--x", os.path.join(work, "X.npy"), "--k", str(k),
         "--which", which, "--probe", args.probe, "--json", "-o", out, "-q"]
        + (["--precision", "single", "--tol", "1e-6"] if args.precision == "single" else []),
        capture_output=True, text=True, timeout=900)
    label = "%s %s %s N=%d QN=%d K=%d %s k=%d" % (
        "-".join(map(str, widths)), act, kind, x.shape[0], x.shape[0] * widths[-1], mlp.num_params(widths), which, k)
    if r.returncode == 75:
        return "stopped", label + ": exit 75"
    if r.returncode != 0:
        return "fail", label + ": exit %d: %s" % (r.returncode, r.stderr.strip()[:300])
    method = json.loads(r.stdout)["results"].get("method", "?")
    jac = mlp.jacobian(theta, widths, x, act)
    g = jac @ jac.T
    ev = np.linalg.eigvalsh(g)
    lmax = max(ev[-1], np.finfo(float).tiny)
    want = ev[::-1][:k] if which == "largest" else ev[:k]
    vals = np.load(os.path.join(out, "eigenvalues.npy"))
    vecs = np.load(os.path.join(out, "eigenvectors.npy"))
    err = np.abs(vals - want).max() / lmax
    resj = np.linalg.norm(jac @ (jac.T @ vecs) - vecs * vals, axis=0)
    res = resj.max() / lmax
    orth = np.abs(vecs.T @ vecs - np.eye(k)).max()
    above = 0.0
    if which == "largest":
        rng = np.random.default_rng(k + x.shape[0])
        def deflate(u):  # (I − VVᵀ) u, twice for accuracy
            for _ in range(2):
                u = u - vecs @ (vecs.T @ u)
            return u

        v = deflate(rng.standard_normal(g.shape[0]))
        for _ in range(300):
            w = deflate(g @ v)
            if np.linalg.norm(w) <= 1e-13 * lmax * np.linalg.norm(v):
                break  # the deflated operator is 0 to rounding: nothing above λ_k
            v = deflate(w / np.linalg.norm(w))
        else:
            rq = v @ deflate(g @ v) / (v @ v)
            above = max(0.0, (rq - vals[-1] * (1 + (1e-6 if args.precision == "single" else 1e-9))) / lmax)
    if args.precision == "single":
        ok = err <= 1e-6 and bool(np.all(resj <= 1e-6 * np.abs(vals) + 1e-14 * lmax)) and orth <= 1e-10 and above <= 1e-12
    else:
        ok = err <= 1e-9 and res <= 1e-8 and orth <= 1e-10 and above <= 1e-12
    line = label + ": %s, |Δλ| %.1e, residual %.1e, orthogonality %.1e, power iteration above λ_k %.1e (of λ_max)" % (
        method, err, res, orth, above)
    return ("ok" if ok else "fail"), line


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--cases", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--probe", choices=["steps", "converged"], default="steps", help="ntk-spectrum's --probe")
    ap.add_argument("--precision", choices=["double", "single"], default="double", help="ntk-spectrum's --precision (see above)")
    ap.add_argument("--max-qn", type=int, default=600,
                    help="largest QN drawn (above 512 the smallest end's dense route tries block inverse iteration)")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    counts = {"ok": 0, "stopped": 0, "fail": 0}
    with tempfile.TemporaryDirectory() as work:
        for i in range(args.cases):
            status, line = check(args, draw_case(rng, args.max_qn, args.precision == "single"), work)
            counts[status] += 1
            print("%-7s %3d %s" % (status, i, line), flush=True)
    print("%d ok, %d stopped (exit 75), %d failed" % (counts["ok"], counts["stopped"], counts["fail"]))
    sys.exit(1 if counts["fail"] else 0)


if __name__ == "__main__":
    main()
