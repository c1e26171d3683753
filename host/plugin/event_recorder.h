/*
 * event_recorder - the host side of api->event_record(): kube's event
 * recorder (client-go tools/record) for one plugin.
 *
 * cp_event_recorder_record() copies the event into a bounded queue and
 * returns at once (a full queue drops it, counted: kube's broadcaster
 * drops too). One background thread per plugin, started on the first
 * event, runs kube's EventCorrelator on each event and writes core/v1
 * Events through the plugin's client:
 *   - aggregation (EventAggregator): events with the same source,
 *     involvedObject, type and reason but 10 different messages within 10
 *     minutes become one "(combined from similar events): MESSAGE" Event;
 *   - deduplication (eventLogger): the same event again (source,
 *     involvedObject, type, reason, message) PATCHes count, lastTimestamp
 *     and message of the Event already written (a 404 creates it anew);
 *   - spam filter: a token bucket per source + involvedObject, a burst of
 *     25 refilled at one per 5 minutes; what it refuses is dropped and
 *     counted.
 * Each cache holds at most 4096 keys (least recently used go), as kube's.
 * Events are named "<involvedName>.<hex nanoseconds>" and go to the
 * object's namespace, or "default" for a cluster-scoped object. The kind
 * of an object read from a list (which carries none) is found once per
 * resource through discovery, on the background thread.
 *
 * Threading: record() from any thread, never blocks on the network.
 * cp_event_recorder_stop() from the thread that stops the plugin, once no
 * callback runs: it lets the thread send what is queued for at most
 * CP_EVENT_FLUSH_MS, drops (counts) the rest, joins it and frees the
 * recorder. A record() after that starts a new recorder.
 * Ownership: the recorder belongs to the plugin (p->events); the counts
 * live in the plugin's record and outlive recorders.
 */
#ifndef CPLANE_HOST_PLUGIN_EVENT_RECORDER_H
#define CPLANE_HOST_PLUGIN_EVENT_RECORDER_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include <cplane/host_api.h>

struct cplane_plugin_ctx;
struct cplane_resource;
struct cp_event_recorder;

#define CP_EVENT_QUEUE_MAX 1000   /* kube's maxQueuedEvents */
#define CP_EVENT_MESSAGE_MAX 1024 /* longer messages are cut */
#define CP_EVENT_FLUSH_MS 2000

/* Per plugin, for cplane_plugin_events_total{plugin,result}. */
struct cp_event_counts {
  atomic_uint_fast64_t created;    /* new Events written */
  atomic_uint_fast64_t aggregated; /* Events PATCHed with a higher count */
  atomic_uint_fast64_t dropped;    /* queue full, spam filter, stop */
  atomic_uint_fast64_t failed;     /* the API server refused or was away */
};

/* Queues one event about `regarding` (an object of `res`); the message is
 * fmt formatted. Returns CPLANE_OK (also when the event is dropped),
 * CPLANE_EINVAL for a bad type ("Normal" or "Warning"), reason (CamelCase
 * letters and digits, at most 128) or missing object/name, CPLANE_ENOMEM. */
int cp_event_recorder_record(struct cplane_plugin_ctx *p,
                             const struct cplane_resource *res,
                             const cplane_object *regarding,
                             const char *type, const char *reason,
                             const char *fmt, va_list ap);

/* Waits until everything queued so far has been handled, for at most
 * timeout_ms. Returns 1 when drained, 0 on timeout. For tests. */
int cp_event_recorder_flush(struct cplane_plugin_ctx *p, int timeout_ms);

/* Stops and frees p's recorder, as described above. NULL-safe. */
void cp_event_recorder_stop(struct cplane_plugin_ctx *p);

/* Replaces the wall clock (ms since the epoch) of recorders made from now
 * on; NULL restores the real one. For tests, so they need not sleep. */
void cp_event_recorder_set_clock(int64_t (*clock_ms)(void));

/* Writes cplane_plugin_events_total for n plugins. */
void cp_event_recorder_metrics_write(struct cplane_plugin_ctx *const *plugins,
                                     size_t n, FILE *out);

#endif /* CPLANE_HOST_PLUGIN_EVENT_RECORDER_H */
