import Foundation
import TangentFlow

extension TrajectoryDiagnostics {
    /// The columns of `table(_:)`, in order.
    public static let columns = [
        "s", "t", "loss", "deviation", "sigma_min", "sigma_max", "rank", "predicted_deviation", "prediction_error",
        "collapse_within", "collapse_means", "logit_sum_drift", "distance_to_minimiser", "feasibility_residual",
        "integrated_predicted_deviation", "integrated_prediction_error",
    ]

    /// One CSV row per point (`nan` where a quantity does not apply to the run; `sigma_min`, `sigma_max`, `rank`
    /// and the Prop. 2.5 columns are `nan` when the spectrum was skipped, as on the matrix-free route).
    public static func table(_ points: [TrajectoryPoint]) throws -> CSVTable {
        var table = CSVTable(columns: columns)
        for p in points {
            let row: [Double?] = [
                p.s, p.t, p.loss, p.deviation, p.sigmaMin, p.sigmaMax, p.rank.map(Double.init), p.predictedDeviation, p.predictionError,
                p.collapseWithin, p.collapseMeans, p.logitSumDrift, p.distanceToMinimiser, p.feasibilityResidual,
                p.integratedPredictedDeviation, p.integratedPredictionError,
            ]
            try table.append(row.map { $0 ?? .nan })
        }
        return table
    }
}
