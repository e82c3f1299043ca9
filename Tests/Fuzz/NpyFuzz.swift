// libFuzzer target for the `.npy` reader: the bytes of one input are handed to every in-memory entry point of
// `NpyFile`. Built by scripts/fuzz.sh into one module (named TangentFlow) with the real reader sources.
//
// Contract checked: no input may crash, hang or over-allocate; throwing is the only allowed refusal. On success
// a few documented postconditions are checked too, and a violation traps with "invariant violated" (so the
// fuzzer reports it like a crash):
//   - `rows · cols == elements.count`;
//   - a vector-shaped array gives the same values (bit for bit) through `parseVector` as through `parseMatrix`;
//   - an integer vector gives through `parseInt64Vector` the values `parseMatrix` gave, before the conversion;
//   - `parseMatrix(encode(m))` equals `m` bit for bit, in both storage orders (NpyFile's documented postcondition).
//
// `NpyFile.parseStack` (3-D stacks) is called too, unless the environment sets FUZZ_NPY_STACK=0.

#if canImport(Glibc)
import Glibc
#endif

private let fuzzStack: Bool = getenv("FUZZ_NPY_STACK").map { String(cString: $0) != "0" } ?? true

private func invariant(_ ok: @autoclosure () -> Bool, _ what: @autoclosure () -> String) {
    if !ok() { fatalError("invariant violated: \(what())") }
}

private func sameBits(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func npyFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    let path = "<fuzz>"

    let matrix = try? NpyFile.parseMatrix(bytes, path: path)
    let vector = try? NpyFile.parseVector(bytes, path: path)
    let ints = try? NpyFile.parseInt64Vector(bytes, path: path)
    if fuzzStack { _ = try? NpyFile.parseStack(bytes, path: path) }

    if let m = matrix {
        invariant(m.rows >= 0 && m.cols >= 0 && m.rows.multipliedReportingOverflow(by: m.cols).partialValue
            == m.elements.count, "\(m.rows)×\(m.cols) matrix holds \(m.elements.count) elements")
        for fortranOrder in [false, true] {
            let again = try? NpyFile.parseMatrix(NpyFile.encode(m, fortranOrder: fortranOrder), path: path)
            invariant(again.map { $0.rows == m.rows && $0.cols == m.cols && sameBits($0.elements, m.elements) } == true,
                      "encode/parse round trip (fortranOrder: \(fortranOrder)) changed a \(m.rows)×\(m.cols) matrix")
        }
        if let v = vector {
            invariant(sameBits(v, m.elements), "parseVector and parseMatrix disagree")
        }
        if let ints {
            invariant(sameBits(ints.map { Double($0) }, m.elements), "parseInt64Vector and parseMatrix disagree")
        }
    } else {
        // Every array parseVector or parseInt64Vector accepts is also a matrix (n×1, 1×n or (n,)).
        invariant(vector == nil && ints == nil, "parseMatrix refused an array that parseVector/parseInt64Vector read")
    }
    return 0
}
