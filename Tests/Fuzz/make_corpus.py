#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (standard library only; deterministic, so re-running it gives
byte-identical files):

    corpus/npy/   small .npy files, valid (float64/float32/int64/int32, little/big-endian, C/Fortran order,
                  1-D/2-D, empty, versions 1.0/2.0/3.0) and malformed (bad magic/version, truncated, extra bytes,
                  huge or overflowing claimed shapes, bad header dicts, unsupported dtypes, deep nesting, ...)
    corpus/args/  argument lists for the parser target, arguments separated by NUL bytes

Run: python3 Tests/Fuzz/make_corpus.py   (replaces both folders)
"""

import math
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
MAGIC = b"\x93NUMPY"
CODES = {"f8": "d", "f4": "f", "i8": "q", "i4": "i"}


def header_text(descr="<f8", fortran=False, shape=(2, 3)):
    if len(shape) == 1:
        s = "(%d,)" % shape[0]
    else:
        s = "(" + ", ".join(str(d) for d in shape) + ")"
    return "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, "True" if fortran else "False", s)


def preamble(text, version=(1, 0), pad=True, encoding="latin-1"):
    """Magic, version, header length and the dict, space-padded to a 64-byte boundary and '\\n'-ended."""
    body = text.encode(encoding) if isinstance(text, str) else text
    fmt, size = ("<H", 2) if version[0] == 1 else ("<I", 4)
    if pad:
        total = len(MAGIC) + 2 + size + len(body) + 1
        body += b" " * ((-total) % 64) + b"\n"
    return MAGIC + bytes(version) + struct.pack(fmt, len(body)) + body


def data(values, descr):
    order = ">" if descr[0] == ">" else "<"
    code = CODES[descr.lstrip("<>=|")]
    if code in "qi":
        values = [int(v) for v in values]
    return struct.pack(order + code * len(values), *values)


def npy(values, shape, descr="<f8", fortran=False, version=(1, 0)):
    """`values` are the elements in file order."""
    return preamble(header_text(descr, fortran, shape), version) + data(values, descr)


def npy_files():
    r = range
    f = {}
    # Valid arrays.
    f["f8_c_2x3"] = npy([1, 2, 3, 4, 5, 6], (2, 3))
    f["f8_f_2x3"] = npy([1, 4, 2, 5, 3, 6], (2, 3), fortran=True)
    f["f4_c_3x2"] = npy([0.5, -1.5, 2.25, 1e-3, 3e38, -0.0], (3, 2), "<f4")
    f["f4_f_3x2"] = npy([0.5, -1.5, 2.25, 1e-3, 3e38, -0.0], (3, 2), "<f4", fortran=True)
    f["f8_be_c_2x2"] = npy([1, 2, 3, 4], (2, 2), ">f8")
    f["f4_be_1d"] = npy([1, 2, 3], (3,), ">f4")
    f["i8_1d"] = npy([0, -1, 2**53 + 1, -(2**63), 2**63 - 1], (5,), "<i8")
    f["i8_be_1d"] = npy([7, -7, 1 << 40], (3,), ">i8")
    f["i4_1d"] = npy([1, -2, 2**31 - 1, -(2**31)], (4,), "<i4")
    f["i4_be_row_1x4"] = npy([1, 2, 3, 4], (1, 4), ">i4")
    f["i8_col_3x1"] = npy([5, 6, 7], (3, 1), "<i8")
    f["i8_c_2x2"] = npy([1, 2, 3, 4], (2, 2), "<i8")
    f["f8_1d_4"] = npy([1, 2, 3, 4], (4,))
    f["f8_row_1x5"] = npy([1, 2, 3, 4, 5], (1, 5))
    f["f8_col_5x1_f"] = npy([1, 2, 3, 4, 5], (5, 1), fortran=True)
    f["f8_nonfinite"] = npy([math.nan, math.inf, -math.inf, 0.0], (2, 2))
    f["f8_empty_0"] = npy([], (0,))
    f["f8_empty_0x3"] = npy([], (0, 3))
    f["f8_empty_3x0_f"] = npy([], (3, 0), fortran=True)
    f["f4_c_40x33"] = npy([float(k % 97) for k in r(40 * 33)], (40, 33), "<f4")  # tiled C-order transpose
    f["f8_c_33x2"] = npy([float(k) for k in r(66)], (33, 2))  # whole-row blocks (rows >= 32)
    f["f8_v2"] = npy([1, 2], (2,), version=(2, 0))
    f["f8_v3_utf8"] = preamble("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), } # \u00e9", (3, 0),
                               encoding="utf-8") + data([1], "<f8")
    f["descr_names"] = preamble("{'descr': 'float64', 'fortran_order': False, 'shape': (1,)}") + data([1], "<f8")
    f["descr_code_q"] = preamble("{\"descr\": \"=q\", \"shape\": (2,), 'fortran_order': False}") + data([1, 2], "<i8")
    f["descr_code_i"] = preamble("{'shape': (2,), 'fortran_order': False, 'descr': '|i'}") + data([3, 4], "<i4")
    f["shape_forms"] = preamble("{'descr': u'<f8', 'fortran_order': False, 'shape': (0x2, 1_0L), }") + data(
        [0] * 20, "<f8")
    f["unpadded_header"] = preamble(header_text("<f8", False, (1,)), pad=False) + data([9], "<f8")
    # Malformed.
    good = f["f8_c_2x3"]
    six = data([1, 2, 3, 4, 5, 6], "<f8")
    f["bad_magic"] = b"\x93NUMPZ" + good[6:]
    f["only_magic"] = MAGIC
    f["short_preamble"] = MAGIC + b"\x01\x00\x10"
    f["version_4"] = MAGIC + b"\x04\x00" + good[8:]
    f["version_1_1"] = MAGIC + b"\x01\x01" + good[8:]
    f["hlen_too_big"] = MAGIC + b"\x01\x00\xff\xff" + good[10:]
    f["hlen_v2_huge"] = MAGIC + b"\x02\x00\xff\xff\xff\xff" + b"{}"
    f["truncated_data"] = good[:-5]
    f["extra_bytes"] = good + b"\x00" * 8
    f["huge_shape"] = preamble(header_text("<f8", False, (1 << 40, 1 << 20)))
    f["huge_1d"] = preamble(header_text("<f4", False, (1 << 62,)))
    f["overflow_shape"] = preamble(header_text("<f8", False, (1 << 62, 1 << 62)))
    f["overflow_bytes"] = preamble(header_text("<f8", False, (1 << 61,)))
    f["int_too_big"] = preamble(header_text("<f8", False, (2, 3)).replace("(2, 3)", "(99999999999999999999999, 1)"))
    f["zero_then_huge_3d"] = preamble(header_text("<f8", False, (0, 1 << 32, 1 << 32)))  # a known parseStack crash (README.md)
    f["many_empty_3d"] = preamble(header_text("<f8", False, (100000000, 0, 7)))  # a known parseStack crash (README.md)
    f["negative_dim"] = preamble(header_text("<f8", False, (2, 3)).replace("(2, 3)", "(-2, 3)")) + six
    f["shape_not_tuple"] = preamble(header_text("<f8", False, (2, 3)).replace("(2, 3)", "(6)")) + six
    f["shape_float"] = preamble(header_text("<f8", False, (6,)).replace("(6,)", "(6.0,)")) + six
    f["shape_list"] = preamble(header_text("<f8", False, (6,)).replace("(6,)", "[6]")) + six
    f["scalar_0d"] = preamble(header_text("<f8", False, (2, 3)).replace("(2, 3)", "()")) + data([1], "<f8")
    f["three_d"] = npy([float(k) for k in r(8)], (2, 2, 2))
    f["three_d_f"] = npy([float(k) for k in r(12)], (2, 3, 2), "<f4", fortran=True)
    f["dtype_c16"] = preamble(header_text("<c16", False, (1,))) + b"\x00" * 16
    f["dtype_u8"] = preamble(header_text("<u8", False, (1,))) + b"\x00" * 8
    f["dtype_f2"] = preamble(header_text("<f2", False, (2,))) + b"\x00" * 4
    f["dtype_structured"] = preamble("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }") + data(
        [1], "<f8")
    f["dtype_bytes"] = preamble("{'descr': b'<f8', 'fortran_order': False, 'shape': (1,), }") + data([1], "<f8")
    f["fortran_not_bool"] = preamble("{'descr': '<f8', 'fortran_order': 1, 'shape': (1,), }") + data([1], "<f8")
    f["missing_key"] = preamble("{'descr': '<f8', 'shape': (1,), }") + data([1], "<f8")
    f["extra_key"] = preamble("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': {1: [2]}}") + data(
        [1], "<f8")
    f["duplicate_key"] = preamble("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}")
    f["deep_nesting"] = preamble("{'descr': '<f8', 'fortran_order': False, 'shape': " + "(" * 80 + ")" * 80 + "}")
    f["unterminated_string"] = preamble("{'descr': '<f8, 'fortran_order': False, 'shape': (1,), }")
    f["unterminated_dict"] = preamble("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), ")
    f["not_a_dict"] = preamble("[1, 2, 3]")
    f["empty_header"] = MAGIC + b"\x01\x00\x00\x00"
    f["trailing_text"] = preamble("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), } x") + data([1], "<f8")
    f["float_for_int_reader"] = npy([1.5, 2.5], (2,))
    f["i8_matrix_2x2_for_vector"] = npy([1, 2, 3, 4], (2, 2), "<i8")
    return f


# Argument lists: each a list of arguments, written NUL-separated.
ARGS = [
    ["train", "in.npy", "out.npy", "--seed", "1"],
    ["train", "--seed=7", "-v", "-o", "out.npy", "--method", "gram", "a", "b"],
    ["train", "--steps", "-3", "--tolerance", "1e-300", "--seed", "0", "x", "y"],
    ["train", "--method=bogus", "a", "b"],
    ["train", "--verbose=1", "a", "b"],
    ["train", "--seed", "1", "--seed", "2", "a", "b"],
    ["train", "-x", "X.npy", "--", "-v", "--seed"],
    ["train", "-n"],
    ["train", "-5", "-0.5"],
    ["train", "--", "--"],
    ["train", "-", "---", "--=", "--=x"],
    ["train", "-\u00e9", "--\u00e9t\u00e9=1", "\u65e5\u672c"],
    ["train", "-vo", "x", "-\u0301", "e\u0301"],
    ["train", "--backend", "c", "--backend=swift"],
    ["ntk", "--widths", "16,256,256,10", "--activation", "relu", "--theta", "t.npy", "--x", "X.npy"],
    ["ntk", "--widths=2,3", "--parametrization", "ntk", "-c", "--method", "svd"],
    ["ntk", "--widths", " 16 , 10 ", "--activation=sigmoid"],
    ["ntk", "--widths", "1,,2"],
    ["ntk", "--widths", "9223372036854775807,9223372036854775808"],
    ["ntk", "--widths", "-1,+2,0x10,1_0"],
    ["ntk", "--widths", ","],
    ["ntk", "--widths"],
    ["info"],
    ["info", "extra"],
    ["info", "--help"],
    ["help"],
    ["help", "ot", "sinkhorn"],
    ["help", "nope"],
    ["ot"],
    ["ot", "help"],
    ["ot", "sinkhorn", "--eps", "1e-3", "--grid", "64"],
    ["ot", "one", "file", "-f"],
    ["ot", "one", "-h"],
    ["ot", "nope", "--grid=1"],
    ["nope"],
    ["-h"],
    [""],
    ["", "", ""],
    ["--widths", "16,256,10"],
    ["1,2,3", "10,20", " 4 ,5", "2,", ",2", "\t3,\t4"],
]


def write(folder, files):
    path = os.path.join(HERE, "corpus", folder)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    for name, content in files.items():
        with open(os.path.join(path, name), "wb") as out:
            out.write(content)


def main():
    write("npy", {name + ".npy": content for name, content in npy_files().items()})
    write("args", {"args_%02d" % k: "\0".join(a).encode("utf-8") for k, a in enumerate(ARGS)})
    total = 0
    for folder in ("npy", "args"):
        path = os.path.join(HERE, "corpus", folder)
        names = os.listdir(path)
        size = sum(os.path.getsize(os.path.join(path, n)) for n in names)
        total += size
        print("corpus/%s: %d files, %d bytes" % (folder, len(names), size))
    assert total < 200 * 1024, "seed corpus over 200 KB"


if __name__ == "__main__":
    main()
