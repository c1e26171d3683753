/*
 * served - whether the API server serves a resource now, from discovery
 * (GET /api/v1 or /apis/GROUP/VERSION and its resources[]).
 *
 * A plugin may watch a resource that is not served yet, typically a
 * custom resource whose CRD is created later. Watching it would fail and
 * back off, and waiting for its cache would hold every other plugin: the
 * registry asks this first and lets that plugin wait on its own.
 *
 * Threading: any thread (the client is thread-safe).
 * Ownership: borrows the client and the resource.
 */
#ifndef CPLANE_HOST_PLUGIN_SERVED_H
#define CPLANE_HOST_PLUGIN_SERVED_H

#include <stddef.h>

#include <cplane/cplane.h>

struct cp_client;

enum cp_served {
  CP_SERVED_UNKNOWN = -1, /* no answer, or a 5xx: treat as served, the
                             reflector retries and reports */
  CP_SERVED_NO = 0,       /* 404 on the group version, or not listed */
  CP_SERVED_YES = 1,
};

enum cp_served cp_served_check(struct cp_client *c,
                               const struct cplane_resource *res);
/* "widgets.example.com/v1" (or "pods/v1" for the core group) into buf. */
void cp_served_name(const struct cplane_resource *res, char *buf,
                    size_t len);

#endif /* CPLANE_HOST_PLUGIN_SERVED_H */
