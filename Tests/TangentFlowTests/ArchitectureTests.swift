import Foundation
import Testing

/// "One door to the engine room" (DESIGN.md: `Kernels/` is the ONLY door to C): no Swift file outside
/// `Sources/TangentFlow/Kernels/` calls a `ck_` function or imports the `CKernels` module. There is no exception:
/// `TangentFlowDistributed` wraps only its own C layer (`cd_` functions, `CDistributed`) and reaches `ck_` through
/// the core's façade (`MLP.withCDescription`, `CKernelStatus`, both `package` access).
@Suite struct ArchitectureTests {
    /// A call of a `ck_` function (or of a `ck_` struct's initialiser): `ck_` at a word start, a lower-case name,
    /// then `(`. Words that merely contain `ck_` (`stack_t`, `check_fallback`) do not match.
    static let cCall = try! NSRegularExpression(pattern: #"\bck_[a-z_]+\s*\("#)
    /// An import of the C kernel module, with or without an access level or attribute.
    static let cImport = try! NSRegularExpression(pattern: #"(?m)^\s*(@\w+\s+)*((public|package|internal|fileprivate|private)\s+)?import\s+CKernels\b"#)
    /// The only folder allowed to do either.
    static let door = "Sources/TangentFlow/Kernels/"

    /// `Sources/`, found from this file's path (`Tests/TangentFlowTests/ArchitectureTests.swift`).
    static var sourcesRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
    }

    /// Every `.swift` file under `Sources/`, as (path relative to the package root, text).
    static func swiftSources() throws -> [(path: String, text: String)] {
        let root = sourcesRoot
        let packageRoot = root.deletingLastPathComponent().path + "/"
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var out: [(String, String)] = []
        for case let url as URL in walker where url.pathExtension == "swift" {
            let path = url.standardizedFileURL.path
            out.append((path.hasPrefix(packageRoot) ? String(path.dropFirst(packageRoot.count)) : path,
                        try String(contentsOf: url, encoding: .utf8)))
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// `text` without `//` comments (a doc comment may name a C function: that is not a call).
    static func code(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            guard let r = line.range(of: "//") else { return line }
            return line[..<r.lowerBound]
        }.joined(separator: "\n")
    }

    static func matches(_ regex: NSRegularExpression, _ text: String) -> [String] {
        let ns = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) }
    }

    @Test func theRegexCountsCallsOnly() {
        #expect(Self.matches(Self.cCall, "let s = ck_gram_accumulate(r, k)") == ["ck_gram_accumulate("])
        #expect(Self.matches(Self.cCall, "var net = ck_mlp (widths: w)").count == 1)
        #expect(Self.matches(Self.cCall, "var s = stack_t(); check_fallback(x); let ck_count = 3; f(ck_)").isEmpty)
        #expect(Self.matches(Self.cImport, "internal import CKernels\n").count == 1)
        #expect(Self.matches(Self.cImport, "@_implementationOnly import CKernels").count == 1)
        #expect(Self.matches(Self.cImport, Self.code("internal import CDistributed\nlet x = 1 // import CKernels")).isEmpty)
        #expect(Self.matches(Self.cCall, Self.code("/// calls `ck_assignment(…)` underneath")).isEmpty)
    }

    @Test func noCKernelCallOutsideTheKernelsFolder() throws {
        let files = try Self.swiftSources()
        #expect(files.count > 100, "found only \(files.count) Swift files under \(Self.sourcesRoot.path)")
        #expect(files.contains { $0.path.hasPrefix(Self.door) }, "no file under \(Self.door)")
        var offenders: [String] = []
        for (path, text) in files where !path.hasPrefix(Self.door) {
            let found = Self.matches(Self.cCall, Self.code(text))
            if !found.isEmpty { offenders.append("\(path): \(Set(found).sorted().joined(separator: ", "))") }
        }
        #expect(offenders.isEmpty, "ck_ calls outside \(Self.door) (move them behind the Kernels protocol):\n\(offenders.joined(separator: "\n"))")
    }

    @Test func noCKernelsImportOutsideTheKernelsFolder() throws {
        var offenders: [String] = []
        for (path, text) in try Self.swiftSources() where !path.hasPrefix(Self.door) {
            if !Self.matches(Self.cImport, Self.code(text)).isEmpty { offenders.append(path) }
        }
        #expect(offenders.isEmpty, "CKernels imported outside \(Self.door): \(offenders)")
    }
}
