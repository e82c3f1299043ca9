import TangentFlow

/// Help text in swift-argument-parser's layout: OVERVIEW, USAGE, ARGUMENTS, OPTIONS, SUBCOMMANDS; labels
/// indented 2, text at column 26.
package func helpText(for spec: CommandSpec, parents: [String]) -> String {
    var s = "OVERVIEW: \(spec.abstract)\n"
    if parents.isEmpty { s += "\nVERSION: \(TangentFlowVersion.string)\n" }
    if let d = spec.discussion { s += "\n\(d)\n" }
    s += "\nUSAGE: \(usageLine(for: spec, parents: parents))\n"
    if !spec.arguments.isEmpty {
        s += "\nARGUMENTS:\n"
        for a in spec.arguments { s += row("<\(a.name)>", a.help) }
    }
    s += "\nOPTIONS:\n"
    for o in spec.options {
        var text = o.help
        var notes: [String] = []
        if let values = o.values { notes.append("values: \(values.joined(separator: ", "))") }
        if let e = o.kind.expectation { notes.append(e) }
        if let d = o.defaultValue { notes.append("default: \(d)") }
        if !o.isFlag, o.defaultValue == nil, !o.optional { notes.append("required") }
        if !notes.isEmpty { text += " (\(notes.joined(separator: "; ")))" }
        s += row(o.label, text)
    }
    if parents.isEmpty { s += row("--version", "Show the version.") }
    s += row("-h, --help", "Show help information.")
    if !spec.examples.isEmpty {
        s += "\nEXAMPLES:\n"
        for e in spec.examples { s += "  \(e)\n" }
    }
    if !spec.subcommands.isEmpty {
        s += "\nSUBCOMMANDS:\n"
        for c in spec.subcommands { s += row(c.name, c.abstract) }
        s += "\n  See '\(spec.path(parents)) help <subcommand>' for detailed help.\n"
    }
    if parents.isEmpty {
        s += "\nEXIT STATUS:\n"
        for e in ExitStatus.allCases { s += row(String(e.rawValue), e.meaning) }
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
