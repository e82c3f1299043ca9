#!/usr/bin/env python3
"""neural-tangents tools for the TangentFlow benchmark (venv B: /work/venvs/nt).

Launched as a worker by scripts/bench_ntk_python.py (see its docstring for the
protocol and the OPENBLAS_* note); it can also be run by hand for one tool:

    /work/venvs/nt/bin/python scripts/bench_ntk_neural_tangents.py --worker \\
        --case ntk-mlp-ref --tool nt-ntk-vector-products --data DIR --phase time

where DIR holds mlp_ref_theta.npy / mlp_ref_x.npy as written by the driver.

Parameterization pitfalls handled here (neural-tangents 0.6.5):
  * stax.Dense defaults to parameterization='ntk', which computes
    (W_std/sqrt(fan_in)) x W + b_std b — not our plain W x + b.  We use
    parameterization='standard' (then apply is x @ W + b exactly; W_std only
    affects init) with W_std=1, b_std=1.
  * stax.Dense defaults to b_std=None, i.e. *no bias at all*; b_std must be set.
  * NT stores W as (fan_in, fan_out) = W_ℓᵀ and b as (1, fan_out).
  * empirical_ntk_fn defaults to trace_axes=(-1,), which traces out the output
    (logit) axis; we need trace_axes=() to get the full Q×Q blocks, returned
    as (N, N, Q, Q) and transposed to our sample-major (NQ, NQ).
  * There is no stax.Tanh, and stax.Sigmoid_like is an erf approximation; we use
    stax.Elementwise(fn=...) which is fine for empirical kernels.
"""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import tf_bench_common as C  # noqa: E402
import tf_mlp_numpy as M  # noqa: E402

IMPLS = {
    "nt-ntk-vector-products": "NTK_VECTOR_PRODUCTS",
    "nt-jacobian-contraction": "JACOBIAN_CONTRACTION",
    "nt-structured-derivatives": "STRUCTURED_DERIVATIVES",
}

EXPECTED_S = {
    ("ntk-mlp-1m", "nt-ntk-vector-products"): 100.0,
    ("ntk-mlp-1m", "nt-structured-derivatives"): 20.0,
}


def nt_mlp(widths, act):
    """stax MLP in our convention; returns (apply_fn, to_nt_params)."""
    import jax
    import jax.numpy as jnp
    from neural_tangents import stax

    fns = {
        "tanh": jnp.tanh,
        "softplus": jax.nn.softplus,
        "sigmoid": jax.nn.sigmoid,
        "relu": jax.nn.relu,
        "identity": lambda z: z,
    }
    layers = []
    L = len(widths) - 1
    for l in range(L):
        layers.append(stax.Dense(widths[l + 1], W_std=1.0, b_std=1.0, parameterization="standard"))
        if l < L - 1:
            if act == "gelu":
                layers.append(stax.Gelu(approximate=True))  # tanh form = our gelu
            elif act == "relu":
                layers.append(stax.Relu())
            else:
                layers.append(stax.Elementwise(fn=fns[act]))
    init_fn, apply_fn, _ = stax.serial(*layers)

    def to_nt_params(theta):
        ps = []
        for l, (W, b) in enumerate(M.unpack(theta, widths)):
            ps.append((jnp.asarray(W.T), jnp.asarray(b.reshape(1, -1))))
            if l < L - 1:
                ps.append(())
        return ps

    return init_fn, apply_fn, to_nt_params


def nt_ntk_fn(widths, act, N, impl_name):
    import jax
    import neural_tangents as nt

    _, apply_fn, to_nt = nt_mlp(widths, act)
    Q = widths[-1]
    kfn = nt.empirical_ntk_fn(apply_fn, trace_axes=(), vmap_axes=0,
                              implementation=getattr(nt.NtkImplementation, impl_name))

    @jax.jit
    def ntk(X, params):
        k = kfn(X, None, params)  # (N, N, Q, Q)
        return k.transpose(0, 2, 1, 3).reshape(N * Q, N * Q)

    return ntk, to_nt


def build_tool(case, tool, data_dir):
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    widths, N, act, theta, X = C.load_mlp_data(data_dir, case)
    ntk, to_nt = nt_ntk_fn(widths, act, N, IMPLS[tool])
    params = to_nt(theta)
    Xj = jnp.asarray(X)
    kw = C.timing_kwargs_for(EXPECTED_S.get((case, tool), 5.0))
    return (lambda: ntk(Xj, params)), (lambda r: r.block_until_ready()), kw


if __name__ == "__main__":
    C.worker_main(build_tool)
