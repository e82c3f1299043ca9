import CommandLineSupport
import Foundation
import TangentFlow
import TangentFlowDeepLinear
import TangentFlowIO

/// `tangentflow bw …`: Bures–Wasserstein geometry of SPD matrices (§3.2 of *Geodesics in the Deep Linear Network*;
/// Bhatia, Jain & Lim, arXiv 1712.01504).
let bwCommand = CommandSpec(
    name: "bw",
    abstract: "Bures–Wasserstein geometry of SPD matrices: geodesics, distance, Lyapunov solves, geometric means.",
    subcommands: [bwGeodesicCommand, bwLyapunovCommand, bwMeanCommand],
    examples: [
        "tangentflow bw geodesic --a A.npy --b B.npy --points 11 -o path.npy",
        "tangentflow bw lyapunov --a A.npy --x X.npy -o Y.npy",
        "tangentflow bw mean --a A.npy --b B.npy -o M.npy",
    ])

/// A non-empty square matrix from `--NAME`.
private func squareMatrix(_ p: ParsedArguments, _ name: String) throws -> Matrix {
    let m = try p.matrix(name)
    guard m.rows == m.cols, m.rows > 0 else {
        throw CommandFailure(.dataError, "--\(name): \(p.string(name)!) is \(m.rows)×\(m.cols); a non-empty square matrix is needed")
    }
    return m
}

/// `--NAME` must have the size of `--a`.
private func sameSize(_ m: Matrix, as a: Matrix, _ name: String) throws {
    guard m.rows == a.rows, m.cols == a.cols else {
        throw CommandFailure(.dataError, "--a is \(a.rows)×\(a.cols) and --\(name) is \(m.rows)×\(m.cols): they must have the same size")
    }
}

private let spdHint = "A must be symmetric positive definite (to 1e-10 relative) and not numerically singular"

/// `tangentflow bw lyapunov --a A.npy --x X.npy -o Y.npy`: `L_A(X)`, the solution of `AY + YA = X` (3.8).
let bwLyapunovCommand = CommandSpec(
    name: "lyapunov",
    abstract: "Solve the Lyapunov equation AY + YA = X for SPD A (the operator L_A of the Bures–Wasserstein metric).",
    discussion: """
        Y = U [(UᵀXU)_ij / (λ_i + λ_j)] Uᵀ with A = U diag(λ) Uᵀ; X may be any d×d matrix (Y is symmetric when X
        is). The same Y as scipy.linalg.solve_continuous_lyapunov(A, X). Prints the relative residual
        ‖AY + YA − X‖_F / ‖X‖_F.
        """,
    options: [
        OptionSpec(name: "a", value: "A.npy", help: "Symmetric positive definite d×d matrix.", kind: .inputFile),
        OptionSpec(name: "x", value: "X.npy", help: "Right-hand side (d×d).", kind: .inputFile),
        OptionSpec(name: "output", short: "o", value: "Y.npy", help: "Where to write Y (d×d float64; '-': standard output).",
                   kind: .outputFile),
    ],
    examples: [
        "python3 -c 'import numpy as np; np.save(\"A.npy\", [[2., .5], [.5, 1.]]); np.save(\"X.npy\", np.eye(2))'",
        "tangentflow bw lyapunov --a A.npy --x X.npy -o Y.npy",
    ],
    run: { p in
        let output = try p.required("output")
        let a = try squareMatrix(p, "a"), x = try p.matrix("x")
        try sameSize(x, as: a, "x")
        try MemoryBudget.require(bytes: MemoryBudget.product(a.rows, a.rows, 8 * 8), operation: "bw lyapunov on \(a.rows)×\(a.rows)")
        let y = try reportingInvalidData("--a \(p.string("a")!)", hint: spdHint) { try BuresWasserstein.lyapunov(a, x) }
        let residual = try BuresWasserstein.lyapunovResidual(a, y, x)
        try p.write(y, to: "output")
        p.report.results(["relative_residual": residual, "d": a.rows])
        p.report.say("wrote \(output)")
    })

/// `tangentflow bw mean --a A.npy --b B.npy -o M.npy`: the geometric mean `A # B` (3.9).
let bwMeanCommand = CommandSpec(
    name: "mean",
    abstract: "Geometric mean A # B of two SPD matrices: the SPD solution M of M A⁻¹ M = B.",
    discussion: """
        A # B = A^{1/2} (A^{−1/2} B A^{−1/2})^{1/2} A^{1/2} (Lemma 3.4 of the Deep Linear Network geodesics paper);
        the midpoint of the affine-invariant geodesic, and T = A⁻¹ # B is the Bures–Wasserstein transport map from
        A to B. Prints the relative residual ‖M A⁻¹ M − B‖_F / ‖B‖_F.
        """,
    options: [
        OptionSpec(name: "a", value: "A.npy", help: "Symmetric positive definite d×d matrix.", kind: .inputFile),
        OptionSpec(name: "b", value: "B.npy", help: "Symmetric positive definite d×d matrix.", kind: .inputFile),
        OptionSpec(name: "output", short: "o", value: "M.npy", help: "Where to write A # B (d×d float64; '-': standard output).",
                   kind: .outputFile),
    ],
    examples: [
        "python3 -c 'import numpy as np; np.save(\"A.npy\", np.diag([4., 1.])); np.save(\"B.npy\", [[2., .5], [.5, 1.]])'",
        "tangentflow bw mean --a A.npy --b B.npy -o M.npy",
    ],
    run: { p in
        let output = try p.required("output")
        let a = try squareMatrix(p, "a"), b = try squareMatrix(p, "b")
        try sameSize(b, as: a, "b")
        try MemoryBudget.require(bytes: MemoryBudget.product(a.rows, a.rows, 8 * 10), operation: "bw mean on \(a.rows)×\(a.rows)")
        let m = try reportingInvalidData("--a \(p.string("a")!), --b \(p.string("b")!)", hint: "both must be symmetric positive definite (to 1e-10 relative) and not numerically singular") {
            try BuresWasserstein.geometricMean(a, b)
        }
        let residual = try BuresWasserstein.riccatiResidual(m, a, b)
        try p.write(m, to: "output")
        p.report.results(["relative_residual": residual, "d": a.rows])
        p.report.say("wrote \(output)")
    })

/// `tangentflow bw geodesic --a A.npy --b B.npy --points 11 -o path.npy`.
let bwGeodesicCommand = CommandSpec(
    name: "geodesic",
    abstract: "Bures–Wasserstein geodesic between two SPD matrices (3.12), and their distance.",
    discussion: """
        γ(t) = ((1−t)I + tT) A ((1−t)I + tT) with T = A⁻¹ # B (the geometric mean, solution of T A T = B);
        prints d(A, B) = (tr A + tr B − 2 tr (A^{1/2} B A^{1/2})^{1/2})^{1/2}, the geodesic's length.
        """,
    options: pathOptions,
    examples: [
        "python3 -c 'import numpy as np; np.save(\"A.npy\", np.diag([4., 1.])); np.save(\"B.npy\", [[2., .5], [.5, 1.]])'",
        "tangentflow bw geodesic --a A.npy --b B.npy --points 11 -o path.npy",
    ],
    run: { p in
        let points = try count(p, "points", minimum: 2)
        let output = try p.required("output")
        let (a, b) = try endpoints(p, points: points)
        let geo = try BuresWassersteinGeodesic(from: a, to: b)
        try p.write(stack: geo.points(count: points), to: "output")
        p.report.results(["distance": geo.distance, "points": points])
        p.report.say("wrote \(output)")
    })
