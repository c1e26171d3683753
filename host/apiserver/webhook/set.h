/*
 * set - the admission webhooks this server calls: every
 * MutatingWebhookConfiguration and ValidatingWebhookConfiguration in the
 * store, read into two immutable snapshots (cp_webhook arrays, ordered as
 * kube orders them: configurations by name, webhooks in their order) and
 * kept in step with the store by a watch on each prefix, as kube's
 * webhook configuration informers do (watched_set.h: one set and thread
 * per kind). Any change of a kind reads its configurations again
 * (they change rarely) and swaps its snapshot; so does the end of a
 * watch (compaction, store error), which also watches anew, retrying
 * every second. A write
 * through this or another API server is in effect within moments, not
 * at once: kube's informer-fed admission is eventually consistent too.
 *
 * A request with no configuration of a kind costs one atomic load
 * (cp_webhooks_acquire returns NULL).
 *
 * The set also owns the webhook caller (call.h) shared by every request.
 *
 * Threading: cp_webhooks_acquire/release from any thread; a snapshot is
 * immutable while held. start/stop from the thread that owns ctx.
 * Ownership: ctx is borrowed and must outlive the set.
 */
#ifndef CPLANE_HOST_APISERVER_WEBHOOK_SET_H
#define CPLANE_HOST_APISERVER_WEBHOOK_SET_H

#include <stddef.h>
#include <stdint.h>

#include "apiserver/request.h"
#include "apiserver/watched_set.h"
#include "apiserver/webhook/hook.h"

struct cp_webhooks;
struct cp_webhook_caller;

struct cp_webhook_snapshot {
  struct cp_watched_snapshot ws; /* first: weight n, refs (watched_set.h) */
  struct cp_webhook *hooks;
  size_t n;
  int mutating;
};

/* Loads the configurations and starts watching them; max_calls bounds
 * the webhook calls in flight at once (call.h). NULL when out of memory
 * or threads. A store that cannot be read now is retried every second
 * (no webhooks are called meanwhile). */
struct cp_webhooks *cp_webhooks_start(struct cp_api_ctx *ctx, int max_calls);
/* Ends the watch and the thread and frees everything (NULL ignored). No
 * request may be using the set. */
void cp_webhooks_stop(struct cp_webhooks *w);

/* The mutating (1) or validating (0) webhooks, or NULL when there are
 * none; a snapshot returned must be released. */
struct cp_webhook_snapshot *cp_webhooks_acquire(struct cp_webhooks *w,
                                                int mutating);
void cp_webhooks_release(struct cp_webhooks *w,
                         struct cp_webhook_snapshot *s);

struct cp_webhook_caller *cp_webhooks_caller(struct cp_webhooks *w);

/* For tests and the loader: builds a snapshot from configuration objects
 * (array of MutatingWebhookConfiguration or ValidatingWebhookConfiguration
 * JSON), sorted by name. NULL when out of memory. Free with
 * cp_webhook_snapshot_free (refs ignored). */
struct json_object;
struct cp_webhook_snapshot *
cp_webhook_snapshot_build(struct json_object *const *configs, size_t n,
                          int mutating);
void cp_webhook_snapshot_free(struct cp_webhook_snapshot *s);

#endif /* CPLANE_HOST_APISERVER_WEBHOOK_SET_H */
