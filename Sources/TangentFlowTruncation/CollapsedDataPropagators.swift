import TangentFlow

/// The propagators of §8.1 of file 003, integrated alongside the collapsed-data flow `(B, W)` (8.6–8.7):
/// state `[B, W, U_W(s, 0), U_B(s, 0)]`, each `Q×Q` column-major, started at `U = 1`.
///
/// Two conventions, because the paper uses one name for two different objects:
/// - `.duhamel` — (8.9) as printed, `∂_sU_W = −WᵀW U_W`, `∂_sU_B = −U_B BBᵀ`: the propagators of the linear parts of
///   (8.6) `B' = −WᵀWB − WᵀY` and (8.7) `W' = −WBBᵀ − YBᵀ`, the ones (8.16)/(8.17) and Lemma 8.1 need. Two-time
///   propagators: `U_W(s, s') = U_W(s)U_W(s')⁻¹`, `U_B(s, s') = U_B(s')⁻¹U_B(s)`; their `s₀`-derivatives are
///   `∂_{s₀}U_W(s, s₀) = +U_W(s, s₀)WᵀW(s₀)` and `∂_{s₀}U_B(s, s₀) = +BBᵀ(s₀)U_B(s, s₀)` — **the printed (8.10) has
///   the wrong sign** (and the wrong side for `U_W`) — tested.
/// - `.residual` — the transposed ones, `∂_sU_W = −WWᵀU_W`, `∂_sU_B = −U_B BᵀB`, for which (8.11)
///   `WB + Y = U_W(WB + Y)(0)U_B` holds (MATH.md §5).
public struct CollapsedDataPropagators: VectorField {
    /// Which propagators (see the type's documentation).
    public enum Convention: String, Sendable, CaseIterable {
        /// (8.9) as printed: for (8.16)/(8.17), Lemma 8.1.
        case duhamel
        /// Transposed: for (8.11).
        case residual
    }

    /// The flow `(B, W)`.
    public let flow: CollapsedDataFlow
    /// The convention.
    public let convention: Convention

    /// Propagators of `flow` in `convention`.
    public init(flow: CollapsedDataFlow, convention: Convention) {
        self.flow = flow
        self.convention = convention
    }

    /// `[B, W, 1, 1]`.
    /// - Throws: as `CollapsedDataFlow.pack`.
    public func pack(shifts b: Matrix, weight w: Matrix) throws -> [Double] {
        let id = try Matrix.identity(flow.width).elements
        return try flow.pack(shifts: b, weight: w) + id + id
    }

    /// `(B, W, U_W(s, 0), U_B(s, 0))` from a packed state.
    /// - Throws: `.shapeMismatch` for a state not of length `4Q²`.
    public func unpack(_ y: [Double]) throws -> (shifts: Matrix, weight: Matrix, uW: Matrix, uB: Matrix) {
        let q = flow.width, n = q * q
        guard y.count == 4 * n else {
            throw TangentFlowError.shapeMismatch(operation: "CollapsedDataPropagators.unpack", expected: "\(4 * n) entries", got: "\(y.count)")
        }
        func block(_ k: Int) -> Matrix { Matrix(uncheckedRows: q, cols: q, elements: Array(y[(k * n)..<((k + 1) * n)])) }
        return (block(0), block(1), block(2), block(3))
    }

    /// `(B', W', U_W', U_B')`.
    public func velocity(at s: Double, _ y: [Double]) throws -> [Double] {
        let (b, w, uw, ub) = try unpack(y)
        let v = try flow.velocity(at: s, Array(y[0..<(2 * flow.width * flow.width)]))
        let left: Matrix, right: Matrix
        switch convention {
        case .duhamel:
            left = TruncationAlgebra.multiply(w, w, transposeA: true)   // WᵀW
            right = TruncationAlgebra.multiply(b, b, transposeB: true)  // BBᵀ
        case .residual:
            left = TruncationAlgebra.multiply(w, w, transposeB: true)   // WWᵀ
            right = TruncationAlgebra.multiply(b, b, transposeA: true)  // BᵀB
        }
        let duw = TruncationAlgebra.scale(TruncationAlgebra.multiply(left, uw), -1)
        let dub = TruncationAlgebra.scale(TruncationAlgebra.multiply(ub, right), -1)
        return v + duw.elements + dub.elements
    }

    /// The right-hand sides of the Duhamel forms (8.16)/(8.17) at every saved time `s_n`, from a trajectory saved by
    /// `integrate` in the `.duhamel` convention (the integrals by the trapezoid rule on the saved times):
    ///
    /// ```
    /// B(s) = U_W(s)B(0) + sign·∫₀ˢ U_W(s, s')W(s')ᵀY ds' = U_W(s)[B(0) + sign·∫₀ˢ U_W(s')⁻¹W(s')ᵀY ds']     (8.16)
    /// W(s) = W(0)U_B(s) + sign·∫₀ˢ Y B(s')ᵀU_B(s, s') ds' = [W(0) + sign·∫₀ˢ Y B(s')ᵀU_B(s')⁻¹ ds']U_B(s)     (8.17)
    /// ```
    ///
    /// `sign = −1` is the variation-of-constants formula of (8.6)/(8.7); **the printed (8.16)/(8.17) have `+`**
    /// (`sign = +1`), which does not reproduce the flow (tested).
    /// - Throws: `.invalidArgument` unless `convention == .duhamel`, times increase from 0, and `sign` is ±1;
    ///   as `unpack`; `.invalidArgument` if a propagator is singular.
    public func duhamelForms(times: [Double], states: [[Double]], sign: Double = -1) throws -> [(shifts: Matrix, weight: Matrix)] {
        let op = "CollapsedDataPropagators.duhamelForms"
        guard convention == .duhamel else { throw TangentFlowError.invalidArgument(operation: op, reason: "needs the .duhamel propagators (8.9)") }
        guard sign == 1 || sign == -1 else { throw TangentFlowError.invalidArgument(operation: op, reason: "sign must be ±1, got \(sign)") }
        guard times.count == states.count, let first = times.first, first == 0,
              zip(times, times.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "need increasing saved times starting at 0, one state each")
        }
        let y = flow.labels
        let parts = try states.map(unpack)
        // Integrands g_W(s') = U_W(s')⁻¹W(s')ᵀY and g_B(s') = Y B(s')ᵀU_B(s')⁻¹.
        let gw = try parts.map { p in
            TruncationAlgebra.multiply(try TruncationAlgebra.inverse(p.uW, operation: op, argument: "U_W"), TruncationAlgebra.multiply(p.weight, y, transposeA: true))
        }
        let gb = try parts.map { p in
            TruncationAlgebra.multiply(TruncationAlgebra.multiply(y, p.shifts, transposeB: true), try TruncationAlgebra.inverse(p.uB, operation: op, argument: "U_B"))
        }
        var iw = Matrix(zerosRows: y.rows, cols: y.cols), ib = iw
        var out: [(Matrix, Matrix)] = []
        let b0 = parts[0].shifts, w0 = parts[0].weight
        for n in 0..<parts.count {
            if n > 0 {
                let h = 0.5 * (times[n] - times[n - 1])
                iw = TruncationAlgebra.add(iw, TruncationAlgebra.add(gw[n - 1], gw[n]), scale: h)
                ib = TruncationAlgebra.add(ib, TruncationAlgebra.add(gb[n - 1], gb[n]), scale: h)
            }
            let bn = TruncationAlgebra.multiply(parts[n].uW, TruncationAlgebra.add(b0, iw, scale: sign))
            let wn = TruncationAlgebra.multiply(TruncationAlgebra.add(w0, ib, scale: sign), parts[n].uB)
            out.append((bn, wn))
        }
        return out
    }
}
