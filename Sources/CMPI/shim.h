/* The MPI C API as Open MPI installs it (Debian libopenmpi-dev); include and library paths come from
 * pkg-config's `ompi-c` (see Package.swift). Only CDistributed includes it: no MPI name reaches Swift. */
#include <mpi.h>
