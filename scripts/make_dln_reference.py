#!/usr/bin/env python3
"""SciPy reference data for `tangentflow dln metric` and `dln flow` (Tests/TangentFlowTests/DeepLinearCommandTests).

Writes Tests/TangentFlowTests/Resources/reference/dln_*.npy:
  W, X, Z         a 4x4 point (invertible, not normal) and two tangent vectors
  metric          [g_W(X,X), g_W(X,Z)] for N = 3, from the d^2 x d^2 matrix of A_{N,W} built with
                  scipy.linalg.fractional_matrix_power and Kronecker products (vec is column-major):
                  vec(A(Z)) = sum_p kron(((W^T W)^{(p-1)/N})^T, (W W^T)^{(N-p)/N}) vec(Z),  g = vec(X)^T A^{-1} vec(Z)
                  -- an independent route from TangentFlow's SVD-diagonal formula.
  W0, Y           start and target of the flows (E = 1/2 |W - Y|_F^2)
  flow_e2e        (11, 4, 4): end-to-end flow W' = -A_{N,W}(W - Y), N = 3, at s = 0, 0.1, ..., 1
  flow_up         (11, 4, 4): products of the upstairs flow (1.3), N = 3, from the factors in factors0
  factors0        (3, 4, 4): an unbalanced start (random factors), so the upstairs products differ from flow_e2e
  both integrated by scipy.integrate.solve_ivp (DOP853, rtol 1e-12, atol 1e-14).
Run: /work/venvs/modern/bin/python scripts/make_dln_reference.py   (numpy 2.4.6, scipy 1.17.1)
"""
import os
import numpy as np
import scipy.linalg as sl
from scipy.integrate import solve_ivp

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "Tests", "TangentFlowTests", "Resources", "reference")
rng = np.random.default_rng(20261207)
d, N = 4, 3


def a_matrix(W):
    P = W @ W.T
    Q = W.T @ W
    A = np.zeros((d * d, d * d))
    for p in range(1, N + 1):
        left = sl.fractional_matrix_power(P, (N - p) / N).real
        right = sl.fractional_matrix_power(Q, (p - 1) / N).real
        A += np.kron(right.T, left)
    return A


def vec(M):
    return M.reshape(-1, order="F")


def unvec(v):
    return v.reshape((d, d), order="F")


W = np.eye(d) + 0.4 * rng.standard_normal((d, d))
X = rng.standard_normal((d, d))
Z = rng.standard_normal((d, d))
A = a_matrix(W)
metric = np.array([vec(X) @ np.linalg.solve(A, vec(X)), vec(X) @ np.linalg.solve(A, vec(Z))])

W0 = 0.8 * np.eye(d) + 0.2 * rng.standard_normal((d, d))
Y = np.eye(d) + 0.5 * rng.standard_normal((d, d))
ts = np.linspace(0, 1, 11)


def e2e(t, y):
    Wt = unvec(y)
    return -a_matrix(Wt) @ vec(Wt - Y)


sol = solve_ivp(e2e, (0, 1), vec(W0), method="DOP853", t_eval=ts, rtol=1e-12, atol=1e-14)
assert sol.success
flow_e2e = np.stack([unvec(sol.y[:, k]) for k in range(len(ts))])

factors0 = np.stack([np.eye(d) + 0.3 * rng.standard_normal((d, d)) for _ in range(N)])


def up(t, y):
    F = [y[k * d * d:(k + 1) * d * d].reshape((d, d)) for k in range(N)]
    Wt = F[2] @ F[1] @ F[0]
    G = Wt - Y
    ident = np.eye(d)
    out = []
    for p in range(N):
        left = ident
        for q in range(p + 1, N):
            left = F[q] @ left
        right = ident
        for q in range(p):
            right = F[q] @ right
        out.append(-(left.T @ G @ right.T).reshape(-1))
    return np.concatenate(out)


sol = solve_ivp(up, (0, 1), factors0.reshape(-1), method="DOP853", t_eval=ts, rtol=1e-12, atol=1e-14)
assert sol.success
flow_up = []
for k in range(len(ts)):
    F = [sol.y[j * d * d:(j + 1) * d * d, k].reshape((d, d)) for j in range(N)]
    flow_up.append(F[2] @ F[1] @ F[0])
flow_up = np.stack(flow_up)

for name, a in (("W", W), ("X", X), ("Z", Z), ("metric", metric), ("W0", W0), ("Y", Y), ("flow_e2e", flow_e2e),
                ("flow_up", flow_up), ("factors0", factors0)):
    np.save(os.path.join(out, f"dln_{name}.npy"), np.ascontiguousarray(a))
print("wrote dln_*.npy to", os.path.normpath(out), "metric", metric)
