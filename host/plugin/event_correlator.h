/*
 * event_correlator - kube's EventCorrelator (client-go tools/record
 * events_cache.go) for one event recorder: decides, for each event, which
 * Event it becomes and whether it is written at all.
 *   1. EventAggregator: events with the same source, involvedObject, type
 *      and reason but CP_EVENT_AGGREGATE_MAX different messages within
 *      CP_EVENT_AGGREGATE_WINDOW_MS become one Event with the message
 *      "(combined from similar events): MESSAGE", keyed by that group.
 *   2. eventLogger: an event whose key was seen before continues that
 *      Event (its name, firstTimestamp, count + 1): the recorder PATCHes
 *      it instead of creating one.
 *   3. Spam filter: a token bucket per source + involvedObject
 *      (CP_EVENT_SPAM_BURST, one token back per CP_EVENT_SPAM_REFILL_MS);
 *      an event without a token is not written (but counted by step 2,
 *      as kube's).
 * Each cache keeps at most CP_EVENT_CACHE_MAX keys, the least recently
 * used going first.
 *
 * Threading: none; one recorder thread owns a correlator.
 * Ownership: the correlator owns its caches; a decision owns its name and
 * message (cp_event_decision_clear).
 */
#ifndef CPLANE_HOST_PLUGIN_EVENT_CORRELATOR_H
#define CPLANE_HOST_PLUGIN_EVENT_CORRELATOR_H

#include <stdint.h>

#define CP_EVENT_CACHE_MAX 4096   /* kube's maxLruCacheEntries */
#define CP_EVENT_SPAM_BURST 25
#define CP_EVENT_SPAM_REFILL_MS (300 * 1000)
#define CP_EVENT_AGGREGATE_MAX 10 /* distinct messages before combining */
#define CP_EVENT_AGGREGATE_WINDOW_MS (600 * 1000)

struct cp_event_correlator;

/* One event as kube's keys see it; every string is borrowed for the call
 * (NULL counts as ""). */
struct cp_event_fields {
  const char *component, *host;          /* source */
  const char *kind, *api_version, *ns, *name, *uid; /* involvedObject */
  const char *type, *reason, *message;
  int64_t ms;                            /* when it was recorded */
};

/* What to write. */
struct cp_event_decision {
  char *name;        /* the Event's name; owned */
  char *message;     /* possibly the combined message; owned */
  int64_t count;     /* 1: create; more: PATCH the existing Event */
  int64_t first_ms;  /* firstTimestamp */
};

/* NULL when out of memory. Free with cp_event_correlator_free(). */
struct cp_event_correlator *cp_event_correlator_new(void);
void cp_event_correlator_free(struct cp_event_correlator *c);

/* Runs steps 1-3 for f. Returns 1 with *d filled in (write it), 0 when
 * the spam filter drops it, -1 when out of memory (*d is then empty). */
int cp_event_correlate(struct cp_event_correlator *c,
                       const struct cp_event_fields *f,
                       struct cp_event_decision *d);
/* Releases what a decision owns. */
void cp_event_decision_clear(struct cp_event_decision *d);

#endif /* CPLANE_HOST_PLUGIN_EVENT_CORRELATOR_H */
