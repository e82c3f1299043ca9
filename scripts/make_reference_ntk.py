#!/usr/bin/env python3
"""Independent reference data for the Swift tests (run in venv B, /work/venvs/nt).

    /work/venvs/nt/bin/python scripts/make_reference_ntk.py \\
        [--out Tests/TangentFlowTests/Resources/reference]

For a small MLP (widths 3-5-4-2, N = 4 samples) and each activation in
tanh, gelu (tanh form), softplus, relu, sigmoid, identity it writes

    mlp_<act>_theta.npy  θ (K,)   package layout: per layer vec_row(W_ℓ), b_ℓ
    mlp_<act>_x.npy      X (N, M_0), samples as rows
    mlp_<act>_out.npy    f(X) sample-major (N*Q,), entry i*Q+q = f(x_i)_q
    mlp_<act>_jac.npy    D (N*Q, K), row i*Q+q
    mlp_<act>_ntk.npy    G = D Dᵀ (N*Q, N*Q), as computed by neural-tangents

all float64, C order (.npy v1.0), plus manifest.json.

Sources (independent of the package and of scripts/tf_mlp_numpy.py):
  * outputs and Jacobian: JAX autodiff (jax.jacrev, float64) of an MLP written
    directly in jax.numpy on the flat θ;
  * NTK: neural-tangents' empirical_ntk_fn (trace_axes=(), JACOBIAN_CONTRACTION
    and NTK_VECTOR_PRODUCTS and STRUCTURED_DERIVATIVES) on a stax network in
    'standard' parameterization with W_std = b_std = 1, whose apply is exactly
    x @ Wᵀ + b; NT's outputs must also equal the JAX outputs.
The script refuses to write anything unless NT's NTK agrees with JAX's D Dᵀ to
1e-12 (relative, max-abs) for every implementation, and the outputs agree to
1e-13.  As a third, hand-written check it also compares with the NumPy
closed-form Jacobian / layer-factored NTK of tf_mlp_numpy (reported in the
manifest; same 1e-12 gate).

Data: θ from numpy.random.default_rng(seed): W_ℓ ~ N(0, 1/M_{ℓ−1}),
b_ℓ ~ N(0, 0.5²); X ~ N(0, 1).  For relu the seed is advanced until every
hidden pre-activation is at least 0.05 away from the kink at 0 (the manifest
records the actual margin), so the derivative convention σ'(0) = 0 never matters.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import neural_tangents as nt  # noqa: E402

import tf_mlp_numpy as M  # noqa: E402
from bench_ntk_neural_tangents import nt_mlp  # noqa: E402

WIDTHS = [3, 5, 4, 2]
N = 4
BASE_SEED = 1234
ACTS = ["tanh", "gelu", "softplus", "relu", "sigmoid", "identity"]
RELU_MARGIN = 0.05
DEFAULT_OUT = os.path.join(os.path.dirname(HERE), "Tests", "TangentFlowTests", "Resources", "reference")

JAX_ACT = {
    "tanh": jnp.tanh,
    "softplus": jax.nn.softplus,
    "sigmoid": jax.nn.sigmoid,
    # written out (not jax.nn.gelu) so the formula is the one in the brief
    "gelu": lambda z: 0.5 * z * (1.0 + jnp.tanh(math.sqrt(2.0 / math.pi) * (z + 0.044715 * z**3))),
    "relu": lambda z: jnp.maximum(z, 0.0),
    "identity": lambda z: z,
}


def jax_mlp_flat(widths, act):
    sig = JAX_ACT[act]
    L = len(widths) - 1

    def f(theta, x):  # x: (M_0,) -> (Q,)
        off = 0
        h = x
        for l in range(L):
            mi, mo = widths[l], widths[l + 1]
            W = theta[off:off + mo * mi].reshape(mo, mi)  # row-major
            off += mo * mi
            b = theta[off:off + mo]
            off += mo
            z = W @ h + b
            h = sig(z) if l < L - 1 else z
        return h

    return f


def draw(widths, act, seed):
    rng = np.random.default_rng(seed)
    theta = M.init_theta(widths, rng, bias_scale=0.5)
    X = rng.standard_normal((N, widths[0]))
    return theta, X


def hidden_preacts(theta, widths, X, act):
    params = M.unpack(theta, widths)
    sig, _ = M.ACTIVATIONS[act]
    zs, h = [], X
    for W, b in params[:-1]:
        z = h @ W.T + b
        zs.append(z)
        h = sig(z)
    return zs


def rel(a, b):
    return M.rel_err(np.asarray(a), np.asarray(b))


def make_case(act):
    seed = BASE_SEED
    theta, X = draw(WIDTHS, act, seed)
    margin = min(float(np.min(np.abs(z))) for z in hidden_preacts(theta, WIDTHS, X, act))
    if act == "relu":
        while margin < RELU_MARGIN:
            seed += 1
            theta, X = draw(WIDTHS, act, seed)
            margin = min(float(np.min(np.abs(z))) for z in hidden_preacts(theta, WIDTHS, X, act))
    Q, K = WIDTHS[-1], theta.size

    # --- JAX autodiff: outputs and Jacobian
    f = jax_mlp_flat(WIDTHS, act)
    thj, Xj = jnp.asarray(theta), jnp.asarray(X)
    out = np.asarray(jax.vmap(f, in_axes=(None, 0))(thj, Xj)).reshape(N * Q)
    D = np.asarray(jax.vmap(jax.jacrev(f), in_axes=(None, 0))(thj, Xj)).reshape(N * Q, K)
    G_jax = D @ D.T
    # forward-mode as a second autodiff route
    D_fwd = np.asarray(jax.vmap(jax.jacfwd(f), in_axes=(None, 0))(thj, Xj)).reshape(N * Q, K)

    # --- neural-tangents
    _, apply_fn, to_nt = nt_mlp(WIDTHS, act)
    params = to_nt(theta)
    out_nt = np.asarray(apply_fn(params, Xj)).reshape(N * Q)
    nt_errs = {}
    G_nt = None
    for impl in ("JACOBIAN_CONTRACTION", "NTK_VECTOR_PRODUCTS", "STRUCTURED_DERIVATIVES"):
        kfn = nt.empirical_ntk_fn(apply_fn, trace_axes=(), vmap_axes=0,
                                  implementation=getattr(nt.NtkImplementation, impl))
        k = np.asarray(kfn(Xj, None, params))  # (N, N, Q, Q)
        G = k.transpose(0, 2, 1, 3).reshape(N * Q, N * Q)
        nt_errs[impl] = rel(G, G_jax)
        if G_nt is None:
            G_nt = G

    # --- hand-written NumPy (third check)
    D_np = M.jacobian(theta, WIDTHS, X, act)
    G_lf = M.ntk_layer_factored(theta, WIDTHS, X, act)
    out_np = M.outputs(theta, WIDTHS, X, act)

    checks = {
        "nt_vs_jax_ntk": nt_errs,
        "nt_vs_jax_outputs": rel(out_nt, out),
        "jacfwd_vs_jacrev": rel(D_fwd, D),
        "numpy_jacobian_vs_jax": rel(D_np, D),
        "numpy_layer_factored_ntk_vs_jax": rel(G_lf, G_jax),
        "numpy_outputs_vs_jax": rel(out_np, out),
    }
    ok = (all(e <= 1e-12 for e in nt_errs.values()) and checks["nt_vs_jax_outputs"] <= 1e-13
          and checks["jacfwd_vs_jacrev"] <= 1e-12 and checks["numpy_jacobian_vs_jax"] <= 1e-12
          and checks["numpy_layer_factored_ntk_vs_jax"] <= 1e-12 and checks["numpy_outputs_vs_jax"] <= 1e-13)
    # The NTK written out is neural-tangents' (JACOBIAN_CONTRACTION), symmetrised
    # exactly; it agrees with JAX's D Dᵀ to <= 1e-12 (checked above).
    G_out = 0.5 * (G_nt + G_nt.T)
    arrays = {"theta": theta, "x": X, "out": out, "jac": D, "ntk": G_out}
    info = {
        "activation": act,
        "activation_formula": {
            "tanh": "tanh(z)",
            "gelu": "0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))",
            "softplus": "log(1 + exp(z))",
            "relu": "max(z, 0), derivative 0 at 0 (inputs keep |z| >= 0.05)",
            "sigmoid": "1 / (1 + exp(-z))",
            "identity": "z",
        }[act],
        "widths": WIDTHS,
        "N": N,
        "Q": Q,
        "K": K,
        "seed": seed,
        "min_abs_hidden_preactivation": margin,
        "ntk_rank": int(np.linalg.matrix_rank(G_out)),
        "checks_rel_err": checks,
    }
    return ok, arrays, info


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=DEFAULT_OUT)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    manifest = {
        "description": "Independent NTK reference data for TangentFlow (MATH.md §1 conventions), "
                       "made by scripts/make_reference_ntk.py with JAX autodiff and neural-tangents.",
        "conventions": {
            "theta": "for l = 1..L: W_l (M_l x M_{l-1}) row-major, then b_l",
            "layer": "z = W h + b; h = sigma(z) on hidden layers; no activation on the last layer",
            "x": "N x M_0, samples as rows",
            "out": "sample-major, entry i*Q+q = f(x_i)_q",
            "jac": "QN x K, row i*Q+q",
            "ntk": "QN x QN, neural-tangents empirical NTK; equals jac @ jac.T to <= 1e-12 relative",
        },
        "dtype": "float64, C order, .npy",
        "generated": _dt.date.today().isoformat(),
        "tools": {"jax": jax.__version__, "neural_tangents": getattr(nt, "__version__", "0.6.5"),
                  "numpy": np.__version__},
        "nt_setup": "stax.Dense(M, W_std=1, b_std=1, parameterization='standard') "
                    "(W stored as W_l^T, b as (1, M)); Elementwise(tanh/softplus/sigmoid/identity), "
                    "Gelu(approximate=True), Relu(); empirical_ntk_fn(trace_axes=(), vmap_axes=0)",
        "tolerance_checked": 1e-12,
        "cases": [],
    }
    results = []
    for act in ACTS:
        ok, arrays, info = make_case(act)
        c = info["checks_rel_err"]
        print(f"{act:9s} seed={info['seed']} K={info['K']} margin={info['min_abs_hidden_preactivation']:.3f} "
              f"rank={info['ntk_rank']} nt-vs-jax={max(c['nt_vs_jax_ntk'].values()):.1e} "
              f"out={c['nt_vs_jax_outputs']:.1e} np-jac={c['numpy_jacobian_vs_jax']:.1e} "
              f"np-ntk={c['numpy_layer_factored_ntk_vs_jax']:.1e}  {'OK' if ok else 'FAIL'}")
        if not ok:
            sys.exit(f"check failed for {act}: {json.dumps(c)}")
        results.append((act, arrays, info))
    total = 0
    for act, arrays, info in results:
        files = {}
        for key, arr in arrays.items():
            name = f"mlp_{act}_{key}.npy"
            path = os.path.join(a.out, name)
            np.save(path, np.ascontiguousarray(arr, dtype=np.float64))
            total += os.path.getsize(path)
            files[key] = {"file": name, "shape": list(arr.shape)}
        info["files"] = files
        manifest["cases"].append(info)
    mpath = os.path.join(a.out, "manifest.json")
    with open(mpath, "w") as fh:
        json.dump(manifest, fh, indent=1)
    total += os.path.getsize(mpath)
    print(f"wrote {len(results) * 5} .npy files + manifest.json to {a.out}, {total} bytes total")


if __name__ == "__main__":
    main()
