/// A Lie-group stepper for states some of whose blocks live on `O(Q)` (the `R_ℓ` of the truncation flows): those
/// blocks move by `R ← cay(hΩ)R` with `Ω = π₋(Ṙ Rᵀ)` read off the field's velocity `Ṙ = ΩR`, so `RᵀR = I` holds
/// to rounding however many steps are taken; every other entry takes the matching explicit Runge–Kutta update.
///
/// `cay(A) = (I − A/2)⁻¹(I + A/2)` is orthogonal for antisymmetric `A` and equals `exp(A) + O(‖A‖³)`.
///
/// Methods:
/// - `.euler` (Lie–Euler): order 1, one evaluation, no error estimate.
/// - `.heunEuler` (Runge–Kutta–Munthe-Kaas with Heun's tableau): order 2, two evaluations, embedded order-1
///   (Lie–Euler) error estimate, so `PIController` can drive it. Stage 2 is evaluated at the Lie–Euler point and
///   its generator is `Ω₂ = π₋(Ṙ₂R₂ᵀ)`; the step is `R₁ = cay(h(Ω₁ + Ω₂)/2)R₀`. The `dexp⁻¹` correction of RKMK
///   enters at order 3 (`[hΩ₁, Ω₂] = O(h)`), so it is omitted.
///
/// Edge cases: the fields of file 003 are discontinuous where a point crosses a sector boundary; there, any
/// method is first order locally — the order is a smooth-field statement, and an error-controlled step
/// (`PIController`) shrinks at each crossing. On a smooth stretch it works (rtol 1e-6: ~300 steps over s = 0.1,
/// 2 rejected). On a random two-layer general flow with crossings, rtol 1e-5 took 6 336 accepted and 13 664
/// rejected steps on s ∈ [0, 2] and hit the 20 000-step cap — rejection-dominated, as when the field chatters
/// across a sector boundary. Run these flows at a `ConstantStepSize`.
public struct CayleyStepper: Stepper {
    /// The explicit method applied on the Lie algebra.
    public enum Method: String, Sendable, CaseIterable {
        /// Lie–Euler, order 1.
        case euler
        /// Heun with embedded Lie–Euler, order 2(1).
        case heunEuler
    }

    /// The method.
    public let method: Method
    /// Where the orthogonal blocks sit in the state (`AdaptedParameters.orthogonalBlocks`).
    public let orthogonalBlocks: [OrthogonalBlock]

    /// A stepper for states with `orthogonalBlocks` on `O(size)`.
    public init(_ method: Method, orthogonalBlocks: [OrthogonalBlock]) {
        self.method = method
        self.orthogonalBlocks = orthogonalBlocks
    }

    /// 1 for `.euler`, 2 for `.heunEuler`.
    public var order: Int { method == .euler ? 1 : 2 }
    /// `nil` for `.euler`, 1 for `.heunEuler`.
    public var errorOrder: Int? { method == .euler ? nil : 1 }

    /// One step, see `Stepper.step(_:at:_:size:f0:)`.
    /// - Throws: `.shapeMismatch` if a block does not fit in the state or the velocity's length differs; whatever
    ///   the field throws.
    public func step(_ field: any VectorField, at s: Double, _ y: [Double], size h: Double, f0: [Double]?) throws -> StepResult {
        try checkLayout(y.count)
        let k1 = try f0 ?? field.velocity(at: s, y)
        guard k1.count == y.count else {
            throw TangentFlowError.shapeMismatch(operation: "CayleyStepper", expected: "a velocity of length \(y.count)", got: "\(k1.count)")
        }
        let omega1 = generators(y, k1)
        let euler = try advance(y, linear: k1, generators: omega1, h: h)
        let evalsFirst = f0 == nil ? 1 : 0
        if method == .euler { return StepResult(y: euler, error: nil, fLast: nil, evaluations: evalsFirst) }
        let k2 = try field.velocity(at: s + h, euler)
        let omega2 = generators(euler, k2)
        let kMean = (0..<y.count).map { 0.5 * (k1[$0] + k2[$0]) }
        let omegaMean = (0..<omega1.count).map { CayleyStepper.scale(CayleyStepper.add(omega1[$0], omega2[$0]), 0.5) }
        let heun = try advance(y, linear: kMean, generators: omegaMean, h: h)
        let error = (0..<y.count).map { heun[$0] - euler[$0] }
        return StepResult(y: heun, error: error, fLast: nil, evaluations: evalsFirst + 1)
    }

    /// `Ω = π₋(Ṙ Rᵀ)` for every block.
    func generators(_ y: [Double], _ v: [Double]) -> [Matrix] {
        orthogonalBlocks.map { b in
            let n = b.size
            let r = Matrix(uncheckedRows: n, cols: n, elements: Array(y[b.offset..<(b.offset + n * n)]))
            let rdot = Matrix(uncheckedRows: n, cols: n, elements: Array(v[b.offset..<(b.offset + n * n)]))
            return CayleyStepper.antisymmetricPart(CayleyStepper.multiply(rdot, r, transposeB: true))
        }
    }

    /// `y + h·linear` outside the blocks, `cay(hΩ)R` inside.
    func advance(_ y: [Double], linear: [Double], generators: [Matrix], h: Double) throws -> [Double] {
        var out = (0..<y.count).map { y[$0] + h * linear[$0] }
        for (b, omega) in zip(orthogonalBlocks, generators) {
            let n = b.size
            let r = Matrix(uncheckedRows: n, cols: n, elements: Array(y[b.offset..<(b.offset + n * n)]))
            let next = CayleyStepper.multiply(try CayleyStepper.cayley(CayleyStepper.scale(omega, h)), r)
            out.replaceSubrange(b.offset..<(b.offset + n * n), with: next.elements)
        }
        return out
    }

    func checkLayout(_ count: Int) throws {
        for b in orthogonalBlocks where b.offset < 0 || b.size < 1 || b.offset + b.size * b.size > count {
            throw TangentFlowError.shapeMismatch(
                operation: "CayleyStepper", expected: "an O(\(b.size)) block at \(b.offset) inside the state", got: "a state of length \(count)")
        }
    }
}

// The small dense `n×n` algebra of the step; `TruncationAlgebra` (in the `TangentFlowTruncation` target, above the
// core) uses these same functions.
extension CayleyStepper {
    /// `op(A)·op(B)` by plain loops.
    package static func multiply(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false) -> Matrix {
        let m = transposeA ? a.cols : a.rows, k = transposeA ? a.rows : a.cols, n = transposeB ? b.rows : b.cols
        var c = [Double](repeating: 0, count: m * n)
        for j in 0..<n {
            for p in 0..<k {
                let bpj = transposeB ? b.elements[j + p * b.rows] : b.elements[p + j * b.rows]
                if bpj == 0 { continue }
                for i in 0..<m {
                    let aip = transposeA ? a.elements[p + i * a.rows] : a.elements[i + p * a.rows]
                    c[i + j * m] += aip * bpj
                }
            }
        }
        return Matrix(uncheckedRows: m, cols: n, elements: c)
    }

    /// `A + B`.
    static func add(_ a: Matrix, _ b: Matrix) -> Matrix {
        Matrix(uncheckedRows: a.rows, cols: a.cols, elements: (0..<a.elements.count).map { a.elements[$0] + b.elements[$0] })
    }

    /// `s·A`.
    package static func scale(_ a: Matrix, _ s: Double) -> Matrix {
        Matrix(uncheckedRows: a.rows, cols: a.cols, elements: a.elements.map { $0 * s })
    }

    /// `π₋(A) = (A − Aᵀ)/2`, the projection onto `o(n)`.
    package static func antisymmetricPart(_ a: Matrix) -> Matrix {
        var c = a.elements
        let n = a.rows
        for j in 0..<n { for i in 0..<n { c[i + j * n] = 0.5 * (a.elements[i + j * n] - a.elements[j + i * n]) } }
        return Matrix(uncheckedRows: n, cols: n, elements: c)
    }

    /// `cay(A) = (I − A/2)⁻¹(I + A/2)`, the inverse by the thin SVD `VΣ⁻¹Uᵀ`; throws `.invalidArgument` when
    /// `I − A/2` is numerically singular (`σ_min ≤ n·ε·σ_max`; never for antisymmetric `A`).
    package static func cayley(_ a: Matrix, backend: KernelBackend = .c) throws -> Matrix {
        let n = a.rows
        var minus = scale(a, -0.5), plus = scale(a, 0.5)
        for i in 0..<n {
            minus.elements[i + i * n] += 1
            plus.elements[i + i * n] += 1
        }
        return multiply(try inverse(minus, operation: "cayley", argument: "I − A/2", backend: backend), plus)
    }

    /// `A⁻¹` through the thin SVD `A = UΣVᵀ` (by `backend`): `A⁻¹ = VΣ⁻¹Uᵀ`.
    ///
    /// Throws `.invalidArgument` naming `argument` when `σ_min ≤ n·ε·σ_max` (numerically singular), and
    /// `.nonFinite` for NaN/∞ entries.
    package static func inverse(_ a: Matrix, operation: String, argument: String, backend: KernelBackend = .c) throws -> Matrix {
        try a.requireSquare(operation, argument)
        try a.requireNonEmpty(operation, argument)
        try a.requireFinite(operation, argument)
        let svd = try backend.kernels.svd(a)
        let n = a.rows
        let smax = svd.singularValues.first ?? 0, smin = svd.singularValues.last ?? 0
        guard smin > Double(n) * Double.ulpOfOne * smax, smax > 0 else {
            throw TangentFlowError.invalidArgument(
                operation: operation,
                reason: "\(argument) is not invertible (singular values \(smax) … \(smin); need σ_min > \(n)·ε·σ_max)")
        }
        var c = [Double](repeating: 0, count: n * n)
        for k in 0..<n {
            let inv = 1 / svd.singularValues[k]
            for j in 0..<n {
                let ujk = svd.u.elements[j + k * n] * inv
                for i in 0..<n { c[i + j * n] += svd.vt.elements[k + i * n] * ujk }
            }
        }
        return Matrix(uncheckedRows: n, cols: n, elements: c)
    }
}
