import Foundation

/// Command-line options of kernels-bench (`--help` lists them).
struct BenchOptions {
    var filters: [String] = []
    var sizes: [Int]? = nil
    var repeats: Int? = nil
    var threads = 0
    var jsonPath: String? = nil
    var quick = false
    var skipSwift = false

    static let help = """
        OVERVIEW: Times every kernel's C path against its pure-Swift path on identical inputs, after checking
        that both agree; reports median and best time, GFLOP/s and the fraction of the measured dgemm rate.

        USAGE: swift run -c release kernels-bench [--filter <names>] [--sizes <sweep>] [--repeat <n>]
                                                  [--threads <n>] [--json <file>] [--quick] [--c-only]

        OPTIONS:
          --filter <names>        Comma-separated substrings of case names (e.g. ntk,pinv). (default: all)
          --sizes <sweep>         Sizes for the sweep cases: begin:end:step or a comma list (e.g. 128:512:128).
          --repeat <n>            Timed repetitions per path after one warm-up. (default: 7, 3 for --quick)
          --threads <n>           Threads for OpenBLAS and the OpenMP loops (0 = all cores). (default: 0)
          --json <file>           Also write the records as a JSON array (keys: case, size, path, median_s,
                                  min_s, reps, threads, blas_core, gflops, build, frac_dgemm_peak, checked).
          --quick                 Small sizes only, a few seconds in all (CI smoke run).
          --c-only                Skip the pure-Swift path (no agreement check then).
          -h, --help              Show help information.

        """

    static func parse(_ args: [String]) throws -> BenchOptions {
        var o = BenchOptions()
        var i = 0
        func value() throws -> String {
            i += 1
            guard i < args.count else { throw BenchUsageError(message: "Missing value for '\(args[i - 1])'") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--filter": o.filters = try value().split(separator: ",").map(String.init)
            case "--sizes": o.sizes = try parseSizes(value())
            case "--repeat":
                let v = try value()
                guard let n = Int(v), n >= 1 else { throw BenchUsageError(message: "The value '\(v)' is invalid for '--repeat'") }
                o.repeats = n
            case "--threads":
                let v = try value()
                guard let n = Int(v), n >= 0 else { throw BenchUsageError(message: "The value '\(v)' is invalid for '--threads'") }
                o.threads = n
            case "--json": o.jsonPath = try value()
            case "--quick": o.quick = true
            case "--c-only": o.skipSwift = true
            case "-h", "--help":
                print(help, terminator: "")
                exit(0)
            default: throw BenchUsageError(message: "Unknown option '\(args[i])'")
            }
            i += 1
        }
        return o
    }

    static func parseSizes(_ s: String) throws -> [Int] {
        let parts = s.split(separator: ":").map { Int($0) }
        if parts.count == 3, let b = parts[0], let e = parts[1], let st = parts[2], b > 0, st > 0, e >= b {
            return Array(stride(from: b, through: e, by: st))
        }
        let list = s.split(separator: ",").map { Int($0) }
        guard !list.isEmpty, list.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw BenchUsageError(message: "The value '\(s)' is invalid for '--sizes' (begin:end:step or a comma list)")
        }
        return list.map { $0! }
    }
}

struct BenchUsageError: Error {
    let message: String
}
