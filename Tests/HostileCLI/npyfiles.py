"""Hand-written .npy files (standard library only) for the hostile command-line suite.

`npy_bytes` builds a well-formed (or deliberately malformed) NumPy v1.0 file; `read_npy` parses one back and
`nonfinite_count` scans its data, so that a case can assert "exit 0 ⇒ every number written is finite".
"""

import math
import struct
from array import array

MAGIC = b"\x93NUMPY"

_CODES = {"f8": "d", "f4": "f", "i8": "q", "i4": "i", "i2": "h", "i1": "b", "u1": "B", "u8": "Q"}


def header_dict(descr="<f8", fortran=False, shape=(3, 4)):
    """The header dict text exactly as numpy writes it."""
    if len(shape) == 1:
        shape_text = "(%d,)" % shape[0]
    else:
        shape_text = "(" + ", ".join(str(s) for s in shape) + ")"
    return "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, "True" if fortran else "False", shape_text)


def header_bytes(text, version=(1, 0)):
    """Magic, version, length and the dict padded with spaces to a multiple of 64 (incl. the trailing newline)."""
    body = text.encode("latin-1")
    lenfmt, lensize = ("<H", 2) if version[0] == 1 else ("<I", 4)
    pre = MAGIC + bytes(version)
    total = len(pre) + lensize + len(body) + 1
    pad = (-total) % 64
    body = body + b" " * pad + b"\n"
    return pre + struct.pack(lenfmt, len(body)) + body


def pack(values, descr="<f8"):
    """Raw little- or big-endian data for `values` in `descr` (f8, f4, i8, i4, i2, …)."""
    endian = descr[0] if descr[0] in "<>|=" else "<"
    code = descr[1:] if descr[0] in "<>|=" else descr
    tc = _CODES.get(code)
    if tc is None:
        raise ValueError("cannot pack dtype " + descr)
    a = array(tc, [v if tc in "df" else int(v) for v in values])
    if (endian == ">") != (struct.pack("=H", 1) == b"\x00\x01"):
        a.byteswap()
    return a.tobytes()


def npy_bytes(values, shape, descr="<f8", fortran=False, header_text=None, data=None, version=(1, 0)):
    """A whole .npy file. `values` are in C order unless `fortran`, in which case they must already be
    column-major. `header_text`/`data` override the dict text or the data bytes (for malformed files)."""
    text = header_text if header_text is not None else header_dict(descr, fortran, shape)
    raw = data if data is not None else pack(values, descr)
    return header_bytes(text, version) + raw


def write_npy(path, values, shape, **kw):
    with open(path, "wb") as f:
        f.write(npy_bytes(values, shape, **kw))
    return path


def matrix_values(rows, cols, seed=1, scale=1.0):
    """A deterministic, well-conditioned-ish pseudo-random matrix in C order (no numpy)."""
    out = []
    x = (seed * 2654435761) % 2**32 or 1
    for _ in range(rows * cols):
        x = (1103515245 * x + 12345) % 2**31
        out.append(scale * ((x / 2**31) * 2.0 - 1.0))
    return out


def write_matrix(path, rows, cols, seed=1, scale=1.0, descr="<f8", fortran=False):
    vals = matrix_values(rows, cols, seed, scale)
    if fortran:
        vals = [vals[i * cols + j] for j in range(cols) for i in range(rows)]
    return write_npy(path, vals, (rows, cols), descr=descr, fortran=fortran)


def write_vector(path, values, descr="<f8"):
    return write_npy(path, values, (len(values),), descr=descr)


def mlp_param_count(widths):
    return sum(widths[i] * widths[i + 1] + widths[i + 1] for i in range(len(widths) - 1))


def write_theta(path, widths, seed=3, scale=None):
    """θ of an MLP with N(0, 1/fan-in)-like entries (uniform, same variance), biases small."""
    vals = []
    s = seed
    for i in range(len(widths) - 1):
        fan_in, fan_out = widths[i], widths[i + 1]
        amp = scale if scale is not None else math.sqrt(3.0 / fan_in)
        vals += matrix_values(fan_out, fan_in, s, amp)
        vals += matrix_values(1, fan_out, s + 100, 0.1)
        s += 1
    return write_vector(path, vals)


def spd_matrix(d, seed=1, shift=1.0):
    """A symmetric positive definite d×d matrix: B Bᵀ/d + shift·I."""
    b = matrix_values(d, d, seed)
    m = [0.0] * (d * d)
    for i in range(d):
        for j in range(d):
            m[i * d + j] = sum(b[i * d + k] * b[j * d + k] for k in range(d)) / d + (shift if i == j else 0.0)
    return m


def diag_matrix(values):
    d = len(values)
    return [values[i] if i == j else 0.0 for i in range(d) for j in range(d)]


# ---------------------------------------------------------------------------------------------------- reading


class NpyError(Exception):
    pass


def parse_header(blob):
    """(descr, fortran, shape, data_offset) or raise NpyError."""
    if len(blob) < 10 or blob[:6] != MAGIC:
        raise NpyError("bad magic")
    major = blob[6]
    if major == 1:
        (hlen,) = struct.unpack("<H", blob[8:10])
        start = 10
    elif major in (2, 3):
        (hlen,) = struct.unpack("<I", blob[8:12])
        start = 12
    else:
        raise NpyError("unknown version %d" % major)
    text = blob[start:start + hlen].decode("latin-1")
    if len(text) < hlen:
        raise NpyError("truncated header")
    try:
        import ast
        d = ast.literal_eval(text.strip())
    except Exception as e:  # noqa: BLE001
        raise NpyError("unparsable header dict: %r" % text[:80]) from e
    if not isinstance(d, dict) or not {"descr", "fortran_order", "shape"} <= set(d):
        raise NpyError("header dict lacks keys: %r" % text[:80])
    return d["descr"], bool(d["fortran_order"]), tuple(d["shape"]), start + hlen


def read_npy(blob):
    """(descr, fortran, shape, values) for f8/f4/i8/i4 data; raise NpyError if malformed or short."""
    descr, fortran, shape, off = parse_header(blob)
    if not isinstance(descr, str) or len(descr) < 2:
        raise NpyError("odd descr %r" % (descr,))
    endian, code = (descr[0], descr[1:]) if descr[0] in "<>|=" else ("<", descr)
    tc = _CODES.get(code)
    if tc is None:
        raise NpyError("unexpected dtype %s" % descr)
    n = 1
    for s in shape:
        n *= s
    a = array(tc)
    need = n * a.itemsize
    data = blob[off:off + need]
    if len(data) < need:
        raise NpyError("data truncated: %d of %d bytes" % (len(data), need))
    if len(blob) > off + need:
        raise NpyError("%d trailing bytes after the data" % (len(blob) - off - need))
    a.frombytes(data)
    if (endian == ">") != (struct.pack("=H", 1) == b"\x00\x01"):
        a.byteswap()
    return descr, fortran, shape, a


def nonfinite_count(values):
    if values.typecode not in "df":
        return 0
    return sum(1 for v in values if not math.isfinite(v))
