/* activation.h — internal: pointwise activations (activation.c). */
#ifndef CK_ACTIVATION_H
#define CK_ACTIVATION_H
#include <stddef.h>
#include "ckernels.h"
void ck_activate(int act, double *z, double *ds, size_t count);
#endif
