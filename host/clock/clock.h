/*
 * clock - the host's monotonic time: CLOCK_MONOTONIC (never set back,
 * does not count suspend), for intervals, deadlines and timeouts; never
 * for times written into objects (those are wall-clock, CLOCK_REALTIME).
 *
 *   cp_now_ms  milliseconds, signed (differences may go negative)
 *   cp_now_ns  nanoseconds, unsigned
 *
 * Both count from an arbitrary start (boot), so only differences mean
 * anything; they share that start.
 *
 * Threading: none; any thread. Header-only (a vDSO call each).
 */
#ifndef CPLANE_HOST_CLOCK_CLOCK_H
#define CPLANE_HOST_CLOCK_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t cp_now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline uint64_t cp_now_ns(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif /* CPLANE_HOST_CLOCK_CLOCK_H */
