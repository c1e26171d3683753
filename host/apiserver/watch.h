/*
 * watch - watch streams: newline-delimited compact JSON events
 * (ADDED/MODIFIED/DELETED, BOOKMARK, ERROR 410) over a chunked HTTP
 * response, fed by a store watch.
 *
 * Threading: a stream lives on the server's event loop. Store callbacks
 * (store thread) and the initial list (a worker) queue lines under the
 * stream's mutex. The loop starts and ends every response and writes TLS
 * streams; once a plain-HTTP stream's headers are out, the registry's
 * flusher threads write its chunks straight to the socket, under the
 * same mutex, until they hand it back to the loop.
 * Ownership: streams free themselves when the client leaves, the timeout
 * passes or the store ends the watch; cp_watch_end_all ends the rest.
 * Memory: a stream's pending output is bounded (cp_watch_limits); a client
 * that falls further behind is closed, never buffered without end.
 */
#ifndef CPLANE_HOST_APISERVER_WATCH_H
#define CPLANE_HOST_APISERVER_WATCH_H

#include <stdio.h>

#include <event2/event.h>
#include <event2/http.h>

#include "apiserver/request.h"

struct cp_watch_registry;

/* Runs a job on a worker thread (the server's pool). */
typedef void (*cp_watch_job_fn)(void *arg);
typedef int (*cp_watch_submit_fn)(void *pool, cp_watch_job_fn fn, void *arg);

/* Memory bounds; zero means the default. */
struct cp_watch_limits {
  /* Bytes of events a stream may have pending (queued, or written but
   * not yet on the socket) beyond its initial list before it is closed,
   * as kube closes an unresponsive watcher; the client watches again.
   * Default 16 MiB. */
  size_t stream_bytes;
  /* Bytes of events the watch cache keeps, all types together (see
   * watchcache.h). Default 64 MiB. */
  size_t cache_bytes;
};

/* limits may be NULL (the defaults); read during the call only. */
struct cp_watch_registry *cp_watch_registry_new(
    struct event_base *base, struct cp_api_ctx *ctx,
    const struct cp_watch_limits *limits, cp_watch_submit_fn submit,
    void *pool);
/* Ends every stream (loop thread) and frees the registry. */
void cp_watch_registry_free(struct cp_watch_registry *r);
size_t cp_watch_count(struct cp_watch_registry *r);
/* apiserver_registered_watchers{resource} and
 * apiserver_terminated_watchers_total{group,resource}; loop thread. Returns 0, or -1
 * on a write error. */
int cp_watch_metrics_write(struct cp_watch_registry *r, FILE *out);

/* Starts a watch for rq on req (loop thread). Takes rq's contents. On a
 * bad request replies with a Status itself. */
void cp_watch_start(struct cp_watch_registry *r, struct evhttp_request *req,
                    struct cp_api_request *rq);

#endif /* CPLANE_HOST_APISERVER_WATCH_H */
