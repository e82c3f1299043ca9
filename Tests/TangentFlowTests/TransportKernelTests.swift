import Foundation
import Testing

@testable import TangentFlow

/// The transport requirements of `Kernels` (`CBackend+Transport.swift` ⇄ `SwiftBackend+Transport.swift`): every
/// backend against the pure-Swift twin on the same inputs, and against the definition where one is cheap.
@Suite struct TransportKernelTests {
    static let swift = SwiftBackend()

    static func grid() throws -> RegularGrid2D {
        try RegularGrid2D(x1: (0..<7).map { Double($0) / 6 }, x2: (0..<5).map { 0.8 * Double($0) / 4 })
    }

    @Test(arguments: KernelBackend.allCases)
    func pairwiseSquaredDistancesMatchTheTwinAndTheDefinition(_ backend: KernelBackend) throws {
        let x = Fixtures.gaussian(9, 4, seed: 1), y = Fixtures.gaussian(6, 4, seed: 2)
        let c = try backend.kernels.pairwiseSquaredDistances(x, y)
        // Same differences summed in the same order: equal to the last bit.
        #expect(c == (try Self.swift.pairwiseSquaredDistances(x, y)), "\(backend)")
        for i in 0..<9 {
            for j in 0..<6 {
                let d = (0..<4).reduce(0.0) { $0 + (x[i, $1] - y[j, $1]) * (x[i, $1] - y[j, $1]) }
                #expect(abs(c[i, j] - d) <= 1e-14 * Swift.max(1, d))
            }
        }
        #expect(throws: TangentFlowError.self) { try backend.kernels.pairwiseSquaredDistances(x, Fixtures.gaussian(3, 5, seed: 3)) }
    }

    @Test(arguments: KernelBackend.allCases)
    func linearAssignmentMatchesTheTwin(_ backend: KernelBackend) throws {
        var rng = SeededGenerator(seed: 12)
        for m in [1, 2, 5, 23] {
            let cost = try Matrix(rows: m, cols: m, columnMajor: (0..<(m * m)).map { _ in 1e3 * rng.nextGaussian() })
            let got = try backend.kernels.linearAssignment(cost: cost)
            let ref = try Self.swift.linearAssignment(cost: cost)
            #expect(abs(got.totalCost - ref.totalCost) <= 1e-12 * Swift.max(1, abs(ref.totalCost)), "\(backend) m=\(m)")
            #expect(Set(got.permutation) == Set(0..<m))
            let dual = got.rowPotentials.reduce(0, +) + got.columnPotentials.reduce(0, +)
            #expect(abs(dual - got.totalCost) <= Double(m * m) * 64 * .ulpOfOne * 1e3 * 4, "\(backend) m=\(m): dual \(dual)")
        }
        #expect(throws: TangentFlowError.self) { try backend.kernels.linearAssignment(cost: Fixtures.gaussian(3, 4, seed: 1)) }
    }

    /// The prepared log-kernel, including a change of `ε`, against the Swift twin and the dense definition.
    @Test(arguments: KernelBackend.allCases)
    func gridLogKernelMatchesTheTwinAcrossEpsilonChanges(_ backend: KernelBackend) throws {
        let grid = try Self.grid()
        var rng = SeededGenerator(seed: 31)
        var w = (0..<grid.count).map { _ in 50 * rng.nextGaussian() }
        w[6] = -.infinity
        let kernel = try backend.kernels.gridLogKernel(grid: grid, epsilon: 0.3)
        let twin = try Self.swift.gridLogKernel(grid: grid, epsilon: 0.3)
        for epsilon in [0.3, 1e-2, 2e-4] {
            try kernel.setEpsilon(epsilon)
            try twin.setEpsilon(epsilon)
            #expect(kernel.epsilon == epsilon)
            let got = try kernel.apply(w), ref = try twin.apply(w)
            for k in 0..<grid.count {
                let terms = (0..<grid.count).map { w[$0] - grid.cost(k, $0) / epsilon }
                let m = terms.max()!
                let dense = m + log(terms.reduce(0) { $0 + exp($1 - m) })
                let scale = Swift.max(1, abs(dense))
                #expect(abs(got[k] - ref[k]) <= 1e-13 * scale, "\(backend) ε=\(epsilon) k=\(k): \(got[k]) vs twin \(ref[k])")
                #expect(abs(got[k] - dense) <= 1e-13 * scale, "\(backend) ε=\(epsilon) k=\(k) vs dense")
            }
        }
        #expect(throws: TangentFlowError.self) { try kernel.setEpsilon(-1) }
        #expect(throws: TangentFlowError.self) { try kernel.apply([0]) }
        #expect(throws: TangentFlowError.self) { try backend.kernels.gridLogKernel(grid: grid, epsilon: .nan) }
    }

    /// Solve and cost on both backends against the Swift twin (potentials up to the gauge `(f + t, g − t)`).
    @Test(arguments: KernelBackend.allCases)
    func gridSinkhornAndCostMatchTheTwin(_ backend: KernelBackend) throws {
        let grid = try Self.grid()
        let a = GridSinkhornTests.density(grid, (0.2, 0.3), (0.7, 0.6)), b = GridSinkhornTests.density(grid, (0.8, 0.2), (0.3, 0.7))
        var options = SinkhornOptions(regularization: 0.01)
        options.tolerance = 1e-12
        options.epsilonScalingStart = 0.5
        let got = try backend.kernels.gridSinkhorn(grid: grid, a: a, b: b, options: options)
        let ref = try Self.swift.gridSinkhorn(grid: grid, a: a, b: b, options: options)
        #expect(got.marginalErrorA <= 1e-12 && got.marginalErrorB <= 1e-12, "\(backend): \(got.marginalErrorA), \(got.marginalErrorB)")
        #expect(GridSinkhornTests.maxPotentialGap(got.f, got.g, ref.f, ref.g) <= 1e-10, "\(backend)")
        let cost = try backend.kernels.gridTransportCost(grid: grid, f: got.f, g: got.g, regularization: 0.01)
        let twin = try Self.swift.gridTransportCost(grid: grid, f: got.f, g: got.g, regularization: 0.01)
        #expect(abs(cost.cost - twin.cost) <= 1e-13 * twin.cost && abs(cost.mass - twin.mass) <= 1e-13, "\(backend): \(cost) vs \(twin)")
        // A capped solve is returned, not thrown, by the kernel (the façade turns it into `.didNotConverge`).
        var capped = options
        capped.maxIterations = 3
        capped.epsilonScalingStart = nil
        let short = try backend.kernels.gridSinkhorn(grid: grid, a: a, b: b, options: capped)
        #expect(short.totalIterations == 3 && short.marginalErrorA > options.tolerance)
        #expect(throws: TangentFlowError.self) {
            try backend.kernels.gridTransportCost(grid: grid, f: Array(got.f.dropLast()), g: got.g, regularization: 0.01)
        }
    }

    /// `G ← G + DDᵀ` on both backends against the Swift twin and `multiply`, starting from a non-zero `G`.
    @Test(arguments: KernelBackend.allCases)
    func gramAccumulateMatchesTheTwin(_ backend: KernelBackend) throws {
        let d = Fixtures.gaussian(12, 31, seed: 4)
        var g = try Self.swift.gram(Fixtures.gaussian(12, 3, seed: 5)), twin = g
        let start = g
        try backend.kernels.gramAccumulate(d, into: &g)
        try Self.swift.gramAccumulate(d, into: &twin)
        #expect(relativeError(g, twin) <= 1e-14, "\(backend)")
        var ref = try Self.swift.multiply(d, transposeA: false, d, transposeB: true)
        for k in 0..<ref.elements.count { ref.elements[k] += start.elements[k] }
        #expect(relativeError(g, ref) <= 1e-14 && g == g.transposed, "\(backend)")
        let before = g
        var bad = d
        bad[2, 5] = .nan
        #expect(throws: TangentFlowError.self) { try backend.kernels.gramAccumulate(bad, into: &g) }
        #expect(throws: TangentFlowError.self) { try backend.kernels.gramAccumulate(Fixtures.gaussian(11, 3, seed: 1), into: &g) }
        #expect(g == before, "\(backend): G changed by a refused call")
    }
}
