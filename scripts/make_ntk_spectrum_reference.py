#!/usr/bin/env python3
"""Reference eigenvalues of a small empirical NTK for the Swift tests of `ntkSpectrum` (NumPy only).

    /work/venvs/modern/bin/python scripts/make_ntk_spectrum_reference.py \\
        [--out Tests/TangentFlowTests/Resources/ntk_spectrum]

MLP 5-16-12-3, tanh, N = 40 samples (QN = 120), writes
    theta.npy     θ (K,), package layout (per layer W_ℓ row-major, then b_ℓ)
    x.npy         X (N, 5), samples as rows
    eigvalsh.npy  numpy.linalg.eigvalsh(J Jᵀ), ascending (QN,)
with J the closed-form Jacobian of scripts/tf_mlp_numpy.py, checked against central finite differences of the
outputs (relative error ≤ 1e-6) before anything is written.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tf_mlp_numpy as tm  # noqa: E402

WIDTHS = [5, 16, 12, 3]
N = 40


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="Tests/TangentFlowTests/Resources/ntk_spectrum")
    args = ap.parse_args()
    rng = np.random.default_rng(20261207)
    theta = tm.init_theta(WIDTHS, rng, bias_scale=0.3)
    x = rng.standard_normal((N, WIDTHS[0]))
    jac = tm.jacobian(theta, WIDTHS, x, "tanh")
    # Finite-difference check of J (independent of the closed form).
    h = 1e-6
    cols = rng.choice(theta.size, 25, replace=False)
    fd = np.empty((jac.shape[0], cols.size))
    for j, k in enumerate(cols):
        tp, tn = theta.copy(), theta.copy()
        tp[k] += h
        tn[k] -= h
        fd[:, j] = (tm.outputs(tp, WIDTHS, x, "tanh").ravel() - tm.outputs(tn, WIDTHS, x, "tanh").ravel()) / (2 * h)
    err = np.linalg.norm(fd - jac[:, cols]) / np.linalg.norm(fd)
    if err > 1e-6:
        sys.exit(f"finite differences disagree with the Jacobian: {err:.2e}")
    eig = np.linalg.eigvalsh(jac @ jac.T)
    os.makedirs(args.out, exist_ok=True)
    np.save(os.path.join(args.out, "theta.npy"), theta)
    np.save(os.path.join(args.out, "x.npy"), x)
    np.save(os.path.join(args.out, "eigvalsh.npy"), eig)
    print(f"K = {theta.size}, QN = {eig.size}, λ = [{eig[0]:.6e} … {eig[-1]:.6e}], FD check {err:.1e}")


if __name__ == "__main__":
    main()
