// Pure-Swift exact linear assignment: the shortest-augmenting-path Hungarian method with potentials
// (Kuhn–Munkres in the O(m³) form of Jonker & Volgenant 1987 / Lawler 1976). Goals, in order: exact optimality
// with an LP certificate (dual potentials), no failure on any finite input, then speed.
//
// Method: rows are added one at a time. For row i a Dijkstra-like search over the reduced costs
// `C_ij − u_i − v_j ≥ 0` grows a tree of alternating paths from i until it reaches a free column; the potentials
// are shifted by the smallest slack on each growth, which keeps every reduced cost non-negative (dual
// feasibility) and every tree edge tight; the path is then augmented. Each row costs O(m²), the whole O(m³).
// Column 0 is a sentinel ("no row") as in the classic 1-based formulation.

/// An exact solver of `min_σ Σ_i C[i, σ(i)]` over permutations, with dual potentials.
///
/// ```
/// min Σ_ij C_ij π_ij  s.t.  π 1 = 1, πᵀ 1 = 1, π ≥ 0      (the LP; its vertices are permutations)
/// max Σ_i u_i + Σ_j v_j  s.t.  u_i + v_j ≤ C_ij           (the dual)
/// ```
///
/// Postconditions (exact arithmetic): `u_i + v_j ≤ C_ij` for all i, j; `u_i + v_{σ(i)} = C_{iσ(i)}`; hence
/// `Σ_i C_{iσ(i)} = Σ u + Σ v` (primal = dual, so σ is optimal). In floating point the slack errors are a few ulps
/// of `m·max|C|`.
enum SwiftAssignment {
    /// Solves the square assignment problem for the `m×m` cost in row-major storage (`cost[i * m + j] = C_ij`).
    ///
    /// - Returns: `permutation[i] = j` (row i assigned to column j) and the potentials `u` (rows), `v` (columns).
    /// The caller validates that `m ≥ 1` and that every entry is finite.
    static func solve(rowMajorCost cost: [Double], size m: Int) -> (permutation: [Int], u: [Double], v: [Double]) {
        precondition(m >= 1 && cost.count == m * m, "SwiftAssignment.solve: caller must validate the shape")
        var u = [Double](repeating: 0, count: m + 1)
        var v = [Double](repeating: 0, count: m + 1)
        var rowOfColumn = [Int](repeating: 0, count: m + 1)   // 1-based row matched to column j; 0 = free
        var way = [Int](repeating: 0, count: m + 1)           // previous column on the alternating path
        var minSlack = [Double](repeating: 0, count: m + 1)
        var used = [Bool](repeating: false, count: m + 1)
        cost.withUnsafeBufferPointer { c in
            for i in 1...m {
                rowOfColumn[0] = i
                var j0 = 0
                for j in 0...m {
                    minSlack[j] = .infinity
                    used[j] = false
                }
                repeat {
                    used[j0] = true
                    let i0 = rowOfColumn[j0]
                    let rowBase = (i0 - 1) * m
                    let ui0 = u[i0]
                    var delta = Double.infinity
                    var j1 = 0
                    for j in 1...m where !used[j] {
                        let reduced = c[rowBase + j - 1] - ui0 - v[j]
                        if reduced < minSlack[j] {
                            minSlack[j] = reduced
                            way[j] = j0
                        }
                        if minSlack[j] < delta {
                            delta = minSlack[j]
                            j1 = j
                        }
                    }
                    // Shift the potentials by the smallest slack: tree edges stay tight, others stay ≥ 0.
                    for j in 0...m {
                        if used[j] {
                            u[rowOfColumn[j]] += delta
                            v[j] -= delta
                        } else {
                            minSlack[j] -= delta
                        }
                    }
                    j0 = j1
                } while rowOfColumn[j0] != 0
                // Augment along the alternating path back to the sentinel column.
                repeat {
                    let j1 = way[j0]
                    rowOfColumn[j0] = rowOfColumn[j1]
                    j0 = j1
                } while j0 != 0
            }
        }
        var permutation = [Int](repeating: 0, count: m)
        for j in 1...m { permutation[rowOfColumn[j] - 1] = j - 1 }
        return (permutation, Array(u[1...m]), Array(v[1...m]))
    }
}

extension SwiftAssignment {
    /// The same method on a rectangular `n×m` row-major cost with `n ≤ m` whose entries are finite or `+∞`
    /// (forbidden): every row is assigned to a distinct column. The potentials start at 0 and only the columns in
    /// a search tree are lowered, so unassigned columns keep `v_j = 0` (the dual of the rectangular problem needs
    /// `v_j ≤ 0` with equality off the assignment). A search whose smallest slack is `+∞` reaches no free column
    /// through finite entries: no complete assignment exists, and the result is `nil`.
    ///
    /// - Returns: `columnOfRow[i]` for each row, or `nil` when infeasible. The caller validates the shape and that
    ///   no entry is NaN or `−∞`.
    static func solveRows(rowMajorCost cost: [Double], rows n: Int, cols m: Int) -> [Int]? {
        precondition(n >= 1 && n <= m && cost.count == n * m, "SwiftAssignment.solveRows: caller must validate the shape")
        var u = [Double](repeating: 0, count: n + 1)
        var v = [Double](repeating: 0, count: m + 1)
        var rowOfColumn = [Int](repeating: 0, count: m + 1)
        var way = [Int](repeating: 0, count: m + 1)
        var minSlack = [Double](repeating: 0, count: m + 1)
        var used = [Bool](repeating: false, count: m + 1)
        for i in 1...n {
            rowOfColumn[0] = i
            var j0 = 0
            for j in 0...m {
                minSlack[j] = .infinity
                used[j] = false
            }
            repeat {
                used[j0] = true
                let i0 = rowOfColumn[j0]
                let rowBase = (i0 - 1) * m
                var delta = Double.infinity
                var j1 = 0
                for j in 1...m where !used[j] {
                    let reduced = cost[rowBase + j - 1] - u[i0] - v[j]
                    if reduced < minSlack[j] {
                        minSlack[j] = reduced
                        way[j] = j0
                    }
                    if minSlack[j] < delta {
                        delta = minSlack[j]
                        j1 = j
                    }
                }
                guard delta < .infinity else { return nil }
                for j in 0...m {
                    if used[j] {
                        u[rowOfColumn[j]] += delta
                        v[j] -= delta
                    } else {
                        minSlack[j] -= delta
                    }
                }
                j0 = j1
            } while rowOfColumn[j0] != 0
            repeat {
                let j1 = way[j0]
                rowOfColumn[j0] = rowOfColumn[j1]
                j0 = j1
            } while j0 != 0
        }
        var columnOfRow = [Int](repeating: 0, count: n)
        for j in 1...m where rowOfColumn[j] != 0 { columnOfRow[rowOfColumn[j] - 1] = j - 1 }
        return columnOfRow
    }
}
