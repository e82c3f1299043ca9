import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowWasserstein

/// The (r, η) PDE of §4.2 of file 004 on the circle: the scheme's exact mass and energy identities, the chain rule
/// (J is the first variation of F), monotone energy, and convergence to the Cartesian particle flow of the
/// trainable-second-layer network (an independent code path) as the grid is refined.
@Suite struct CircleMeasurePDETests {
    static let x = (0..<10).map { -1 + 2 * Double($0) / 9 }
    static let y = x.map { 0.6 * max(0, $0) + 0.3 * max(0, -$0) }

    /// A smooth initial density `1 + 0.6 cos(φ − 0.4)` at the cell centres, total mass 0.5.
    static func initial(_ pde: CircleMeasurePDE) -> [Double] {
        let g = pde.angles.map { 1 + 0.6 * cos($0 - 0.4) }
        let s = g.reduce(0, +)
        return g.map { 0.5 * $0 / s }
    }

    @Test func massAndEnergyIdentitiesOfTheScheme() throws {
        let pde = try CircleMeasurePDE(inputs: Self.x, targets: Self.y, cells: 48)
        var rng = SeededGenerator(seed: 3)
        let nu = (0..<48).map { _ in 0.02 * rng.nextUniform() }
        let v = try pde.velocity(at: 0, nu), j = try pde.potential(nu)
        let massRate = v.reduce(0, +)
        let predicted = -4 * zip(j, nu).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(massRate - predicted) <= 1e-13 * max(1e-3, abs(predicted)), "(Σν)' = \(massRate), −4ΣJν = \(predicted)")
        let energyRate = zip(j, v).reduce(0) { $0 + $1.0 * $1.1 }
        let dissipation = try pde.dissipation(nu)
        #expect(dissipation > 0)
        #expect(abs(energyRate + dissipation) <= 1e-12 * dissipation, "F' = ΣJν' = \(energyRate), −dissipation = \(-dissipation)")
        // Chain rule through the outputs (energy computed without J): (F(ν + hv) − F(ν − hv))/2h = Σ J v.
        let h = 1e-5
        let fd = (try pde.energy(zip(nu, v).map { $0 + h * $1 }) - pde.energy(zip(nu, v).map { $0 - h * $1 })) / (2 * h)
        #expect(abs(fd - energyRate) <= 1e-7 * abs(energyRate), "dF/dt by differences \(fd) vs ΣJν' \(energyRate)")
    }

    @Test func energyDecreasesAndMassesStayNonNegative() throws {
        let pde = try CircleMeasurePDE(inputs: Self.x, targets: Self.y, cells: 64)
        let nu0 = Self.initial(pde)
        let dt = 0.5 * (try pde.stableStep(nu0))
        let sol = try integrate(pde, stepper: .rk4, controller: ConstantStepSize(dt), from: 0, to: 2, start: nu0, saveAt: .steps, maxSteps: 100_000)
        var previous = try pde.energy(nu0)
        for state in sol.states.dropFirst() {
            let e = try pde.energy(state)
            #expect(e <= previous + 1e-15)
            previous = e
            #expect(state.allSatisfy { $0 >= -1e-15 })
        }
        let e0 = try pde.energy(nu0)
        #expect(previous < 0.9 * e0, "energy \(e0) → \(previous)")
    }

    /// Particles at the centres of a fine grid, one per cell with r² = m ν_k (so (1/m)Σ r² δ_η is the initial
    /// measure), moved by the Cartesian flow w' = −m ∇_w L of the network with output scale 1/m.
    static func particleOutputs(time: Double, particles m: Int) throws -> [Double] {
        let fine = try CircleMeasurePDE(inputs: x, targets: y, cells: m)
        let nu = initial(fine)
        let r = nu.map { (Double(m) * $0).squareRoot() }
        let b = zip(r, fine.angles).map { $0 * sin($1) }, a = zip(r, fine.angles).map { $0 * cos($1) }
        let problem = try TrainableSecondLayerProblem(inputs: Matrix.column(x), targets: y, outputScale: 1 / Double(m))
        let flow = try TrainableSecondLayerFlow(problem: problem, timeScale: Double(m))
        let sol = try integrate(flow, stepper: .rk4, controller: ConstantStepSize(4e-3), from: 0, to: time, start: b + a, maxSteps: 10_000)
        return try problem.outputs(sol.finalState)
    }

    @Test func convergesToTheParticleFlowAsTheGridIsRefined() throws {
        let time = 1.0
        let reference = try Self.particleOutputs(time: time, particles: 1024)
        var errors: [Double] = []
        for cells in [32, 64, 128, 256] {
            let pde = try CircleMeasurePDE(inputs: Self.x, targets: Self.y, cells: cells)
            let nu0 = Self.initial(pde)
            let dt = 0.5 * (try pde.stableStep(nu0))
            let sol = try integrate(pde, stepper: .rk4, controller: ConstantStepSize(dt), from: 0, to: time, start: nu0, maxSteps: 100_000)
            let h = try pde.outputs(sol.finalState)
            errors.append(zip(h, reference).map { abs($0 - $1) }.max()!)
        }
        let scale = Self.y.map(abs).max()!
        // First order in Δφ: each halving of the cells should divide the error by about 2.
        for k in 1..<errors.count {
            #expect(errors[k] < 0.75 * errors[k - 1], "errors by cells 32…256: \(errors)")
        }
        #expect(errors.last! < 0.02 * scale, "finest grid's output error \(errors.last!) vs target scale \(scale)")
        // The flow moved the outputs: compare with the initial outputs.
        let pde = try CircleMeasurePDE(inputs: Self.x, targets: Self.y, cells: 256)
        let h0 = try pde.outputs(Self.initial(pde))
        let moved = zip(h0, reference).map { abs($0 - $1) }.max()!
        #expect(moved > 10 * errors.last!, "outputs moved by \(moved) over the run")
    }

    @Test func particlesAtCellCentresGiveTheSameMeasure() throws {
        let pde = try CircleMeasurePDE(inputs: Self.x, targets: Self.y, cells: 16)
        let nu = Self.initial(pde)
        let m = 16
        let r = nu.map { (Double(m) * $0).squareRoot() }
        let a = zip(r, pde.angles).map { $0 * cos($1) }, b = zip(r, pde.angles).map { $0 * sin($1) }
        let back = try pde.measure(ofParticles: a, b)
        for k in 0..<16 { #expect(abs(back[k] - nu[k]) <= 1e-15) }
        let problem = try TrainableSecondLayerProblem(inputs: Matrix.column(Self.x), targets: Self.y, outputScale: 1 / Double(m))
        let hp = try problem.outputs(b + a), hm = try pde.outputs(nu)
        for j in 0..<hp.count { #expect(abs(hp[j] - hm[j]) <= 1e-14) }
    }

    @Test func badArgumentsThrow() throws {
        #expect(throws: TangentFlowError.self) { try CircleMeasurePDE(inputs: [1], targets: [1], cells: 3) }
        #expect(throws: TangentFlowError.self) { try CircleMeasurePDE(inputs: [1, 2], targets: [1], cells: 8) }
        let pde = try CircleMeasurePDE(inputs: [1], targets: [1], cells: 8)
        #expect(throws: TangentFlowError.self) { try pde.energy([1, 2]) }
        #expect(throws: TangentFlowError.self) { try pde.velocity(at: 0, [Double](repeating: .nan, count: 8)) }
    }
}
