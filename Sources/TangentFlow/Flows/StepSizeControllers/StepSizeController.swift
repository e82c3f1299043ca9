/// Decides whether a step is accepted and how large the next one is (diffrax `_step_size_controller`).
public protocol StepSizeController: Sendable {
    /// Whether the controller needs an error estimate from the stepper.
    var needsErrorEstimate: Bool { get }
    /// `(accept, next step size)` after a step of size `h` from `y0` to `y1` with error estimate `error`.
    mutating func adapt(h: Double, y0: [Double], y1: [Double], error: [Double]?, errorOrder: Int?) -> (accept: Bool, next: Double)
}

/// A constant step: every step is accepted.
public struct ConstantStepSize: StepSizeController {
    /// The step `h > 0`.
    public let step: Double

    /// - Throws: `.invalidArgument` unless `step > 0` and finite.
    public init(_ step: Double) throws {
        guard step > 0, step.isFinite else {
            throw TangentFlowError.invalidArgument(operation: "ConstantStepSize", reason: "step must be positive and finite, got \(step)")
        }
        self.step = step
    }

    /// Whether this controller needs an error estimate from the stepper.
    public var needsErrorEstimate: Bool { false }

    /// Accept or reject a step and propose the next step size, see `StepSizeController.adapt`.
    public mutating func adapt(h: Double, y0: [Double], y1: [Double], error: [Double]?, errorOrder: Int?) -> (accept: Bool, next: Double) {
        (true, step)
    }
}
