/*
 * clock - the time the cronjob plugin schedules by: the host's clock, or
 * for tests only (INI key clock_scale = N) that clock running N times
 * faster from the moment the plugin started, so that an integration test
 * sees a `* * * * *` CronJob run every 60/N seconds instead of waiting
 * minutes. A real cluster leaves it at 1.
 *
 * Threading: set once in init(), then only read. Ownership: plain values.
 */
#ifndef CJ_CLOCK_H
#define CJ_CLOCK_H

#include <stdint.h>

#define CJ_CLOCK_MAX_SCALE 3600

struct cj_clock {
  int64_t origin_ms; /* the host's time when the plugin started */
  int64_t scale;     /* 1 (real time) to CJ_CLOCK_MAX_SCALE */
};

/* The scheduling time at host time `host_ms`. */
int64_t cj_clock_now(const struct cj_clock *c, int64_t host_ms);
/* A wait of `ms` in scheduling time as host milliseconds (rounded up). */
int64_t cj_clock_host_delay(const struct cj_clock *c, int64_t ms);
/* Parses clock_scale (NULL: 1). 0, or -1 when not 1..CJ_CLOCK_MAX_SCALE. */
int cj_clock_parse_scale(const char *s, int64_t *scale);

#endif
