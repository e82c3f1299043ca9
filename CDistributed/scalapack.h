/* scalapack.h — the BLACS and ScaLAPACK entry points CDistributed calls, as Debian's libscalapack-openmpi 2.2.1
 * exports them (checked with `nm -D`): C BLACS (Cblacs_*), Fortran ScaLAPACK (trailing underscore, every
 * argument by reference, 32-bit integers). Character arguments are single letters; their hidden Fortran length
 * arguments are omitted, as every C caller of ScaLAPACK does (the routines read the first character only). */
#ifndef CD_SCALAPACK_H
#define CD_SCALAPACK_H

void Cblacs_pinfo(int *mypnum, int *nprocs);
void Cblacs_get(int icontxt, int what, int *val);
void Cblacs_gridinit(int *icontxt, const char *order, int nprow, int npcol);
void Cblacs_gridinfo(int icontxt, int *nprow, int *npcol, int *myrow, int *mycol);
void Cblacs_gridexit(int icontxt);
void Cblacs_exit(int notdone);

int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc, const int *nprocs);
void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb, const int *irsrc, const int *icsrc,
               const int *ictxt, const int *lld, int *info);

double pdlansy_(const char *norm, const char *uplo, const int *n, const double *a, const int *ia, const int *ja,
                const int *desca, double *work);
void pdpotrf_(const char *uplo, const int *n, double *a, const int *ia, const int *ja, const int *desca, int *info);
void pdpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *ia, const int *ja,
              const int *desca, double *b, const int *ib, const int *jb, const int *descb, int *info);
void pdpocon_(const char *uplo, const int *n, const double *a, const int *ia, const int *ja, const int *desca,
              const double *anorm, double *rcond, double *work, const int *lwork, int *iwork, const int *liwork,
              int *info);
void pdsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a, const int *ia,
              const int *ja, const int *desca, const double *vl, const double *vu, const int *il, const int *iu,
              int *m, int *nz, double *w, double *z, const int *iz, const int *jz, const int *descz, double *work,
              const int *lwork, int *iwork, const int *liwork, int *info);
void pdgemv_(const char *trans, const int *m, const int *n, const double *alpha, const double *a, const int *ia,
             const int *ja, const int *desca, const double *x, const int *ix, const int *jx, const int *descx,
             const int *incx, const double *beta, double *y, const int *iy, const int *jy, const int *descy,
             const int *incy);

#endif
