#!/usr/bin/env python3
"""Helper of scripts/test-distributed.sh (standard library only, no NumPy).

    spectrum_check.py make-x PATH N M SEED   write an N×M float64 .npy of pseudo-random inputs in [-1, 1)
    spectrum_check.py compare DIR1 DIR2       DIR*/eigenvalues.npy and DIR*/eigenvectors.npy of two ntk-spectrum
                                              runs: eigenvalues to 1e-9·λ_max, eigenvectors (same row order) up
                                              to sign to 1e-6; exits 1 on a mismatch
    spectrum_check.py compare-values DIR1 DIR2
                                              eigenvalues only, to 1e-9 of DIR1's reference eigenvalue (its
                                              run.json): for repeated eigenvalues, whose eigenvectors are any
                                              basis of their eigenspace
"""
import ast
import json
import random
import struct
import sys


def write_npy(path, rows, cols, values):
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, cols)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%dd" % len(values), *values))


def read_npy(path):
    """(shape, values in C order) of a float64 .npy, either memory order."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        raise SystemExit("%s: not a .npy file" % path)
    major = data[6]
    hlen = struct.unpack("<H", data[8:10])[0] if major == 1 else struct.unpack("<I", data[8:12])[0]
    start = 10 if major == 1 else 12
    header = ast.literal_eval(data[start:start + hlen].decode("latin1"))
    if header["descr"] != "<f8":
        raise SystemExit("%s: dtype %s, expected <f8" % (path, header["descr"]))
    shape = header["shape"]
    count = 1
    for s in shape:
        count *= s
    values = list(struct.unpack("<%dd" % count, data[start + hlen:start + hlen + 8 * count]))
    if header["fortran_order"] and len(shape) == 2:
        r, c = shape
        values = [values[j * r + i] for i in range(r) for j in range(c)]
    return shape, values


def compare(a, b):
    (sa, la), (sb, lb) = read_npy(a + "/eigenvalues.npy"), read_npy(b + "/eigenvalues.npy")
    (va_shape, va), (vb_shape, vb) = read_npy(a + "/eigenvectors.npy"), read_npy(b + "/eigenvectors.npy")
    if sa != sb or va_shape != vb_shape:
        print("shapes differ: %s %s vs %s %s" % (sa, va_shape, sb, vb_shape))
        return 1
    lmax = max(abs(x) for x in la)
    dl = max(abs(x - y) for x, y in zip(la, lb)) / lmax
    rows, cols = va_shape
    dv = 0.0
    for j in range(cols):
        col_a = [va[i * cols + j] for i in range(rows)]
        col_b = [vb[i * cols + j] for i in range(rows)]
        plus = max(abs(x - y) for x, y in zip(col_a, col_b))
        minus = max(abs(x + y) for x, y in zip(col_a, col_b))
        dv = max(dv, min(plus, minus))
    ok = dl <= 1e-9 and dv <= 1e-6
    print("%s  max|Δλ|/λ_max = %.2e, max|Δv| up to sign = %.2e (%d×%d)" % ("ok  " if ok else "FAIL", dl, dv, rows, cols))
    return 0 if ok else 1


def compare_values(a, b):
    (sa, la), (sb, lb) = read_npy(a + "/eigenvalues.npy"), read_npy(b + "/eigenvalues.npy")
    with open(a + "/run.json") as f:
        scale = json.load(f)["results"]["reference_eigenvalue"]
    if sa != sb or not scale > 0:
        print("FAIL  shapes %s vs %s, reference eigenvalue %r" % (sa, sb, scale))
        return 1
    dl = max(abs(x - y) for x, y in zip(la, lb)) / scale
    ok = dl <= 1e-9
    print("%s  max|Δλ|/λ_max = %.2e (%d values)" % ("ok  " if ok else "FAIL", dl, len(la)))
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "make-x":
        n, m, seed = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
        rng = random.Random(seed)
        write_npy(sys.argv[2], n, m, [rng.uniform(-1, 1) for _ in range(n * m)])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "compare-values":
        sys.exit(compare_values(sys.argv[2], sys.argv[3]))
    else:
        raise SystemExit(__doc__)
