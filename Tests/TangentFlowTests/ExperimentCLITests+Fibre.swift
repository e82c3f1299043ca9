import Foundation
import Testing
import TangentFlowIO

@testable import TangentFlow

/// `tangentflow experiment fibre` at a small size: the written fibre points, re-evaluated here with the pure-Swift
/// backend (the experiment uses the C one), give the outputs of θ₀ to rounding and NTKs `G = DDᵀ` (from the Swift
/// Jacobian, not the structured kernel) that differ from θ₀'s; the exact ReLU and tanh symmetries hold.
@Suite(.serialized) struct FibreExperimentTests {
    @Test func fibrePointsKeepTheOutputsButNotTheKernel() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(["experiment", "fibre", "--samples", "4", "--inputs", "2", "--outputs", "2", "--width", "6", "--walks", "3",
                                   "--moves", "4", "--seed", "5", "-o", dir, "--json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let results = try #require(try ExperimentCLITests.json(r.stdout)["results"] as? [String: Any])
        #expect((results["claims_failed"] as? [String])?.isEmpty == true, "\(results)")
        #expect(try #require(results["relu_rescaling_ntk_distance"] as? Double) > 0.1)
        #expect(try #require(results["tanh_sign_flip_ntk_distance"] as? Double) < 1e-13)

        // Independent re-evaluation: the data set and the network as the experiment documents them.
        let data = try SyntheticData.gaussian(samples: 4, inputDimension: 2, outputs: 2, seed: 5)
        let net = try MLP(widths: [2, 6, 2], activation: .tanh)
        let k = SwiftBackend()
        let fibre = try NpyFile.readMatrix(from: dir + "/fibre-parameters.npy")
        #expect(fibre.rows == 4 && fibre.cols == net.parameterCount)
        func row(_ i: Int) -> [Double] { (0..<fibre.cols).map { fibre[i, $0] } }
        #expect(row(0) == net.initialParameters(seed: 5 &+ 7))
        let x0 = try k.mlpForward(net, theta: row(0), inputs: data.inputs).elements
        let g0 = try k.gram(k.mlpJacobian(net, theta: row(0), inputs: data.inputs))
        func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        for i in 1..<fibre.rows {
            let theta = row(i)
            let x = try k.mlpForward(net, theta: theta, inputs: data.inputs).elements
            #expect(norm(zip(x, x0).map { $0 - $1 }) <= 1e-12 * norm(x0), "fibre point \(i)")
            #expect(norm(zip(theta, row(0)).map { $0 - $1 }) > 0.05 * norm(row(0)), "fibre point \(i) did not move")
            let g = try k.gram(k.mlpJacobian(net, theta: theta, inputs: data.inputs))
            #expect(norm(zip(g.elements, g0.elements).map { $0 - $1 }) > 1e-3 * norm(g0.elements), "fibre point \(i): same NTK")
        }
        for f in ["fibre.csv", "fibre.svg", "fibre-parameters.npy", "run.json"] { #expect(FileManager.default.fileExists(atPath: dir + "/" + f), "\(f)") }
    }
}
