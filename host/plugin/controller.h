/*
 * controller - runs one loaded plugin: its informer handlers, its work
 * queue and its reconcile workers.
 *
 * Events from each watched resource's shared informer reach the plugin's
 * on_add/on_update/on_delete on that handler's dispatch thread. Keys the
 * plugin enqueues are reconciled by `workers` threads; reconcile()'s
 * result maps to the queue as controller-runtime does: DONE forgets the
 * key's backoff, REQUEUE_AFTER forgets and re-adds after the delay, RETRY
 * re-adds with rate-limited backoff, TERMINAL forgets and is counted. A
 * REQUEUE_AFTER below CP_REQUEUE_AFTER_FLOOR_MS (a 0 delay) would spin a
 * worker: it is rate-limited like a RETRY (controller-runtime's
 * Requeue: true), warned about once per plugin and counted. A
 * reconcile running past the plugin's reconcile_deadline is logged with
 * plugin, key and duration, and counted; every callback is marked in the
 * plugin's in-flight set (inflight.h), so one that never returns is
 * reported while it is stuck.
 *
 * Threading: start and stop run on the main thread; stop returns only
 * when no callback of the plugin runs any more.
 */
#ifndef CPLANE_HOST_PLUGIN_CONTROLLER_H
#define CPLANE_HOST_PLUGIN_CONTROLLER_H

#include "plugin/plugin.h"

struct cp_informer;
struct cp_workqueue;

/* Handler buffer size per plugin and resource. Bounded on purpose: a
 * stalled plugin slows its feed instead of exhausting memory. */
#define CP_CONTROLLER_BUFFER 4096
/* A call is reported stuck (log, cplane_plugin_stuck_calls, /readyz) once
 * it runs past: the plugin's reconcile_deadline for reconcile (this when
 * it has none), this for on_add/on_update/on_delete, which must not block
 * at all. */
#define CP_RECONCILE_STUCK_DEFAULT_NS (60ull * 1000 * 1000 * 1000)
#define CP_DISPATCH_STUCK_NS (10ull * 1000 * 1000 * 1000)
/* A REQUEUE_AFTER delay below this goes through the rate limiter. */
#define CP_REQUEUE_AFTER_FLOOR_MS 1u

/* Starts `p` (state READY) with informers[i] feeding resources[i]; the
 * informers are borrowed and must outlive cp_controller_stop(). Returns 0
 * or -1 with *errmsg (malloc'd). */
int cp_controller_start(struct cplane_plugin_ctx *p,
                        struct cp_informer **informers, char **errmsg);
/* As cp_controller_start() on `queue`, which p adopts (owned by p from
 * now on) and resumes: the queue cp_controller_detach() took from the
 * build p replaces, with every key, delay and backoff it held. */
int cp_controller_start_on(struct cplane_plugin_ctx *p,
                           struct cp_informer **informers,
                           struct cp_workqueue *queue, char **errmsg);
/* For a hot upgrade: unregisters p's handlers, lets each worker finish the
 * key it is running, joins them, and returns p's queue, paused, with the
 * keys still queued or delayed (owned by the caller, for
 * cp_controller_start_on()). p is then STOPPED, ready for fini(). NULL
 * when p is not running. */
struct cp_workqueue *cp_controller_detach(struct cplane_plugin_ctx *p);
/* Stops dispatch, lets workers finish the keys already queued, joins them.
 * Safe to call on a plugin that never started. */
void cp_controller_stop(struct cplane_plugin_ctx *p);

#endif /* CPLANE_HOST_PLUGIN_CONTROLLER_H */
