import TangentFlow

extension DeepLinearMetric {
    /// Length and energy of a discrete curve `W_0, …, W_K` at equally spaced `t_k = k/K` under the DLN metric
    /// ((1.7) in file 002), by the midpoint rule:
    ///
    /// ```
    /// length ≈ Σ_k ‖W_{k+1} − W_k‖_{W_{k+½}},   energy ≈ K · Σ_k ‖W_{k+1} − W_k‖²_{W_{k+½}}   (W_{k+½} = (W_k + W_{k+1})/2)
    /// ```
    /// Second-order accurate in `1/K` for a smooth curve: an independent check of a geodesic's length (integrating
    /// the metric along the curve) and of its minimality (perturbations raise the energy).
    /// - Throws: `.invalidArgument` for fewer than 2 points or a singular midpoint; shape/finiteness errors.
    public static func pathLengthAndEnergy(of points: [Matrix], depth: Int, backend: KernelBackend = .c) throws -> (length: Double, energy: Double) {
        let op = "DeepLinearMetric.pathLengthAndEnergy"
        guard points.count >= 2 else { throw TangentFlowError.invalidArgument(operation: op, reason: "need at least 2 points, got \(points.count)") }
        var length = 0.0, energy = 0.0
        let k = Double(points.count - 1)
        for i in 0..<(points.count - 1) {
            try points[i + 1].requireShape(points[0].rows, points[0].cols, op, "point \(i + 1)")
            let mid = DenseOps.combine(0.5, points[i], 0.5, points[i + 1])
            let step = DenseOps.sub(points[i + 1], points[i])
            let sq = try DeepLinearMetric(at: mid, depth: depth, backend: backend).inner(step, step)
            length += Swift.max(sq, 0).squareRoot()
            energy += k * sq
        }
        return (length, energy)
    }
}
