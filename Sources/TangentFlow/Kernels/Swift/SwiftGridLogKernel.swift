/// `PreparedGridLogKernel` in pure Swift: `SwiftGridSinkhorn.LogKernel` (direct max-shifted log-sum-exps along
/// each axis) and its workspace. Made by `SwiftBackend.gridLogKernel(grid:epsilon:)`.
final class SwiftGridLogKernel: PreparedGridLogKernel {
    let grid: RegularGrid2D
    private var kernel: SwiftGridSinkhorn.LogKernel

    init(grid: RegularGrid2D, epsilon: Double) throws {
        try KernelValidation.gridEpsilon(epsilon, "GridLogKernel")
        self.grid = grid
        kernel = SwiftGridSinkhorn.LogKernel(grid: grid, eps: epsilon)
    }

    var epsilon: Double { kernel.eps }

    func setEpsilon(_ epsilon: Double) throws {
        try KernelValidation.gridEpsilon(epsilon, "GridLogKernel.setEpsilon")
        kernel.eps = epsilon
    }

    func apply(_ w: [Double]) throws -> [Double] {
        try KernelValidation.gridLogApply(grid, w)
        var out = [Double](repeating: 0, count: grid.count)
        kernel.apply(w, into: &out)
        return out
    }
}
