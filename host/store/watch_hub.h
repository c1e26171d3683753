/*
 * watch_hub - in-process watch fan-out for a store that owns its data (the
 * SQLite backend). The writer publishes committed events in revision order;
 * one dispatcher thread delivers them to every matching watcher with no
 * polling. Recent events live in a ring in memory; a watcher that starts
 * (or falls) behind the ring catches up through a backfill function that
 * reads the store's durable history, so no watcher is ever dropped for
 * being slow, only for starting below the compaction revision.
 *
 * Threading: publish, add and cancel may be called from any thread. All
 * callbacks (watch callbacks and backfill) run on the dispatcher thread.
 *
 * Ownership: the hub owns published events (refcounted, freed when the
 * ring, every delivery and every holder a delivery gave them to are done
 * with them) and watcher handles until they are cancelled. An update's
 * previous value is the buffer of the key's last event in the ring, not a
 * copy.
 */
#ifndef CPLANE_HOST_STORE_WATCH_HUB_H
#define CPLANE_HOST_STORE_WATCH_HUB_H

#include "store/shared_event.h"
#include "store/store_impl.h"

typedef struct cp_watch_hub cp_watch_hub;
/* The ring's events are the shared ones (shared_event.h): delivered with
 * cp_store_watch_msg.shared, a holder keeps them without a copy. */
typedef cp_shared_event cp_hub_event;

/* Reads durable history: every event with revision in [from, to] whose key
 * starts with prefix, at most max events. Fills *events (owned by the hub,
 * freed with cp_hub_events_free), *count and *covered (the last revision
 * examined: to, or the last event's revision when max was reached).
 * Returns CP_STORE_ECOMPACTED with *compact_rev set when from is below the
 * compaction revision. */
typedef int (*cp_hub_backfill_fn)(void *ctx, const uint8_t *prefix,
                                  size_t prefix_len, int64_t from, int64_t to,
                                  size_t max, cp_store_event **events,
                                  size_t *count, int64_t *covered,
                                  int64_t *compact_rev);

typedef struct cp_watch_hub_opts {
  int64_t head_rev;       /* the store's revision at start */
  int64_t compact_rev;    /* its compaction revision at start */
  size_t ring_events;     /* ring capacity, events */
  size_t ring_bytes;      /* ring soft limit, bytes of the keys and values
                             its events keep alive, each buffer once */
  int64_t progress_ms;    /* idle watchers get PROGRESS this often */
  cp_hub_backfill_fn backfill;
  void *backfill_ctx;
  cp_store *store;        /* set in each handle for store.c's dispatch */
} cp_watch_hub_opts;

/* Starts the dispatcher thread. *out owned by the caller
 * (cp_watch_hub_free). */
int cp_watch_hub_new(const cp_watch_hub_opts *opts, cp_watch_hub **out);

/* Stops the dispatcher and frees the hub with any watcher left. */
void cp_watch_hub_free(cp_watch_hub *hub);

/* Builds an event from copies of kv and prev (prev may be NULL). Returns
 * NULL on ENOMEM. Owned by the caller until published. */
cp_hub_event *cp_hub_event_new(int type, const cp_store_kv *kv,
                               const cp_store_kv *prev);
void cp_hub_event_unref(cp_hub_event *e);

/* Publishes events of consecutive revisions following the hub's head, in
 * order. Takes ownership of every element of events (not of the array). */
void cp_watch_hub_publish(cp_watch_hub *hub, cp_hub_event **events,
                          size_t count);

/* Records a new compaction revision: watches starting below it fail. */
void cp_watch_hub_set_compacted(cp_watch_hub *hub, int64_t rev);

/* store.h's cp_store_watch and cp_store_watch_cancel for this hub. */
int cp_watch_hub_add(cp_watch_hub *hub, const void *prefix, size_t prefix_len,
                     int64_t from_rev, cp_store_watch_cb cb, void *userdata,
                     cp_store_watcher **out);
void cp_watch_hub_cancel(cp_store_watcher *w);

/* Frees an array returned by a backfill function. */
void cp_hub_events_free(cp_store_event *events, size_t count);

#endif /* CPLANE_HOST_STORE_WATCH_HUB_H */
