import Foundation
import TangentFlow

/// Options shared by the commands that take an MLP, its parameters and inputs. Each tool appends its own
/// (`tangentflow`: the kernel backend; `tangentflow-mpi`: the process grid) in an extension.
package enum ModelOptions {
    /// Largest layer width accepted on the command line.
    package static let maximumWidth = 1 << 20
    /// Most layers accepted on the command line.
    package static let maximumLayers = 64

    /// `--widths`, `--activation`, `--parametrization`, `--theta`, `--x`.
    package static let modelSpecs: [OptionSpec] = [
        OptionSpec(name: "widths", value: "widths", help: "Layer widths M_0,…,M_L, comma-separated (e.g. 16,256,256,10)."),
        activationSpec,
        OptionSpec(
            name: "parametrization", value: "parametrization",
            help: "Forward scaling: standard (W h + b) or ntk (W h/√fan-in + b).", defaultValue: "standard",
            values: ["standard", "ntk"]),
        OptionSpec(name: "theta", value: "theta.npy", help: "Parameters θ (length K: W_ℓ row-major, then b_ℓ, per layer).",
                   kind: .inputFile),
        OptionSpec(name: "x", value: "X.npy", help: "Inputs, one sample per row (N×M_0).", kind: .inputFile),
    ]

    /// `--activation`.
    package static let activationSpec = OptionSpec.choice("activation", of: Activation.self, help: "Hidden-layer activation.", default: .tanh)

    /// The MLP of `--widths`, `--activation`, `--parametrization`.
    package static func model(_ p: ParsedArguments) throws -> MLP {
        let widths = try parseWidths(p.required("widths"))
        let act = try p.choice(Activation.self, "activation")
        let param: MLP.Parametrization = p.string("parametrization") == "ntk" ? .ntk(weightStd: 1, biasStd: 1) : .standard
        let net = try MLP(widths: widths, activation: act, parametrization: param)
        try MemoryBudget.require(bytes: MemoryBudget.product(net.parameterCount, 8 * 4),
                                 operation: "--widths \(p.string("widths")!): \(net.parameterCount) parameters")
        return net
    }

    /// `--theta` as a vector, checked against the model's parameter count.
    package static func theta(_ p: ParsedArguments, for net: MLP) throws -> [Double] {
        let (r, c) = try p.shape("theta")
        if r.multipliedReportingOverflow(by: c).overflow || r * c != net.parameterCount {
            throw CommandFailure(.dataError, "--theta: \(p.string("theta")!) has shape (\(r), \(c)), but --widths "
                + "\(p.string("widths")!) needs a vector of \(net.parameterCount) parameters",
                hint: "make θ with 'tangentflow init --widths \(p.string("widths")!) -o theta.npy'")
        }
        let theta = try p.vector("theta")
        guard theta.count == net.parameterCount else {
            throw CommandFailure(.dataError, "--theta: \(p.string("theta")!) holds \(theta.count) parameters, but --widths "
                + "\(p.string("widths")!) needs \(net.parameterCount)", hint: "make θ with 'tangentflow init --widths \(p.string("widths")!) -o theta.npy'")
        }
        return theta
    }

    /// `--x` (or another named matrix option), checked against the model's input width (from the file's header,
    /// before the data are read).
    package static func inputs(_ p: ParsedArguments, _ name: String = "x", for net: MLP) throws -> Matrix {
        let (rows, cols) = try p.shape(name)
        guard cols == net.widths[0], rows > 0 else {
            throw CommandFailure(.dataError, "--\(name): \(p.string(name)!) is \(rows)×\(cols), but the first width of --widths is \(net.widths[0])"
                + (rows == 0 ? " and it has no samples" : ""), hint: "inputs hold one sample per row")
        }
        let x = try p.matrix(name)
        guard x.cols == net.widths[0] else {
            throw CommandFailure(.dataError, "--\(name): \(p.string(name)!) has \(x.cols) columns, but the first width of --widths is \(net.widths[0])",
                                 hint: "inputs hold one sample per row")
        }
        guard x.rows > 0 else { throw CommandFailure(.dataError, "--\(name): \(p.string(name)!) has no samples (0 rows)") }
        return x
    }
}

/// `16,256,256,10` → `[16, 256, 256, 10]`: at least two integers in 1…2²⁰, at most 64 layers, else a usage error
/// naming `--widths`.
package func parseWidths(_ text: String) throws -> [Int] {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false)
    let widths = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let expected = "at least two comma-separated integers in 1…\(ModelOptions.maximumWidth), e.g. 16,256,256,10"
    guard widths.count == parts.count, widths.count >= 2, widths.count <= ModelOptions.maximumLayers + 1 else {
        throw UsageError.invalid("widths", text, expected: expected)
    }
    guard widths.allSatisfy({ (1...ModelOptions.maximumWidth).contains($0) }) else {
        throw UsageError.invalid("widths", text, expected: expected)
    }
    return widths
}
