/*
 * shared_event - one immutable, reference-counted copy of a watch event,
 * shared by every holder: the store's ring of recent events (watch_hub),
 * the API server's watch cache, and whoever else keeps it past a
 * callback. Before, each held its own copy, and each event also copied
 * the previous value: 1,250 updates of one 1 MB ConfigMap cost a copy of
 * the value in the ring, one or two in the cache, and the previous value
 * again in each.
 *
 * An event's bytes (key, value, previous value) live in separate
 * reference-counted buffers, so an update's previous value is the very
 * buffer that holds the value of the key's last event (found through a
 * cp_event_index, whatever the distance), and the previous key is the
 * key. A holder that bounds its memory counts each buffer once however
 * many of its events share it (cp_shared_event_hold/release, one counter
 * per accounting domain).
 *
 * Threading: an event is immutable once built and may be read, referenced
 * and released from any thread. cp_event_index is not thread-safe: its
 * owner guards it (the hub's lock, the cache's lock), and so are the
 * owner's byte counts.
 * Ownership: cp_shared_event_new returns one reference, the caller's; the
 * event is freed with its last reference, each buffer with the last event
 * that uses it. An index holds no reference: its owner forgets an event
 * before releasing it.
 */
#ifndef CPLANE_HOST_STORE_SHARED_EVENT_H
#define CPLANE_HOST_STORE_SHARED_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "informer/ptab.h"
#include "store/store.h"

/* Accounting domains: who counts the bytes an event keeps alive. */
#define CP_SHARED_HUB 0   /* the store's ring (watch_hub.c) */
#define CP_SHARED_CACHE 1 /* the API server's watch cache */
#define CP_SHARED_DOMAINS 2

typedef struct cp_shared_event {
  /* Read-only. kv.key and kv.value always point at buffers (an empty
   * value for a delete); with a previous value (prev.mod_revision != 0)
   * prev.key is kv.key's buffer and prev.value a buffer of its own or
   * shared; without, both point at a static empty string. */
  cp_store_event ev;
  long refs; /* atomic */
} cp_shared_event;

/* An event holding copies of kv and prev (NULL or mod_revision 0: none).
 * NULL when out of memory. */
cp_shared_event *cp_shared_event_new(int type, const cp_store_kv *kv,
                                     const cp_store_kv *prev);
cp_shared_event *cp_shared_event_ref(cp_shared_event *e);
void cp_shared_event_unref(cp_shared_event *e); /* NULL is ignored */

/* Counts e's buffers into *bytes for a holder in `domain`: each buffer
 * once, when the holder's first event using it arrives (hold) and until
 * its last one leaves (release). Returns the bytes added or removed.
 * The holder serializes its own calls. */
size_t cp_shared_event_hold(cp_shared_event *e, int domain, size_t *bytes);
size_t cp_shared_event_release(cp_shared_event *e, int domain, size_t *bytes);

/* Key -> the latest event of the key its owner holds, to share an
 * update's previous value with that event's value. */
struct cp_event_index {
  struct cp_ptab tab;
};

/* Before e is given to anyone: when the index holds the event that wrote
 * e's previous value (same key, its mod_revision), e's previous value
 * becomes that event's value buffer and e's copy is freed. Then e is the
 * key's latest event (a delete removes the key). ENOMEM only loses the
 * sharing. e must have only the caller's reference. */
void cp_event_index_add(struct cp_event_index *idx, cp_shared_event *e);
/* e leaves its owner: the key forgets it if e is still its latest. */
void cp_event_index_forget(struct cp_event_index *idx,
                           const cp_shared_event *e);
void cp_event_index_free(struct cp_event_index *idx);

#endif /* CPLANE_HOST_STORE_SHARED_EVENT_H */
