/*
 * proxy_stream - an aggregated watch relayed as it comes, as
 * kube-aggregator's proxy flushes a long-running response: the extension
 * server's status and Content-Type go out at once, then each piece of
 * its body as it arrives (re-chunked by evhttp). The client leaving
 * closes the extension server's connection; a client that does not read
 * holds the relay at STREAM_OUT_HIGH bytes (what the client has not
 * taken plus what waits for the loop, the bound the server's own
 * watches keep in evhttp's output), after which the extension server's
 * socket is simply not read, so TCP holds it back: nothing buffers
 * without bound. No deadline applies once the head is in (a watch lasts
 * as long as its timeoutSeconds at the extension server).
 *
 * Threading: cp_proxy_stream_new/_attach/_free on a request worker;
 * cp_proxy_stream_start on the loop thread, which then owns the client
 * side; a detached reader thread per stream reads the extension server.
 * One process-wide mutex guards every stream's shared state.
 * cp_proxy_streams_end runs where the loop is (or has stopped).
 * Ownership: a stream owns its cp_proxy_conn; it frees itself once both
 * the loop and its reader are done with it. owner is an opaque tag (the
 * aggregator), never dereferenced.
 */
#ifndef CPLANE_HOST_APISERVER_AGGREGATOR_PROXY_STREAM_H
#define CPLANE_HOST_APISERVER_AGGREGATOR_PROXY_STREAM_H

#include <event2/event.h>
#include <event2/http.h>

#include "apiserver/aggregator/proxy_call.h"

/* Streams open at once in the process; beyond, the caller answers 503. */
#define CP_PROXY_STREAMS_MAX 256
/* Bytes held for one slow client before its extension server is no
 * longer read (watch.c's OUT_HIGH). */
#define CP_PROXY_STREAM_OUT_HIGH (256u * 1024)

struct cp_proxy_stream;

/* Takes a slot for owner; NULL when all are taken or out of memory. */
struct cp_proxy_stream *cp_proxy_stream_new(const void *owner);
/* Gives it the opened exchange (taken) and the response's status and
 * Content-Type (a static string). */
void cp_proxy_stream_attach(struct cp_proxy_stream *st,
                            struct cp_proxy_conn *conn, int code,
                            const char *content_type);
/* Frees a stream never started. NULL is fine. */
void cp_proxy_stream_free(struct cp_proxy_stream *st);

/* Loop thread: starts the response on req and the reader; req NULL (the
 * client already left) or an ended owner frees the stream instead. */
void cp_proxy_stream_start(struct cp_proxy_stream *st,
                           struct event_base *base,
                           struct evhttp_request *req);

/* Ends every stream of owner: their readers stop (waited for) and their
 * responses end. Call on the loop thread or once it has stopped. */
void cp_proxy_streams_end(const void *owner);

#endif /* CPLANE_HOST_APISERVER_AGGREGATOR_PROXY_STREAM_H */
