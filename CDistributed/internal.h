/* internal.h — shared between CDistributed's files, never seen by Swift. */
#ifndef CD_INTERNAL_H
#define CD_INTERNAL_H
#include <mpi.h>
#include <stdarg.h>

#include "cdistributed.h"

/* Deepest network accepted (as CKernels). */
enum { CK_MAX_LAYERS_CD = 63 };

struct cd_grid {
    int ctxt, prow, pcol, myrow, mycol, nb;
};

/* Records a message for cd_last_error (printf-style); returns status. */
int cd_fail(int status, const char *fmt, ...);

/* Agrees on a status that should already be equal on every rank (ScaLAPACK info): returns the status of the
 * lowest failing rank on all, keeping the message already recorded there. */
int cd_agree_status(int local_status);

#endif
