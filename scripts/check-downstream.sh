#!/usr/bin/env bash
# Proves a downstream package can depend on TangentFlow *by version* (SwiftPM rejects unsafeFlags there):
# copies the tracked files of this checkout into a throwaway git repository tagged 0.1.0, creates a package
# that depends on it with `.package(url: "file://…", from: "0.1.0")`, builds and runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/TangentFlow"
git ls-files -z | xargs -0 -I{} cp --parents {} "$work/TangentFlow/"
(
  cd "$work/TangentFlow"
  git init -q
  git add -A
  git -c user.name=ci -c user.email=ci@localhost commit -qm "snapshot"
  git tag 0.1.0
)
mkdir -p "$work/Downstream/Sources/Downstream"
cat >"$work/Downstream/Package.swift" <<SWIFT
// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "Downstream",
    dependencies: [.package(url: "file://$work/TangentFlow", from: "0.1.0")],
    targets: [.executableTarget(name: "Downstream", dependencies: [.product(name: "TangentFlow", package: "TangentFlow")])]
)
SWIFT
cat >"$work/Downstream/Sources/Downstream/main.swift" <<'SWIFT'
import Foundation
import TangentFlow
import TangentFlowIO          // the one product holds all six modules (core, IO, reporting, three papers)
import TangentFlowReporting
let net = try MLP(widths: [3, 8, 2], activation: .tanh)
let theta = net.initialParameters(seed: 1)
var rng = SeededGenerator(seed: 2)
let x = try Matrix.gaussian(rows: 5, cols: 3, using: &rng)
let g = try ntkGram(net, theta: theta, inputs: x)
let rank = try numericalRank(of: g)
let path = FileManager.default.temporaryDirectory.appendingPathComponent("downstream-\(getpid())-g.npy").path
try NpyFile.write(g, to: path)
let back = try NpyFile.readMatrix(from: path)
try? FileManager.default.removeItem(atPath: path)
var table = CSVTable(columns: ["rank"])
try table.append([Double(rank)])
guard back == g, table.rows.count == 1 else { fatalError("downstream: .npy round trip or CSV table failed") }
print("downstream OK: NTK \(g.rows)x\(g.cols), rank \(rank), .npy round trip exact, BLAS core \(RuntimeInfo.current.blasCore)")
SWIFT
cd "$work/Downstream"
swift build 2>&1 | tail -n 3
swift run Downstream
