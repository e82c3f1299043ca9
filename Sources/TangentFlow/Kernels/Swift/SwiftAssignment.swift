/// Pure-Swift exact linear assignment: the Hungarian method in its `O(m³)` shortest-augmenting-path form with
/// potentials (Kuhn–Munkres as in Jonker–Volgenant's augmentation step, without their initialisation
/// heuristics). The second opinion for `CKernels/assignment.c` and the `kernels-bench` baseline.
enum SwiftAssignment {
    static func solve(cost: Matrix) throws -> LinearAssignmentResult {
        let m = cost.rows
        // 1-based arrays, index 0 is the virtual root (the classic formulation).
        var u = [Double](repeating: 0, count: m + 1), v = u
        var p = [Int](repeating: 0, count: m + 1)  // p[j] = row matched to column j
        var way = [Int](repeating: 0, count: m + 1)
        var minv = [Double](repeating: 0, count: m + 1)
        var used = [Bool](repeating: false, count: m + 1)
        let c = cost.elements
        for i in 1...m {
            p[0] = i
            var j0 = 0
            for j in 0...m { minv[j] = .infinity; used[j] = false }
            repeat {
                used[j0] = true
                let i0 = p[j0]
                var delta = Double.infinity, j1 = 0
                for j in 1...m where !used[j] {
                    let cur = c[(i0 - 1) + (j - 1) * m] - u[i0] - v[j]
                    if cur < minv[j] { minv[j] = cur; way[j] = j0 }
                    if minv[j] < delta { delta = minv[j]; j1 = j }
                }
                guard j1 > 0 else {
                    throw TangentFlowError.invalidArgument(operation: "LinearAssignment.solve", reason: "no augmenting path (non-finite cost?)")
                }
                for j in 0...m {
                    if used[j] { u[p[j]] += delta; v[j] -= delta } else { minv[j] -= delta }
                }
                j0 = j1
            } while p[j0] != 0
            repeat {
                let j1 = way[j0]
                p[j0] = p[j1]
                j0 = j1
            } while j0 != 0
        }
        var perm = [Int](repeating: 0, count: m)
        for j in 1...m { perm[p[j] - 1] = j - 1 }
        var total = 0.0
        for i in 0..<m { total += c[i + perm[i] * m] }
        return LinearAssignmentResult(
            permutation: perm, totalCost: total, rowPotentials: Array(u[1...]), columnPotentials: Array(v[1...]))
    }
}
