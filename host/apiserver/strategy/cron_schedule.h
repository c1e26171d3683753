/*
 * cron_schedule - checks a CronJob's schedule as kube does (robfig/cron's
 * standard parser: five fields, or a descriptor such as @daily or
 * "@every 1h"), with that parser's error messages:
 *
 *   expected exactly 5 fields, found 1: [bad]
 *   end of range (61) above maximum (59): 61
 *
 * Threading: pure. Ownership: the message is written to the caller's
 * buffer.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_CRON_SCHEDULE_H
#define CPLANE_HOST_APISERVER_STRATEGY_CRON_SCHEDULE_H

#include <stddef.h>

/* 0 when schedule parses; -1 with why (len bytes) saying why not. */
int cp_cron_schedule_check(const char *schedule, char *why, size_t len);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_CRON_SCHEDULE_H */
