internal import CKernels

/// `PreparedGridLogKernel` on `CKernels/grid_kernel.c`: the kernel object (`ck_grid_kernel`) holds the two axis
/// kernels and the dgemm workspace, freed with this object. Made by `CBackend.gridLogKernel(grid:epsilon:)`.
final class CGridLogKernel: PreparedGridLogKernel {
    let grid: RegularGrid2D
    private(set) var epsilon: Double
    private let handle: OpaquePointer

    init(grid: RegularGrid2D, epsilon: Double) throws {
        try KernelValidation.gridEpsilon(epsilon, "GridLogKernel")
        var h: OpaquePointer?
        try TangentFlowError.check(
            ck_grid_kernel_create(grid.x1.count, grid.x2.count, grid.x1, grid.x2, epsilon, &h), operation: "GridLogKernel")
        guard let h else {
            throw TangentFlowError.invalidArgument(operation: "GridLogKernel", reason: "the C grid kernel could not be created")
        }
        self.grid = grid
        self.epsilon = epsilon
        handle = h
    }

    deinit { ck_grid_kernel_free(handle) }

    func setEpsilon(_ epsilon: Double) throws {
        try KernelValidation.gridEpsilon(epsilon, "GridLogKernel.setEpsilon")
        self.epsilon = epsilon
        try TangentFlowError.check(ck_grid_kernel_set_epsilon(handle, epsilon), operation: "GridLogKernel.setEpsilon")
    }

    func apply(_ w: [Double]) throws -> [Double] {
        try KernelValidation.gridLogApply(grid, w)
        var out = [Double](repeating: 0, count: grid.count)
        try TangentFlowError.check(ck_grid_kernel_log_apply(handle, w, &out), operation: "GridLogKernel.apply")
        return out
    }
}
