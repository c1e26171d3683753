/*
 * zone - a CronJob's spec.timeZone: the IANA zone read from the system's
 * tz database (/usr/share/zoneinfo, TZif files), as Go's
 * time.LoadLocation reads it, so that schedules run on local wall-clock
 * time through cplane_cron_next().
 *
 * The offsets are those of the file's transitions (the 64-bit table of a
 * version 2+ file); after the last one the last offset holds (Debian's
 * "fat" files list transitions up to 2037; the POSIX rule in the footer
 * is not read).
 *
 * Threading: a zone is read-only once loaded; use it from any thread.
 * Ownership: cj_zone_load() fills the caller's struct; cj_zone_free()
 * frees what it holds.
 */
#ifndef CJ_ZONE_H
#define CJ_ZONE_H

#include <stddef.h>
#include <stdint.h>

/* Bounds on what is read from a tz file. */
#define CJ_ZONE_MAX_FILE (256 * 1024)
#define CJ_ZONE_MAX_TRANSITIONS 8192
#define CJ_ZONE_MAX_TYPES 256

struct cj_zone {
  int64_t *at;     /* transition instants (UTC seconds), ascending */
  uint8_t *type;   /* the offset index in force from at[i] */
  size_t n;        /* transitions */
  int32_t *offset; /* UTC offsets (seconds east) by index */
  size_t n_offsets;
};

/* Loads zone `name` ("Europe/Berlin"; NULL, "" or "UTC" is UTC) from
 * `dir` (NULL: /usr/share/zoneinfo). 0, or -1 with why (len bytes): an
 * unknown or malformed zone, as "unknown time zone NAME". */
int cj_zone_load(const char *dir, const char *name, struct cj_zone *z,
                 char *why, size_t len);
void cj_zone_free(struct cj_zone *z);

/* A cplane_cron_zone_fn over a loaded zone (userdata). */
int cj_zone_offset(void *userdata, int64_t utc_s, int32_t *offset_s,
                   int64_t *until_s);

#endif
