/* zlib as Debian installs it (zlib1g-dev); include and library paths come from pkg-config's `zlib` (see
 * Package.swift). Only the `.npz` reader (Sources/TangentFlow/IO/NpzArchive.swift) uses it: CRC-32 and raw
 * inflate of ZIP members. */
#ifndef TANGENTFLOW_CZLIB_SHIM_H
#define TANGENTFLOW_CZLIB_SHIM_H

#include <zlib.h>

/* `inflateInit2` is a macro (it passes ZLIB_VERSION and sizeof(z_stream)), which Swift cannot call: this wraps it.
 * Window bits -MAX_WBITS: a raw deflate stream with no zlib or gzip wrapper, as ZIP method 8 stores it. */
static inline int tangentflow_inflate_init_raw(z_stream *stream) {
    return inflateInit2(stream, -MAX_WBITS);
}

#endif
