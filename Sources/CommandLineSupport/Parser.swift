/// Parses `args` (without the program name) against `spec`'s options and positionals, checking every value
/// against its option's `values` and `kind`. Throws `UsageError` naming the option and the value.
package func parse(_ args: [String], for spec: CommandSpec) throws -> ParsedArguments {
    var out = ParsedArguments(spec: spec)
    var i = 0
    while i < args.count {
        let a = args[i]
        if a == "--" {
            out.positionals += args[(i + 1)...]
            break
        }
        if isOptionLike(a) {
            var name: String
            var inline: String? = nil
            if a.hasPrefix("--") {
                name = String(a.dropFirst(2))
                if let eq = name.firstIndex(of: "=") {
                    inline = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
            } else {
                let c = a.dropFirst().first!
                guard let o = spec.options.first(where: { $0.short == c }) else {
                    throw UsageError(message: "unknown option '\(a)'", hint: suggestion(for: String(c), in: spec))
                }
                name = o.name
            }
            guard let opt = spec.options.first(where: { $0.name == name }) else {
                throw UsageError(message: "unknown option '--\(name)'", hint: suggestion(for: name, in: spec))
            }
            if opt.isFlag {
                if inline != nil { throw UsageError(message: "option '--\(name)' takes no value") }
                out.flags.insert(name)
            } else {
                let v: String
                if let inline {
                    v = inline
                } else {
                    guard i + 1 < args.count, !isOptionLike(args[i + 1]) else {
                        throw UsageError(message: "option '--\(name)' needs a value <\(opt.value!)>",
                                         hint: i + 1 < args.count ? "write --\(name)=VALUE for a value that starts with '-'" : nil)
                    }
                    i += 1
                    v = args[i]
                }
                if out.values[name] != nil { throw UsageError(message: "option '--\(name)' given more than once") }
                if let allowed = opt.values, !allowed.contains(v) {
                    throw UsageError.invalid(name, v, expected: "one of \(allowed.joined(separator: ", "))")
                }
                try opt.kind.check(v, option: name)
                out.values[name] = v
            }
        } else {
            out.positionals.append(a)
        }
        i += 1
    }
    if out.positionals.count > spec.arguments.count {
        let extra = out.positionals[spec.arguments.count]
        throw UsageError(message: "unexpected argument '\(extra)'",
                         hint: spec.arguments.isEmpty ? "'\(spec.name)' takes no positional arguments; options start with --" : nil)
    }
    if out.positionals.count < spec.arguments.count {
        throw UsageError(message: "missing argument <\(spec.arguments[out.positionals.count].name)>")
    }
    for (a, v) in zip(spec.arguments, out.positionals) {
        guard !v.isEmpty else { throw UsageError(message: "<\(a.name)>: an empty value is not a path") }
    }
    // Required options are checked after the scan so that the message names the first one missing.
    for o in spec.options where !o.isFlag && o.defaultValue == nil && !o.optional && out.values[o.name] == nil {
        throw UsageError(message: "missing required option '--\(o.name) <\(o.value!)>'")
    }
    return out
}

/// `--x`, `-o` and `--`-prefixed words are options; `-1`, `-0.5`, `-1e-3` and a lone `-` (standard output)
/// are values.
private func isOptionLike(_ a: String) -> Bool {
    if a.hasPrefix("--") { return true }
    guard a.hasPrefix("-"), a.count >= 2 else { return false }
    if Double(a) != nil { return false }
    return a.count == 2
}

/// "did you mean '--x'?" for the closest option name within edit distance 2, else nil.
private func suggestion(for name: String, in spec: CommandSpec) -> String? {
    let best = spec.options.map { ($0.name, editDistance(name, $0.name)) }.min { $0.1 < $1.1 }
    guard let best, best.1 <= 2, best.1 < name.count else { return nil }
    return "did you mean '--\(best.0)'?"
}

private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.prefix(64)), b = Array(b.prefix(64))
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var prev = Array(0...b.count)
    for i in 1...a.count {
        var cur = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        prev = cur
    }
    return prev[b.count]
}
