/// Help text in swift-argument-parser's layout: OVERVIEW, USAGE, ARGUMENTS, OPTIONS, SUBCOMMANDS; labels
/// indented 2, text at column 26.
package func helpText(for spec: CommandSpec, parents: [String]) -> String {
    var s = "OVERVIEW: \(spec.abstract)\n"
    if let d = spec.discussion { s += "\n\(d)\n" }
    s += "\nUSAGE: \(usageLine(for: spec, parents: parents))\n"
    if !spec.arguments.isEmpty {
        s += "\nARGUMENTS:\n"
        for a in spec.arguments { s += row("<\(a.name)>", a.help) }
    }
    s += "\nOPTIONS:\n"
    for o in spec.options {
        var text = o.help
        if let values = o.values {
            text += " (values: \(values.joined(separator: ", "))\(o.defaultValue.map { "; default: \($0)" } ?? ""))"
        } else if let d = o.defaultValue {
            text += " (default: \(d))"
        }
        s += row(o.label, text)
    }
    s += row("-h, --help", "Show help information.")
    if !spec.subcommands.isEmpty {
        s += "\nSUBCOMMANDS:\n"
        for c in spec.subcommands { s += row(c.name, c.abstract) }
        s += "\n  See '\(spec.path(parents)) help <subcommand>' for detailed help.\n"
    }
    return s
}

/// `tangentflow ntk --widths <widths> … [--method <method>]`.
package func usageLine(for spec: CommandSpec, parents: [String]) -> String {
    var parts = [spec.path(parents)]
    if !spec.subcommands.isEmpty { parts.append("<subcommand>") }
    for o in spec.options {
        let text = o.isFlag ? "--\(o.name)" : "--\(o.name) <\(o.value!)>"
        parts.append(o.defaultValue == nil && !o.isFlag && !o.optional ? text : "[\(text)]")
    }
    for a in spec.arguments { parts.append("<\(a.name)>") }
    return parts.joined(separator: " ")
}

private func row(_ label: String, _ text: String) -> String {
    let pad = 26
    let l = "  " + label
    if l.count >= pad - 1 { return l + "\n" + String(repeating: " ", count: pad) + text + "\n" }
    return l + String(repeating: " ", count: pad - l.count) + text + "\n"
}
