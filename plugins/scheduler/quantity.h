/*
 * quantity - Kubernetes resource quantities ("500m", "2", "1.5Gi", "1e3")
 * as integers: cpu in millicores, memory and counts in units.
 *
 * Threading: pure functions.
 */
#ifndef SCHED_QUANTITY_H
#define SCHED_QUANTITY_H

#include <stdint.h>

/* Parses `s` multiplied by `scale` (1000 for millicores, 1 for bytes),
 * rounded up as Kubernetes does. Returns 0, or -1 for a malformed or
 * negative quantity (then *out is untouched). */
int quantity_parse(const char *s, int64_t scale, int64_t *out);

#endif
