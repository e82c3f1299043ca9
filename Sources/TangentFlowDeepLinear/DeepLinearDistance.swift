import TangentFlow

/// The DLN geodesic length between two invertible `d×d` matrices (the distance of the metric (1.7) of file 002,
/// when the geodesic found is minimizing; otherwise an upper bound of it):
///
/// ```
/// shared singular vectors:  √N ‖Σ_1^{1/N} − Σ_0^{1/N}‖_F                    (Thm 2.3 / (2.9), closed form)
/// otherwise:                √(2H(W_0, P_0)) with P_0 found by shooting      (Thm 2.1, `shootGeodesic`)
/// ```
public struct DeepLinearDistance: Sendable {
    /// How the geodesic was found.
    public enum Method: String, Sendable {
        /// The closed form (2.9).
        case explicit
        /// Shooting on the initial covector.
        case shooting
    }
    /// The geodesic's length.
    public let length: Double
    /// The method used.
    public let method: Method
    /// The shooting result, for `.shooting`.
    public let shooting: DeepLinearGeodesic?

    /// The length of the geodesic from `w0` to `w1` at depth `N`.
    /// - Parameters:
    ///   - method: `nil` (closed form when the endpoints share singular vectors, else shooting), or forced.
    ///   - options: shooting options.
    /// - Throws: `.invalidArgument` for singular endpoints (naming `σ_min`), opposite determinant signs, endpoints
    ///   without shared singular vectors under `.explicit`, or shooting that does not converge; shape errors.
    public init(from w0: Matrix, to w1: Matrix, depth: Int, method: Method? = nil, options: GeodesicShootingOptions = .init(),
                backend: KernelBackend = .c) throws {
        if method != .shooting {
            do {
                let explicit = try SharedSingularVectorGeodesic(from: w0, to: w1, depth: .finite(depth), backend: backend)
                length = explicit.length!
                self.method = .explicit
                shooting = nil
                return
            } catch let e as TangentFlowError where method == nil && e.description.contains("do not share singular vectors") {}
        }
        let shot = try shootGeodesic(from: w0, to: w1, depth: depth, points: 2, options: options, backend: backend)
        length = shot.length
        self.method = .shooting
        shooting = shot
    }
}
