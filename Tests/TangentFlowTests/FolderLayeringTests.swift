import Foundation
import Testing

/// The folders of the core target (`Sources/TangentFlow`: Errors, Matrix, Runtime, Models, Kernels, LinearAlgebra,
/// Flows; the papers' modules are targets of their own above it) form layers (docs/architecture.md): a folder may
/// use the types of the folders below it, never the other way round. This test builds the folder → folder graph
/// from the source itself — a folder depends on another when its code (comments and string literals removed) names
/// a type, protocol or type alias declared there — and fails on any cycle, naming the files and types that close it.
@Suite struct FolderLayeringTests {
    static var core: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/TangentFlow")
    }

    /// Source without `//` comments, `/* */` comments and string literals (so prose cannot create an edge).
    static func code(_ text: String) -> String {
        var s = text.replacingOccurrences(of: #"/\*[\s\S]*?\*/"#, with: "", options: .regularExpression)
        s = s.replacingOccurrences(of: #"\"\"\"[\s\S]*?\"\"\""#, with: "\"\"", options: .regularExpression)
        s = s.replacingOccurrences(of: #"//[^\n]*"#, with: "", options: .regularExpression)
        s = s.replacingOccurrences(of: #""(?:[^"\\\n]|\\.)*""#, with: "\"\"", options: .regularExpression)
        return s
    }

    /// folder → [(file, code)] for every Swift file of the core target.
    static func sources() throws -> [String: [(String, String)]] {
        var out: [String: [(String, String)]] = [:]
        let root = core.path
        guard let walker = FileManager.default.enumerator(atPath: root) else { return out }
        for case let relative as String in walker where relative.hasSuffix(".swift") {
            let folder = String(relative.split(separator: "/").first ?? "")
            guard relative.contains("/") else { continue }
            let text = try String(contentsOfFile: root + "/" + relative, encoding: .utf8)
            out[folder, default: []].append((relative, code(text)))
        }
        return out
    }

    static func declaredTypes(_ code: String) -> [String] {
        // Top-level declarations only (a nested `Method` or `Solution` is not a folder's name).
        let pattern = #"(?m)^(?:(?:public|package|internal|private|fileprivate|final|indirect)\s+)*(?:struct|enum|class|protocol|actor|typealias)\s+([A-Z][A-Za-z0-9_]*)"#
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.matches(in: code, range: NSRange(code.startIndex..., in: code)).compactMap {
            Range($0.range(at: 1), in: code).map { String(code[$0]) }
        }
    }

    @Test func theCoreFoldersFormLayersWithoutCycles() throws {
        let sources = try Self.sources()
        #expect(sources.count >= 7, "found \(sources.count) folders under \(Self.core.path)")
        // A type name belongs to the one folder that declares it; a name declared in two folders names neither.
        var declaredIn: [String: Set<String>] = [:]
        for (folder, files) in sources {
            for (_, code) in files { for name in Self.declaredTypes(code) { declaredIn[name, default: []].insert(folder) } }
        }
        let owner = declaredIn.compactMapValues { $0.count == 1 ? $0.first : nil }
        // edges[a][b] = an example (file, type) of folder a using a type of folder b.
        var edges: [String: [String: (String, String)]] = [:]
        for (folder, files) in sources {
            for (file, code) in files {
                let words = Set(code.split { !($0.isLetter || $0.isNumber || $0 == "_") }.map(String.init))
                for word in words {
                    if let other = owner[word], other != folder, edges[folder]?[other] == nil {
                        edges[folder, default: [:]][other] = (file, word)
                    }
                }
            }
        }
        // Any cycle shows up as a path back to its start: depth-first search from every folder.
        func path(from start: String, to target: String, seen: inout Set<String>) -> [String]? {
            for next in (edges[start] ?? [:]).keys.sorted() {
                if next == target { return [start, next] }
                if seen.insert(next).inserted, let rest = path(from: next, to: target, seen: &seen) { return [start] + rest }
            }
            return nil
        }
        var reported = Set<String>()
        for folder in sources.keys.sorted() {
            var seen: Set<String> = [folder]
            guard let cycle = path(from: folder, to: folder, seen: &seen), reported.insert(cycle.sorted().joined()).inserted else { continue }
            let links = zip(cycle, cycle.dropFirst()).map { a, b in "\(a) → \(b) (\(edges[a]![b]!.0) uses \(edges[a]![b]!.1))" }
            Issue.record("folder cycle: \(links.joined(separator: "; "))")
        }
    }

    @Test func theScannerSeesThroughCommentsAndStrings() {
        let code = Self.code("let a = \"Matrix\" // Matrix\n/* Matrix */ let b: Matrix")
        #expect(code.components(separatedBy: "Matrix").count == 2, "only the type annotation remains: \(code)")
        #expect(Self.declaredTypes("public struct Foo {\n  enum Nested {}\n}\nenum Bar: Int {}\nfinal class Baz {}") == ["Foo", "Bar", "Baz"])
    }
}
