/* activation.c — σ and σ' of the hidden layers, applied in place over a contiguous array. */
#include <math.h>
#include <stddef.h>

#include "activation.h"
#include "ckernels.h"

/* z ← σ(z) and ds ← σ'(z) (ds may be NULL) for z[0..count). */
void ck_activate(int act, double *z, double *ds, size_t count) {
    switch (act) {
    case CK_ACT_TANH:
        ck_vtanh(count, z, z);
        if (ds)
            for (size_t k = 0; k < count; k++) ds[k] = 1.0 - z[k] * z[k];
        break;
    case CK_ACT_SOFTPLUS:
        for (size_t k = 0; k < count; k++) {
            double v = z[k], e = exp(-fabs(v));
            z[k] = (v > 0 ? v : 0.0) + log1p(e);
            if (ds) ds[k] = v >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
        }
        break;
    case CK_ACT_SIGMOID:
        for (size_t k = 0; k < count; k++) {
            double v = z[k], e = exp(-fabs(v));
            double s = v >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
            z[k] = s;
            if (ds) ds[k] = s * (1.0 - s);
        }
        break;
    case CK_ACT_GELU: {
        const double c = 0.7978845608028654; /* sqrt(2/pi) */
        double t[256];
        for (size_t k0 = 0; k0 < count; k0 += 256) {
            size_t m = count - k0 < 256 ? count - k0 : 256;
            for (size_t k = 0; k < m; k++) {
                double v = z[k0 + k];
                t[k] = c * (v + 0.044715 * v * v * v);
            }
            ck_vtanh(m, t, t);
            for (size_t k = 0; k < m; k++) {
                double v = z[k0 + k];
                z[k0 + k] = 0.5 * v * (1.0 + t[k]);
                if (ds) ds[k0 + k] = 0.5 * (1.0 + t[k]) + 0.5 * v * (1.0 - t[k] * t[k]) * c * (1.0 + 3.0 * 0.044715 * v * v);
            }
        }
        break;
    }
    case CK_ACT_RELU:
        for (size_t k = 0; k < count; k++) {
            double v = z[k];
            z[k] = v > 0 ? v : 0.0;
            if (ds) ds[k] = v > 0 ? 1.0 : 0.0;
        }
        break;
    default: /* identity */
        if (ds)
            for (size_t k = 0; k < count; k++) ds[k] = 1.0;
        break;
    }
}
