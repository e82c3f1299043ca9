internal import CDistributed
import TangentFlow

/// The empirical NTK `G = Θ(X, X) ∈ R^{QN×QN}` of an MLP ((3.15) in 2408.01517), distributed block-cyclically
/// over a `ProcessGrid` (ScaLAPACK's layout); `G` is never assembled on one rank:
///
/// ```
/// Θ(x_i, x_j)_{qq'} = Σ_ℓ (a_ℓ²⟨h_i^{ℓ−1}, h_j^{ℓ−1}⟩ + c_ℓ²)·⟨δ_{i,q}^ℓ, δ_{j,q'}^ℓ⟩,   row i·Q+q, column j·Q+q'
/// ```
/// Each rank records the per-layer factors (activations `h`, sensitivities `δ`) of the samples its own rows and
/// columns touch and evaluates the formula only for its blocks (`CDistributed/ntk.c`).
///
/// Memory per rank: `8·(QN)²/P` bytes for its part of `G`, plus the tape of `≈ N/P_r` samples and one panel
/// (`cd_ntk_memory`); the eigen route adds the eigenvectors (another `8·(QN)²/P`) and `pdsyevr`'s workspace.
/// Every method is COLLECTIVE: call it on every rank with identical arguments.
public final class DistributedNTK: @unchecked Sendable {
    let handle: OpaquePointer
    /// The grid `G` lives on.
    public let grid: ProcessGrid
    /// `QN`.
    public let order: Int
    /// `K`.
    public let parameterCount: Int

    /// COLLECTIVE. Computes this rank's blocks of `G` at `θ` on `X` (`N×M₀`, samples as rows).
    /// - Throws: `DistributedError` on every rank if any rank's `θ` or `X` is invalid (shape, NaN, ±∞) or differs
    ///   from rank 0's; the message names the rank.
    public init(model: MLP, theta: [Double], inputs x: Matrix, grid: ProcessGrid, threads: Int = 0) throws {
        self.grid = grid
        order = x.rows * model.outputDimension
        parameterCount = model.parameterCount
        let local: String? = theta.count != model.parameterCount
            ? "θ has \(theta.count) entries, the network has K = \(model.parameterCount)"
            : (x.cols != model.inputDimension ? "X has \(x.cols) columns, the network's input width is \(model.inputDimension)" : nil)
        _ = try Distributed.agree("DistributedNTK") { if let local { throw DistributedError(status: -22, message: local, operation: "DistributedNTK") } }
        var p: OpaquePointer?
        // The core's one C description of the network (`MLP.withCDescription`: widths, `CK_ACT_*` code, scales).
        let st = model.withCDescription { net in
            theta.withUnsafeBufferPointer { pt in
                x.elements.withUnsafeBufferPointer { px in
                    cd_ntk_create(grid.handle, net, pt.baseAddress, px.baseAddress, max(1, x.rows), x.rows, Int32(threads), &p)
                }
            }
        }
        try Distributed.check(st, "DistributedNTK")
        handle = p!
    }

    deinit { cd_ntk_free(handle) }

    /// Local columns per panel when computing `G` (default 512): each panel records the pass of the samples its
    /// columns touch. A tuning and test hook; set it alike on every rank (`nil` restores the default).
    nonisolated(unsafe) public static var panelColumns: Int? = nil {
        didSet { cd_ntk_set_panel_columns(panelColumns ?? 0) }
    }

    /// COLLECTIVE. All eigenvalues of `G`, ascending, on every rank (`pdsyevr`, eigenvalues only).
    public func eigenvalues() throws -> [Double] {
        var w = [Double](repeating: 0, count: order)
        try w.withUnsafeMutableBufferPointer { try Distributed.check(cd_ntk_eigenvalues(handle, $0.baseAddress), "eigenvalues") }
        return w
    }

    /// Numerical rank of `G` on the MATH.md §2 cut-off: eigenvalues above `tol_G = max(tol_D², QN·ε·λ_max)` with
    /// `tol_D = tolerance.threshold(rows: QN, cols: K, sigmaMax: √λ_max)`.
    public func rank(eigenvalues w: [Double], tolerance: RankTolerance = .default) -> (rank: Int, threshold: Double) {
        let lmax = max(w.last ?? 0, 0)
        let tolD = tolerance.threshold(rows: order, cols: parameterCount, sigmaMax: lmax.squareRoot())
        let tolG = max(tolD * tolD, Double(order) * Double.ulpOfOne * lmax)
        return (w.filter { $0 > tolG }.count, tolG)
    }

    /// How one distributed `D⁺g` went.
    public struct PseudoinverseReport: Sendable {
        /// Numerical rank used (`QN` on the Cholesky route).
        public let rank: Int
        /// Whether `pdpotrs` produced `ψ`.
        public let usedCholesky: Bool
        /// `pdpocon`'s estimate of `1/κ₁(G)` (`.automatic`; 0 otherwise).
        public let reciprocalCondition: Double
        /// Eigen route: `λ_max` and the cut-off `tol_G`.
        public let lambdaMax: Double, threshold: Double
        /// Seconds spent (re)computing blocks of `G`, in ScaLAPACK, and in the VJPs and reduction.
        public internal(set) var secondsGram: Double
        public let secondsSolve: Double, secondsPullback: Double
    }

    /// COLLECTIVE. `D⁺g = Dᵀψ`, `Gψ = P_ran(G)g` ((2.21)–(2.22) in 2408.01517; MATH.md §2), on every rank:
    /// `.cholesky` by `pdpotrf`/`pdpotrs`; `.eigen` by `pdsyevr` with the cut-off of `rank(eigenvalues:)`;
    /// `.automatic` by Cholesky while `pdpocon`'s `1/κ₁(G) > 100·QN·ε`, eigen otherwise (as `GramPseudoinverse`).
    /// `Dᵀψ` by local VJPs of each rank's own entries of `ψ` and one reduction.
    /// - Throws: `DistributedError` (`g` not finite or not identical on every rank, `.cholesky` on a `G` that is
    ///   not positive definite, ScaLAPACK failures).
    public func pseudoinverseApply(
        _ g: [Double], method: GramPseudoinverse.Method = .automatic, tolerance: RankTolerance = .default
    ) throws -> (velocity: [Double], report: PseudoinverseReport) {
        let bad = g.count != order ? "g has \(g.count) entries, QN = \(order)" : nil
        _ = try Distributed.agree("pseudoinverseApply") { if let bad { throw DistributedError(status: -22, message: bad, operation: "pseudoinverseApply") } }
        let (rel, abs): (Double, Double)
        switch tolerance {
        case .default: (rel, abs) = (Double(max(order, parameterCount)) * Double.ulpOfOne, 0)
        case let .relative(r): (rel, abs) = (r, 0)
        case let .absolute(t): (rel, abs) = (0, t)
        }
        let route: Int32 = switch method {
        case .eigen: 0
        case .cholesky: 1
        case .automatic: 2
        }
        var v = [Double](repeating: 0, count: parameterCount)
        var r = cd_pinv_report()
        let st = g.withUnsafeBufferPointer { pg in
            v.withUnsafeMutableBufferPointer { pv in cd_ntk_pinv_apply(handle, pg.baseAddress, route, rel, abs, pv.baseAddress, &r) }
        }
        try Distributed.check(st, "pseudoinverseApply")
        return (v, PseudoinverseReport(
            rank: r.rank, usedCholesky: r.used_cholesky != 0, reciprocalCondition: r.rcond, lambdaMax: r.lambda_max,
            threshold: r.threshold, secondsGram: r.seconds_gram, secondsSolve: r.seconds_solve, secondsPullback: r.seconds_vjp))
    }

    /// COLLECTIVE (tests, small problems): `max |G_local − G_ref|` over every rank's blocks, `G_ref` the full
    /// single-machine NTK held on every rank.
    public func maxAbsDifference(from reference: Matrix) throws -> Double {
        var d = 0.0
        try reference.elements.withUnsafeBufferPointer { p in
            try Distributed.check(cd_ntk_compare(handle, p.baseAddress, max(1, reference.rows), &d), "maxAbsDifference")
        }
        return d
    }

    /// Bytes this rank holds: its part of `G`, the row tape, and the largest column panel.
    public var memory: (gram: Int, tape: Int, panel: Int) {
        var g = 0, t = 0, p = 0
        cd_ntk_memory(handle, &g, &t, &p)
        return (g, t, p)
    }

    /// COLLECTIVE. Doubles of `pdsyevr` workspace this rank would allocate (with or without eigenvectors).
    public func eigenWorkspaceDoubles(vectors: Bool) -> Int { cd_ntk_eigen_workspace(handle, vectors ? 1 : 0) }
}
