/*
 * double_int - a JSON number read as a double, turned into an int64
 * only when it fits. Converting a double outside int64's range (1e300,
 * infinity, NaN) is undefined behaviour in C, and a client chooses the
 * numbers in its bodies and tokens. (CEL keeps its own checks: its
 * bounds and errors are the language's.)
 *
 * Pure: safe from any thread.
 */
#ifndef CPLANE_HOST_OBJECT_DOUBLE_INT_H
#define CPLANE_HOST_OBJECT_DOUBLE_INT_H

#include <stdint.h>

/* 1 with *out d truncated toward zero when d is in [-2^63, 2^63);
 * 0 (out untouched) for anything else, NaN and infinities included. */
static inline int cp_double_int64(double d, int64_t *out) {
  if (!(d >= -0x1p63 && d < 0x1p63))
    return 0;
  *out = (int64_t)d;
  return 1;
}

#endif /* CPLANE_HOST_OBJECT_DOUBLE_INT_H */
