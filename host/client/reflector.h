/*
 * reflector - keeps one informer equal to the server: LIST (paged), then
 * WATCH from the list's resourceVersion with bookmarks and a random 5-10
 * minute timeout, as client-go's reflector does. A watch that ends - the
 * server's timeout or restart, a broken connection, or 150 s without a
 * byte (the server bookmarks every minute) - re-watches at once from the
 * last resourceVersion and is no failure. A 410 (as an ERROR event or a
 * status) relists. Only real failures (no answer, an error status, a
 * watch that ends within a second with nothing received) count in
 * stats.failures and back off 800 ms doubling to 30 s with jitter; the
 * backoff starts over after 2 minutes without a failure. A relist
 * becomes the right adds, updates and deletes (cp_informer_replace).
 *
 * Threading: each reflector runs one thread of its own; start and stop
 * from one thread.
 * Ownership: borrows the client and the informer (both must outlive it).
 */
#ifndef CPLANE_HOST_CLIENT_REFLECTOR_H
#define CPLANE_HOST_CLIENT_REFLECTOR_H

#include <stdint.h>

#include "client/client.h"
#include "informer/informer.h"

struct cp_reflector;

struct cp_reflector_stats {
  uint64_t lists, watches, relists, events, failures;
  int64_t last_resource_version;
};

/* Timing; the defaults are client-go's. Tests shorten them. */
struct cp_reflector_timing {
  unsigned watch_timeout_s; /* timeoutSeconds in [this, 2*this) */
  int idle_ms;              /* a watch quiet this long is over */
  int64_t backoff_min_ms, backoff_max_ms;
  int64_t healthy_reset_ms; /* no failure this long: backoff starts over */
};

/* Watches group/version/resource (optional label and field selectors, in
 * kubectl's syntax) into inf. NULL when out of memory. */
struct cp_reflector *cp_reflector_new(struct cp_client *c, cp_informer *inf,
                                      const char *group, const char *version,
                                      const char *resource,
                                      const char *label_selector,
                                      const char *field_selector);
/* Before cp_reflector_start. */
void cp_reflector_set_timing(struct cp_reflector *r,
                             const struct cp_reflector_timing *t);
int cp_reflector_start(struct cp_reflector *r);
void cp_reflector_stop(struct cp_reflector *r);
void cp_reflector_free(struct cp_reflector *r);
void cp_reflector_stats(struct cp_reflector *r, struct cp_reflector_stats *st);
/* "pods" or "deployments.apps": the name used in logs and metrics. */
const char *cp_reflector_name(const struct cp_reflector *r);

#endif /* CPLANE_HOST_CLIENT_REFLECTOR_H */
