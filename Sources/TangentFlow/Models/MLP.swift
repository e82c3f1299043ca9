/// A fully connected network `f_θ : R^{M_0} → R^{M_L}` (MATH.md §1):
///
/// ```
/// h⁰ = x,   zˡ = a_ℓ Wˡ hˡ⁻¹ + c_ℓ bˡ,   hˡ = σ(zˡ) (ℓ < L),   f_θ(x) = zᴸ
/// ```
/// with `Wˡ ∈ R^{M_ℓ×M_{ℓ−1}}`. The parameter vector `θ ∈ R^K` holds, for `ℓ = 1..L`, `Wˡ` in **row-major**
/// order followed by `bˡ`; `K = Σ_ℓ M_ℓ(M_{ℓ−1} + 1)`. The scales are `a_ℓ = c_ℓ = 1` in the standard
/// parametrisation and `a_ℓ = σ_w/√M_{ℓ−1}`, `c_ℓ = σ_b` in the NTK parametrisation (Jacot et al. 2018;
/// neural-tangents `stax.Dense(parameterization='ntk')`).
public struct MLP: Sendable, Equatable {
    /// Layer widths `M_0, …, M_L` (input first, output last).
    public let widths: [Int]
    /// Activation of the hidden layers.
    public let activation: Activation
    /// How weights are scaled in the forward pass.
    public let parametrization: Parametrization

    /// Weight and bias scaling of the forward pass.
    public enum Parametrization: Sendable, Equatable {
        /// `zˡ = Wˡhˡ⁻¹ + bˡ`; initialise `W_ij ~ N(0, 1/M_{ℓ−1})`, `b = 0`.
        case standard
        /// `zˡ = (σ_w/√M_{ℓ−1}) Wˡhˡ⁻¹ + σ_b bˡ`; initialise `W_ij, b_i ~ N(0, 1)`.
        case ntk(weightStd: Double, biasStd: Double)
    }

    /// A network with the given widths (at least two: input and output).
    /// - Throws: `.invalidArgument` if fewer than two widths are given, a width is < 1, the NTK scales are not
    ///   finite, or `K` overflows.
    public init(widths: [Int], activation: Activation, parametrization: Parametrization = .standard) throws {
        let op = "MLP"
        guard widths.count >= 2 else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "need at least 2 widths (input, output), got \(widths)")
        }
        guard widths.allSatisfy({ $0 >= 1 }) else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "every width must be ≥ 1, got \(widths)")
        }
        guard widths.allSatisfy({ $0 <= 1 << 24 }) else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "a width exceeds 2^24: \(widths)")
        }
        if case let .ntk(w, b) = parametrization, !(w.isFinite && b.isFinite) {
            throw TangentFlowError.invalidArgument(operation: op, reason: "NTK scales must be finite, got σ_w = \(w), σ_b = \(b)")
        }
        var k = 0
        for l in 1..<widths.count {
            let (p, o1) = widths[l].multipliedReportingOverflow(by: widths[l - 1] + 1)
            let (s, o2) = k.addingReportingOverflow(p)
            guard !o1, !o2 else { throw TangentFlowError.invalidArgument(operation: op, reason: "parameter count overflows") }
            k = s
        }
        self.widths = widths
        self.activation = activation
        self.parametrization = parametrization
    }

    /// Number of layers `L` (weight matrices).
    public var depth: Int { widths.count - 1 }
    /// Input dimension `M_0`.
    public var inputDimension: Int { widths[0] }
    /// Output dimension `Q = M_L`.
    public var outputDimension: Int { widths[widths.count - 1] }
    /// Parameter count `K = Σ_ℓ M_ℓ(M_{ℓ−1} + 1)`.
    public var parameterCount: Int { (1..<widths.count).reduce(0) { $0 + widths[$1] * (widths[$1 - 1] + 1) } }

    /// Offset in `θ` of `Wˡ` (layer `ℓ = 1..L`); `bˡ` follows at `weightOffset(ℓ) + M_ℓ M_{ℓ−1}`.
    public func weightOffset(layer: Int) -> Int {
        (1..<layer).reduce(0) { $0 + widths[$1] * (widths[$1 - 1] + 1) }
    }

    /// Forward-pass weight scales `a_ℓ`, `ℓ = 1..L`.
    var weightScales: [Double] {
        switch parametrization {
        case .standard: return Array(repeating: 1, count: depth)
        case let .ntk(w, _): return (0..<depth).map { w / Double(widths[$0]).squareRoot() }
        }
    }

    /// Forward-pass bias scales `c_ℓ`, `ℓ = 1..L`.
    var biasScales: [Double] {
        switch parametrization {
        case .standard: return Array(repeating: 1, count: depth)
        case let .ntk(_, b): return Array(repeating: b, count: depth)
        }
    }

    /// Throws `.shapeMismatch` unless `theta` has `K` entries, `.nonFinite` if one is NaN or ±∞.
    public func validateParameters(_ theta: [Double]) throws { try validate(theta: theta, "MLP") }

    /// Throws unless `theta` has `K` finite entries.
    func validate(theta: [Double], _ operation: String) throws {
        guard theta.count == parameterCount else {
            throw TangentFlowError.shapeMismatch(
                operation: operation, expected: "θ of length K = \(parameterCount) for widths \(widths)",
                got: "length \(theta.count)")
        }
        try requireFinite(theta, operation, "θ")
    }

    /// Throws unless `x` is a non-empty, finite `N×M_0` matrix (samples as rows).
    func validate(inputs x: Matrix, _ operation: String, _ name: String = "X") throws {
        guard x.cols == inputDimension else {
            throw TangentFlowError.shapeMismatch(
                operation: operation, expected: "\(name) with \(inputDimension) columns (one sample per row)",
                got: x.shapeString)
        }
        try x.requireNonEmpty(operation, name)
        try x.requireFinite(operation, name)
    }
}
