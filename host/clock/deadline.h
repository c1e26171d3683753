/*
 * deadline - the absolute time a number of milliseconds from now, as
 * pthread_cond_timedwait wants it, on the clock the condition variable
 * was made with (CLOCK_REALTIME by default, CLOCK_MONOTONIC with
 * pthread_condattr_setclock).
 *
 * Threading: none; any thread.
 */
#ifndef CPLANE_HOST_CLOCK_DEADLINE_H
#define CPLANE_HOST_CLOCK_DEADLINE_H

#include <stdint.h>
#include <time.h>

/* Fills *out with clock's time now plus ms (ms >= 0). */
void cp_deadline_after_ms(clockid_t clock, int64_t ms, struct timespec *out);

#endif /* CPLANE_HOST_CLOCK_DEADLINE_H */
