// The double a float hyperparameter was written as: 0.999f -> 0.999, i.e. Java's
// Double.parseDouble(Float.toString(f)), the CPU backend's CpuAdam.decimal. PyTorch's
// hyperparameters are Python doubles; 1 - beta2 taken from the float 0.999f is off by 1.3e-5
// relative, which the second moment inherits. Plain host C++ (native/check/decimal_check.cpp
// tests it against Java's values).
#pragma once

#include <math.h>

namespace genten {

// The shortest decimal that rounds back to f (the closer one of two of equal length, a tie to the
// even digit), found by
// rounding |f| to k fractional digits for k from one digit coarser than its leading digit to 10
// significant digits (9 always suffice for a float). Exact for 1e-12 <= |f| <= 1e12 (beyond, the
// powers of ten involved stop being exact doubles: f itself is returned there, as for non-finite
// values and zero).
inline double float_decimal(float f) {
    if (!(f == f) || f == 0.0f || isinf(f)) return (double)f;
    static const double p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const float af = fabsf(f);
    const double a = (double)af;
    if (!(a >= 1e-12 && a <= 1e12)) return (double)f;
    const int e = (int)floor(log10(a));  // off by one near a power of ten only starts one grid early
    for (int k = -e - 1; k <= -e + 9; ++k) {
        if (k < -22 || k > 22) continue;
        const double scaled = k >= 0 ? a * p10[k] : a / p10[-k];
        const double lo = floor(scaled), hi = lo + 1.0;
        const double c_lo = k >= 0 ? lo / p10[k] : lo * p10[-k];
        const double c_hi = k >= 0 ? hi / p10[k] : hi * p10[-k];
        const bool ok_lo = lo > 0.0 && (float)c_lo == af, ok_hi = (float)c_hi == af;
        double r;
        if (ok_lo && ok_hi) {
            // the closer one; a tie (exact in the scaled domain) goes to the even last digit, as Java
            const double frac = scaled - lo;
            r = frac < 0.5 ? c_lo : frac > 0.5 ? c_hi : (fmod(lo, 2.0) == 0.0 ? c_lo : c_hi);
        }
        else if (ok_lo)
            r = c_lo;
        else if (ok_hi)
            r = c_hi;
        else
            continue;
        return f < 0.0f ? -r : r;
    }
    return (double)f;
}

}  // namespace genten
