/* status.c — one table from status codes to text (BLIS bli_error_string_for_code); never prints. */
#include "ckernels.h"

const char *ck_status_string(int status) {
    switch (status) {
    case CK_OK: return "ok";
    case CK_EDIM: return "invalid dimension or leading dimension";
    case CK_ENOMEM: return "workspace allocation failed";
    case CK_EARG: return "invalid argument";
    case CK_EUNAVAILABLE: return "operation not available in this BLAS build";
    case CK_ESTOPPED: return "stopped by the caller's operator";
    case CK_EARPACK: return "ARPACK reported an error";
    case CK_EINFEASIBLE: return "the problem is infeasible";
    default: return status > 0 ? "LAPACK reported info > 0" : "unknown status";
    }
}
