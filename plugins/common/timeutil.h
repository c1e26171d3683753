/*
 * timeutil - wall-clock times and durations as Kubernetes objects and
 * cplane's INI files write them, shared by the in-tree plugins (compiled
 * into each; not part of the SDK).
 *
 * Threading: pure functions.
 */
#ifndef PLUGINS_COMMON_TIMEUTIL_H
#define PLUGINS_COMMON_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Seconds since the epoch, with the fraction. */
double now_s(void);
/* RFC 3339 in UTC into buf; with `micro`, six fractional digits as Lease
 * times (MicroTime) require. */
void format_time(char *buf, size_t len, double t, int micro);
/* Parses RFC 3339 (fraction and offset optional) into seconds since the
 * epoch. Returns 0, or -1 when s is not such a time. */
int parse_time(const char *s, double *out);
/* "250ms", "10s", "2m", "1h" or bare seconds, into milliseconds (at most
 * 1e9). Returns 0, or -1 for anything else. */
int parse_duration_ms(const char *s, uint32_t *out);

#endif
