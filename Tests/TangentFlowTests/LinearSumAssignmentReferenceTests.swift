import Foundation
import Testing

@testable import TangentFlow
@testable import TangentFlowIO
@testable import TangentFlowWasserstein

/// `LinearAssignment.solve(cost:maximize:)` and `tangentflow ot assign --cost` against SciPy's own tests of
/// `linear_sum_assignment` (every case of scipy/optimize/tests/test_linear_assignment.py, including the 100 random
/// sparse 100×100 problems), from `scripts/make_lsap_reference.py` (`Resources/reference/lsap/cases.json`: SciPy's
/// outcome and optimal cost per case). Costs are integers, so the optimal totals must agree exactly; the pairs may
/// differ where optima tie (SciPy's tests compare costs too).
@Suite struct LinearSumAssignmentReferenceTests {
    struct Case {
        let name: String
        let cost: Matrix
        let maximize: Bool
        let outcome: String
        let total: Double?
        let pairCosts: [Double]?
    }

    static func number(_ any: Any) -> Double {
        if let s = any as? String { return s == "inf" ? .infinity : s == "-inf" ? -.infinity : .nan }
        return (any as! NSNumber).doubleValue
    }

    static func cases() throws -> [Case] {
        let url = try #require(Bundle.module.url(forResource: "cases", withExtension: "json", subdirectory: "Resources/reference/lsap"))
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var out: [Case] = []
        for c in try #require(doc["dense"] as? [[String: Any]]) {
            let shape = c["shape"] as! [Int]
            let rowMajor = (c["cost"] as! [Any]).map(number)
            var m = Matrix(uncheckedRows: shape[0], cols: shape[1], elements: [Double](repeating: 0, count: shape[0] * shape[1]))
            for i in 0..<shape[0] { for j in 0..<shape[1] { m[i, j] = rowMajor[i * shape[1] + j] } }
            out.append(Case(name: c["name"] as! String, cost: m, maximize: c["maximize"] as! Bool, outcome: c["outcome"] as! String,
                            total: (c["optimal_cost"] as? NSNumber)?.doubleValue,
                            pairCosts: (c["pair_costs"] as? [Any])?.map(number)))
        }
        for c in try #require(doc["sparse"] as? [[String: Any]]) {
            var m = Matrix(uncheckedRows: 100, cols: 100, elements: [Double](repeating: .infinity, count: 100 * 100))
            let rows = c["rows"] as! [Int], cols = c["cols"] as! [Int], values = c["values"] as! [Int]
            for t in rows.indices { m[rows[t], cols[t]] = Double(values[t]) }
            out.append(Case(name: c["name"] as! String, cost: m, maximize: false, outcome: c["outcome"] as! String,
                            total: (c["optimal_cost"] as? NSNumber)?.doubleValue, pairCosts: nil))
        }
        return out
    }

    static func check(_ c: Case, _ r: RectangularAssignmentResult?, _ label: String) {
        switch c.outcome {
        case "infeasible":
            #expect(r == nil, "\(c.name) [\(label)]: SciPy says infeasible, got \(String(describing: r))")
        case "ok":
            guard let r else {
                Issue.record("\(c.name) [\(label)]: SciPy found cost \(c.total ?? .nan), we said infeasible")
                return
            }
            #expect(r.rows.count == Swift.min(c.cost.rows, c.cost.cols))
            #expect(r.rows == r.rows.sorted() && Set(r.rows).count == r.rows.count && Set(r.columns).count == r.columns.count)
            let picked = zip(r.rows, r.columns).map { c.cost[$0, $1] }
            #expect(picked.allSatisfy { $0.isFinite }, "\(c.name) [\(label)]: a forbidden pair was chosen")
            #expect(r.totalCost == c.total, "\(c.name) [\(label)]: cost \(r.totalCost), SciPy \(c.total ?? .nan)")
            #expect(picked.reduce(0, +) == r.totalCost)
            if let expected = c.pairCosts { #expect(picked.sorted() == expected.sorted(), "\(c.name) [\(label)]") }
        default: break
        }
    }

    /// Every case through the library, on both backends (the C kernel and its pure-Swift twin).
    @Test(arguments: [KernelBackend.c, .swift]) func libraryMatchesScipy(backend: KernelBackend) throws {
        let all = try Self.cases()
        #expect(all.count == 129)
        #expect(all.filter { $0.name.hasPrefix("sparse") && $0.outcome == "infeasible" }.count == 38)
        for c in all {
            if c.outcome == "invalid" {
                #expect(throws: TangentFlowError.self, "\(c.name)") { _ = try LinearAssignment.solve(cost: c.cost, maximize: c.maximize, backend: backend) }
            } else {
                Self.check(c, try LinearAssignment.solve(cost: c.cost, maximize: c.maximize, backend: backend), "\(backend)")
            }
        }
    }

    /// Reads the 2×k int64 array `ot assign --cost` writes (NumPy format 1.0, C order).
    static func pairs(_ path: String) throws -> (rows: [Int], columns: [Int]) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.contains("'descr': '<i8'") && header.contains("'fortran_order': False"), "\(header)")
        let values = stride(from: 10 + headerLength, to: bytes.count, by: 8).map { o in
            (0..<8).reduce(0) { $0 | Int(bytes[o + $1]) << (8 * $1) }
        }
        let k = values.count / 2
        #expect(header.contains("'shape': (2, \(k))"), "\(header)")
        return (Array(values[0..<k]), Array(values[k...]))
    }

    /// The dense cases and a dozen sparse ones (solved and infeasible) through the command: same costs as SciPy,
    /// exit 65 for infeasible and invalid problems, with the file named.
    @Test func commandMatchesScipy() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let all = try Self.cases()
        let chosen = all.filter { !$0.name.hasPrefix("sparse") } + all.filter { $0.name.hasPrefix("sparse") }.prefix(12)
        for (k, c) in chosen.enumerated() {
            let input = dir + "/C\(k).npy", output = dir + "/out\(k).npy"
            try NpyFile.write(c.cost, to: input)
            let r = try CLIRunner.run(["ot", "assign", "--cost", input, "-o", output] + (c.maximize ? ["--maximize"] : []))
            switch c.outcome {
            case "ok":
                #expect(r.status == 0, "\(c.name): \(r.stderr)")
                let (rows, columns) = try Self.pairs(output)
                Self.check(c, RectangularAssignmentResult(rows: rows, columns: columns, totalCost: zip(rows, columns).map { c.cost[$0, $1] }.reduce(0, +)), "cli")
            default:
                #expect(r.status == 65 && r.stderr.hasPrefix("Error: --cost ") && r.stderr.contains(input), "\(c.name): \(r.status) \(r.stderr)")
                if c.outcome == "infeasible" { #expect(r.stderr.contains("no complete assignment avoids the forbidden")) }
                #expect(!FileManager.default.fileExists(atPath: output))
            }
        }
        let x = dir + "/X.npy"
        try NpyFile.write(Fixtures.gaussian(5, 2, seed: 1), to: x)
        let mixed = try CLIRunner.run(["ot", "assign", "--cost", dir + "/C0.npy", "--x", x, "--y", x, "-o", dir + "/m.npy"])
        #expect(mixed.status == 64 && mixed.stderr.contains("mutually exclusive"))
        let neither = try CLIRunner.run(["ot", "assign", "-o", dir + "/m.npy"])
        #expect(neither.status == 64)
    }
}
