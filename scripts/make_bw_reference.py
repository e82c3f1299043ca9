#!/usr/bin/env python3
"""SciPy reference data for `tangentflow bw lyapunov` and `bw mean` (Tests/TangentFlowTests/BuresWassersteinCLITests).

Writes Tests/TangentFlowTests/Resources/reference/bw_{A,B,X,lyapunov,mean}.npy:
  lyapunov = scipy.linalg.solve_continuous_lyapunov(A, X)     (A Y + Y A^T = X; A symmetric)
  mean     = A^{1/2} (A^{-1/2} B A^{-1/2})^{1/2} A^{1/2} with scipy.linalg.sqrtm (Schur method), an independent
             route from TangentFlow's eigendecompositions.
A and B are SPD with condition numbers ~1e3 and ~1e2; X is a general (non-symmetric) 6x6 matrix.
Run: /work/venvs/modern/bin/python scripts/make_bw_reference.py   (numpy 2.4.6, scipy 1.17.1)
"""
import os
import numpy as np
import scipy.linalg as sl

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "Tests", "TangentFlowTests", "Resources", "reference")
rng = np.random.default_rng(20261207)
d = 6
q, _ = np.linalg.qr(rng.standard_normal((d, d)))
A = q @ np.diag(np.logspace(-1, 2, d)) @ q.T
A = (A + A.T) / 2
m = rng.standard_normal((d, d))
B = m @ m.T + 0.5 * np.eye(d)
X = rng.standard_normal((d, d))
Y = sl.solve_continuous_lyapunov(A, X)
ah = sl.sqrtm(A).real
aih = np.linalg.inv(ah)
M = ah @ sl.sqrtm(aih @ B @ aih).real @ ah
M = (M + M.T) / 2
assert np.linalg.norm(A @ Y + Y @ A - X) <= 1e-12 * np.linalg.norm(X)
assert np.linalg.norm(M @ np.linalg.solve(A, M) - B) <= 1e-11 * np.linalg.norm(B)
for name, a in (("A", A), ("B", B), ("X", X), ("lyapunov", Y), ("mean", M)):
    np.save(os.path.join(out, f"bw_{name}.npy"), np.ascontiguousarray(a))
print("wrote bw_*.npy to", os.path.normpath(out))
