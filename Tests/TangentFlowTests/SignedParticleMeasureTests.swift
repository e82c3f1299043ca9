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
