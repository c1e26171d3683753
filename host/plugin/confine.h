/*
 * confine - [host] confine_plugins: a plugin writes only what its
 * descriptor says it touches, so that a faulty third-party plugin cannot
 * write what it never said it writes. A write (create, update, patch,
 * delete, a subresource, or a raw request() other than GET) is allowed to
 * a resource the plugin watches (with its subresources), or one its
 * descriptor's writes[] names (ABI 1.4; plugin.h says how); anything else
 * is refused in the host before a request is made: 403 with a message,
 * one WARN line naming the plugin and the resource, and
 * cplane_plugin_confined_writes_total{plugin} in /metrics. Events (core
 * or events.k8s.io, through event_record() or not) are always allowed.
 *
 * Threading: cp_confine_set() on the main thread (start, reload); the
 * checks from any thread (the switch is an atomic, the descriptor is
 * immutable once loaded).
 * Ownership: messages are malloc'd (the caller frees).
 */
#ifndef CPLANE_HOST_PLUGIN_CONFINE_H
#define CPLANE_HOST_PLUGIN_CONFINE_H

#include <stdio.h>

#include <cplane/cplane.h>

struct cplane_plugin_ctx;

/* Turns the check on (1) or off (0, the start state). */
void cp_confine_set(int on);
int cp_confine_on(void);

/* 1 when p watches or declares (group, resource[/sub]); sub may be NULL
 * or "". Pure: ignores the switch. */
int cp_confine_allows(const struct cplane_plugin_ctx *p, const char *group,
                      const char *resource, const char *sub);

/* The check every write makes: 0 when allowed (or confinement is off);
 * otherwise logs, counts, sets *message (when not NULL) and returns 403.
 * verb is kube's (create, update, patch, delete). */
int cp_confine_write(struct cplane_plugin_ctx *p,
                     const struct cplane_resource *res, const char *sub,
                     const char *verb, char **message);

/* The same for a raw request(): method and path (with its query) are
 * read as kube's RequestInfo does. GET is always allowed; a path that
 * names no resource is refused. */
int cp_confine_request(struct cplane_plugin_ctx *p, const char *method,
                       const char *path, char **message);

/* cplane_plugin_confined_writes_total for each of the n plugins. */
void cp_confine_metrics_write(struct cplane_plugin_ctx *const *plugins,
                              size_t n, FILE *out);

#endif /* CPLANE_HOST_PLUGIN_CONFINE_H */
