import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowWasserstein

/// Duplicated-scale neurons (§10.3.1 of file 004): a measure on the grid copied at several scales is, as a network,
/// the measure on the original grid with weights q_k = Σ_c s_c p_{k+cK}; first variations scale with s_c; and the
/// copies reach outputs a single grid's probability vectors cannot.
@Suite struct DuplicatedScaleGridTests {
    static func fixture() throws -> (DuplicatedScaleGrid, MeanFieldReLUModel) {
        let grid = try ParameterGrid(pointsPerAxis: 5, lower: -1, upper: 1)
        let dup = try DuplicatedScaleGrid(grid: grid, scales: [0.1, 4])
        let x = (0..<9).map { -1 + 2 * Double($0) / 8 }
        // Teacher: the grid point (1, 0.5) at scale 4 (mass 1), beyond any probability vector on the grid itself.
        let y = x.map { 4 * max(0, $0 + 0.5) }
        return (dup, try MeanFieldReLUModel(inputs: x, targets: y))
    }

    @Test func outputsReduceToTheOriginalGrid() throws {
        let (dup, model) = try Self.fixture()
        var rng = SeededGenerator(seed: 8)
        var p = (0..<dup.count).map { _ in rng.nextUniform() }
        let s = p.reduce(0, +)
        p = p.map { $0 / s }
        let q = try dup.reducedWeights(p)
        let direct = try dup.outputs(model: model, weights: p)
        let reduced = try MeanFieldGridEnergy(model: model, grid: dup.grid).outputs(q)
        for j in 0..<direct.count { #expect(abs(direct[j] - reduced[j]) <= 1e-14 * max(1, abs(reduced[j])), "sample \(j)") }
        // The reduced mass lies between the smallest and the largest scale.
        let mass = q.reduce(0, +)
        #expect(mass >= 0.1 - 1e-15 && mass <= 4 + 1e-15)
        // Two different p with the same q: the same network. Move δ onto the small copy of point k and take
        // δ·s_0/s_1 off its large copy; the outputs (computed on the duplicated points, no reduction) agree.
        var p2 = p
        let k = 7, delta = 0.5 * p[k + dup.grid.count] * 4 / 0.1
        p2[k] += delta
        p2[k + dup.grid.count] -= delta * 0.1 / 4
        #expect(p2[k + dup.grid.count] >= 0)
        let h1 = try dup.outputs(model: model, weights: p), h2 = try dup.outputs(model: model, weights: p2)
        #expect(zip(p, p2).contains { abs($0 - $1) > 1e-3 })
        for j in 0..<h1.count { #expect(abs(h1[j] - h2[j]) <= 1e-14 * max(1, abs(h1[j])), "sample \(j)") }
    }

    @Test func firstVariationScalesWithTheCopy() throws {
        let (dup, model) = try Self.fixture()
        let p = [Double](repeating: 1 / Double(dup.count), count: dup.count)
        let fv = try dup.firstVariation(model: model, weights: p)
        let k = dup.grid.count
        for i in 0..<k {
            // F'(s_c θ) = s_c F'(θ): copy 1 over copy 0 is 4/0.1 = 40.
            #expect(abs(fv[i + k] - 40 * fv[i]) <= 1e-13 * max(1e-3, abs(fv[i + k])), "grid point \(i)")
        }
        // Against the original grid's own first variation at q, scaled by s_0.
        let q = try dup.reducedWeights(p)
        let base = try MeanFieldGridEnergy(model: model, grid: dup.grid).firstVariation(q)
        for i in 0..<k { #expect(abs(fv[i] - 0.1 * base[i]) <= 1e-14 * max(1, abs(base[i]))) }
    }

    @Test func largeCopyReachesATargetTheGridCannot() throws {
        let (dup, model) = try Self.fixture()
        let k = dup.grid.count
        let teacher = (0..<k).first { let pt = dup.grid.point($0); return pt.0 == 1 && pt.1 == 0.5 }!
        var p = [Double](repeating: 0, count: dup.count)
        p[teacher + k] = 1
        let h = try dup.outputs(model: model, weights: p)
        for j in 0..<h.count { #expect(abs(h[j] - model.targets[j]) <= 1e-13) }
        // On the grid itself a probability vector gives |h(x)| ≤ max_k σ(⟨θ_k, (x, 1)⟩) ≤ 2 on [−1, 1]² × [−1, 1]
        // while the target reaches 6 at x = 1: the energy is at least (1/2n)(6 − 2)².
        let bound = dup.grid.points
        var hmax = 0.0
        for i in 0..<k { hmax = max(hmax, max(0, bound[i, 0] * 1 + bound[i, 1])) }
        #expect(hmax <= 2 + 1e-15)
        #expect(model.targets.last! == 6)
    }

    @Test func badScalesThrow() throws {
        let grid = try ParameterGrid(pointsPerAxis: 3, lower: -1, upper: 1)
        #expect(throws: TangentFlowError.self) { try DuplicatedScaleGrid(grid: grid, scales: []) }
        #expect(throws: TangentFlowError.self) { try DuplicatedScaleGrid(grid: grid, scales: [1, 1]) }
        #expect(throws: TangentFlowError.self) { try DuplicatedScaleGrid(grid: grid, scales: [-1, 2]) }
        let dup = try DuplicatedScaleGrid(grid: grid, scales: [0.5, 2])
        #expect(throws: TangentFlowError.self) { try dup.reducedWeights([1]) }
    }
}
