/// The right-hand side `y' = F(s, y)` of an ODE on `R^n` — the *term* of a solve (diffrax `_term.py`):
/// it knows only velocities, not steps, step sizes or what to save.
public protocol VectorField: Sendable {
    /// `F(s, y)`.
    func velocity(at s: Double, _ y: [Double]) throws -> [Double]
}

/// A gradient-flow field on the parameters `θ` of a `TrainingProblem`, with its image in output space
/// (`x' = D θ'`, (2.18), (2.28), (2.41) in 2408.01517), evaluated from the NTK without `D`.
public protocol ParameterFlow: VectorField {
    /// The problem the flow trains.
    var problem: TrainingProblem { get }
    /// `x' = D θ'` in closed form through the NTK (a second route to the same vector, used in tests).
    func outputVelocity(at s: Double, _ theta: [Double]) throws -> [Double]
}

/// Which route computes `D⁺g` (MATH.md §2).
public enum PseudoinverseRoute: Sendable, Equatable {
    /// `D⁺g = Dᵀ G⁺ g` with the NTK `G` from the structured kernel (no Jacobian), `Dᵀ` by VJP. The default,
    /// with Cholesky while `G` is safely positive definite and the eigendecomposition under rank loss.
    case gram(GramPseudoinverse.Method)
    /// Thin SVD of the materialised Jacobian: accurate to `κ(D)ε` instead of `κ(D)²ε`; costs `O(QN²K)`.
    case svd
    /// LSMR on `D θ = g` through the matrix-free NTK operator (`MatrixFreePseudoinverse`): neither `G` nor `D` is
    /// formed, memory is the operator's record (`O(N·ΣM_ℓ)`) plus `O(QN + K)`; each solve is recorded in `log`.
    /// Not converging within the options' cap throws `.didNotConverge`.
    case matrixFree(LSMROptions, log: KrylovSolveLog)

    /// `.gram(.automatic)`.
    public static let `default` = PseudoinverseRoute.gram(.automatic)
}

extension TrainingProblem {
    /// `D⁺ g` by the chosen route, with the rank it used (`nil` for the matrix-free route, which decides none).
    func pseudoinverseApply(_ theta: [Double], _ g: [Double], route: PseudoinverseRoute) throws -> (velocity: [Double], rank: Int?) {
        switch route {
        case let .matrixFree(options, log):
            return (try matrixFreeApply(theta, g, options: options, log: log), nil)
        case let .gram(method):
            if method != .eigen {
                try model.validateParameters(theta)
                return try gramRouteApply(backend.kernels.mlpRecordPass(model, theta: theta, inputs: inputs), g, method: method)
            }
            let sol = try GramPseudoinverse.solve(
                gram: ntk(theta), Matrix.column(g), parameterCount: model.parameterCount, method: method, backend: backend)
            return (try pullback(theta, sol.psi.elements), sol.rank)
        case .svd:
            let p = try Pseudoinverse(of: jacobian(theta), backend: backend)
            return (try p.apply(Matrix.column(g)).elements, p.rank)
        }
    }

    /// The Cholesky-capable Gram routes on a recorded pass (its NTK and VJP), on either backend: `ψ = G⁻¹g` by the
    /// pass's own Cholesky solve (the C pass factors its NTK in place, no copy), accepted on `GramPseudoinverse`'s
    /// criterion. Otherwise the checked route runs on the pass's NTK (recomputed in C, whose attempt destroyed the
    /// first): the eigendecomposition for `.automatic`, and for `.cholesky` the error naming the minor.
    func gramRouteApply(_ pass: any MLPRecordedPass, _ g: [Double], method: GramPseudoinverse.Method) throws -> (velocity: [Double], rank: Int) {
        if let (psi, rcond) = try pass.ntkCholeskySolve(g, estimateCondition: method == .automatic),
            method == .cholesky || GramPseudoinverse.choleskyIsSafe(reciprocalCondition: rcond ?? 0, order: outputCount)
        {
            return (try pass.pullback(psi), outputCount)
        }
        let sol = try GramPseudoinverse.solve(
            gram: pass.ntk(), Matrix.column(g), parameterCount: model.parameterCount,
            method: method == .cholesky ? .cholesky : .eigen, backend: backend)
        return (try pass.pullback(sol.psi.elements), sol.rank)
    }

    /// `P_ran(G) v` (output-space projector of the adapted flow, (2.28)); `= D D⁺ v` on the matrix-free route.
    func projectOntoNTKRange(_ theta: [Double], _ v: [Double], route: PseudoinverseRoute) throws -> [Double] {
        let k = model.parameterCount
        switch route {
        case let .matrixFree(options, log):
            return try matrixFreeProjectOntoRange(theta, v, options: options, log: log)
        case .svd:
            return try Pseudoinverse(of: jacobian(theta), backend: backend).projectOntoRange(Matrix.column(v)).elements
        case let .gram(method):
            let m: GramPseudoinverse.Method = method == .cholesky ? .cholesky : .eigen
            return try GramPseudoinverse(gram: ntk(theta), parameterCount: k, method: m, backend: backend)
                .projectOntoRange(Matrix.column(v)).elements
        }
    }
}

func scaled(_ a: [Double], _ s: Double) -> [Double] { a.map { $0 * s } }
func axpy(_ a: [Double], _ s: Double, _ b: [Double]) -> [Double] { (0..<a.count).map { a[$0] + s * b[$0] } }
func norm2(_ a: [Double]) -> Double { scaledNorm(a) }
