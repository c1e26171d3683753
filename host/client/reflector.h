/*
 * reflector - keeps one informer equal to the server: LIST (paged), then
 * WATCH from the list's resourceVersion with bookmarks and a random 5-10
 * minute timeout; a normal end re-watches without relisting, a 410 (as an
 * ERROR event or a status) relists, failures back off 800 ms doubling to
 * 30 s with jitter (reset after 2 minutes of health), and a watch that
 * ends within a second with no events counts as a failure. A relist
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

/* Watches group/version/resource (optional label and field selectors, in
 * kubectl's syntax) into inf. NULL when out of memory. */
struct cp_reflector *cp_reflector_new(struct cp_client *c, cp_informer *inf,
                                      const char *group, const char *version,
                                      const char *resource,
                                      const char *label_selector,
                                      const char *field_selector);
int cp_reflector_start(struct cp_reflector *r);
void cp_reflector_stop(struct cp_reflector *r);
void cp_reflector_free(struct cp_reflector *r);
void cp_reflector_stats(struct cp_reflector *r, struct cp_reflector_stats *st);
/* "pods" or "deployments.apps": the name used in logs and metrics. */
const char *cp_reflector_name(const struct cp_reflector *r);

#endif /* CPLANE_HOST_CLIENT_REFLECTOR_H */
