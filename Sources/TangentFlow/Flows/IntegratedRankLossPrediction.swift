import Foundation

/// Prop. 2.5 of 2408.01517 (in the corrected form of MATH.md §3) integrated *alongside* the adapted flow, with
/// the projector `P_t = P_ran(G(θ(s)))` taken at every stage of every step instead of frozen between saved points.
///
/// The state is `[θ; δ] ∈ R^{K+QN}`; in flow time `s`, with the clock `t(s)` of the loss (`dt/ds = κ(1 − t)`,
/// `κ = 1/N` under (2.48), `2/N` under (2.7)):
/// ```
/// θ' = −D⁺∇ₓC                                          (2.27)
/// δ' = (dt/ds)·dδ/dt = κ(−P_t δ + (1 − t) P_t^⊥ (x₀ − y)),   δ(0) = 0
/// ```
/// which is `dδ/dt = −P_t δ/(1 − t) + P_t^⊥(x₀ − y)` (corrected (2.59)–(2.64)) multiplied by `dt/ds`; in `s` the
/// right-hand side stays bounded as `t → 1`. The prediction is then compared with the simulated deviation
/// `x(θ(s)) − ((1 − t)x₀ + t y)` (`compare`).
///
/// Edge cases: with full rank `P_t^⊥ = 0` and `δ ≡ 0` (Prop. 2.4). A constant projector gives `δ(t) = t·P^⊥(x₀ − y)`.
/// `TrajectoryDiagnostics` keeps its cheaper prediction with `P` frozen on the intervals between saved points;
/// this field is the one to use when `P_t` turns within an interval.
public struct IntegratedRankLossPrediction: VectorField {
    /// The adapted flow that moves `θ`.
    public let flow: AdaptedFlow
    /// `x₀ = x(θ₀)`.
    public let start: [Double]
    /// `κ` of the clock: `dt/ds = κ(1 − t)`.
    public let clockRate: Double

    /// The augmented field for `flow` started at `θ₀`.
    /// - Throws: `.invalidArgument` for cross-entropy (no clock `t(s)`, Prop. 2.5 is about the squared loss);
    ///   what the forward pass throws.
    public init(flow: AdaptedFlow, startingAt theta0: [Double]) throws {
        let problem = flow.problem
        guard let rate = problem.loss.clockRate(samples: problem.samples) else {
            throw TangentFlowError.invalidArgument(
                operation: "IntegratedRankLossPrediction",
                reason: "Prop. 2.5 needs a squared loss (its clock t = 1 − e^{−κs}); got \(problem.loss.rawValue)")
        }
        self.flow = flow
        clockRate = rate
        start = try problem.outputs(theta0)
    }

    /// `[θ₀; 0]`, the start of the augmented solve.
    public func augmentedStart(_ theta0: [Double]) -> [Double] {
        theta0 + [Double](repeating: 0, count: start.count)
    }

    /// `[θ'; δ']` at `(s, [θ; δ])` (equations in the type's documentation).
    public func velocity(at s: Double, _ state: [Double]) throws -> [Double] {
        let problem = flow.problem
        let k = problem.model.parameterCount, qn = problem.outputCount
        guard state.count == k + qn else {
            throw TangentFlowError.shapeMismatch(
                operation: "IntegratedRankLossPrediction.velocity", expected: "\(k + qn) entries ([θ; δ])", got: "\(state.count)")
        }
        let theta = Array(state[0..<k]), delta = Array(state[k...])
        let thetaDot = try flow.velocity(at: s, theta)
        let t = -expm1(-clockRate * s)
        let c = (0..<qn).map { start[$0] - problem.targetVector[$0] }
        // P_t applied to δ and to c = x₀ − y in one block.
        var block = Matrix(zerosRows: qn, cols: 2)
        for i in 0..<qn {
            block.elements[i] = delta[i]
            block.elements[i + qn] = c[i]
        }
        let p = try problem.projectBlockOntoNTKRange(theta, block, route: flow.route)
        var deltaDot = [Double](repeating: 0, count: qn)
        for i in 0..<qn {
            let pDelta = p.elements[i], perpC = c[i] - p.elements[i + qn]
            deltaDot[i] = clockRate * (-pDelta + (1 - t) * perpC)
        }
        return thetaDot + deltaDot
    }

    /// One saved point of the comparison.
    public struct Point: Sendable {
        /// Flow time `s` and clock `t(s)`.
        public let s: Double, t: Double
        /// `|δ_integrated| / |x₀ − y|`.
        public let predictedDeviation: Double
        /// `|x(θ(s)) − ((1 − t)x₀ + t y)| / |x₀ − y|`, the simulated deviation.
        public let simulatedDeviation: Double
        /// `|δ_simulated − δ_integrated| / |x₀ − y|`.
        public let predictionError: Double
    }

    /// The parameters of an augmented solution, as a `FlowSolution` of `θ` alone (for `TrajectoryDiagnostics`).
    public func parameterSolution(_ augmented: FlowSolution) -> FlowSolution {
        let k = flow.problem.model.parameterCount
        var sol = augmented
        sol.states = augmented.states.map { Array($0[0..<k]) }
        return sol
    }

    /// The integrated prediction against the simulated deviation at every saved state of an augmented solve
    /// (relative to `|x₀ − y|`; all zero when `x₀ = y`).
    /// - Throws: `.shapeMismatch` for states that are not `[θ; δ]`; what the forward pass throws.
    public func compare(_ augmented: FlowSolution) throws -> [Point] {
        let problem = flow.problem
        let k = problem.model.parameterCount, qn = problem.outputCount
        let y = problem.targetVector
        let cNorm = norm2((0..<qn).map { start[$0] - y[$0] })
        let scale = cNorm > 0 ? 1 / cNorm : 0
        return try zip(augmented.times, augmented.states).map { s, state in
            guard state.count == k + qn else {
                throw TangentFlowError.shapeMismatch(
                    operation: "IntegratedRankLossPrediction.compare", expected: "\(k + qn) entries ([θ; δ])", got: "\(state.count)")
            }
            let x = try problem.outputs(Array(state[0..<k]))
            let t = -expm1(-clockRate * s)
            let sim = (0..<qn).map { x[$0] - ((1 - t) * start[$0] + t * y[$0]) }
            let pred = Array(state[k...])
            return Point(
                s: s, t: t, predictedDeviation: norm2(pred) * scale, simulatedDeviation: norm2(sim) * scale,
                predictionError: norm2((0..<qn).map { sim[$0] - pred[$0] }) * scale)
        }
    }
}

extension Loss {
    /// `κ` with `dt/ds = κ(1 − t)` for the clock of Prop. 2.4: `1/N` (2.48), `2/N` (2.7); `nil` for cross-entropy.
    public func clockRate(samples n: Int) -> Double? {
        switch self {
        case .squared: return 1 / Double(n)
        case .squaredMean: return 2 / Double(n)
        case .crossEntropy: return nil
        }
    }
}

extension TrainingProblem {
    /// `P_ran(G) B` for a block `B ∈ R^{QN×k}`, one factorisation for all columns (route as `projectOntoNTKRange`).
    func projectBlockOntoNTKRange(_ theta: [Double], _ b: Matrix, route: PseudoinverseRoute) throws -> Matrix {
        switch route {
        case .svd:
            return try Pseudoinverse(of: jacobian(theta), backend: backend).projectOntoRange(b)
        case let .gram(method):
            let m: GramPseudoinverse.Method = method == .cholesky ? .cholesky : .eigen
            return try GramPseudoinverse(gram: ntk(theta), parameterCount: model.parameterCount, method: m, backend: backend)
                .projectOntoRange(b)
        case .matrixFree:
            // One LSMR solve per column: P_ran(D) b_j = D D⁺ b_j without forming G.
            var out = Matrix(zerosRows: b.rows, cols: b.cols)
            for j in 0..<b.cols {
                let col = Array(b.elements[(j * b.rows)..<((j + 1) * b.rows)])
                let p = try projectOntoNTKRange(theta, col, route: route)
                for i in 0..<b.rows { out.elements[i + j * b.rows] = p[i] }
            }
            return out
        }
    }
}
