import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowWasserstein
@testable import TangentFlowIO

/// Both transport kernels against independent solvers: ott-jax's `Grid` Sinkhorn (run to L1 marginal error
/// 1e-13) and `scipy.optimize.linear_sum_assignment` (confirmed by POT's `ot.emd`), from
/// `scripts/bench_ot_python.py --out-dir` (`Resources/reference/ot/manifest.json` records versions and checks).
@Suite struct OTReferenceTests {
    static func load(_ name: String) throws -> Matrix {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "npy", subdirectory: "Resources/reference/ot"))
        return try NpyFile.readMatrix(from: url.path)
    }

    /// The 64×64 problem (ε = 1e-3): potentials equal ott's up to the additive gauge, and ⟨P, C⟩ agrees.
    @Test func gridSinkhornMatchesOttJax() throws {
        let a = try Self.load("a").elements, b = try Self.load("b").elements
        let fRef = try Self.load("f").elements, gRef = try Self.load("g").elements
        let costRef = try Self.load("sinkhorn_cost").elements[0]
        let grid = try RegularGrid2D.unitSquare(64)
        var options = SinkhornOptions(regularization: 1e-3)
        options.tolerance = 1e-12
        let r = try GridSinkhorn.solve(grid: grid, a: a, b: b, options: options, backend: .c)
        let t = zip(r.f, fRef).map { $0 - $1 }.reduce(0, +) / Double(a.count)
        let gap = Swift.max(zip(r.f, fRef).map { abs($0 - $1 - t) }.max()!, zip(r.g, gRef).map { abs($0 - $1 + t) }.max()!)
        // Both solutions have marginal errors ≤ 1e-12; potentials of size ~0.1 then agree to ~ε·1e-12/min(a) ≈ 1e-11.
        #expect(gap <= 1e-9, "potentials differ from ott-jax by \(gap)")
        let cost = try GridSinkhorn.transportCost(grid: grid, f: r.f, g: r.g, regularization: 1e-3).cost
        #expect(abs(cost - costRef) <= 1e-10 * costRef, "⟨P, C⟩ = \(cost), ott-jax \(costRef)")
    }

    /// m = 1,024 points in d = 17: the same permutation and mean cost as SciPy.
    @Test func assignmentMatchesScipy() throws {
        let x = try Self.load("X"), y = try Self.load("Y")
        let permRef = try Self.load("perm").elements.map { Int($0) }
        let costRef = try Self.load("assignment_cost").elements[0]
        let (w2, perm) = try LinearAssignment.wassersteinSquared(x, y, backend: .c)
        #expect(perm == permRef)
        #expect(abs(w2 - costRef) <= 1e-13 * costRef, "W₂² = \(w2), scipy \(costRef)")
    }
}
