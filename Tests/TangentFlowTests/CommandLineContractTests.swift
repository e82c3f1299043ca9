import Foundation
import Testing

@testable import CommandLineSupport
@testable import TangentFlow

/// The parser's value checks and the error → exit status table of the command-line contract.
@Suite struct CommandLineContractTests {
    static let spec = CommandSpec(
        name: "t", abstract: "test",
        arguments: [ArgumentSpec(name: "A.npy", help: "input", kind: .inputFile)],
        options: [
            OptionSpec(name: "count", value: "n", help: "a count", defaultValue: "3", kind: .integer(1...100)),
            OptionSpec(name: "rate", value: "r", help: "a rate", defaultValue: "0.5", kind: .real(lower: 0, upper: 1, openLower: true)),
            OptionSpec(name: "mode", value: "m", help: "a mode", defaultValue: "a", values: ["a", "b"]),
            OptionSpec(name: "need", value: "x", help: "required"),
            OptionSpec(name: "flag", help: "a flag"),
            OptionSpec(name: "output", short: "o", value: "path", help: "out", kind: .outputFile),
        ])

    private func usage(_ args: [String]) -> String? {
        do {
            _ = try parse(args + (args.contains("-o") ? [] : ["-o", "out.npy"]), for: Self.spec)
            return nil
        } catch let e as UsageError {
            return e.message
        } catch {
            return "not a usage error: \(error)"
        }
    }

    @Test(arguments: [
        (["f", "--need", "1", "--count", "0"], "--count: '0' is invalid; expected an integer in 1…100"),
        (["f", "--need", "1", "--count", "101"], "--count: '101' is invalid"),
        (["f", "--need", "1", "--count", "1e3"], "--count: '1e3' is invalid"),
        (["f", "--need", "1", "--count", "99999999999999999999999"], "--count: '99999999999999999999999' is invalid"),
        (["f", "--need", "1", "--rate", "0"], "--rate: '0' is invalid; expected a number in (0, 1]"),
        (["f", "--need", "1", "--rate", "nan"], "--rate: 'nan' is invalid"),
        (["f", "--need", "1", "--rate", "inf"], "--rate: 'inf' is invalid"),
        (["f", "--need", "1", "--rate", "1e400"], "--rate: '1e400' is invalid"),
        (["f", "--need", "1", "--mode", "c"], "--mode: 'c' is invalid; expected one of a, b"),
        (["f"], "missing required option '--need <x>'"),
        (["--need", "1"], "missing argument <A.npy>"),
        (["f", "g", "--need", "1"], "unexpected argument 'g'"),
        (["f", "--need", "1", "--need", "2"], "option '--need' given more than once"),
        (["f", "--need"], "option '--need' needs a value <x>"),
        (["f", "--need", "1", "--flag=yes"], "option '--flag' takes no value"),
        (["f", "--need", "1", "--counts", "3"], "unknown option '--counts'"),
        (["", "--need", "1"], "<A.npy>: an empty value is not a path"),
    ])
    func badValuesAreUsageErrorsNamingTheOption(args: [String], message: String) {
        let got = usage(args)
        #expect(got?.hasPrefix(message) == true, "\(args): \(got ?? "accepted")")
    }

    @Test func goodValuesParse() throws {
        let p = try parse(["f", "--need", "x", "--count=100", "--rate", "1", "-o", "-", "--flag"], for: Self.spec)
        #expect(try p.int("count") == 100 && (try p.double("rate")) == 1 && p.string("output") == "-" && p.has("flag"))
        #expect(p.positionals == ["f"])
        let negative = try parse(["f", "--need", "-0.5", "-o", "x"], for: Self.spec)  // a negative number is a value, not an option
        #expect(negative.string("need") == "-0.5")
    }

    @Test func everyErrorHasItsStatus() {
        let cases: [(Error, CommandLineSupport.ExitStatus)] = [
            (UsageError(message: "x"), .usage),
            (TangentFlowError.malformedFile(path: "a", reason: "b"), .dataError),
            (TangentFlowError.nonFinite(operation: "a", argument: "b", row: 0, column: 0), .dataError),
            (TangentFlowError.shapeMismatch(operation: "a", expected: "b", got: "c"), .dataError),
            (TangentFlowError.io(path: "a", reason: "cannot open for reading: No such file or directory (errno 2)"), .noInput),
            (TangentFlowError.io(path: "a", reason: "its folder 'x' does not exist"), .cannotCreate),
            (TangentFlowError.io(path: "a", reason: "write of 8 bytes at offset 0 failed: No space left on device (errno 28)"), .ioError),
            (TangentFlowError.insufficientMemory(operation: "a", bytesNeeded: 2, bytesAvailable: 1), .memory),
            (TangentFlowError.didNotConverge(operation: "a", iterations: 1, residual: 1, tolerance: 0), .stopped),
            (TangentFlowError.svdDidNotConverge(routine: "a", info: 1), .stopped),
            (CommandFailure(.stopped, "x"), .stopped),
            (CocoaError(.fileNoSuchFile), .internalError),
        ]
        for (error, status) in cases { #expect(CommandLineSupport.ExitStatus.of(error) == status, "\(error)") }
        #expect(Set(CommandLineSupport.ExitStatus.allCases.map(\.rawValue)).count == CommandLineSupport.ExitStatus.allCases.count)
        #expect(CommandLineSupport.ExitStatus.allCases.allSatisfy { (0...125).contains($0.rawValue) })
    }

    @Test func sizeArithmeticNeverTurnsAnOverflowIntoASmallSize() {
        #expect(MemoryBudget.product(3, 4, 8) == 96 && MemoryBudget.sum(1, 2, 3) == 6)
        #expect(MemoryBudget.product(Int.max, 2) == nil && MemoryBudget.sum(Int.max, 1) == nil)
        // An overflowed size (nil) or a negative one never becomes 0 further down a computation.
        #expect(MemoryBudget.product(nil, 0) == nil && MemoryBudget.product(-1, 5) == nil && MemoryBudget.sum(nil, 5) == nil)
        #expect(throws: TangentFlowError.self) { try MemoryBudget.require(bytes: nil, operation: "t") }
        #expect(throws: TangentFlowError.self) { try MemoryBudget.require(bytes: MemoryBudget.product(1 << 40, 1 << 40), operation: "t") }
        #expect(throws: Never.self) { try MemoryBudget.require(bytes: 1024, operation: "t") }
    }

    @Test func messagesNameNoInternalTypes() {
        let (m, hint) = describe(TangentFlowError.invalidArgument(operation: "flow", reason: "bad"))
        #expect(m == "flow: bad" && hint == nil)
        let (m2, _) = describe(UsageError(message: "line one\nline two"))
        #expect(!m2.contains("\n"))
    }

    @Test func jsonIsValidAndNonFiniteBecomesNull() throws {
        let v = JSONValue.object([("a", .number(.nan)), ("b", .string("q\"\\\n\u{1}")), ("c", .array([.int(1), .bool(true), .null]))])
        let parsed = try JSONSerialization.jsonObject(with: Data(v.text.utf8)) as? [String: Any]
        #expect(parsed?["a"] is NSNull && parsed?["b"] as? String == "q\"\\\n\u{1}")
        #expect(!v.isFinite && JSONValue.number(1).isFinite)
    }
}
