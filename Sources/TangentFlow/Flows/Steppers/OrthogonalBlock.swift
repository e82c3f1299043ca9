/// A `size×size` block of a packed state that lives on `O(size)`, stored column-major from `offset`.
public struct OrthogonalBlock: Sendable, Equatable {
    /// First index of the block in the packed vector.
    public let offset: Int
    /// The order of the matrix.
    public let size: Int

    /// A block at `offset` of order `size`.
    public init(offset: Int, size: Int) {
        self.offset = offset
        self.size = size
    }
}
