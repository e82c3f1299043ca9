import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowDeepLinear
import TangentFlowIO

/// A non-empty square matrix from `--NAME`.
func squareMatrixOption(_ p: ParsedArguments, _ name: String) throws -> Matrix {
    let m = try p.matrix(name)
    guard m.rows == m.cols, m.rows > 0 else {
        throw CommandFailure(.dataError, "--\(name): \(p.string(name)!) is \(m.rows)×\(m.cols); a non-empty square matrix is needed")
    }
    return m
}

/// `--other` must have the size of `--first`.
func requireSameSize(_ m: Matrix, _ name: String, as a: Matrix, _ first: String) throws {
    guard m.rows == a.rows, m.cols == a.cols else {
        throw CommandFailure(.dataError, "--\(first) is \(a.rows)×\(a.cols) and --\(name) is \(m.rows)×\(m.cols): they must have the same size")
    }
}

let depthOption = OptionSpec(name: "depth", value: "N", help: "Depth N of the network.", defaultValue: "2", kind: .integer(1...10_000))

/// `tangentflow dln metric --w W.npy --x X.npy --depth N`: `g_W(X, X)` (1.7).
let dlnMetricCommand = CommandSpec(
    name: "metric",
    abstract: "The DLN metric g_W(X, Y) = tr(Xᵀ A_{N,W}⁻¹(Y)) at an invertible W (1.7)–(1.8).",
    discussion: """
        A_{N,W}(Z) = Σ_{p=1}^{N} (WWᵀ)^{(N−p)/N} Z (WᵀW)^{(p−1)/N}; it is diagonal in the singular bases of W, so
        g_W(X, Y) = Σ_ij (UᵀXV)_ij (UᵀYV)_ij / K_ij with K_ij = Σ_p σ_i^{2(N−p)/N} σ_j^{2(p−1)/N} (one SVD). Prints
        metric = g_W(X, Y) (Y = X when --y is not given) and norm = g_W(X, X)^{1/2}. W must be invertible.
        """,
    options: [
        OptionSpec(name: "w", value: "W.npy", help: "The point W (d×d, invertible).", kind: .inputFile),
        OptionSpec(name: "x", value: "X.npy", help: "Tangent vector X (d×d).", kind: .inputFile),
        OptionSpec(name: "y", value: "Y.npy", help: "Second tangent vector Y (d×d); default X.", optional: true, kind: .inputFile),
        depthOption,
    ],
    examples: [
        "python3 -c 'import numpy as np; np.save(\"W.npy\", [[2., .5], [0., 1.]]); np.save(\"X.npy\", np.eye(2))'",
        "tangentflow dln metric --w W.npy --x X.npy --depth 3",
        "tangentflow dln metric --w W.npy --x X.npy --y X.npy --depth 3 --json",
    ],
    run: { p in
        let depth = try p.int("depth")
        let w = try squareMatrixOption(p, "w"), x = try p.matrix("x")
        try requireSameSize(x, "x", as: w, "w")
        let y = try p.string("y").map { _ in try p.matrix("y") } ?? x
        try requireSameSize(y, "y", as: w, "w")
        try MemoryBudget.require(bytes: MemoryBudget.product(w.rows, w.rows, 8 * 12), operation: "dln metric on \(w.rows)×\(w.rows)")
        let (g, norm) = try reportingInvalidData("--w \(p.string("w")!)", hint: "the metric is defined at invertible W only") {
            let metric = try DeepLinearMetric(at: w, depth: depth)
            return (try metric.inner(x, y), try metric.norm(x))
        }
        p.report.results(["metric": g, "norm": norm, "depth": depth, "d": w.rows])
    })

/// `tangentflow dln distance --a A.npy --b B.npy --depth N`: the geodesic length.
let dlnDistanceCommand = CommandSpec(
    name: "distance",
    abstract: "Length of the DLN geodesic between two d×d matrices (closed form, shooting, or regularised for rank < d).",
    discussion: """
        Endpoints sharing singular vectors (A = UΣ₀Vᵀ, B = UΣ₁Vᵀ): the closed form √N‖Σ₁^{1/N} − Σ₀^{1/N}‖_F
        (Thm 2.3, (2.9)). Otherwise the geodesic equations (Thm 2.1) are solved by shooting (RK4 + Newton on the
        initial covector P₀) and the length is √(2H(A, P₀)). That is the Riemannian distance when the geodesic found
        is minimizing, and an upper bound of it otherwise. det A and det B must have the same sign.
        Method 'regularized' is for endpoints of rank < d (open problem 2 of *Geodesics in the Deep Linear
        Network*): the null singular values are lifted to ε·s (s = the larger σ_max, each ε of --epsilons), the
        lifted endpoints are joined as above, and each length L(ε) comes with the bar
        |L(ε) − d(A, B)| ≤ √N(√k_A + √k_B)(εs)^{1/N} (k = d − rank); with the lower bound
        √N‖σ↓(B)^{1/N} − σ↓(A)^{1/N}‖ this brackets the distance. The bar shrinks only like ε^{1/N}, and shooting
        near a singular endpoint is stiff: small ε needs more --steps (at d = 3, 512 reach ε = 1e-4, 4096 ε = 1e-6)
        and otherwise fails with the ε named.
        Prints distance, method and, for shooting, Newton iterations, residual and the drift of H; for
        'regularized', the last L(ε) as distance, the bracket, the extrapolated value (rate ε^{1/N}, no guarantee),
        the closed form when the frames are shared, and every level in --json.
        """,
    options: [
        OptionSpec(name: "a", value: "A.npy", help: "Start point (d×d; invertible unless --method regularized).", kind: .inputFile),
        OptionSpec(name: "b", value: "B.npy", help: "End point (d×d; invertible unless --method regularized).", kind: .inputFile),
        depthOption,
        OptionSpec(name: "method", value: "method", help: "How the geodesic is found.", defaultValue: "auto",
                   values: ["auto", "explicit", "shooting", "regularized"]),
        OptionSpec(name: "steps", value: "n", help: "RK4 steps of the shooting method (doubled up to max(4096, n) until H is conserved).", defaultValue: "64", kind: .integer(1...100_000)),
        OptionSpec(name: "epsilons", value: "e,e,…", help: "Relative lifts ε of --method regularized (1 to 8, each in (0, 1]).",
                   defaultValue: "1e-1,1e-2,1e-3"),
    ],
    examples: [
        "python3 -c 'import numpy as np; np.save(\"A.npy\", np.diag([4., 1.])); np.save(\"B.npy\", [[1., .3], [-.2, 2.]])'",
        "tangentflow dln distance --a A.npy --b B.npy --depth 3",
        "tangentflow dln distance --a A.npy --b B.npy --depth 3 --method shooting --json",
        "python3 -c 'import numpy as np; np.save(\"S.npy\", np.diag([2., 0.]))'",
        "tangentflow dln distance --a S.npy --b B.npy --depth 2 --method regularized --epsilons 1e-1,1e-2,1e-3",
    ],
    run: { p in
        let depth = try p.int("depth"), steps = try p.int("steps")
        let epsilonsText = try p.required("epsilons")
        let epsilons = epsilonsText.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !epsilons.isEmpty, epsilons.count <= 8, epsilons.allSatisfy({ $0 != nil && $0!.isFinite && $0! > 0 && $0! <= 1 }) else {
            throw UsageError.invalid("epsilons", epsilonsText, expected: "1 to 8 comma-separated numbers in (0, 1]")
        }
        let a = try squareMatrixOption(p, "a"), b = try squareMatrixOption(p, "b")
        try requireSameSize(b, "b", as: a, "a")
        try MemoryBudget.require(bytes: MemoryBudget.product(a.rows * a.rows, a.rows * a.rows, 8 * 4), operation: "shooting on \(a.rows)×\(a.rows)")
        Progress.shared.begin("dln distance")
        defer { Progress.shared.end() }
        if p.string("method") == "regularized" {
            let r = try RankDeficientDistance(from: a, to: b, depth: depth, epsilons: epsilons.map { $0! }, options: .init(steps: steps, maxSteps: Swift.max(4096, steps)))
            let (lower, upper) = r.interval
            p.report.results([
                "distance": r.levels.last!.length, "bound": r.levels.last!.bound, "method": "regularized", "depth": depth,
                "lower": lower, "upper": upper, "lower_bound": r.lowerBound, "rank_a": r.ranks.start, "rank_b": r.ranks.end,
            ])
            if let e = r.extrapolated { p.report.results(["extrapolated": e]) }
            if let c = r.closedForm { p.report.results(["closed_form": c]) }
            p.report.record("epsilons", r.levels.map(\.epsilon))
            p.report.record("lengths", r.levels.map(\.length))
            p.report.record("bounds", r.levels.map(\.bound))
            p.report.record("level_methods", r.levels.map(\.method.rawValue))
            return
        }
        let method: DeepLinearDistance.Method? = switch p.string("method") {
        case "explicit": .explicit
        case "shooting": .shooting
        default: nil
        }
        let distance: DeepLinearDistance
        do {
            distance = try DeepLinearDistance(from: a, to: b, depth: depth, method: method, options: .init(steps: steps, maxSteps: Swift.max(4096, steps)))
        } catch let e as TangentFlowError where e.description.contains("must be full rank") {
            throw CommandFailure(.dataError, "--a \(p.string("a")!), --b \(p.string("b")!): \(e.description); endpoints of rank < d need --method regularized",
                                 hint: "tangentflow dln distance --a A.npy --b B.npy --method regularized --epsilons 1e-1,1e-2,1e-3")
        }
        if let shot = distance.shooting {
            p.report.results(["distance": distance.length, "method": "shooting", "depth": depth, "newton_iterations": shot.iterations,
                              "rk4_steps": shot.steps, "residual": shot.residual, "hamiltonian_drift": shot.hamiltonianDrift])
        } else {
            p.report.results(["distance": distance.length, "method": "explicit", "depth": depth])
        }
    })
