import Foundation
import TangentFlow
import TangentFlowWasserstein

/// The marginals of issue #13's grid-Sinkhorn target (also built by scripts/bench_ot_python.py): two Gaussian
/// bumps and a floor on the n×n grid of the unit square, normalised.
func issueMarginals(_ n: Int) -> (a: [Double], b: [Double]) {
    func density(_ bumps: [(Double, Double, Double, Double)]) -> [Double] {
        var p = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                let u = Double(i) / Double(n - 1), v = Double(j) / Double(n - 1)
                var s = 0.05
                for (w, cu, cv, sd) in bumps { s += w * exp(-((u - cu) * (u - cu) + (v - cv) * (v - cv)) / (2 * sd * sd)) }
                p[i * n + j] = s
            }
        }
        let total = p.reduce(0, +)
        return p.map { $0 / total }
    }
    return (density([(1, 0.3, 0.35, 0.1), (0.6, 0.7, 0.7, 0.15)]), density([(1, 0.65, 0.3, 0.12), (0.8, 0.25, 0.75, 0.08)]))
}

/// Potentials with the additive gauge removed (`f − mean f`, `g + mean f`), as one column: what the two paths
/// must agree on.
func gaugeFixed(_ r: SinkhornResult) -> Matrix {
    let t = r.f.reduce(0, +) / Double(r.f.count)
    return Matrix.column(r.f.map { $0 - t } + r.g.map { $0 + t })
}

/// Counters of the last grid-Sinkhorn solve (printed in the case's note line).
nonisolated(unsafe) var lastSinkhorn: SinkhornResult?

func transportCases(_ o: BenchOptions) throws -> [BenchCase] {
    var cases: [BenchCase] = []
    // Exact assignment between two point clouds in d = 17 (cost |x − y|²), the issue's m = 1024 and 4096 (uniform
    // points, as scripts/bench_assign.py against lapjv and scipy): the C solver on the explicit cost matrix, its
    // points path (one dgemm for the cost), and that path warm-started from the potentials of a nearby problem
    // (the W₂ proximal stepper's rounds). The Hungarian twin runs up to m = 1024 (O(m³) in Swift).
    for m in o.sizes ?? (o.quick ? [64, 256] : [1024, 4096]) {
        let x = uniform(m, 17, 20), y = uniform(m, 17, 21)
        let cost = try LinearAssignment.squaredDistances(x, y)
        var nearby = x
        for k in nearby.elements.indices { nearby.elements[k] += 1e-3 * Double(k % 7 - 3) }
        let potentials = try LinearAssignment.solve(points: nearby, y).columnPotentials
        cases.append(BenchCase(
            name: "assign", size: "m=\(m) d=17", flops: nil,
            c: { Matrix.column([try LinearAssignment.solve(cost: cost, backend: .c).totalCost]) },
            swift: m <= 1024 ? { Matrix.column([try LinearAssignment.solve(cost: cost, backend: .swift).totalCost]) } : nil,
            tolerance: 1e-12, swiftReps: 1,
            variants: [
                ("points (dgemm cost)", { blackHole(try LinearAssignment.solve(points: x, y)) }),
                ("points, warm start", { blackHole(try LinearAssignment.solve(points: x, y, warmStart: potentials)) }),
            ],
            note: "assign: vectorised Jonker–Volgenant on the m×m cost (C) vs Hungarian (Swift, m ≤ 1024); same optimal cost. Variants: from the points (one dgemm builds the cost), and warm-started from a nearby problem's potentials."))
    }
    // Grid Sinkhorn: ε = 1e-3 (the largest cost is 1), L1 marginal error 1e-9.
    // The Swift twin's solve is direct log-sum-exps (minutes at 128²): it is compared up to n = 64 only; the
    // C path alone above (the cost and one kernel step are still compared at every size).
    for n in o.sizes.map({ $0.filter { $0 <= 256 } }) ?? (o.quick ? [16] : [32, 64, 128, 256]) where n >= 2 {
        let grid = try RegularGrid2D.unitSquare(n)
        let (a, b) = issueMarginals(n)
        let options = SinkhornOptions(regularization: 1e-3)
        var plain = options
        plain.overRelaxation = .none
        var scaled = options
        scaled.epsilonScalingStart = 1
        cases.append(BenchCase(
            name: "sinkhorn-grid", size: "n=\(n) (\(n * n) pts)", flops: nil,
            c: {
                let r = try GridSinkhorn.solve(grid: grid, a: a, b: b, options: options, backend: .c)
                lastSinkhorn = r
                return gaugeFixed(r)
            },
            swift: n <= 64 ? { gaugeFixed(try GridSinkhorn.solve(grid: grid, a: a, b: b, options: options, backend: .swift)) } : nil,
            tolerance: 1e-6, swiftReps: 1,
            variants: [
                ("plain-sinkhorn", { blackHole(try GridSinkhorn.solve(grid: grid, a: a, b: b, options: plain, backend: .c)) }),
                ("eps-scaling", { blackHole(try GridSinkhorn.solve(grid: grid, a: a, b: b, options: scaled, backend: .c)) }),
            ],
            note: "sinkhorn-grid: log-domain, ε = 1e-3, L1 marginal error ≤ 1e-9, automatic over-relaxation (ω from the measured rate); variants: plain Sinkhorn (ω = 1), and ε-scaling from 1. Potentials compared with the gauge fixed."))
        // ⟨P, C⟩ and Σ P of the solved plan: three separable (two cost-weighted) kernel applications.
        var solvedOptions = options
        solvedOptions.epsilonScalingStart = nil
        let solved = try GridSinkhorn.solve(grid: grid, a: a, b: b, options: solvedOptions, backend: .c)
        cases.append(BenchCase(
            name: "sinkhorn-cost", size: "n=\(n) (\(n * n) pts)", flops: 12 * pow(Double(n), 3),
            c: {
                let r = try GridSinkhorn.transportCost(grid: grid, f: solved.f, g: solved.g, regularization: 1e-3, backend: .c)
                return Matrix.column([r.cost, r.mass])
            },
            swift: {
                let r = try GridSinkhorn.transportCost(grid: grid, f: solved.f, g: solved.g, regularization: 1e-3, backend: .swift)
                return Matrix.column([r.cost, r.mass])
            },
            tolerance: 1e-13, swiftReps: n > 128 ? 1 : 3,
            note: "sinkhorn-cost: ⟨P, C⟩ and Σ P of the solved plan in O(n³) (C = c₁ ⊕ c₂ separable: one plain and two cost-weighted log-domain kernel applications, six n×n×n dgemm passes); the Swift twin does the same with direct log-sum-exps."))
        let kernelC = try GridLogKernel(grid: grid, epsilon: 1e-3, backend: .c)
        let kernelSwift = try GridLogKernel(grid: grid, epsilon: 1e-3, backend: .swift)
        let w = a.map { 0.1 * log($0) }
        cases.append(BenchCase(
            name: "sinkhorn-step", size: "n=\(n)", flops: 4 * pow(Double(n), 3),
            c: { Matrix.column(try kernelC.apply(w)) }, swift: { Matrix.column(try kernelSwift.apply(w)) }, tolerance: 1e-13,
            note: "sinkhorn-step: one log-domain kernel application (a half Sinkhorn iteration), flops of its two n×n×n dgemm passes."))
    }
    return cases
}
