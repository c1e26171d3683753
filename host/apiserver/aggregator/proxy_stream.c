/*
 * proxy_stream - see proxy_stream.h.
 */
#include "apiserver/aggregator/proxy_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "apiserver/status.h"
#include "log/log.h"

/* What one read of the extension server takes at most. */
#define READ_CHUNK 16384

struct cp_proxy_stream {
  const void *owner;
  struct cp_proxy_conn *conn; /* the reader's once started */
  int code;
  const char *content_type;
  /* Under mu: */
  struct evbuffer *queue; /* read, not yet handed to evhttp */
  size_t unsent;          /* in the client connection's output */
  int gone;               /* the client left or the owner ended: stop */
  int ended;              /* the reader is done: end the response */
  int reading;            /* the reader thread runs */
  int loop_live;          /* ev and req are valid */
  int refs;               /* the loop's and the reader's */
  pthread_cond_t cv;      /* the reader waits here for room */
  struct cp_proxy_stream *prev, *next;
  /* Loop thread: */
  struct event *ev; /* the reader's "queued, or ended" */
  struct evhttp_request *req;
  int wake[2]; /* the reader's poll wakes when the client leaves */
};

/* Every stream of the process (few: CP_PROXY_STREAMS_MAX). */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reader_done = PTHREAD_COND_INITIALIZER;
static struct cp_proxy_stream *streams;
static int n_streams;

/* mu held. */
static void unref_locked(struct cp_proxy_stream *st) {
  if (--st->refs > 0)
    return;
  if (st->prev != NULL)
    st->prev->next = st->next;
  else
    streams = st->next;
  if (st->next != NULL)
    st->next->prev = st->prev;
  n_streams--;
  cp_proxy_conn_close(st->conn);
  if (st->queue != NULL)
    evbuffer_free(st->queue);
  if (st->wake[0] >= 0)
    close(st->wake[0]);
  if (st->wake[1] >= 0)
    close(st->wake[1]);
  pthread_cond_destroy(&st->cv);
  free(st);
}

struct cp_proxy_stream *cp_proxy_stream_new(const void *owner) {
  struct cp_proxy_stream *st;

  pthread_mutex_lock(&mu);
  if (n_streams >= CP_PROXY_STREAMS_MAX ||
      (st = calloc(1, sizeof *st)) == NULL) {
    pthread_mutex_unlock(&mu);
    return NULL;
  }
  st->owner = owner;
  st->refs = 1; /* the creator's, until start */
  st->wake[0] = st->wake[1] = -1;
  pthread_cond_init(&st->cv, NULL);
  st->next = streams;
  if (streams != NULL)
    streams->prev = st;
  streams = st;
  n_streams++;
  pthread_mutex_unlock(&mu);
  return st;
}

void cp_proxy_stream_attach(struct cp_proxy_stream *st,
                            struct cp_proxy_conn *conn, int code,
                            const char *content_type) {
  st->conn = conn;
  st->code = code;
  st->content_type = content_type;
}

void cp_proxy_stream_free(struct cp_proxy_stream *st) {
  if (st == NULL)
    return;
  pthread_mutex_lock(&mu);
  unref_locked(st);
  pthread_mutex_unlock(&mu);
}

/* mu held: the reader stops waiting for room and leaves its poll. */
static void stop_reader_locked(struct cp_proxy_stream *st) {
  st->gone = 1;
  pthread_cond_signal(&st->cv);
  if (st->wake[1] >= 0 && write(st->wake[1], "x", 1) < 0 &&
      errno != EAGAIN)
    cp_log_debug("apiserver", "aggregated watch: wake: %s",
                 strerror(errno));
}

/* --- the reader ---------------------------------------------------------- */

static void *reader_main(void *arg) {
  struct cp_proxy_stream *st = arg;
  char *buf = malloc(READ_CHUNK);
  long n = buf != NULL ? 1 : -1;

  pthread_setname_np(pthread_self(), "api-agg-stream");
  while (n > 0) {
    int gone;

    pthread_mutex_lock(&mu);
    while (!st->gone && evbuffer_get_length(st->queue) + st->unsent >=
                            CP_PROXY_STREAM_OUT_HIGH)
      pthread_cond_wait(&st->cv, &mu);
    gone = st->gone;
    pthread_mutex_unlock(&mu);
    if (gone)
      break;
    if ((n = cp_proxy_conn_read(st->conn, buf, READ_CHUNK, st->wake[0])) <=
        0)
      break;
    pthread_mutex_lock(&mu);
    if (evbuffer_add(st->queue, buf, (size_t)n) != 0)
      n = -1;
    else if (st->loop_live)
      event_active(st->ev, EV_WRITE, 0);
    pthread_mutex_unlock(&mu);
  }
  free(buf);
  /* The extension server's connection goes as soon as we are done. */
  cp_proxy_conn_close(st->conn);
  pthread_mutex_lock(&mu);
  st->conn = NULL;
  st->ended = 1;
  st->reading = 0;
  if (st->loop_live)
    event_active(st->ev, EV_WRITE, 0);
  pthread_cond_broadcast(&reader_done);
  unref_locked(st);
  pthread_mutex_unlock(&mu);
  return NULL;
}

/* --- the loop's side ------------------------------------------------------ */

/* Loop thread: the client side is done (its response ended or the
 * client gone); the reader is told to stop. */
static void loop_done(struct cp_proxy_stream *st) {
  pthread_mutex_lock(&mu);
  st->loop_live = 0;
  stop_reader_locked(st);
  pthread_mutex_unlock(&mu);
  event_free(st->ev);
  st->ev = NULL;
  st->req = NULL;
  pthread_mutex_lock(&mu);
  unref_locked(st);
  pthread_mutex_unlock(&mu);
}

static void on_client_close(struct evhttp_connection *conn, void *arg) {
  struct cp_proxy_stream *st = arg;

  (void)conn;
  /* As watch.c: a request detached from its dead connection is ours. */
  if (evhttp_request_get_connection(st->req) == NULL)
    evhttp_request_free(st->req);
  loop_done(st);
}

/* The client connection's output as the loop last left it. */
static size_t output_len(struct cp_proxy_stream *st) {
  struct evhttp_connection *c = evhttp_request_get_connection(st->req);
  struct bufferevent *bev = c ? evhttp_connection_get_bufferevent(c) : NULL;

  return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

/* evhttp wrote everything it was given: room for the reader. */
static void on_written(struct evhttp_connection *conn, void *arg) {
  struct cp_proxy_stream *st = arg;

  (void)conn;
  pthread_mutex_lock(&mu);
  st->unsent = 0;
  pthread_cond_signal(&st->cv);
  pthread_mutex_unlock(&mu);
}

/* Loop thread: hands what was read to evhttp, or ends the response. */
static void on_queued(evutil_socket_t fd, short what, void *arg) {
  struct cp_proxy_stream *st = arg;
  int ended;

  (void)fd;
  (void)what;
  pthread_mutex_lock(&mu);
  if (evbuffer_get_length(st->queue) > 0) {
    evhttp_send_reply_chunk_with_cb(st->req, st->queue, on_written, st);
    st->unsent = output_len(st);
  }
  ended = st->ended && evbuffer_get_length(st->queue) == 0;
  pthread_mutex_unlock(&mu);
  if (!ended)
    return;
  evhttp_connection_set_closecb(evhttp_request_get_connection(st->req),
                                NULL, NULL);
  evhttp_send_reply_end(st->req);
  loop_done(st);
}

/* A response that cannot stream: a plain 503, as kube's proxy errors. */
static void refuse(struct evhttp_request *req) {
  struct evbuffer *b = evbuffer_new();

  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                    "text/plain; charset=utf-8");
  if (b != NULL)
    evbuffer_add_printf(b, "service unavailable\n");
  evhttp_send_reply(req, 503, "Service Unavailable", b);
  if (b != NULL)
    evbuffer_free(b);
}

void cp_proxy_stream_start(struct cp_proxy_stream *st,
                           struct event_base *base,
                           struct evhttp_request *req) {
  const char *reason;
  pthread_attr_t attr;
  pthread_t th;
  int gone, ok;

  if (st == NULL)
    return;
  reason = cp_status_reason_for(st->code);
  pthread_mutex_lock(&mu);
  gone = st->gone;
  pthread_mutex_unlock(&mu);
  if (req == NULL || gone) {
    if (req != NULL)
      refuse(req);
    cp_proxy_stream_free(st);
    return;
  }
  st->queue = evbuffer_new();
  st->ev = event_new(base, -1, 0, on_queued, st);
  if (st->queue == NULL || st->ev == NULL ||
      pipe2(st->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    if (st->ev != NULL)
      event_free(st->ev);
    st->ev = NULL;
    refuse(req);
    cp_proxy_stream_free(st);
    return;
  }
  event_priority_set(st->ev, 2); /* with the watch streams */
  st->req = req;
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                    st->content_type);
  evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control",
                    "no-cache, private");
  evhttp_send_reply_start(req, st->code,
                          st->code < 300 ? "OK"
                          : reason[0]    ? reason
                                         : "Error");
  evhttp_connection_set_closecb(evhttp_request_get_connection(req),
                                on_client_close, st);
  pthread_mutex_lock(&mu);
  st->refs = 2; /* the loop's and the reader's */
  st->loop_live = 1;
  st->reading = 1;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  ok = pthread_create(&th, &attr, reader_main, st) == 0;
  pthread_attr_destroy(&attr);
  if (!ok) {
    st->refs = 1;
    st->reading = 0;
    st->ended = 1; /* nothing to read: the response just ends */
    event_active(st->ev, EV_WRITE, 0);
  }
  pthread_mutex_unlock(&mu);
}

/* Waits (mu held) until no reader of owner runs. */
static void wait_readers(const void *owner) {
  for (;;) {
    struct cp_proxy_stream *st;
    int running = 0;

    for (st = streams; st != NULL; st = st->next)
      running |= st->owner == owner && st->reading;
    if (!running)
      return;
    pthread_cond_wait(&reader_done, &mu);
  }
}

void cp_proxy_streams_end(const void *owner) {
  struct cp_proxy_stream *st, *next;

  pthread_mutex_lock(&mu);
  for (st = streams; st != NULL; st = st->next) {
    if (st->owner == owner)
      stop_reader_locked(st);
  }
  wait_readers(owner);
  /* The readers are gone and the loop is not running: end each response
   * (what was read still goes out first). */
  for (st = streams; st != NULL; st = next) {
    next = st->next;
    if (st->owner != owner || !st->loop_live)
      continue;
    pthread_mutex_unlock(&mu);
    on_queued(-1, 0, st); /* ended: the response ends, the stream goes */
    pthread_mutex_lock(&mu);
    next = streams; /* the list changed: start over */
  }
  pthread_mutex_unlock(&mu);
}
