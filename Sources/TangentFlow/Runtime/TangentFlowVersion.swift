/// The package version (semantic versioning; tags `vX.Y.Z`).
public enum TangentFlowVersion {
    /// `"0.1.0"`.
    public static let string = "0.1.0"
}
