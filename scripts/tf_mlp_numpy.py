"""Plain-NumPy MLP helpers shared by the TangentFlow Python reference scripts.

Conventions (MATH.md §1):
  * widths M_0..M_L; layer map z = W h + b, h = σ(z) on hidden layers, no
    activation on the last layer.
  * θ: for ℓ = 1..L, W_ℓ ∈ R^{M_ℓ×M_{ℓ−1}} row-major (C order), then b_ℓ.
  * X is N×M_0 (samples as rows); outputs are sample-major (entry i*Q+q).
  * Jacobian D ∈ R^{QN×K} (row i*Q+q); NTK G = D Dᵀ.

Only NumPy is imported here, so the module works in both venvs.
"""
from __future__ import annotations

import math

import numpy as np

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
GELU_C = 0.044715


def _sigmoid(z):
    # numerically stable logistic
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def _softplus(z):
    return np.logaddexp(0.0, z)


def _gelu(z):
    return 0.5 * z * (1.0 + np.tanh(SQRT_2_OVER_PI * (z + GELU_C * z**3)))


def _dgelu(z):
    u = SQRT_2_OVER_PI * (z + GELU_C * z**3)
    t = np.tanh(u)
    du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_C * z**2)
    return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * du


def _dtanh(z):
    t = np.tanh(z)
    return 1.0 - t * t


def _dsigmoid(z):
    s = _sigmoid(z)
    return s * (1.0 - s)


# name -> (σ, σ')
ACTIVATIONS = {
    "tanh": (np.tanh, _dtanh),
    "softplus": (_softplus, _sigmoid),
    "sigmoid": (_sigmoid, _dsigmoid),
    "gelu": (_gelu, _dgelu),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(z.dtype)),  # σ'(0) = 0
    "identity": (lambda z: z, lambda z: np.ones_like(z)),
}


def num_params(widths):
    return sum(widths[l + 1] * widths[l] + widths[l + 1] for l in range(len(widths) - 1))


def init_theta(widths, rng, bias_scale=0.1):
    """Random θ in the package layout: W ~ N(0, 1/fan_in), b ~ N(0, bias_scale²)."""
    parts = []
    for l in range(len(widths) - 1):
        fan_in, fan_out = widths[l], widths[l + 1]
        W = rng.standard_normal((fan_out, fan_in)) / math.sqrt(fan_in)
        b = bias_scale * rng.standard_normal(fan_out)
        parts += [W.ravel(), b]
    return np.concatenate(parts)


def unpack(theta, widths):
    """θ -> [(W_1, b_1), ..., (W_L, b_L)] as views (W_ℓ is M_ℓ×M_{ℓ−1})."""
    assert theta.shape == (num_params(widths),), (theta.shape, num_params(widths))
    params, off = [], 0
    for l in range(len(widths) - 1):
        m_in, m_out = widths[l], widths[l + 1]
        W = theta[off:off + m_out * m_in].reshape(m_out, m_in)
        off += m_out * m_in
        b = theta[off:off + m_out]
        off += m_out
        params.append((W, b))
    return params


def forward_cache(params, X, act):
    """Returns (out N×Q, hs = [h^0..h^{L-1}], dzs = [σ'(z^1)..σ'(z^{L-1})])."""
    sig, dsig = ACTIVATIONS[act]
    hs, dzs = [X], []
    h = X
    for W, b in params[:-1]:
        z = h @ W.T
        z += b
        dzs.append(dsig(z))
        h = sig(z)
        hs.append(h)
    W, b = params[-1]
    out = h @ W.T + b
    return out, hs, dzs


def outputs(theta, widths, X, act):
    out, _, _ = forward_cache(unpack(theta, widths), X, act)
    return np.ascontiguousarray(out).reshape(-1)  # sample-major


def sensitivities(params, dzs, N):
    """δ^ℓ_{i,q} = ∂f_q(x_i)/∂z^ℓ, as arrays (N*Q)×M_ℓ (row i*Q+q), ℓ = 1..L."""
    WL = params[-1][0]
    Q = WL.shape[0]
    deltas = [None] * len(params)
    deltas[-1] = np.tile(np.eye(Q), (N, 1))  # e_q
    if len(params) >= 2:
        # δ^{L-1}_{i,q} = σ'(z^{L-1}_i) ⊙ W_L[q, :]
        d = dzs[-1][:, None, :] * WL[None, :, :]
        deltas[-2] = d.reshape(N * Q, -1)
        for l in range(len(params) - 3, -1, -1):
            W_next = params[l + 1][0]  # M_{l+2} × M_{l+1}
            d = deltas[l + 1] @ W_next  # (NQ) × M_{l+1}
            d = d.reshape(N, Q, -1)
            d *= dzs[l][:, None, :]
            deltas[l] = d.reshape(N * Q, -1)
    return deltas


def jacobian(theta, widths, X, act):
    """Analytic Jacobian D (QN×K): ∂f_q(x_i)/∂W_ℓ[a,b] = δ_{i,q}[a] h_i^{ℓ−1}[b]."""
    params = unpack(theta, widths)
    N = X.shape[0]
    Q = widths[-1]
    _, hs, dzs = forward_cache(params, X, act)
    deltas = sensitivities(params, dzs, N)
    D = np.empty((N * Q, theta.size))
    off = 0
    for l, (W, b) in enumerate(params):
        m_out, m_in = W.shape
        dl = deltas[l].reshape(N, Q, m_out)
        blk = D[:, off:off + m_out * m_in].reshape(N, Q, m_out, m_in)
        np.multiply(dl[:, :, :, None], hs[l][:, None, None, :], out=blk)
        off += m_out * m_in
        D[:, off:off + m_out] = deltas[l]
        off += m_out
    return D


def ntk_layer_factored(theta, widths, X, act):
    """Empirical NTK without the Jacobian (reference, straightforward form).

    Θ_{(i,q),(j,q')} = Σ_ℓ (⟨h_i^{ℓ−1},h_j^{ℓ−1}⟩ + 1) ⟨δ^ℓ_{i,q}, δ^ℓ_{j,q'}⟩.
    """
    params = unpack(theta, widths)
    N = X.shape[0]
    Q = widths[-1]
    _, hs, dzs = forward_cache(params, X, act)
    deltas = sensitivities(params, dzs, N)
    G = np.zeros((N * Q, N * Q))
    for l in range(len(params)):
        A = hs[l] @ hs[l].T + 1.0
        S = deltas[l] @ deltas[l].T
        G += np.kron(A, np.ones((Q, Q))) * S
    return G


def ntk_layer_factored_fast(params, X, act, pool=None, nchunks=2, ws=None, pairs=False):
    """Fast vectorised layer-factored NTK (the NumPy baseline timed in the benchmark).

    * per-layer sensitivity Grams with one BLAS syrk each (NumPy dispatches
      `a @ a.T` on the same buffer to syrk);
    * the activation Gram A_{ℓ−1} + 1 is broadcast with np.repeat along the
      contiguous axis (inner loop length QN instead of Q);
    * the last layer (δ = e_q) only touches the Q diagonal sub-blocks;
    * the elementwise part runs on `nchunks` row blocks in a thread pool
      (NumPy ufuncs release the GIL) when `pool` is given;
    * with a workspace dict `ws`, the QN×QN buffers are allocated once and
      reused (matmul(..., out=) keeps the syrk path), so repeated calls do
      not pay page faults for fresh 13-52 MB arrays.  The returned G then
      lives in `ws` and is overwritten by the next call;
    * with `pairs`, the last hidden layer's sensitivity Gram is built from its
      Q(Q+1)/2 output pairs only (it is symmetric in (q, q') as well as in
      (i, j), since δ^{L-1}_{iq} = W_L[q] ∘ σ'_i), as TangentFlow does: one
      product V_q [V_q … V_{Q-1}]ᵀ per q, then scattered into both halves.
    """
    sig, dsig = ACTIVATIONS[act]
    N = X.shape[0]
    L = len(params)
    WL = params[-1][0]
    Q = WL.shape[0]
    # forward
    hs, dzs = [X], []
    h = X
    for W, b in params[:-1]:
        z = h @ W.T
        z += b
        dzs.append(dsig(z))
        h = sig(z)
        hs.append(h)
    # activation Grams (+1 for the bias)
    As = []
    for l in range(L):
        A = hs[l] @ hs[l].T
        A += 1.0
        As.append(A)
    # sensitivities of hidden layers and their Grams
    NQ = N * Q
    S_list = []

    def gram(d, k):
        if ws is None:
            return d @ d.T
        key = ("S", k, NQ)
        if key not in ws:
            ws[key] = np.empty((NQ, NQ))
        return np.matmul(d, d.T, out=ws[key])

    if L >= 2:
        d = dzs[-1][:, None, :] * WL[None, :, :]  # N×Q×M_{L-1}
        d = d.reshape(N * Q, -1)
        if pairs:
            M = d.shape[1]
            V = dzs[-1][None, :, :] * WL[:, None, :]  # Q×N×M, ordered by output
            key = ("S", 0, NQ)
            if ws is not None and key not in ws:
                ws[key] = np.empty((NQ, NQ))
            S = ws[key] if ws is not None else np.empty((NQ, NQ))
            S4 = S.reshape(N, Q, N, Q)
            for q in range(Q):
                P = (V[q] @ V[q:].reshape(-1, M).T).reshape(N, Q - q, N)  # P[i, q'-q, j]
                S4[:, q, :, q:] = P.transpose(0, 2, 1)
                S4[:, q + 1:, :, q] = P[:, 1:, :]
            S_list.append((L - 2, S))
        else:
            S_list.append((L - 2, gram(d, 0)))
        for l in range(L - 3, -1, -1):
            d = d @ params[l + 1][0]
            d3 = d.reshape(N, Q, -1)
            d3 *= dzs[l][:, None, :]
            S_list.append((l, gram(d, len(S_list))))
    G = S_list[0][1] if S_list else np.zeros((NQ, NQ))
    reps = [(l, S, np.repeat(As[l], Q, axis=1)) for (l, S) in S_list]
    AL = As[L - 1]

    def work(r0, r1):
        # rows r0:r1 of samples (i), i.e. rows r0*Q:r1*Q of G
        rows = slice(r0 * Q, r1 * Q)
        first = True
        for (l, S, Ar) in reps:
            Sv = S[rows].reshape(r1 - r0, Q, NQ)
            if first:
                np.multiply(Sv, Ar[r0:r1, None, :], out=Sv)
                first = False
            else:
                np.multiply(Sv, Ar[r0:r1, None, :], out=Sv)  # S is scratch: in place
                G[rows] += S[rows]
        G4 = G[rows].reshape(r1 - r0, Q, N, Q)
        for q in range(Q):
            G4[:, q, :, q] += AL[r0:r1]

    if pool is None or nchunks <= 1:
        work(0, N)
    else:
        bounds = np.linspace(0, N, nchunks + 1).astype(int)
        futs = [pool.submit(work, int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]
        for f in futs:
            f.result()
    return G


def rel_err(a, b):
    a = np.asarray(a)
    b = np.asarray(b)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))
