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

    /// ott-jax's own costs on the 64×64 problem (`ott_grid_costs.json`, written by
    /// `scripts/bench_sinkhorn_grid.py --make-reference`): `primal_cost / 2` (= ⟨P, C⟩) and `reg_ot_cost / 2`
    /// (= ⟨P, C⟩ + ε KL(P ‖ a⊗b) at the solution), both of the run to L1 error 1e-13.
    static func ottCosts() throws -> (primal: Double, regularized: Double) {
        let url = try #require(Bundle.module.url(forResource: "ott_grid_costs", withExtension: "json", subdirectory: "Resources/reference/ot"))
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let runs = try #require(doc["runs"] as? [[String: Any]])
        let tight = try #require(runs.first { ($0["threshold"] as? Double) == 1e-13 })
        return (try #require(tight["primal_cost_over_2"] as? Double), try #require(tight["reg_ot_cost_over_2"] as? Double))
    }

    /// The command line at the benchmark's setting (64×64, ε = 1e-3, L1 error 1e-9): the printed marginal errors
    /// are ≤ 1e-9, and the printed `cost` (⟨P, C⟩, now summed in O(n³)) and `reg_ot_cost` agree with ott-jax's
    /// `primal_cost / 2` and `reg_ot_cost / 2`. Tolerance 1e-8 relative: the solve stops at L1 error 1e-9, which
    /// moves ⟨P, C⟩ by 2.4e-10 relative here (ott's own 1e-9 run is 6.5e-10 off its 1e-13 run); a wrong axis
    /// weight or ε in the separable sum moves it by far more than 1e-8.
    @Test func commandLineCostsMatchOttJax() throws {
        let ref = try Self.ottCosts()
        let res = try #require(Bundle.module.url(forResource: "a", withExtension: "npy", subdirectory: "Resources/reference/ot"))
        let folder = res.deletingLastPathComponent().path
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run([
            "ot", "sinkhorn-grid", "--n", "64", "--a", folder + "/a.npy", "--b", folder + "/b.npy", "--reg", "1e-3", "--tol", "1e-9",
            "-o", dir + "/out", "--json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let results = try #require(doc["results"] as? [String: Any])
        let errA = try #require(results["error_a"] as? Double), errB = try #require(results["error_b"] as? Double)
        #expect(errA <= 1e-9 && errB <= 1e-9, "printed errors \(errA), \(errB)")
        let cost = try #require(results["cost"] as? Double), regCost = try #require(results["reg_ot_cost"] as? Double)
        #expect(abs(cost - ref.primal) <= 1e-8 * ref.primal, "cost \(cost) vs ott-jax primal_cost/2 \(ref.primal)")
        #expect(abs(regCost - ref.regularized) <= 1e-8 * ref.regularized, "reg_ot_cost \(regCost) vs ott-jax \(ref.regularized)")
        // The same ⟨P, C⟩ as the library call on the written potentials, and the split timings are reported.
        let f = try NpyFile.readVector(from: dir + "/out/f.npy"), g = try NpyFile.readVector(from: dir + "/out/g.npy")
        let lib = try GridSinkhorn.transportCost(grid: try RegularGrid2D.unitSquare(64), f: f, g: g, regularization: 1e-3)
        #expect(abs(lib.cost - cost) <= 1e-15 * cost)
        let timings = try #require(doc["timings"] as? [String: Any])
        for key in ["read_s", "solve_s", "cost_s", "write_s"] { #expect(timings[key] is Double, "timings.\(key)") }
    }

    /// The dual objective `regularizedCost` equals the primal `⟨P, C⟩ + ε KL(P ‖ a⊗b)` computed densely from the
    /// plan (both at a tight solution on a 9×9 grid, where they differ only by the marginal errors).
    @Test func regularizedCostIsThePrimalEntropicObjective() throws {
        let grid = try RegularGrid2D.unitSquare(9)
        let a = GridSinkhornTests.density(grid, (0.2, 0.3), (0.7, 0.6)), b = GridSinkhornTests.density(grid, (0.8, 0.2), (0.3, 0.7))
        let reg = 0.01
        var options = SinkhornOptions(regularization: reg)
        options.tolerance = 1e-13
        let r = try GridSinkhorn.solve(grid: grid, a: a, b: b, options: options)
        var primal = 0.0
        for k in 0..<grid.count {
            for l in 0..<grid.count {
                let c = grid.cost(k, l), p = Foundation.exp((r.f[k] + r.g[l] - c) / reg)
                primal += p * c + reg * (p * Foundation.log(p / (a[k] * b[l])) - p + a[k] * b[l])
            }
        }
        let mass = try GridSinkhorn.transportCost(grid: grid, f: r.f, g: r.g, regularization: reg).mass
        let dual = GridSinkhorn.regularizedCost(a: a, b: b, f: r.f, g: r.g, mass: mass, regularization: reg)
        #expect(abs(dual - primal) <= 1e-11 * primal, "dual \(dual) vs primal \(primal)")
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
