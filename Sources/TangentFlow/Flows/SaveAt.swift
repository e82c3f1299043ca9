/// Which states a solve records (diffrax `_saveat.py`).
public enum SaveAt: Sendable {
    /// Only the start and the end.
    case endpoints
    /// Exactly these times (sorted, within `[s0, s1]`): steps are clipped to land on them.
    case times([Double])
    /// After every accepted step (and the start).
    case steps

    /// `k` points evenly spaced in `s` from `s0` to `s1` (`k ≥ 2`).
    public static func evenly(_ k: Int, from s0: Double, to s1: Double) -> SaveAt {
        let k = Swift.max(k, 2)
        // The last point is s1 itself: s0 + (s1 − s0)·1 can round past s1, which integrate then refuses.
        return .times((0..<k).map { $0 == k - 1 ? s1 : s0 + (s1 - s0) * Double($0) / Double(k - 1) })
    }
}

/// The result of `integrate` (diffrax `Solution`).
public struct FlowSolution: Sendable {
    /// Saved times.
    public var times: [Double] = []
    /// Saved states, one per time.
    public var states: [[Double]] = []
    /// Counters of the solve.
    public var stats = Stats()
    /// How the solve ended.
    public var status: Status = .success
    /// One report per accepted step whose stepper made one (implicit steps), in step order; empty for explicit
    /// methods. With `SaveAt.steps` and no report-free steps, `stepReports[k]` belongs to `states[k + 1]`.
    public var stepReports: [any StepReport] = []

    /// Counters.
    public struct Stats: Sendable {
        /// Accepted steps.
        public var acceptedSteps = 0
        /// Rejected steps.
        public var rejectedSteps = 0
        /// Evaluations of the vector field.
        public var fieldEvaluations = 0
        /// Inner iterations summed over the accepted steps' reports (0 for explicit methods).
        public var innerIterations = 0
        /// Accepted steps whose report says the inner solve did not converge (0 for explicit methods).
        public var unconvergedSteps = 0

        /// Zero counters.
        public init() {}
    }

    /// Why the solve stopped.
    public enum Status: Sendable, Equatable {
        /// Reached the end time.
        case success
        /// `maxSteps` reached before the end (the last saved state is where it stopped).
        case maxStepsReached
        /// The step size fell below `minStep` (stiffness or a singular field).
        case stepSizeTooSmall
    }

    /// The last saved state.
    public var finalState: [Double] { states.last ?? [] }
}

/// Progress of a long solve, reported after each accepted step.
public struct FlowProgress: Sendable {
    /// Current time.
    public let s: Double
    /// Start and end times.
    public let s0: Double, s1: Double
    /// Counters so far.
    public let stats: FlowSolution.Stats
    /// Fraction of `[s0, s1]` covered.
    public var fraction: Double { s1 == s0 ? 1 : (s - s0) / (s1 - s0) }
}
