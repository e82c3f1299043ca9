internal import CDistributed

/// A BLACS process grid `rows × cols` (ranks in row-major order) with square `blockSize × blockSize` blocks:
/// the 2-D block-cyclic layout of every distributed matrix (ScaLAPACK's; `pdsyevr` and `pdpotrf` need square
/// blocks). Not shared between threads: MPI is called from one thread.
public final class ProcessGrid: @unchecked Sendable {
    let handle: OpaquePointer
    /// Process rows and columns, this rank's coordinates, and the block size.
    public let rows: Int, cols: Int, myRow: Int, myCol: Int, blockSize: Int

    /// COLLECTIVE. `rows·cols` must equal the number of ranks; `rows = cols = 0` picks the most square grid.
    /// - Throws: `DistributedError` (`CD_EGRID`) on every rank for a grid that does not fit the job.
    public init(rows: Int = 0, cols: Int = 0, blockSize: Int = 64) throws {
        var p: OpaquePointer?
        try Distributed.check(cd_grid_create(Int32(rows), Int32(cols), Int32(blockSize), &p), "ProcessGrid")
        handle = p!
        var r: Int32 = 0, c: Int32 = 0, mr: Int32 = 0, mc: Int32 = 0, nb: Int32 = 0
        cd_grid_shape(handle, &r, &c, &mr, &mc, &nb)
        self.rows = Int(r)
        self.cols = Int(c)
        myRow = Int(mr)
        myCol = Int(mc)
        self.blockSize = Int(nb)
    }

    deinit { cd_grid_free(handle) }
}
