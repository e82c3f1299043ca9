internal import CKernels

/// Which LAPACK driver the dense decompositions use at a given size (`ck_linalg_syev_driver`,
/// `ck_linalg_svd_driver`): LAPACK's workspace sizes are 32-bit integers, so the divide-and-conquer drivers, whose
/// workspace grows as `n²`, stop being callable long before memory runs out. A pure function of the sizes.
public enum DenseLAPACKDriver: Sendable, Equatable {
    /// Divide and conquer `dsyevd`: workspace `1 + 6n + 2n²` doubles (fits while `n ≤ 32,767`).
    case syevd
    /// Relatively robust representations `dsyevr`: `O(n)` workspace (and an `n×n` array for the vectors).
    case syevr
    /// Divide and conquer SVD `dgesdd`: workspace `≈ 4r² + 7r` doubles for `r = min(m, n)` (fits while `r ≲ 23,000`).
    case gesdd
    /// Refused: no driver's workspace is indexable with 32-bit integers.
    case refused

    /// The driver `symmetricEigen` uses for a symmetric matrix of order `n`.
    public static func symmetricEigen(order n: Int) -> DenseLAPACKDriver {
        switch ck_linalg_syev_driver(Swift.max(0, n)) {
        case Int32(CK_DRIVER_SYEVD): return .syevd
        case Int32(CK_DRIVER_SYEVR): return .syevr
        default: return .refused
        }
    }

    /// The driver `svd` uses for an `m×n` matrix.
    public static func svd(rows m: Int, cols n: Int) -> DenseLAPACKDriver {
        ck_linalg_svd_driver(Swift.max(0, m), Swift.max(0, n)) == Int32(CK_DRIVER_GESDD) ? .gesdd : .refused
    }

    /// The message of a refusal: what is too large, and the matrix-free route for an NTK.
    static func refusal(_ what: String) -> String {
        "\(what) needs a LAPACK workspace larger than its 32-bit integers can index; for a few eigenpairs of an NTK "
            + "use the matrix-free `tangentflow ntk-spectrum` (ARPACK on G V = D(DᵀV)) instead of a dense decomposition"
    }
}
