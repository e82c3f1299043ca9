/// The hot loops of the package, behind one protocol with two interchangeable implementations: `CBackend`
/// (OpenBLAS, LAPACKE and the OpenMP runtime, through `CKernels`) and `SwiftBackend` (readable pure Swift, the
/// second opinion in tests and the baseline in `kernels-bench`). Pick one at run time with `KernelBackend`.
///
/// Every method validates its arguments (shapes, finiteness) and throws `TangentFlowError`; none traps on bad
/// input. Matrices are column-major; MLP inputs hold one sample per row (`N×M_0`); MLP outputs and Jacobian rows
/// are sample-major (row `i·Q + q` is output `q` of sample `i`, MATH.md §1).
public protocol Kernels: Sendable {
    /// Which implementation this is.
    var backend: KernelBackend { get }

    /// `C = op(A)·op(B)` with `op(X) = X` or `Xᵀ`.
    func multiply(_ a: Matrix, transposeA: Bool, _ b: Matrix, transposeB: Bool) throws -> Matrix

    /// Thin SVD `A = U diag(s) Vᵀ` with `s` descending, `U` `m×r`, `Vᵀ` `r×n`, `r = min(m, n)`.
    func svd(_ a: Matrix) throws -> SVD

    /// Eigendecomposition `A = V diag(λ) Vᵀ` of a symmetric matrix, `λ` ascending, `V` orthogonal.
    func symmetricEigen(_ a: Matrix) throws -> SymmetricEigen

    /// Solves `A X = B` for symmetric positive definite `A` by Cholesky; throws `.notPositiveDefinite` otherwise.
    /// With `estimateCondition`, also returns an estimate of `1/κ₁(A)` (LAPACK dpocon; exact in the Swift path).
    func choleskySolve(_ a: Matrix, _ b: Matrix, estimateCondition: Bool) throws -> (solution: Matrix, reciprocalCondition: Double?)

    /// Gram matrix `G = D Dᵀ` (the generic empirical NTK `Θ = DDᵀ`, (3.15) in 2408.01517), symmetric in full.
    func gram(_ d: Matrix) throws -> Matrix

    /// MLP outputs `f_θ(x_i)` as an `N×Q` matrix (row `i` is sample `i`).
    func mlpForward(_ model: MLP, theta: [Double], inputs x: Matrix) throws -> Matrix

    /// Full parameter Jacobian `D[θ] ∈ R^{QN×K}`, `D_{(iQ+q),k} = ∂f_θ(x_i)_q/∂θ_k` ((2.12) in 2408.01517).
    func mlpJacobian(_ model: MLP, theta: [Double], inputs x: Matrix) throws -> Matrix

    /// The Jacobian written into an existing `QN×K` matrix, reusing its storage: for repeated evaluations (a
    /// flow), where a fresh `QN×K` allocation would cost more in page faults than computing `D` itself.
    func mlpJacobian(_ model: MLP, theta: [Double], inputs x: Matrix, into d: inout Matrix) throws

    /// Jacobian–vector products `D·V` for a block `V ∈ R^{K×B}`, without forming `D`; result `QN×B`.
    func mlpJVP(_ model: MLP, theta: [Double], inputs x: Matrix, directions v: Matrix) throws -> Matrix

    /// Vector–Jacobian products `Dᵀ·U` for a block `U ∈ R^{QN×B}`, without forming `D`; result `K×B`.
    func mlpVJP(_ model: MLP, theta: [Double], inputs x: Matrix, cotangents u: Matrix) throws -> Matrix

    /// Empirical NTK `Θ(X₁, X₂) = D(X₁) D(X₂)ᵀ ∈ R^{QN₁×QN₂}` by the layer-factored formula (DESIGN.md)
    /// `Θ(x_i,x_j)_{qq'} = Σ_ℓ (a_ℓ²⟨h_i^{ℓ−1}, h_j^{ℓ−1}⟩ + c_ℓ²)·⟨δ_{i,q}^ℓ, δ_{j,q'}^ℓ⟩`, never forming `D`.
    /// `x2 == nil` means `X₂ = X₁` (symmetric result, computed once per triangle).
    func mlpNTK(_ model: MLP, theta: [Double], inputs x1: Matrix, _ x2: Matrix?) throws -> Matrix

    /// Records one forward pass (the tape: `h^ℓ`, `σ'(z^ℓ)`, `δ^ℓ`) of `model` at `θ` on `X`, from which the
    /// outputs `f_θ(X)`, the NTK `Θ(X, X)` and VJPs `Dᵀu` follow without recomputing it (the adapted flow's field,
    /// (2.19)/(2.21)–(2.22) in 2408.01517). See `MLPRecordedPass`.
    func mlpRecordPass(_ model: MLP, theta: [Double], inputs x: Matrix) throws -> any MLPRecordedPass

    /// The empirical NTK `G = D Dᵀ` of `model` at `θ` on `X` as a matrix-free operator (`G V = D (Dᵀ V)`, see
    /// `NTKOperator`), for sizes where `G` itself would not fit. `keepSensitivities` keeps `δ^ℓ` of the layers
    /// `ℓ ≤ L−2` (`N·Q·M_ℓ` doubles each; the C backend then needs one GEMM per layer and product instead of two);
    /// the Swift backend recomputes everything per product and ignores it.
    /// - Throws: model/`θ`/`X` validation errors; `.insufficientMemory` before recording a pass that cannot fit.
    func mlpNTKOperator(_ model: MLP, theta: [Double], inputs x: Matrix, keepSensitivities: Bool) throws -> any NTKOperator

    /// `G ← G + DDᵀ` in place for a column panel `D` (`r×k`) and a `r×r` `G`, both triangles written: streams the
    /// generic NTK `Θ = DDᵀ = Σ_p D_p D_pᵀ` ((3.15) in 2408.01517) over panels of a Jacobian too large for memory.
    /// Throws `.shapeMismatch` unless `G` is `r×r`, `.nonFinite` for NaN/±∞ in `D`; `G` is unchanged on a throw.
    func gramAccumulate(_ d: Matrix, into g: inout Matrix) throws

    /// Entropic optimal transport on a regular 2-D grid, log domain: the potentials `f`, `g` of the plan
    /// `P_kl = exp((f_k + g_l − C_kl)/ε)`, `C_kl = ½|x_k − x_l|²`, with marginals `a`, `b`, by Sinkhorn iterations
    /// `f ← ε(log a − LSE_l((g_l − C_kl)/ε))` and its transpose, with the options' ε-scaling and over-relaxation
    /// (MATH.md §6). Returns the result even when the iteration cap was hit (its marginal errors say so).
    /// Throws for bad options or marginals (negative, not summing to 1, wrong length, NaN).
    func gridSinkhorn(grid: RegularGrid2D, a: [Double], b: [Double], options: SinkhornOptions) throws -> SinkhornResult

    /// The transport cost `⟨P, C⟩ = Σ_kl P_kl C_kl` and mass `Σ_kl P_kl` of the plan `P_kl = exp((f_k + g_l − C_kl)/ε)`
    /// of the potentials `(f, g)` on `grid`. `C = c_1 ⊕ c_2` is separable, so both are sums over `k` of
    /// `exp(f_k/ε + log Σ_l exp((g_l − C_kl)/ε)·w(k, l))` with `w = 1` (mass) or `w = c_a` (the cost of axis `a`), each
    /// inner log-sum-exp one (cost-weighted) separable kernel application: `O(n1·n2·(n1 + n2))`, log-stable.
    /// Entries of `f`, `g` may be `−∞`.
    func gridTransportCost(grid: RegularGrid2D, f: [Double], g: [Double], regularization: Double) throws
        -> (cost: Double, mass: Double)

    /// The log-domain Gibbs kernel `w ↦ log Σ_l exp(w_l − C_kl/ε)` of `grid`, prepared at `ε > 0` (holds
    /// workspace: one per thread). See `PreparedGridLogKernel`.
    func gridLogKernel(grid: RegularGrid2D, epsilon: Double) throws -> any PreparedGridLogKernel

    /// The exact linear assignment `min_σ Σ_i C[i, σ(i)]` over permutations of `0..<m` for a finite `m×m` cost,
    /// with dual potentials `u_i + v_j ≤ C_ij` (equality on the assignment, so `Σ u + Σ v` = the optimum; LP duality).
    /// Costs are scaled by a power of two internally (exact). Throws `.emptyInput`, `.shapeMismatch` (not square),
    /// `.nonFinite`.
    func linearAssignment(cost: Matrix) throws -> LinearAssignmentResult

    /// The exact rectangular assignment `min Σ_t C[r_t, c_t]` over `k = min(n, m)` pairs of distinct rows and
    /// distinct columns of an `n×m` cost (any shape, `0` included) whose entries are finite or `+∞` (a forbidden
    /// pair), by shortest augmenting paths with dual potentials. Returns `nil` when every such assignment uses a
    /// `+∞` entry (infeasible). Throws `.nonFinite` for a NaN or `−∞` entry.
    func rectangularAssignment(cost: Matrix) throws -> RectangularAssignmentResult?

    /// The exact assignment between point sets `X` and `Y` (`m×d` each, one point per row) for the cost
    /// `|x_i − y_j|²`, `min_σ Σ_i |x_i − y_σ(i)|²`, optionally warm-started from column potentials `v` (e.g. a
    /// previous solve's; any finite values give the same optimum). `totalCost` is summed by direct differences;
    /// the potentials are those of the cost `|x_i − y_j|²`. Throws `.emptyInput`, `.shapeMismatch`, `.nonFinite`,
    /// `.insufficientMemory`.
    func pointAssignment(_ x: Matrix, _ y: Matrix, warmStart: [Double]?) throws -> LinearAssignmentResult

    /// `C_ij = |x_i − y_j|² = Σ_t (X_it − Y_jt)²` for point sets `X` (`m×d`) and `Y` (`n×d`), one point per row.
    /// Throws `.emptyInput`, `.shapeMismatch` (different `d`), `.nonFinite`, `.insufficientMemory`.
    func pairwiseSquaredDistances(_ x: Matrix, _ y: Matrix) throws -> Matrix
}

extension Kernels {
    /// Solves `A X = B` for symmetric positive definite `A` by Cholesky; throws `.notPositiveDefinite` otherwise.
    public func choleskySolve(_ a: Matrix, _ b: Matrix) throws -> Matrix {
        try choleskySolve(a, b, estimateCondition: false).solution
    }

    /// Default: compute a fresh Jacobian and move it into `d` after checking its shape.
    public func mlpJacobian(_ model: MLP, theta: [Double], inputs x: Matrix, into d: inout Matrix) throws {
        try KernelValidation.jacobianDestination(model, x, d)
        d = try mlpJacobian(model, theta: theta, inputs: x)
    }
}

/// Thin singular value decomposition `A = U diag(s) Vᵀ` (`s` descending, non-negative).
public struct SVD: Sendable {
    /// Left singular vectors, `m×r`, orthonormal columns.
    public let u: Matrix
    /// Singular values `s_1 ≥ … ≥ s_r ≥ 0`, `r = min(m, n)`.
    public let singularValues: [Double]
    /// Right singular vectors transposed, `r×n`, orthonormal rows.
    public let vt: Matrix

    /// Creates a decomposition from its factors (no checks: used by the backends).
    public init(u: Matrix, singularValues: [Double], vt: Matrix) {
        self.u = u
        self.singularValues = singularValues
        self.vt = vt
    }
}

/// Symmetric eigendecomposition `A = V diag(λ) Vᵀ`.
public struct SymmetricEigen: Sendable {
    /// Eigenvalues in ascending order.
    public let values: [Double]
    /// Orthonormal eigenvectors as columns, in the order of `values`.
    public let vectors: Matrix

    /// Creates a decomposition from its factors (no checks: used by the backends).
    public init(values: [Double], vectors: Matrix) {
        self.values = values
        self.vectors = vectors
    }
}

/// Selects an implementation of `Kernels` at run time.
public enum KernelBackend: String, CaseIterable, Sendable {
    /// OpenBLAS/LAPACKE/OpenMP through the C target: the fast path and the default.
    case c
    /// Pure Swift: readable, independent of BLAS; the second opinion in tests and the bench baseline.
    case swift

    /// The implementation.
    public var kernels: any Kernels {
        switch self {
        case .c: CBackend()
        case .swift: SwiftBackend()
        }
    }
}
