import Foundation
import TangentFlow

extension DeepLinearHamiltonian {
    /// How far a curve is from solving the geodesic equations (Thm 2.1 in file 002) at time `t`: with the covector
    /// `P(s) = A_{N,W(s)}⁻¹(Ẇ(s))` (so `W' = ∂H/∂P` holds by construction), the residual of the other half,
    ///
    /// ```
    /// r(t) = ‖Ṗ + ∂H/∂W(W, P)‖_F / max(‖Ṗ‖_F, ‖∂H/∂W‖_F, ‖P‖_F‖Ẇ‖_F/‖W‖_F),   Ṗ(t) ≈ (P(t+h) − P(t−h)) / 2h
    /// ```
    /// Zero for a geodesic up to the difference error `O(h²)` (≈ 1e-8 at the default `h = 1e-4` for curves with
    /// O(1) derivatives) plus rounding `ε/h`; of order one for a curve that is not. The last term of the scale is
    /// the natural size of `∂H/∂W` (for `N = 1` both `Ṗ` and `∂H/∂W` vanish on the straight line). This is how a closed form is
    /// checked against the Hamiltonian (3.39) independently of the shooting solver.
    /// - Parameters:
    ///   - curve: `t ↦ W(t)` (full rank near `t`).
    ///   - velocity: `t ↦ Ẇ(t)`, exact.
    ///   - t: where to evaluate; `t ± h` must lie where the curve is defined.
    ///   - h: the difference step (default `1e-4`).
    /// - Throws: `.invalidArgument` for a non-positive `h` or a singular `W`; whatever the closures throw.
    public func geodesicEquationResidual(
        curve: (Double) throws -> Matrix, velocity: (Double) throws -> Matrix, at t: Double, h: Double = 1e-4
    ) throws -> Double {
        guard h > 0, h.isFinite else {
            throw TangentFlowError.invalidArgument(operation: "DeepLinearHamiltonian.geodesicEquationResidual", reason: "need a finite h > 0, got \(h)")
        }
        func covector(_ s: Double) throws -> Matrix { try DeepLinearMetric(at: curve(s), depth: depth, backend: backend).applyInverse(velocity(s)) }
        let pDot = DenseOps.scale(1 / (2 * h), DenseOps.sub(try covector(t + h), try covector(t - h)))
        let w = try curve(t), p = try covector(t)
        let (_, dW) = try partials(w, p)
        let natural = p.frobeniusNorm * (try velocity(t)).frobeniusNorm / Swift.max(w.frobeniusNorm, Double.leastNormalMagnitude)
        let scale = Swift.max(pDot.frobeniusNorm, dW.frobeniusNorm, natural, Double.leastNormalMagnitude)
        return DenseOps.add(pDot, dW).frobeniusNorm / scale
    }
}

/// The curve of Thm 2.3 / (2.8) of file 002 as printed, for endpoints satisfying its "right-left rotation
/// condition" `W_0 = R P_0`, `W_1 = R P_1` with one rotation `R` and SPD `P_0`, `P_1` (the polar factors; Rem. 2.4:
/// e.g. two SPD endpoints, `R = I`):
///
/// ```
/// W(t) = R ((1−t) P_0^{1/N} + t P_1^{1/N})^N,   Ẇ(t) = R · D(x^N)(S(t))[P_1^{1/N} − P_0^{1/N}]   (Daleckii–Krein)
/// ```
/// **It is a geodesic only when `P_0` and `P_1` commute** (then it is `SharedSingularVectorGeodesic`): the
/// consistency claimed after (3.73) fails otherwise — the line (3.66)→(3.70) upstairs is balanced (Lemma 2.2(2))
/// but not horizontal (`UpstairsLine.horizontalDefect`), and `geodesicEquationResidual` is of order 1e-1 (MATH.md
/// §4). Kept to measure that gap against shooting, not as a geodesic.
public struct PolarFactorCurve: Sendable {
    /// The shared polar rotation `R`.
    public let rotation: Matrix
    /// `P_0^{1/N}` as a spectrum.
    let root0: SymmetricSpectrum
    /// `P_1^{1/N} − P_0^{1/N}`.
    let difference: Matrix
    /// Depth `N`.
    public let depth: Int
    /// The backend.
    public let backend: KernelBackend

    /// The curve between `w0` and `w1`.
    /// - Parameters:
    ///   - tolerance: largest accepted `max |R_0 − R_1|` between the polar rotations (default `1e-10`).
    /// - Throws: `.invalidArgument` for singular endpoints, `N < 1`, or polar rotations that differ; shape errors.
    public init(from w0: Matrix, to w1: Matrix, depth: Int, tolerance: Double = 1e-10, backend: KernelBackend = .c) throws {
        let op = "PolarFactorCurve"
        try w0.requireSquareFinite(op, "W₀")
        try w1.requireShape(w0.rows, w0.cols, op, "W₁")
        try w1.requireFinite(op, "W₁")
        guard depth >= 1 else { throw TangentFlowError.invalidArgument(operation: op, reason: "depth N must be ≥ 1, got \(depth)") }
        let k = backend.kernels
        let m0 = try DeepLinearMetric(at: w0, depth: 1, backend: backend), m1 = try DeepLinearMetric(at: w1, depth: 1, backend: backend)
        try m0.requireFullRank(op + " (W₀)")
        try m1.requireFullRank(op + " (W₁)")
        let r0 = try DenseOps.mul(k, m0.svd.u, m0.svd.vt), r1 = try DenseOps.mul(k, m1.svd.u, m1.svd.vt)
        let gap = DenseOps.sub(r0, r1).maxAbs
        guard gap <= tolerance else {
            throw TangentFlowError.invalidArgument(
                operation: op, reason: "the polar rotations of W₀ and W₁ differ by \(gap) (> \(tolerance)): the right-left rotation condition of Thm 2.3 fails")
        }
        let n = Double(depth)
        let root0 = m0.svd.singularValues.map { Foundation.pow($0, 1 / n) }, root1 = m1.svd.singularValues.map { Foundation.pow($0, 1 / n) }
        self.root0 = SymmetricSpectrum(values: root0, vectors: m0.v, backend: backend)
        difference = DenseOps.sub(try DenseOps.synthesize(k, m1.v, root1, m1.v), try DenseOps.synthesize(k, m0.v, root0, m0.v))
        rotation = r0
        self.depth = depth
        self.backend = backend
    }

    /// `S(t) = (1−t)P_0^{1/N} + tP_1^{1/N}` (SPD on `[0, 1]`).
    func inner(at t: Double) throws -> SymmetricSpectrum {
        try SymmetricSpectrum(of: DenseOps.symmetrized(DenseOps.add(try root0.applying(root0.values), DenseOps.scale(t, difference))), backend: backend)
    }

    /// `W(t) = R S(t)^N` ((2.8) as printed).
    public func point(at t: Double) throws -> Matrix {
        try DenseOps.mul(backend.kernels, rotation, inner(at: t).apply(.power(Double(depth))))
    }

    /// `Ẇ(t) = R · D(x^N)(S(t))[P_1^{1/N} − P_0^{1/N}]`.
    public func velocity(at t: Double) throws -> Matrix {
        try DenseOps.mul(backend.kernels, rotation, inner(at: t).derivative(.power(Double(depth)), direction: difference))
    }

    /// `count ≥ 2` points at `t = k/(count − 1)`.
    /// - Throws: `.invalidArgument` for `count < 2`.
    public func points(count: Int) throws -> [Matrix] {
        guard count >= 2 else { throw TangentFlowError.invalidArgument(operation: "PolarFactorCurve.points", reason: "need at least 2 points, got \(count)") }
        return try (0..<count).map { try point(at: Double($0) / Double(count - 1)) }
    }
}
