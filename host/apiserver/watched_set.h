/*
 * watched_set - what the API server keeps in step with the store on a
 * thread of its own: every object under a few prefixes is listed, handed
 * to the owner's build function, and the immutable snapshot it makes is
 * swapped in under a reference count (readers hold one snapshot for the
 * length of a request, never a lock); a watch on each prefix, started
 * right after the revision listed, marks the set for a new read on every
 * change (or hands the events to the owner, on_events), so that a write
 * through this or another server is in effect within moments (as kube's
 * informer-fed admission, eventually consistent).
 *
 * Failures: a store that cannot be read or watched, and a watch that
 * ends (compaction, store error), are retried on the set's thread, at
 * most once a CP_WATCHED_SET_RETRY_MS: never a busy loop, never a
 * blocked request. Without watches (watch 0) a set is a loop that reads
 * every period_ms and when kicked.
 *
 * Used by the admission webhooks (webhook/set.c), ValidatingAdmission-
 * Policies (vap/set.c), the CustomResourceDefinitions registry (crd.c)
 * and the CSR signer (csr_signer.c).
 *
 * Threading: acquire/release/kick from any thread; build runs on the
 * set's thread only (never two at once), on_events on the store's
 * callback thread (it must return quickly). start/stop from the thread
 * that owns ctx.
 * Ownership: ctx, def and arg are borrowed and must outlive the set. The
 * set owns the snapshots build makes and frees them with def->free once
 * the last reference is released; the listed objects given to build are
 * borrowed for the call.
 */
#ifndef CPLANE_HOST_APISERVER_WATCHED_SET_H
#define CPLANE_HOST_APISERVER_WATCHED_SET_H

#include <stddef.h>
#include <stdint.h>

#include "apiserver/request.h"

struct json_object;

/* The least time between two reads after a failure or an ended watch. */
#define CP_WATCHED_SET_RETRY_MS 1000
#define CP_WATCHED_SET_MAX_PREFIXES 4

/* Embed in a snapshot (build casts it back with container_of-style
 * arithmetic, or makes it the first member). */
struct cp_watched_snapshot {
  int refs;      /* under the set's lock */
  size_t weight; /* 0: acquire answers NULL without taking the lock */
};

struct cp_watched_set_def {
  const char *thread; /* its name in top -H, at most 15 characters */
  const char *what;   /* "the webhook configurations", for the logs */
  /* NULL-terminated store prefixes ("mutatingwebhookconfigurations/"),
   * at most CP_WATCHED_SET_MAX_PREFIXES; listed on every read. */
  const char *const *prefixes;
  int watch;     /* watch the prefixes; 0: read every period_ms */
  int period_ms; /* > 0: read again at least this often */
  /* Set thread: objs[k] (n[k] objects) were listed under prefixes[k];
   * prev_weight is the current snapshot's weight (0: none). Returns 0
   * with *out a new snapshot or NULL (none: the set keeps none), or -1
   * out of memory (the read is retried). */
  int (*build)(void *arg, struct json_object **const *objs, const size_t *n,
               size_t prev_weight, struct cp_watched_snapshot **out);
  void (*free)(struct cp_watched_snapshot *s); /* NULL: build makes none */
  /* Store thread: a watch's events; NULL: they mark the set for a read. */
  void (*on_events)(void *arg, const cp_store_watch_msg *msg);
};

struct cp_watched_set;

/* Reads the store now (so that the first requests see it) and starts
 * the thread and the watches; a read that fails now is retried there.
 * loaded_rev > 0: the caller read everything at that revision already;
 * the set only watches from there. NULL when out of memory or threads. */
struct cp_watched_set *cp_watched_set_start(struct cp_api_ctx *ctx,
                                            const struct cp_watched_set_def *def,
                                            void *arg, int64_t loaded_rev);
/* Ends the watches and the thread and drops the set's snapshot (NULL
 * ignored). No reader may hold a snapshot. */
void cp_watched_set_stop(struct cp_watched_set *s);

/* The current snapshot with a reference taken, or NULL when there is
 * none or its weight is 0; release what is returned. */
struct cp_watched_snapshot *cp_watched_set_acquire(struct cp_watched_set *s);
void cp_watched_set_release(struct cp_watched_set *s,
                            struct cp_watched_snapshot *snap);
/* Asks for a read soon (a write this server made that the set must see
 * before a watch or a period would tell it). */
void cp_watched_set_kick(struct cp_watched_set *s);

#endif /* CPLANE_HOST_APISERVER_WATCHED_SET_H */
