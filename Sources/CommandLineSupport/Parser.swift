/// Parses `args` (without the program name) against `spec`'s options and positionals.
package func parse(_ args: [String], for spec: CommandSpec) throws -> ParsedArguments {
    var out = ParsedArguments(spec: spec)
    var i = 0
    while i < args.count {
        let a = args[i]
        if a == "--" {
            out.positionals += args[(i + 1)...]
            break
        }
        if a.hasPrefix("--") || (a.hasPrefix("-") && a.count == 2 && !a.dropFirst().allSatisfy({ $0.isNumber })) {
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
                guard let o = spec.options.first(where: { $0.short == c }) else { throw UsageError(message: "Unknown option '\(a)'") }
                name = o.name
            }
            guard let opt = spec.options.first(where: { $0.name == name }) else {
                throw UsageError(message: "Unknown option '\(a.split(separator: "=").first.map(String.init) ?? a)'")
            }
            if opt.isFlag {
                if inline != nil { throw UsageError(message: "Option '--\(name)' takes no value") }
                out.flags.insert(name)
            } else {
                let v: String
                if let inline {
                    v = inline
                } else {
                    guard i + 1 < args.count else { throw UsageError(message: "Missing value for '\(opt.label)'") }
                    i += 1
                    v = args[i]
                }
                if let allowed = opt.values, !allowed.contains(v) {
                    throw UsageError(message: "The value '\(v)' is invalid for '--\(name)' (values: \(allowed.joined(separator: ", ")))")
                }
                if out.values[name] != nil { throw UsageError(message: "Option '--\(name)' given more than once") }
                out.values[name] = v
            }
        } else {
            out.positionals.append(a)
        }
        i += 1
    }
    if out.positionals.count > spec.arguments.count {
        throw UsageError(message: "Unexpected argument '\(out.positionals[spec.arguments.count])'")
    }
    if out.positionals.count < spec.arguments.count {
        throw UsageError(message: "Missing expected argument '<\(spec.arguments[out.positionals.count].name)>'")
    }
    return out
}
