import Foundation

/// Proportional–integral step-size control (Hairer & Wanner's stabilised controller, as in dopri5.f):
///
/// ```
/// err  = RMS_i( e_i / (atol + rtol·max(|y0_i|, |y1_i|)) )          accept when err ≤ 1
/// h'   = h · clamp(safety · err^{−α} · errₚᵣₑᵥ^{β}, factorMin, factorMax),  α = 1/(q+1) − 0.75β
/// ```
/// with `q` the embedded order. No default tolerances (diffrax's rule: the user states them).
public struct PIController: StepSizeController {
    /// Relative tolerance.
    public let rtol: Double
    /// Absolute tolerance.
    public let atol: Double
    /// β (0.04 for Dormand–Prince, 0 for a pure I-controller).
    public let beta: Double
    /// Safety factor.
    public let safety: Double
    /// Smallest and largest step ratio.
    public let factorMin: Double, factorMax: Double
    private var previousError = 1e-4

    /// - Throws: `.invalidArgument` for negative or non-finite tolerances, or both zero.
    public init(rtol: Double, atol: Double, beta: Double = 0.04, safety: Double = 0.9, factorMin: Double = 0.2, factorMax: Double = 10) throws {
        guard rtol >= 0, atol >= 0, rtol.isFinite, atol.isFinite, rtol + atol > 0 else {
            throw TangentFlowError.invalidArgument(operation: "PIController", reason: "need rtol, atol ≥ 0, not both 0; got \(rtol), \(atol)")
        }
        self.rtol = rtol
        self.atol = atol
        self.beta = beta
        self.safety = safety
        self.factorMin = factorMin
        self.factorMax = factorMax
    }

    /// Whether this controller needs an error estimate from the stepper.
    public var needsErrorEstimate: Bool { true }

    /// The scaled RMS error norm.
    public func errorNorm(_ e: [Double], _ y0: [Double], _ y1: [Double]) -> Double {
        var s = 0.0
        for i in 0..<e.count {
            let sc = atol + rtol * Swift.max(Swift.abs(y0[i]), Swift.abs(y1[i]))
            s += (e[i] / sc) * (e[i] / sc)
        }
        return e.isEmpty ? 0 : (s / Double(e.count)).squareRoot()
    }

    /// Accept or reject a step and propose the next step size, see `StepSizeController.adapt`.
    public mutating func adapt(h: Double, y0: [Double], y1: [Double], error: [Double]?, errorOrder: Int?) -> (accept: Bool, next: Double) {
        guard let error else { return (true, h) }
        let err = errorNorm(error, y0, y1)
        guard err.isFinite else { return (false, h * factorMin) }
        let q = Double(errorOrder ?? 4)
        let alpha = 1 / (q + 1) - 0.75 * beta
        if err <= 1 {
            let e = Swift.max(err, 1e-10)
            let factor = safety * pow(e, -alpha) * pow(previousError, beta)
            previousError = Swift.max(err, 1e-4)
            return (true, h * Swift.min(factorMax, Swift.max(factorMin, factor)))
        }
        let factor = safety * pow(err, -alpha)
        return (false, h * Swift.min(1, Swift.max(factorMin, factor)))
    }
}
