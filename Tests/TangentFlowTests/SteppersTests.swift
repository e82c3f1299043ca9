import Foundation
import Testing

@testable import TangentFlow

/// `y' = −A y` with `A = diag(1, 2, 3)`: closed form `y(s) = e^{−sA} y₀`.
struct LinearDecay: VectorField {
    let rates = [1.0, 2.0, 3.0]
    func velocity(at s: Double, _ y: [Double]) throws -> [Double] { (0..<3).map { -rates[$0] * y[$0] } }
    func exact(_ s: Double, _ y0: [Double]) -> [Double] { (0..<3).map { exp(-rates[$0] * s) * y0[$0] } }
}

/// Steppers: fitted convergence order against the closed form (diffrax `test_ode_order`), adaptive control,
/// the proximal step's closed form, and argument checks.
@Suite struct SteppersTests {
    static let y0 = [1.0, -0.5, 2.0]

    func error(_ stepper: any Stepper, steps: Int) throws -> Double {
        let f = LinearDecay()
        let sol = try integrate(f, stepper: stepper, controller: ConstantStepSize(1.0 / Double(steps)), from: 0, to: 1, start: Self.y0)
        #expect(sol.stats.acceptedSteps == steps)
        let ex = f.exact(1, Self.y0)
        return norm2((0..<3).map { sol.finalState[$0] - ex[$0] })
    }

    @Test(arguments: [(ExplicitRungeKutta.euler, 1), (.rk4, 4), (.dopri5, 5)])
    func fittedOrderMatchesDeclaredOrder(_ stepper: ExplicitRungeKutta, _ order: Int) throws {
        #expect(stepper.order == order)
        let e1 = try error(stepper, steps: 20), e2 = try error(stepper, steps: 40)
        let fitted = log2(e1 / e2)
        #expect(abs(fitted - Double(order)) < 0.25, "fitted order \(fitted) for declared \(order)")
    }

    @Test func proximalStepIsImplicitEuler() throws {
        // Implicit Euler on y' = −Ay: y₁ = (I + hA)⁻¹ y₀ exactly.
        let f = LinearDecay(), h = 0.1
        let r = try ProximalPointStepper(tolerance: 1e-15).step(f, at: 0, Self.y0, size: h, f0: nil)
        for i in 0..<3 { #expect(abs(r.y[i] - Self.y0[i] / (1 + h * f.rates[i])) <= 1e-14) }
        #expect(try error(ProximalPointStepper(), steps: 20) / error(ProximalPointStepper(), steps: 40) > 1.8)
    }

    @Test func adaptiveDopri5MeetsTolerance() throws {
        let f = LinearDecay()
        var calls = 0
        let sol = try integrate(
            f, stepper: .dopri5, controller: PIController(rtol: 1e-10, atol: 1e-12), from: 0, to: 3, start: Self.y0,
            saveAt: .evenly(7, from: 0, to: 3), progress: { _ in calls += 1 })
        #expect(sol.status == .success)
        #expect(sol.times.count == 7 && sol.times.last == 3)
        #expect(calls == sol.stats.acceptedSteps)
        for (s, y) in zip(sol.times, sol.states) {
            let ex = f.exact(s, Self.y0)
            #expect(norm2((0..<3).map { y[$0] - ex[$0] }) <= 1e-8, "s = \(s)")
        }
        // FSAL: six new evaluations per step (plus the start and rejected steps).
        #expect(sol.stats.fieldEvaluations <= 6 * (sol.stats.acceptedSteps + sol.stats.rejectedSteps) + 2)
    }

    @Test func maxStepsStopsWithStatus() throws {
        let sol = try integrate(LinearDecay(), stepper: .euler, controller: ConstantStepSize(1e-3), from: 0, to: 1, start: Self.y0, maxSteps: 10)
        #expect(sol.status == .maxStepsReached)
        #expect(abs(sol.times.last! - 0.01) < 1e-12)
    }

    @Test func badArgumentsThrow() throws {
        #expect(throws: TangentFlowError.self) {
            try integrate(LinearDecay(), stepper: .rk4, controller: PIController(rtol: 1e-6, atol: 1e-9), from: 0, to: 1, start: Self.y0)
        }
        #expect(throws: TangentFlowError.self) {
            try integrate(LinearDecay(), stepper: .rk4, controller: ConstantStepSize(0.1), from: 1, to: 0, start: Self.y0)
        }
        #expect(throws: TangentFlowError.self) {
            try integrate(LinearDecay(), stepper: .rk4, controller: ConstantStepSize(0.1), from: 0, to: 1, start: [1, .nan, 0])
        }
        #expect(throws: TangentFlowError.self) { try ConstantStepSize(0) }
        #expect(throws: TangentFlowError.self) { try PIController(rtol: -1, atol: 0) }
    }
}
