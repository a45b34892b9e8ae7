// Checks genten::float_decimal (native/src/decimal.h) against Java's
// Double.parseDouble(Float.toString(f)). Input lines: "<float bits hex> <double bits hex>", as
// printed by DecimalValues.java; build and run:
//   g++ -O2 -I native/src native/check/decimal_check.cpp -o /tmp/decimal_check
//   java native/check/DecimalValues.java | /tmp/decimal_check
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "decimal.h"

int main() {
    unsigned long long fb, db;
    long n = 0, bad = 0;
    while (scanf("%llx %llx", &fb, &db) == 2) {
        uint32_t fbits = (uint32_t)fb;
        float f;
        memcpy(&f, &fbits, 4);
        const double got = genten::float_decimal(f);
        uint64_t gbits;
        memcpy(&gbits, &got, 8);
        // outside [1e-12, 1e12] the powers of ten stop being exact doubles and the float itself is used
        if (!(fabs(f) >= 1e-12 && fabs(f) <= 1e12) && f != 0.0f) continue;
        ++n;
        if (gbits != db) {
            double want;
            memcpy(&want, &db, 8);
            if (++bad <= 20) printf("MISMATCH %.9g: got %.17g want %.17g\n", f, got, want);
        }
    }
    printf("%ld values, %ld mismatches\n", n, bad);
    return bad == 0 && n > 0 ? 0 : 1;
}
