/// The Gram route to the pseudoinverse of a wide Jacobian `D ∈ R^{QN×K}` (`QN ≤ K`), the paper's own ψ-form
/// ((2.21)–(2.22) in 2408.01517; MATH.md §2):
///
/// ```
/// G = D Dᵀ,   G ψ = P_ran(G) g,   D⁺ g = Dᵀ ψ = Dᵀ G⁺ g
/// ```
/// By eigendecomposition `G = V diag(λ) Vᵀ`, eigenvalues `λ_i > tol_G` kept, where
/// `tol_G = max(tol_D², QN·ε·λ_max)` and `tol_D` is the SVD threshold of `D` (`σ_max = √λ_max`). The second
/// term matters: null eigenvalues of a computed `G` sit near `1e−16·λ_max`, far above `tol_D²`. By Cholesky
/// only while `G` is positive definite (rank `QN` assumed; it throws otherwise).
///
/// Accuracy: `κ(G) = κ(D)²`, so this route cannot resolve `σ(D)` below `≈ √(QN·ε)·σ_max`; decide the rank
/// with the SVD of `D` (`Pseudoinverse`) where that matters.
public struct GramPseudoinverse: Sendable {
    /// How `G⁺ g` is computed.
    public enum Method: String, CaseIterable, Sendable {
        /// Symmetric eigendecomposition with the cut-off above: rank-revealing, handles rank loss. The default.
        case eigen
        /// Cholesky: about 3× cheaper, only for positive definite `G` (throws `.notPositiveDefinite` otherwise).
        case cholesky
        /// Cholesky while `G` is safely positive definite (estimated `1/κ₁(G) > 100·QN·ε`, so the eigenvalue
        /// cut-off would keep every eigenvalue), the eigendecomposition otherwise (rank loss).
        case automatic
    }

    /// How one `G⁺g` solve went.
    public struct Solution: Sendable {
        /// `ψ = G⁺ g`.
        public let psi: Matrix
        /// Numerical rank of `G` used (`QN` when Cholesky was used).
        public let rank: Int
        /// Whether the Cholesky path was taken.
        public let usedCholesky: Bool
        /// Eigenvalues of `G`, ascending, when the eigendecomposition was used.
        public let eigenvalues: [Double]?
    }

    /// `.automatic`'s criterion for the Cholesky route: estimated `1/κ₁(G) > 100·QN·ε`, so that the eigenvalue
    /// cut-off `QN·ε·λ_max` would keep every eigenvalue (with a margin for the estimate).
    static func choleskyIsSafe(reciprocalCondition: Double, order n: Int) -> Bool {
        reciprocalCondition > 100 * Double(n) * Double.ulpOfOne
    }

    /// One-shot `ψ = G⁺ g` with a single factorisation (the adapted flow's inner step, (2.21)–(2.22)):
    /// `.automatic` tries Cholesky with a condition estimate and falls back to the eigendecomposition.
    /// - Throws: `.notPositiveDefinite` (`.cholesky` only), shape and finiteness errors.
    public static func solve(
        gram: Matrix, _ g: Matrix, parameterCount: Int, tolerance: RankTolerance = .default, method: Method = .automatic,
        backend: KernelBackend = .c
    ) throws -> Solution {
        if method != .eigen {
            do {
                let (psi, rcond) = try backend.kernels.choleskySolve(gram, g, estimateCondition: method == .automatic)
                if method == .cholesky || choleskyIsSafe(reciprocalCondition: rcond ?? 0, order: gram.rows) {
                    return Solution(psi: psi, rank: gram.rows, usedCholesky: true, eigenvalues: nil)
                }
            } catch TangentFlowError.notPositiveDefinite(let op, let minor) {
                if method == .cholesky { throw TangentFlowError.notPositiveDefinite(operation: op, minor: minor) }
            }
        }
        let route = try GramPseudoinverse(gram: gram, parameterCount: parameterCount, tolerance: tolerance, method: .eigen, backend: backend)
        return Solution(psi: try route.solve(g), rank: route.rank, usedCholesky: false, eigenvalues: route.eigen?.values)
    }

    /// `G = DDᵀ`, `QN×QN`.
    public let gram: Matrix
    /// The method in use (`.automatic` resolves to `.cholesky` or `.eigen` at construction).
    public let method: Method
    /// Numerical rank of `G` (`QN` for `.cholesky`).
    public let rank: Int
    /// Eigenvalue cut-off `tol_G` (0 for `.cholesky`).
    public let threshold: Double
    /// Eigendecomposition of `G` (`.eigen` only).
    public let eigen: SymmetricEigen?
    private let backend: KernelBackend

    /// Prepares `G⁺` from a Gram matrix `G = DDᵀ` of a Jacobian with `parameterCount` columns.
    /// - Throws: `.notSymmetric`, `.nonFinite`, `.notPositiveDefinite` (`.cholesky`), `.eigenDidNotConverge`.
    public init(
        gram: Matrix, parameterCount: Int, tolerance: RankTolerance = .default, method: Method = .eigen,
        backend: KernelBackend = .c
    ) throws {
        let op = "GramPseudoinverse"
        try tolerance.validate(op)
        guard parameterCount >= 1 else {
            throw TangentFlowError.invalidArgument(operation: op, reason: "parameterCount must be ≥ 1, got \(parameterCount)")
        }
        let sym = try SymmetricMatrix(gram, tolerance: 1e-10).matrix
        self.gram = sym
        self.backend = backend
        var resolved = method
        if method == .automatic {
            // Not positive definite means "take the eigen route"; any other failure of the kernel is an error.
            var rcond = 0.0
            do {
                rcond = try backend.kernels.choleskySolve(sym, Matrix(zerosRows: sym.rows, cols: 0), estimateCondition: true)
                    .reciprocalCondition ?? 0
            } catch TangentFlowError.notPositiveDefinite {
                rcond = 0
            }
            resolved = GramPseudoinverse.choleskyIsSafe(reciprocalCondition: rcond, order: sym.rows) ? .cholesky : .eigen
        }
        self.method = resolved
        if resolved == .cholesky {
            // Factor once now so that a non-PD G fails here, with the minor; solves refactor (cheap vs. G).
            _ = try backend.kernels.choleskySolve(sym, Matrix(zerosRows: sym.rows, cols: 0))
            eigen = nil
            threshold = 0
            rank = sym.rows
        } else {
            let e = try backend.kernels.symmetricEigen(sym)
            let lmax = Swift.max(e.values.last ?? 0, 0)
            let tolD = tolerance.threshold(rows: sym.rows, cols: parameterCount, sigmaMax: lmax.squareRoot())
            let tolG = Swift.max(tolD * tolD, Double(sym.rows) * Double.ulpOfOne * lmax)
            eigen = e
            threshold = tolG
            rank = e.values.filter { $0 > tolG }.count
        }
    }

    /// `ψ = G⁺ g` for a block `g ∈ R^{QN×k}`: the minimum-norm solution of `G ψ = P_ran(G) g` ((2.21)).
    public func solve(_ g: Matrix) throws -> Matrix {
        try checkRHS(g, "GramPseudoinverse.solve")
        if method == .cholesky { return try backend.kernels.choleskySolve(gram, g) }
        return try eigenApply(g) { 1 / $0 }
    }

    /// `P_ran(G) g = V_r V_rᵀ g`.
    public func projectOntoRange(_ g: Matrix) throws -> Matrix {
        try checkRHS(g, "GramPseudoinverse.projectOntoRange")
        if method == .cholesky { return g }
        return try eigenApply(g) { _ in 1 }
    }

    /// `D⁺ g = Dᵀ G⁺ g` given the Jacobian `D` (or use `vjp` for a matrix-free `Dᵀ`).
    public func applyPseudoinverse(jacobian d: Matrix, _ g: Matrix) throws -> Matrix {
        guard d.rows == gram.rows else {
            throw TangentFlowError.shapeMismatch(
                operation: "GramPseudoinverse.applyPseudoinverse", expected: "D with \(gram.rows) rows", got: d.shapeString)
        }
        return try backend.kernels.multiply(d, transposeA: true, solve(g), transposeB: false)
    }

    /// `V f(Λ_r) Vᵀ g` over the kept eigenpairs.
    private func eigenApply(_ g: Matrix, _ f: (Double) -> Double) throws -> Matrix {
        guard let e = eigen else { return g }
        let n = gram.rows
        let keep = (0..<n).filter { e.values[$0] > threshold }
        var vr = Matrix(zerosRows: n, cols: keep.count)
        for (c, j) in keep.enumerated() {
            for i in 0..<n { vr.elements[i + c * n] = e.vectors.elements[i + j * n] }
        }
        let k = backend.kernels
        var c = try k.multiply(vr, transposeA: true, g, transposeB: false)
        for col in 0..<c.cols {
            for (r, j) in keep.enumerated() { c.elements[r + col * keep.count] *= f(e.values[j]) }
        }
        return try k.multiply(vr, transposeA: false, c, transposeB: false)
    }

    private func checkRHS(_ g: Matrix, _ op: String) throws {
        guard g.rows == gram.rows else {
            throw TangentFlowError.shapeMismatch(operation: op, expected: "g with \(gram.rows) rows", got: g.shapeString)
        }
        try g.requireFinite(op, "g")
    }
}
