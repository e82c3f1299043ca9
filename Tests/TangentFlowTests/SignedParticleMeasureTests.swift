import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowWasserstein

/// Signed mean-field measures (§10 of file 004): all four representations give the particle network's outputs and
/// energy, the W₂ velocities are the gradients of F(μ) in the atoms (finite differences), and the W₂ gradient flow
/// of the measure is the particle network's gradient flow (time scaled by the atom mass).
@Suite struct SignedParticleMeasureTests {
    static func fixture(neurons m: Int = 6, seed: UInt64 = 5) throws -> (x: Matrix, y: [Double], w: Matrix, signs: [Double]) {
        let xs = (0..<14).map { -1 + 2 * Double($0) / 13 }
        let x = try TwoLayerReLUProblem.augmented(Matrix.column(xs))
        let y = xs.map { max(0, 1.4 * $0 - 0.1) - max(0, -0.9 * $0 + 0.2) + 0.1 }
        var rng = SeededGenerator(seed: seed)
        let w = try Matrix.gaussian(rows: m, cols: 2, using: &rng)
        let signs = (0..<m).map { [1.0, -1, -1, 1, 1, -1][$0 % 6] }
        return (x, y, w, signs)
    }

    @Test(arguments: [1.0, 0.125])
    func everyRepresentationGivesTheParticleNetwork(_ q: Double) throws {
        let f = try Self.fixture()
        let mu = try SignedParticleMeasure(network: f.w, signs: f.signs, atomMass: q)
        // The particle network mu stands for: neurons q·w_i (1-homogeneity).
        let scaled = Matrix(uncheckedRows: f.w.rows, cols: 2, elements: f.w.elements.map { q * $0 })
        let particle = try TwoLayerReLUProblem(inputs: f.x, targets: f.y, signs: f.signs)
        let reference = try particle.outputs(scaled)
        let tol = 1e-14 * max(1, reference.map(abs).max()!)
        let signed = try mu.outputs(f.x)
        let lifted = try SignedParticleMeasure.liftedOutputs(mu.lifted, totalMass: q * Double(mu.atoms), f.x)
        let sphere = try SignedParticleMeasure.sphereOutputs(directions: mu.sphereAmplitude.directions, amplitudes: mu.sphereAmplitude.amplitudes, f.x)
        let pairs = try SignedParticleMeasure.pairOutputs(try #require(mu.pairs), massPerPart: q * Double(mu.positive.rows), f.x)
        for j in 0..<reference.count {
            #expect(abs(signed[j] - reference[j]) <= tol, "signed weights, sample \(j)")
            #expect(abs(lifted[j] - reference[j]) <= tol, "lifted (w, α), sample \(j)")
            #expect(abs(sphere[j] - reference[j]) <= 4 * tol, "sphere × amplitude, sample \(j)")
            #expect(abs(pairs[j] - reference[j]) <= tol, "± pairs, sample \(j)")
        }
        #expect(abs(try mu.energy(inputs: f.x, targets: f.y) - particle.loss(scaled)) <= 1e-14)
        let net = mu.network
        let permuted = try TwoLayerReLUProblem(inputs: f.x, targets: f.y, signs: net.signs).outputs(net.neurons)
        for j in 0..<reference.count { #expect(abs(permuted[j] - reference[j]) <= tol) }
    }

    @Test func velocitiesAreMinusTheGradientOfTheEnergyPerUnitMass() throws {
        let f = try Self.fixture()
        let q = 0.25
        let mu = try SignedParticleMeasure(network: f.w, signs: f.signs, atomMass: q)
        let v = try mu.velocities(inputs: f.x, targets: f.y)
        // ∂F/∂(atom) = q · (±∇F') = −q · velocity, by central differences of F(μ).
        let h = 1e-6
        for (part, vel, isPositive) in [(mu.positive, v.positive, true), (mu.negative, v.negative, false)] {
            for k in 0..<part.elements.count {
                func energy(_ delta: Double) throws -> Double {
                    var p = part
                    p.elements[k] += delta
                    let m = isPositive ? try SignedParticleMeasure(positive: p, negative: mu.negative, atomMass: q)
                                       : try SignedParticleMeasure(positive: mu.positive, negative: p, atomMass: q)
                    return try m.energy(inputs: f.x, targets: f.y)
                }
                let fd = (try energy(h) - energy(-h)) / (2 * h)
                #expect(abs(fd + q * vel.elements[k]) <= 1e-8, "\(isPositive ? "μ₊" : "μ₋") entry \(k): ∂F \(fd) vs −q·v \(-q * vel.elements[k])")
            }
        }
    }

    @Test(arguments: [1.0, 1.0 / 6])
    func wassersteinFlowOfTheMeasureIsTheParticleFlow(_ q: Double) throws {
        let f = try Self.fixture()
        let mu = try SignedParticleMeasure(network: f.w, signs: f.signs, atomMass: q)
        let flow = try SignedMeasureFlow(inputs: f.x, targets: f.y, positiveAtoms: mu.positive.rows, negativeAtoms: mu.negative.rows, atomMass: q)
        let time = 3.0
        let measureRun = try integrate(flow, stepper: .rk4, controller: ConstantStepSize(1e-2), from: 0, to: time,
                                       start: SignedMeasureFlow.state(of: mu), maxSteps: 1000)
        // The particle network q·w with the signs, on the gradient flow W' = −q∇F(W) (time scale q): atoms of mass
        // q move with ∓∇F'(w), and ∇F' is 0-homogeneous, so the neurons q·w move with −q∇F.
        let net = mu.network
        let particle = try TwoLayerReLUProblem(inputs: f.x, targets: f.y, signs: net.signs)
        let field = try TwoLayerReLUGradientFlow(problem: particle, timeScale: q)
        let particleRun = try integrate(field, stepper: .rk4, controller: ConstantStepSize(1e-2), from: 0, to: time, start: net.neurons.elements, maxSteps: 1000)
        // The measure's state lists μ₊ then μ₋, each column-major; compare through the network it stands for.
        let atoms = try flow.measure(measureRun.finalState).network.neurons.elements
        let neurons = particleRun.finalState
        let gap = zip(atoms, neurons).map { abs($0 - $1) }.max()!
        #expect(gap <= 1e-12 * max(1, neurons.map(abs).max()!), "q·atoms vs particle neurons after T = \(time): max gap \(gap)")
        // Not a frozen state: the atoms moved and the loss fell.
        let end = try flow.measure(measureRun.finalState)
        let moved = zip(measureRun.finalState, SignedMeasureFlow.state(of: mu)).map { abs($0 - $1) }.max()!
        #expect(moved > 1e-2, "largest atom displacement \(moved)")
        #expect(try end.energy(inputs: f.x, targets: f.y) < mu.energy(inputs: f.x, targets: f.y))
    }

    @Test func badMeasuresThrow() throws {
        let f = try Self.fixture()
        #expect(throws: TangentFlowError.self) { try SignedParticleMeasure(network: f.w, signs: [1, 2, 1, 1, 1, 1]) }
        #expect(throws: TangentFlowError.self) { try SignedParticleMeasure(network: f.w, signs: [1]) }
        #expect(throws: TangentFlowError.self) { try SignedParticleMeasure(network: f.w, signs: f.signs, atomMass: 0) }
        let mu = try SignedParticleMeasure(network: f.w, signs: f.signs)
        #expect(throws: TangentFlowError.self) { try mu.outputs(Matrix.column([1, 2])) }
        #expect(throws: TangentFlowError.self) { try mu.energy(inputs: f.x, targets: [1]) }
        let unpaired = try SignedParticleMeasure(network: f.w, signs: [1, 1, 1, 1, 1, -1])
        #expect(unpaired.pairs == nil)
    }
}

/// The signed measure on two grids (§10 of file 004): a particle network on grid points is the pair of count
/// vectors, with the same outputs and loss; the first variations are ± each other and the derivatives of f; with
/// p₋ = 0 it is the one-sign grid energy.
@Suite struct SignedGridEnergyTests {
    static func fixture() throws -> (SignedGridEnergy, MeanFieldReLUModel) {
        let x = (0..<9).map { -1 + 2 * Double($0) / 8 }
        let y = x.map { max(0, 1.5 * $0 - 0.5) - max(0, -$0) + 0.2 }
        let model = try MeanFieldReLUModel(inputs: x, targets: y)
        return (try SignedGridEnergy(model: model, grid: try ParameterGrid(pointsPerAxis: 7, lower: -1.5, upper: 1.5)), model)
    }

    @Test func particleNetworkOnGridPointsIsTheTwoGridMeasure() throws {
        let (energy, model) = try Self.fixture()
        // Neurons on grid points (spacing 0.5), two of them at the same point, both signs.
        let w = try Matrix(rows: 5, cols: 2, columnMajor: [1.5, 1.5, -1, 0.5, 0, /* biases */ -0.5, -0.5, 0, 1, 0.5])
        let signs = [1.0, 1, -1, -1, 1]
        let (plus, minus) = try energy.particleWeights(neurons: w, signs: signs)
        #expect(plus.reduce(0, +) == 3 && minus.reduce(0, +) == 2 && plus.max() == 2)
        let particle = try TwoLayerReLUProblem(inputs: TwoLayerReLUProblem.augmented(Matrix.column(model.inputs)), targets: model.targets, signs: signs)
        let h = try energy.outputs(positive: plus, negative: minus), ref = try particle.outputs(w)
        for j in 0..<h.count { #expect(abs(h[j] - ref[j]) <= 1e-14 * max(1, abs(ref[j])), "sample \(j)") }
        #expect(abs(try energy.energy(positive: plus, negative: minus) - particle.loss(w)) <= 1e-15)
        // Off-grid neurons are refused.
        let off = try Matrix(rows: 1, cols: 2, columnMajor: [0.3, 0])
        #expect(throws: TangentFlowError.self) { try energy.particleWeights(neurons: off, signs: [1]) }
    }

    @Test func firstVariationsAreTheDerivativesAndOppositeSigns() throws {
        let (energy, model) = try Self.fixture()
        var rng = SeededGenerator(seed: 12)
        let k = energy.grid.count
        let plus = (0..<k).map { _ in rng.nextUniform() / Double(k) }, minus = (0..<k).map { _ in rng.nextUniform() / Double(k) }
        let fv = try energy.firstVariations(positive: plus, negative: minus)
        let h = 1e-6
        for l in stride(from: 0, to: k, by: 5) {
            var p1 = plus, p2 = plus, m1 = minus, m2 = minus
            p1[l] += h; p2[l] -= h; m1[l] += h; m2[l] -= h
            let dp = (try energy.energy(positive: p1, negative: minus) - energy.energy(positive: p2, negative: minus)) / (2 * h)
            let dm = (try energy.energy(positive: plus, negative: m1) - energy.energy(positive: plus, negative: m2)) / (2 * h)
            #expect(abs(dp - fv.positive[l]) <= 1e-8 && abs(dm - fv.negative[l]) <= 1e-8, "grid point \(l)")
            #expect(fv.negative[l] == -fv.positive[l])
        }
        // p₋ = 0: the one-sign grid energy of MeanFieldGridEnergy.
        let one = MeanFieldGridEnergy(model: model, grid: energy.grid)
        let zero = [Double](repeating: 0, count: k)
        #expect(abs(try energy.energy(positive: plus, negative: zero) - one.energy(plus)) <= 1e-15)
        #expect(throws: TangentFlowError.self) { try energy.outputs(positive: [1], negative: zero) }
    }
}
