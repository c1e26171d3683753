/*
 * watch - see watch.h.
 *
 * A stream has up to three owners at once: the loop (until the response
 * ends or the client leaves), the worker running its initial list and
 * store-watch start, and the store watch itself (until cancelled). The
 * first two hold references; the store watch is cancelled before the last
 * reference goes, so no callback can see a freed stream. A flusher holds
 * one more while the stream is on its lists.
 *
 * Output: every event is encoded once into a shared, reference-counted
 * line, and a stream queues pointers to lines, not copies. On plain HTTP,
 * once the response's headers are on the wire, the stream goes "direct":
 * a flusher thread writes its chunks straight to the socket with one
 * sendmsg of the queued lines, instead of the loop copying them into
 * evhttp's buffer and paying an epoll_ctl pair per write. The loop keeps
 * the start of the response, its end, and TLS streams (an SSL object
 * cannot be written by one thread while another reads it).
 *
 * Memory: a stream's queue and unsent output are bounded (limit_bytes);
 * a client further behind is closed, as kube closes an unresponsive
 * watcher. A slow client's backlog stays in its queue of shared lines:
 * the loop, which takes over a stream whose socket stays full, copies
 * more into evhttp's output only once it is down to OUT_LOW.
 */
#include "apiserver/watch.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/keyvalq_struct.h>

#include "apiserver/audit/audit.h"
#include "apiserver/memtrim.h"
#include "apiserver/status.h"
#include "apiserver/protobuf.h"
#include "apiserver/table.h"
#include "apiserver/watchcache.h"
#include "clock/clock.h"
#include "log/log.h"

#define BOOKMARK_EVERY_MS 60000
#define LIST_PAGE 500
/* A busy stream is written at most once per FLUSH_MS, on a tick shared by
 * every stream: with 1,000 watchers and 1,000 events/s, one write (and one
 * client wake-up) per event would be a million system calls a second, and
 * ticks that line up let the flushers and the clients do their writes and
 * reads in bursts instead of being woken all the time. An idle stream's
 * first event still goes out at once, so a quiet watch sees no delay. */
#define FLUSH_MS 15
/* Lines per chunk of a direct write: one sendmsg, within IOV_MAX. */
#define CHUNK_LINES 512
#define MAX_FLUSHERS 4
/* Ticks a stream's socket may stay full before the loop takes it over. */
#define STALL_TICKS 4
/* Writes a flusher (or the loop) may make per FLUSH_MS outside the tick,
 * for streams written less than FLUSH_MS ago: a pod's start is three
 * watch hops in a row (scheduler, node, client), and on the tick each
 * waited up to 15 ms. At low rates every write goes at once; under load
 * the credit is gone early in each window and the tick batches the rest,
 * so 1,000 busy streams still cost one write per tick each. */
#define EARLY_PER_TICK 32
/* Default for cp_watch_limits.stream_bytes: how far (bytes of encoded
 * events beyond its initial list) a client may fall behind before its
 * watch is closed, as kube-apiserver's cacher closes a watcher whose
 * bounded channel stays full ("Forcing watcher close due to
 * unresponsiveness"); the client then watches again or re-lists. */
#define DEFAULT_STREAM_BYTES (16u << 20)
/* The shared line cache's bytes: 4,096 lines of 1 MB objects would be
 * 4 GB. Past this the oldest lines leave the cache (streams that hold
 * them keep them). */
#define LINE_CACHE_BYTES (32u << 20)
/* How long a closed-for-overflow client may take to read what is already
 * in its connection's output before the connection is dropped. */
#define OVERFLOW_DRAIN_S 10
/* The loop's writes (TLS streams, and plain ones not yet direct) stop
 * copying lines into evhttp's output while it holds OUT_HIGH bytes the
 * client has not read, and resume once it is down to OUT_LOW: a slow
 * client's backlog stays in its queue of shared lines, not a copy each. */
#define OUT_HIGH (256u << 10)
#define OUT_LOW (64u << 10)
/* How often the loop looks whether enough was freed to trim the heap. */
#define TRIM_EVERY_MS 1000

/* One encoded line ("{...}\n"), shared by every stream it goes to. */
struct wline {
  atomic_long refs;
  size_t len;
  char data[];
};

/* Out-of-tick writes left in the current FLUSH_MS window. */
struct early {
  int64_t window_ms;
  int used;
};

/* A thread that writes direct streams' chunks: streams whose first event
 * after a quiet spell is due at once, and busy ones on the shared tick.
 * Lists are linked through stream.fnext. */
struct flusher {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cond;
  struct stream *now, *now_tail, *tick, *tick_tail;
  int64_t next_tick_ms; /* when the tick list is due; 0: not set */
  int64_t offset_ms;    /* this flusher's ticks, after the shared grid's */
  struct early early;   /* under mu */
  int waiting;          /* 1: until the tick, 2: until signalled */
  int stop;
  int started;
};

struct stream {
  struct cp_watch_registry *reg;
  struct evhttp_request *req;
  struct cp_api_request rq;
  struct cp_api_selectors *sel;
  struct event *wake, *timer;
  char *prefix;
  int64_t from_rev; /* the last revision the client has: events after it */
  int initial;      /* send the current objects first */
  int bookmarks, initial_end_bookmark;
  int table; /* objects as one-row meta.k8s.io/v1 Tables (kubectl get -w) */
  int protobuf; /* events as protobuf frames (client-go typed watches) */

  pthread_mutex_t mu; /* guards what follows */
  struct wline **lines; /* queued for the client, not yet written */
  size_t nlines, cap;
  size_t qbytes;      /* bytes of lines[] */
  size_t limit_bytes; /* qbytes + unsent output past this: closed */
  int overflowed;     /* closed for falling behind */
  /* The event source: the type's shared watch, or (for a start the cache
   * cannot serve) a store watch of the stream's own. */
  cp_watch_sub *sub;
  cp_store_watcher *sw;
  int refs;
  int gone;     /* the client left or the stream ended */
  int finished; /* end the response once pending is written */
  int armed;    /* wake is active or timed: no need to activate it again */
  int64_t last_bookmark_ms;
  int64_t seen_rev; /* the client will have every event up to this one */
  int64_t last_flush_ms;
  /* Direct writing: the flusher owns the socket's output until it hands
   * the stream back (finished) or the client leaves. */
  struct flusher *fl;
  int direct;
  int chunked; /* HTTP/1.1: chunks; 1.0: the body is the lines as they are */
  int queued; /* on fl's lists or being flushed; fl holds a reference */
  int stalls; /* flushes in a row that found the socket full */
  /* Loop side (TLS, or not yet direct): a client behind by OUT_HIGH
   * waits for evhttp's output to drain. The callback entry is the loop
   * thread's; draining is under mu. */
  struct evbuffer *out_buf;
  struct evbuffer_cb_entry *drain_cb;
  int draining;
  int fd;
  char *backlog; /* a chunk's unsent remainder (the socket was full) */
  size_t backlog_len, backlog_off;
  struct stream *fnext; /* fl's lists */

  struct stream *next, *prev; /* the registry's list; loop thread */
};

/* The encoded line of one event, shared by every watcher without
 * selectors: with 1,000 watchers an event is parsed and printed once, not
 * 1,000 times (the store delivers each event to every watcher in turn). */
#define LINE_CACHE 4096

struct cached_line {
  int64_t rev;
  const struct cp_resource_type *type;
  struct wline *line; /* NULL: empty, or the event is skipped */
};

/* apiserver_terminated_watchers_total{group,resource}: copies of the
 * names, as a type can be retired while its count lives on. */
#define TERMINATED_TYPES 64

struct terminated {
  char group[128], resource[128];
  unsigned long count;
};

struct cp_watch_registry {
  struct event_base *base;
  pthread_mutex_t term_mu; /* guards term */
  struct terminated term[TERMINATED_TYPES];
  size_t nterm;
  struct cp_watch_cache *shared; /* one store watch per type */
  pthread_mutex_t cache_mu;
  struct cached_line cache[LINE_CACHE];
  size_t cache_bytes; /* of the lines in cache[]; under cache_mu */
  size_t stream_bytes;
  struct early early; /* the loop's out-of-tick writes; loop thread */
  struct event *trim; /* housekeeping: gives freed memory back */
  struct cp_api_ctx *ctx;
  cp_watch_submit_fn submit;
  void *pool;
  struct stream *streams;
  size_t count;
  struct flusher fl[MAX_FLUSHERS];
  size_t nfl, next_fl;
};

static int64_t now_ms(void) { return cp_now_ms(); }

/* ------------------------------------------------------------ lifetime */

/* ------------------------------------------------------------ lines */

/* A line of len bytes to fill, with one reference: the caller's. */
static struct wline *wline_new(size_t len) {
  struct wline *l = malloc(sizeof *l + len + 1);

  if (l == NULL)
    return NULL;
  atomic_init(&l->refs, 1);
  l->len = len;
  return l;
}

/* A line printed from fmt; one reference, the caller's. */
static struct wline *wline_printf(const char *fmt, ...) {
  va_list ap;
  struct wline *l;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || (l = wline_new((size_t)n)) == NULL)
    return NULL;
  va_start(ap, fmt);
  vsnprintf(l->data, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return l;
}

static void wline_unref(struct wline *l) {
  if (l != NULL && atomic_fetch_sub(&l->refs, 1) == 1) {
    cp_memtrim_freed(l->len);
    free(l);
  }
}

/* With st->mu held: queues l, taking the caller's reference. A stream
 * that cannot queue (out of memory) ends, so the client re-lists rather
 * than silently missing an event. */
/* A JSON event line as the protobuf frame a protobuf watcher reads; an
 * object the table cannot encode ends the stream as any failure does. */
static struct wline *protobuf_line(struct wline *l) {
  json_object *ev = json_tokener_parse(l->data), *type, *obj;
  struct wline *f = NULL;
  char *pb = NULL;
  size_t len;

  if (ev != NULL && json_object_object_get_ex(ev, "type", &type) &&
      json_object_object_get_ex(ev, "object", &obj) &&
      cp_protobuf_watch_frame(json_object_get_string(type), obj, &pb,
                              &len) == 0 &&
      (f = wline_new(len)) != NULL)
    memcpy(f->data, pb, len);
  free(pb);
  json_object_put(ev);
  wline_unref(l);
  return f;
}

static void push_line(struct stream *st, struct wline *l) {
  if (st->overflowed) {
    /* Closed for falling behind, its queue dropped: an event queued now
     * would reach the client after a gap, and the client would resume
     * from it, never seeing the dropped ones. */
    if (l != NULL)
      wline_unref(l);
    return;
  }
  if (l != NULL && st->protobuf)
    l = protobuf_line(l);
  if (l == NULL) {
    st->finished = 1;
    return;
  }
  if (st->nlines == st->cap) {
    size_t cap = st->cap ? st->cap * 2 : 16;
    struct wline **n = realloc(st->lines, cap * sizeof *n);

    if (n == NULL) {
      wline_unref(l);
      st->finished = 1;
      return;
    }
    st->lines = n;
    st->cap = cap;
  }
  st->lines[st->nlines++] = l;
  st->qbytes += l->len;
}

/* With st->mu held: the first n queued lines are written. */
static void drop_lines(struct stream *st, size_t n) {
  size_t i;

  for (i = 0; i < n; i++) {
    st->qbytes -= st->lines[i]->len;
    wline_unref(st->lines[i]);
  }
  st->nlines -= n;
  if (st->nlines > 0)
    memmove(st->lines, st->lines + n, st->nlines * sizeof *st->lines);
}

/* 1 when one more write may go out before the tick: EARLY_PER_TICK per
 * FLUSH_MS window. The caller serialises calls on e. */
static int early_take(struct early *e, int64_t now) {
  if (now - e->window_ms >= FLUSH_MS) {
    e->window_ms = now;
    e->used = 0;
  }
  if (e->used >= EARLY_PER_TICK)
    return 0;
  e->used++;
  return 1;
}

/* One more watcher of t closed for falling behind. Any thread. */
static void count_terminated(struct cp_watch_registry *r,
                             const struct cp_resource_type *t) {
  size_t i;

  pthread_mutex_lock(&r->term_mu);
  for (i = 0; i < r->nterm; i++)
    if (strcmp(r->term[i].group, t->group) == 0 &&
        strcmp(r->term[i].resource, t->resource) == 0)
      break;
  if (i == r->nterm && i < TERMINATED_TYPES) {
    snprintf(r->term[i].group, sizeof r->term[i].group, "%s", t->group);
    snprintf(r->term[i].resource, sizeof r->term[i].resource, "%s",
             t->resource);
    r->term[i].count = 0;
    r->nterm++;
  }
  if (i < r->nterm)
    r->term[i].count++;
  pthread_mutex_unlock(&r->term_mu);
}

/* With st->mu held: 1 (and the stream is ending, its queue dropped) when
 * out, the bytes written but not yet on their way to the client, plus
 * what is queued exceed the stream's bound. The client resumes from the
 * last event it read, so dropping what it has not read loses nothing. */
static int overflow_locked(struct stream *st, size_t out) {
  size_t behind = st->qbytes + out;

  if (st->overflowed)
    return 1;
  if (behind <= st->limit_bytes)
    return 0;
  cp_log_warn("apiserver", "Forcing %s watcher close due to "
                           "unresponsiveness: %zu bytes behind (bound %zu)",
              st->rq.type->resource, behind, st->limit_bytes);
  count_terminated(st->reg, st->rq.type);
  drop_lines(st, st->nlines);
  st->overflowed = 1;
  st->finished = 1;
  return 1;
}

/* ------------------------------------------------------------ lifetime */

static void stream_free(struct stream *st) {
  if (st->wake != NULL)
    event_free(st->wake);
  if (st->timer != NULL)
    event_free(st->timer);
  drop_lines(st, st->nlines);
  free(st->lines);
  free(st->backlog);
  cp_api_selectors_free(st->sel);
  cp_api_request_clear(&st->rq);
  free(st->prefix);
  pthread_mutex_destroy(&st->mu);
  free(st);
}

/* Drops one reference; the last one cancels the store watch and frees. */
/* Ends the stream's event source; after it no store or cache callback
 * touches the stream. Without st->mu held. */
static void stop_source(cp_store_watcher *sw, cp_watch_sub *sub) {
  if (sw != NULL)
    cp_store_watch_cancel(sw);
  cp_watch_cache_unsubscribe(sub);
}

static void stream_unref(struct stream *st) {
  cp_store_watcher *sw = NULL;
  cp_watch_sub *sub = NULL;
  int last;

  pthread_mutex_lock(&st->mu);
  last = --st->refs == 0;
  if (last) {
    sw = st->sw;
    sub = st->sub;
    st->sw = NULL;
    st->sub = NULL;
  }
  pthread_mutex_unlock(&st->mu);
  if (!last)
    return;
  stop_source(sw, sub);
  stream_free(st);
}

/* Loop thread: the response is over (or the client is gone). */
static void stream_close(struct stream *st, int send_end) {
  struct cp_watch_registry *r = st->reg;
  cp_store_watcher *sw;
  cp_watch_sub *sub;
  int overflowed;

  pthread_mutex_lock(&st->mu);
  if (st->gone) {
    pthread_mutex_unlock(&st->mu);
    return;
  }
  st->gone = 1;
  sw = st->sw;
  sub = st->sub;
  st->sw = NULL;
  st->sub = NULL;
  if (st->backlog != NULL)
    send_end = 0; /* the end would land inside a chunk the client lacks */
  overflowed = st->overflowed;
  pthread_mutex_unlock(&st->mu);
  /* First: after this no store callback touches the stream. */
  stop_source(sw, sub);
  evtimer_del(st->timer);
  event_del(st->wake);
  /* The connection (and its output) outlives the stream: even in the
   * close callback it is still there. */
  if (st->drain_cb != NULL)
    evbuffer_remove_cb_entry(st->out_buf, st->drain_cb);
  st->drain_cb = NULL;
  if (st->req != NULL) {
    struct evhttp_connection *conn = evhttp_request_get_connection(st->req);

    evhttp_connection_set_closecb(conn, NULL, NULL);
    /* A client that stopped reading must not hold what is already in
     * its connection's output for ever: the write timeout drops it. */
    if (overflowed)
      evhttp_connection_set_timeout(conn, OVERFLOW_DRAIN_S);
    if (send_end)
      evhttp_send_reply_end(st->req);
  }
  st->req = NULL;
  if (st->prev != NULL)
    st->prev->next = st->next;
  else
    r->streams = st->next;
  if (st->next != NULL)
    st->next->prev = st->prev;
  r->count--;
  stream_unref(st);
}

static void on_client_close(struct evhttp_connection *conn, void *arg) {
  struct stream *st = arg;

  (void)conn;
  /* A client that left mid-stream: evhttp has detached our unfinished
   * request from the dying connection and left it to us to free. (An
   * attached one is freed with the connection.) */
  if (st->req != NULL && evhttp_request_get_connection(st->req) == NULL)
    evhttp_request_free(st->req);
  st->req = NULL;
  stream_close(st, 0);
}

static void on_wake(evutil_socket_t fd, short what, void *arg);
static void append_bookmark(struct stream *st, int64_t rev, int end);

/* The timeout ends the stream; a client that takes bookmarks gets one
 * first, as kube-apiserver sends, so it resumes from there instead of
 * from its last event. */
static void on_timeout(evutil_socket_t fd, short what, void *arg) {
  struct stream *st = arg;

  pthread_mutex_lock(&st->mu);
  if (st->bookmarks && st->seen_rev > 0 && !st->finished)
    append_bookmark(st, st->seen_rev, 0);
  st->finished = 1;
  pthread_mutex_unlock(&st->mu);
  on_wake(fd, what, st);
}

/* ------------------------------------------------------------ flushers */

static void flusher_push(struct stream **head, struct stream **tail,
                         struct stream *st) {
  st->fnext = NULL;
  if (*tail != NULL)
    (*tail)->fnext = st;
  else
    *head = st;
  *tail = st;
}

/* With st->mu held, st direct: hands st to its flusher, at once when its
 * last write was FLUSH_MS ago, it is ending or the flusher has early
 * credit left, else on the next tick. */
static void flusher_queue_locked(struct stream *st) {
  struct flusher *fl = st->fl;
  int64_t now;
  int due_now;

  if (st->queued)
    return;
  st->queued = 1;
  st->refs++;
  now = now_ms();
  pthread_mutex_lock(&fl->mu);
  due_now = st->finished || now - st->last_flush_ms >= FLUSH_MS ||
            early_take(&fl->early, now);
  if (due_now)
    flusher_push(&fl->now, &fl->now_tail, st);
  else
    flusher_push(&fl->tick, &fl->tick_tail, st);
  if (fl->waiting == 2 || (due_now && fl->waiting == 1))
    pthread_cond_signal(&fl->cond);
  pthread_mutex_unlock(&fl->mu);
}

/* Copies what iov[0..n) holds past its first skip bytes into the
 * stream's backlog. Returns 0, or -1 out of memory. */
static int keep_backlog(struct stream *st, const struct iovec *iov, int n,
                        size_t skip) {
  size_t total = 0, off = 0;
  int i;

  for (i = 0; i < n; i++)
    total += iov[i].iov_len;
  st->backlog = malloc(total - skip);
  if (st->backlog == NULL)
    return -1;
  for (i = 0; i < n; i++) {
    size_t len = iov[i].iov_len;
    const char *p = iov[i].iov_base;

    if (skip >= len) {
      skip -= len;
      continue;
    }
    memcpy(st->backlog + off, p + skip, len - skip);
    off += len - skip;
    skip = 0;
  }
  st->backlog_len = off;
  st->backlog_off = 0;
  return 0;
}

enum { FLUSH_DONE, FLUSH_AGAIN, FLUSH_ERROR };

/* Sends what iov[0..n) holds; *sent is what went. */
static int send_iov(int fd, struct iovec *iov, int n, size_t *sent) {
  struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
  ssize_t w;

  do
    w = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
  while (w < 0 && errno == EINTR);
  *sent = w > 0 ? (size_t)w : 0;
  if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    return FLUSH_ERROR;
  return FLUSH_DONE;
}

/* Flusher, st->mu held: the backlog, then the queued lines as chunks. */
static int write_direct_locked(struct stream *st) {
  struct iovec iov[CHUNK_LINES + 2];
  char hdr[24];
  size_t sent, total, k, i;

  if (st->backlog != NULL) {
    iov[0] = (struct iovec){st->backlog + st->backlog_off,
                            st->backlog_len - st->backlog_off};
    if (send_iov(st->fd, iov, 1, &sent) != FLUSH_DONE)
      return FLUSH_ERROR;
    st->backlog_off += sent;
    if (st->backlog_off < st->backlog_len)
      return FLUSH_AGAIN;
    free(st->backlog);
    st->backlog = NULL;
  }
  assert(!st->overflowed || st->nlines == 0);
  while (st->nlines > 0) {
    k = st->nlines < CHUNK_LINES ? st->nlines : CHUNK_LINES;
    for (i = 0, total = 0; i < k; i++) {
      iov[i + 1] = (struct iovec){st->lines[i]->data, st->lines[i]->len};
      total += st->lines[i]->len;
    }
    iov[0] = (struct iovec){hdr, (size_t)snprintf(hdr, sizeof hdr, "%zx\r\n",
                                                  total)};
    iov[k + 1] = (struct iovec){(char *)"\r\n", 2};
    if (!st->chunked)
      iov[0].iov_len = iov[k + 1].iov_len = 0;
    if (send_iov(st->fd, iov, (int)k + 2, &sent) != FLUSH_DONE)
      return FLUSH_ERROR;
    if (sent == 0)
      return FLUSH_AGAIN; /* nothing of this chunk went: it stays queued */
    st->last_flush_ms = now_ms();
    if (sent < iov[0].iov_len + total + iov[k + 1].iov_len &&
        keep_backlog(st, iov, (int)k + 2, sent) < 0)
      return FLUSH_ERROR;
    drop_lines(st, k);
    if (st->backlog != NULL)
      return FLUSH_AGAIN;
  }
  return FLUSH_DONE;
}

/* Flusher: writes one stream it was handed, and drops its reference. */
static void flush_stream(struct flusher *fl, struct stream *st) {
  int rc = FLUSH_DONE;

  pthread_mutex_lock(&st->mu);
  if (!st->gone && st->direct)
    rc = write_direct_locked(st);
  st->stalls = rc == FLUSH_AGAIN ? st->stalls + 1 : 0;
  if (rc == FLUSH_AGAIN && st->stalls < STALL_TICKS && !st->gone &&
      !st->finished) {
    /* A client a little behind: the next tick writes it one bigger
     * chunk, cheaper for both sides than libevent writing each bit of
     * room the socket frees. */
    pthread_mutex_lock(&fl->mu);
    flusher_push(&fl->tick, &fl->tick_tail, st);
    pthread_mutex_unlock(&fl->mu);
    pthread_mutex_unlock(&st->mu);
    return;
  }
  if (rc == FLUSH_ERROR) {
    /* The client is gone or broken: the loop ends the response, and sees
     * the connection close. */
    drop_lines(st, st->nlines);
    st->finished = 1;
  }
  st->queued = 0;
  /* Ending, or the client's socket stayed full: the loop takes the
   * stream back, to end the response, or to let libevent wait until the
   * socket drains (polling it on every tick would hold a slow client to
   * one socket buffer per tick). The loop keeps no more than OUT_HIGH of
   * it in evhttp's output; the rest waits in the queue, shared. (Waiting
   * for EV_WRITE here and handing the stream back to the flusher held
   * 20% less memory with 100 slow clients, but looked slower at 1,000
   * busy watchers.) */
  if (!st->gone && st->direct && (st->finished || rc == FLUSH_AGAIN)) {
    st->direct = 0;
    st->armed = 1;
    /* Under the mutex: once the loop closes the stream (gone), nothing
     * may wake it again. */
    event_active(st->wake, EV_WRITE, 0);
  }
  pthread_mutex_unlock(&st->mu);
  stream_unref(st);
}

static int64_t next_tick_ms(int64_t now) {
  return (now / FLUSH_MS + 1) * FLUSH_MS;
}

static void *flusher_main(void *arg) {
  struct flusher *fl = arg;
  struct stream *batch, *st, *next;

  pthread_setname_np(pthread_self(), "watch-flush");
  pthread_mutex_lock(&fl->mu);
  while (!fl->stop) {
    int64_t now = now_ms();

    if (fl->now != NULL) {
      batch = fl->now;
      fl->now = fl->now_tail = NULL;
    } else if (fl->tick != NULL) {
      if (fl->next_tick_ms == 0)
        fl->next_tick_ms = next_tick_ms(now - fl->offset_ms) + fl->offset_ms;
      if (now < fl->next_tick_ms) {
        struct timespec ts = {(time_t)(fl->next_tick_ms / 1000),
                              (long)(fl->next_tick_ms % 1000) * 1000000};

        fl->waiting = 1;
        pthread_cond_timedwait(&fl->cond, &fl->mu, &ts);
        fl->waiting = 0;
        continue;
      }
      batch = fl->tick;
      fl->tick = fl->tick_tail = NULL;
      fl->next_tick_ms = 0;
    } else {
      fl->waiting = 2;
      pthread_cond_wait(&fl->cond, &fl->mu);
      fl->waiting = 0;
      continue;
    }
    pthread_mutex_unlock(&fl->mu);
    for (st = batch; st != NULL; st = next) {
      next = st->fnext;
      flush_stream(fl, st);
    }
    pthread_mutex_lock(&fl->mu);
  }
  pthread_mutex_unlock(&fl->mu);
  return NULL;
}

static int flusher_start(struct flusher *fl) {
  pthread_condattr_t ca;

  pthread_mutex_init(&fl->mu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&fl->cond, &ca);
  pthread_condattr_destroy(&ca);
  if (pthread_create(&fl->thread, NULL, flusher_main, fl) != 0) {
    pthread_cond_destroy(&fl->cond);
    pthread_mutex_destroy(&fl->mu);
    return -1;
  }
  fl->started = 1;
  return 0;
}

/* After every stream is closed: the thread ends and drops the references
 * its lists still hold. */
static void flusher_stop(struct flusher *fl) {
  struct stream *lists[2], *st, *next;
  int i;

  if (fl->started) {
    pthread_mutex_lock(&fl->mu);
    fl->stop = 1;
    pthread_cond_signal(&fl->cond);
    pthread_mutex_unlock(&fl->mu);
    pthread_join(fl->thread, NULL);
  }
  lists[0] = fl->now;
  lists[1] = fl->tick;
  for (i = 0; i < 2; i++)
    for (st = lists[i]; st != NULL; st = next) {
      next = st->fnext;
      pthread_mutex_lock(&st->mu);
      st->queued = 0;
      pthread_mutex_unlock(&st->mu);
      stream_unref(st);
    }
  pthread_cond_destroy(&fl->cond);
  pthread_mutex_destroy(&fl->mu);
}

/* ------------------------------------------------------------ loop side */

/* Loop thread, st->mu held: the socket can be written directly from now
 * on (plain HTTP, and evhttp has written everything it was given). */
static int can_go_direct(struct stream *st) {
  struct evhttp_connection *conn;
  struct bufferevent *bev;

  if (st->req == NULL || st->fl == NULL || st->finished ||
      st->backlog != NULL ||
      (conn = evhttp_request_get_connection(st->req)) == NULL ||
      (bev = evhttp_connection_get_bufferevent(conn)) == NULL ||
      bufferevent_openssl_get_ssl(bev) != NULL ||
      evbuffer_get_length(bufferevent_get_output(bev)) > 0)
    return 0;
  st->fd = bufferevent_getfd(bev);
  /* evhttp chunks a started reply only for HTTP/1.1 clients, and says so
   * in the headers it sent. */
  st->chunked = evhttp_find_header(evhttp_request_get_output_headers(st->req),
                                   "Transfer-Encoding") != NULL;
  return st->fd >= 0;
}

/* Loop thread: the bufferevent of st's connection, or NULL. */
static struct bufferevent *stream_bev(struct stream *st) {
  struct evhttp_connection *conn =
      st->req != NULL ? evhttp_request_get_connection(st->req) : NULL;

  return conn != NULL ? evhttp_connection_get_bufferevent(conn) : NULL;
}

/* Loop thread, st->mu held: the rest of a chunk a flusher could not write
 * goes to the connection's output as it is (it is framed already), ahead
 * of anything evhttp writes next. */
static void take_backlog(struct stream *st) {
  struct bufferevent *bev = stream_bev(st);

  if (bev == NULL ||
      bufferevent_write(bev, st->backlog + st->backlog_off,
                        st->backlog_len - st->backlog_off) != 0)
    st->finished = 1; /* a stream missing part of a chunk cannot go on */
  free(st->backlog);
  st->backlog = NULL;
}

/* Loop thread: bytes in st's connection's output, not yet on the socket
 * (a client that reads slowly, on the loop's side). */
static size_t conn_output_len(struct stream *st) {
  struct bufferevent *bev = stream_bev(st);

  return bev != NULL ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

/* Loop thread, evhttp's output changed: once a client that was behind
 * has read it down to OUT_LOW, its queued lines go out. */
static void on_out_drained(struct evbuffer *buf,
                           const struct evbuffer_cb_info *info, void *arg) {
  struct stream *st = arg;
  int wake = 0;

  if (info->n_deleted == 0 || evbuffer_get_length(buf) > OUT_LOW)
    return;
  pthread_mutex_lock(&st->mu);
  if (st->draining && !st->gone) {
    st->draining = 0;
    wake = 1;
  }
  pthread_mutex_unlock(&st->mu);
  if (wake)
    event_active(st->wake, EV_WRITE, 0);
}

/* Loop thread, st->mu held: waits for the connection's output to drain
 * (registering on_out_drained once). Returns 0, or -1 when it cannot
 * (the caller then writes as before). */
static int watch_drain(struct stream *st) {
  struct bufferevent *bev = stream_bev(st);

  if (bev == NULL)
    return -1;
  if (st->drain_cb == NULL) {
    st->out_buf = bufferevent_get_output(bev);
    st->drain_cb = evbuffer_add_cb(st->out_buf, on_out_drained, st);
    if (st->drain_cb == NULL)
      return -1;
  }
  st->draining = 1;
  st->armed = 1;
  return 0;
}

/* Loop thread: writes what the workers and the store queued, or, when the
 * last write was under FLUSH_MS ago and the loop has no early credit
 * left, comes back when it is due; a direct stream goes to its flusher
 * instead. */
static void on_wake(evutil_socket_t fd, short what, void *arg) {
  struct stream *st = arg;
  struct evbuffer *out;
  int64_t now = now_ms(), wait_ms;
  size_t i;
  int fin;

  (void)fd;
  (void)what;
  pthread_mutex_lock(&st->mu);
  if (!st->direct && st->backlog != NULL)
    take_backlog(st);
  if (st->direct || (!st->gone && can_go_direct(st))) {
    st->direct = 1;
    st->armed = 0;
    if (st->nlines > 0 || st->finished)
      flusher_queue_locked(st);
    pthread_mutex_unlock(&st->mu);
    return;
  }
  if (overflow_locked(st, conn_output_len(st)))
    st->finished = 1;
  fin = st->finished;
  if (!fin && conn_output_len(st) >= OUT_HIGH && watch_drain(st) == 0) {
    /* The client is behind: its lines wait here, shared, until evhttp's
     * output drains (on_out_drained), instead of a private copy each.
     * armed stays set: no wake until then. */
    pthread_mutex_unlock(&st->mu);
    return;
  }
  wait_ms = st->last_flush_ms + FLUSH_MS - now;
  if (!fin && wait_ms > 0 && st->req != NULL &&
      !(st->nlines > 0 && early_take(&st->reg->early, now))) {
    /* To the next tick boundary, where the other busy streams go too. */
    struct timeval tv = {0, (suseconds_t)(next_tick_ms(now) - now) * 1000};

    pthread_mutex_unlock(&st->mu);
    event_add(st->wake, &tv);
    return;
  }
  st->armed = 0;
  assert(!st->overflowed || st->nlines == 0);
  out = evbuffer_new();
  /* Copied, not referenced: evbuffer spends a 512-byte chain on each
   * reference, more than most lines, which the output's length (what
   * the bound counts) does not show; a copy costs what it says. (Plain
   * HTTP streams, direct, write their shared lines with no copy.) */
  for (i = 0; out != NULL && i < st->nlines; i++)
    if (evbuffer_add(out, st->lines[i]->data, st->lines[i]->len) != 0)
      break;
  /* Out of memory, the stream ends after what it could take, so the
   * client re-watches from there rather than missing events. */
  if (i < st->nlines)
    st->finished = fin = 1;
  drop_lines(st, st->nlines);
  /* evhttp frees the copy once it is written: count it now, as the heap
   * is trimmed long after either. */
  if (out != NULL)
    cp_memtrim_freed(evbuffer_get_length(out));
  if (st->req != NULL && out != NULL && evbuffer_get_length(out) > 0)
    st->last_flush_ms = now;
  pthread_mutex_unlock(&st->mu);
  if (out != NULL && st->req != NULL && evbuffer_get_length(out) > 0)
    evhttp_send_reply_chunk(st->req, out);
  if (out != NULL)
    evbuffer_free(out);
  if (fin)
    stream_close(st, 1);
}

/* With st->mu held, after queueing: a direct stream with something to
 * write goes to its flusher; otherwise 1 when the caller must activate
 * the wake event (it is neither active nor timed yet). force: even with
 * nothing queued. */
static int notify_locked(struct stream *st, int force) {
  int work = st->nlines > 0 || st->finished;

  if (st->direct) {
    if (work)
      flusher_queue_locked(st);
    return 0;
  }
  if ((!work && !force) || st->armed)
    return 0;
  st->armed = 1;
  return 1;
}

/* ------------------------------------------------------------ events */

static void append_line(struct stream *st, const char *type,
                        const char *object) {
  push_line(st, wline_printf("{\"type\":\"%s\",\"object\":%s}\n", type,
                             object));
}

static void append_object(struct stream *st, const char *type,
                          json_object *o) {
  char *text = cp_api_to_text(o), *t;

  /* A Table list must go on as Table events, or kubectl's output changes
   * format mid-stream. */
  if (text != NULL && st->table &&
      (t = cp_table_render(st->rq.type, text, strlen(text), 0,
                           (long long)time(NULL))) != NULL) {
    free(text);
    text = t;
  }
  if (text != NULL)
    append_line(st, type, text);
  else
    push_line(st, NULL);
  free(text);
}

static void append_bookmark(struct stream *st, int64_t rev, int end) {
  char gv[256];

  cp_resource_group_version(st->rq.type, gv, sizeof gv);
  push_line(st,
            wline_printf("{\"type\":\"BOOKMARK\",\"object\":{\"kind\":"
                         "\"%s\",\"apiVersion\":\"%s\",\"metadata\":{"
                         "\"resourceVersion\":\"%" PRId64 "\"%s}}}\n",
                         st->rq.type->kind, gv, rev,
                         end ? ",\"annotations\":{\"k8s.io/initial-events-"
                               "end\":\"true\"}"
                             : ""));
  st->last_bookmark_ms = now_ms();
}

static void append_expired(struct stream *st, int64_t compacted) {
  char *msg = NULL, *status;

  if (asprintf(&msg, "too old resource version: %" PRId64 " (%" PRId64 ")",
               st->from_rev, compacted) < 0)
    return;
  status = cp_status_failure(410, "Expired", msg, NULL);
  if (status != NULL)
    append_line(st, "ERROR", status);
  free(status);
  free(msg);
}

/* The line for ev with no selectors (ADDED, MODIFIED or DELETED by the
 * previous value) as a client of type t sees it, or NULL. malloc'd. */
static struct wline *encode_plain(const struct cp_resource_type *t,
                                  const cp_store_event *ev) {
  json_object *o;
  cp_store_kv k;
  char *text;
  struct wline *line = NULL;
  const char *type;

  if (ev->type == CP_STORE_EVENT_DELETE) {
    if (ev->prev.mod_revision == 0)
      return NULL;
    k = ev->prev;
    k.mod_revision = ev->kv.mod_revision;
    o = cp_api_parse_stored(t, &k);
    type = "DELETED";
  } else {
    o = cp_api_parse_stored(t, &ev->kv);
    type = ev->prev.mod_revision != 0 ? "MODIFIED" : "ADDED";
  }
  text = o != NULL ? cp_api_to_text(o) : NULL;
  json_object_put(o);
  if (text != NULL)
    line = wline_printf("{\"type\":\"%s\",\"object\":%s}\n", type, text);
  free(text);
  return line;
}

/* cache_mu held: empties slot c. */
static void cache_drop(struct cp_watch_registry *r, struct cached_line *c) {
  if (c->line != NULL)
    r->cache_bytes -= c->line->len;
  wline_unref(c->line);
  c->line = NULL;
  c->rev = 0;
}

/* cache_mu held: over LINE_CACHE_BYTES, empties the slots after rev's,
 * which hold the oldest revisions (the cache is indexed by revision),
 * until under it. rev's own line stays, however big. */
static void cache_trim(struct cp_watch_registry *r, int64_t rev) {
  size_t k;

  for (k = 1; k < LINE_CACHE && r->cache_bytes > LINE_CACHE_BYTES; k++)
    cache_drop(r, &r->cache[((uint64_t)rev + k) % LINE_CACHE]);
}

static void append_cached(struct stream *st, const cp_store_event *ev) {
  struct cp_watch_registry *r = st->reg;
  int64_t rev = ev->kv.mod_revision;
  struct cached_line *c = &r->cache[(uint64_t)rev % LINE_CACHE];

  pthread_mutex_lock(&r->cache_mu);
  if (c->rev != rev || c->type != st->rq.type) {
    cache_drop(r, c);
    c->rev = rev;
    c->type = st->rq.type;
    c->line = encode_plain(st->rq.type, ev);
    if (c->line != NULL) {
      r->cache_bytes += c->line->len;
      cache_trim(r, rev);
    }
  }
  if (c->line != NULL) {
    atomic_fetch_add(&c->line->refs, 1);
    push_line(st, c->line);
  }
  pthread_mutex_unlock(&r->cache_mu);
}

/* One store event as the client should see it, given the selectors:
 * entering the selection is ADDED, leaving it DELETED. */
static void append_event(struct stream *st, const cp_store_event *ev) {
  json_object *cur = NULL, *old = NULL;
  int in_new = 0, in_old = 0;

  if (ev->type == CP_STORE_EVENT_DELETE) {
    if (ev->prev.mod_revision == 0)
      return;
    cp_store_kv k = ev->prev;

    k.mod_revision = ev->kv.mod_revision;
    old = cp_api_parse_stored(st->rq.type, &k);
    if (old != NULL && cp_api_selectors_match(st->sel, old))
      append_object(st, "DELETED", old);
    json_object_put(old);
    return;
  }
  cur = cp_api_parse_stored(st->rq.type, &ev->kv);
  if (cur == NULL)
    return;
  in_new = cp_api_selectors_match(st->sel, cur);
  if (ev->prev.mod_revision != 0 && st->sel != NULL) {
    old = cp_api_parse_stored(st->rq.type, &ev->prev);
    in_old = old != NULL && cp_api_selectors_match(st->sel, old);
  } else {
    in_old = ev->prev.mod_revision != 0;
  }
  if (in_new)
    append_object(st, in_old ? "MODIFIED" : "ADDED", cur);
  else if (in_old)
    append_object(st, "DELETED", cur);
  json_object_put(cur);
  json_object_put(old);
}

/* Store thread: queue and wake the loop. */
static void on_store(void *userdata, const cp_store_watch_msg *msg) {
  struct stream *st = userdata;
  size_t i;
  int activate, was_over;

  pthread_mutex_lock(&st->mu);
  if (st->gone) {
    pthread_mutex_unlock(&st->mu);
    return;
  }
  if ((msg->kind == CP_STORE_WATCH_EVENTS ||
       msg->kind == CP_STORE_WATCH_PROGRESS) &&
      msg->revision > st->seen_rev)
    st->seen_rev = msg->revision;
  switch (msg->kind) {
  case CP_STORE_WATCH_EVENTS:
    for (i = 0; i < msg->count; i++) {
      if (st->sel == NULL && !st->table)
        append_cached(st, &msg->events[i]);
      else
        append_event(st, &msg->events[i]);
    }
    break;
  case CP_STORE_WATCH_PROGRESS:
    if (st->bookmarks && now_ms() - st->last_bookmark_ms >= BOOKMARK_EVERY_MS)
      append_bookmark(st, msg->revision, 0);
    break;
  case CP_STORE_WATCH_COMPACTED:
    append_expired(st, msg->revision);
    st->finished = 1;
    break;
  default:
    st->finished = 1;
  }
  was_over = st->overflowed;
  overflow_locked(st, st->backlog != NULL ? st->backlog_len - st->backlog_off
                                          : 0);
  activate = notify_locked(st, 0);
  if (!was_over && st->overflowed && !st->direct && st->draining) {
    /* Waiting for a client that stopped reading: end it now. */
    st->draining = 0;
    activate = 1;
  }
  pthread_mutex_unlock(&st->mu);
  if (activate)
    event_active(st->wake, EV_WRITE, 0);
}

/* ------------------------------------------------------------ start */

/* Worker: the initial objects (if asked), then the store watch. */
static void init_job(void *arg) {
  struct stream *st = arg;
  struct cp_api_ctx *ctx = st->reg->ctx;
  cp_store_list_result res;
  uint8_t *start = NULL;
  size_t start_len = 0, i;
  int64_t rev = st->from_rev;
  cp_store_watcher *sw = NULL;
  cp_watch_sub *sub = NULL;
  char *type_prefix = NULL;
  int rc = CPLANE_OK, gone, activate;

  memset(&res, 0, sizeof res);
  if (st->initial) {
    rev = 0;
    for (;;) {
      rc = cp_store_list(ctx->store, st->prefix, strlen(st->prefix),
                         start ? start : (const uint8_t *)st->prefix,
                         start ? start_len : strlen(st->prefix), rev,
                         LIST_PAGE, &res);
      free(start);
      start = NULL;
      if (rc != CPLANE_OK)
        break;
      rev = res.revision;
      pthread_mutex_lock(&st->mu);
      for (i = 0; i < res.count; i++) {
        json_object *o = cp_api_parse_stored(st->rq.type, &res.kvs[i]);

        if (o != NULL && cp_api_selectors_match(st->sel, o))
          append_object(st, "ADDED", o);
        json_object_put(o);
      }
      pthread_mutex_unlock(&st->mu);
      if (res.more)
        start = cp_store_list_next_key(&res, &start_len);
      cp_store_list_result_free(&res);
      if (start == NULL)
        break;
    }
    if (rc == CPLANE_OK && rev == 0)
      rc = cp_store_current_revision(ctx->store, &rev);
    st->from_rev = rev;
  }
  /* The end of the initial events goes before any watch event can. */
  if (rc == CPLANE_OK) {
    pthread_mutex_lock(&st->mu);
    /* The initial list is what the client asked for, however big: the
     * bound is on falling behind the events after it. */
    st->limit_bytes = st->reg->stream_bytes + st->qbytes;
    if (st->initial_end_bookmark)
      append_bookmark(st, rev, 1);
    if (rev > st->seen_rev)
      st->seen_rev = rev;
    pthread_mutex_unlock(&st->mu);
  }
  if (rc == CPLANE_OK) {
    type_prefix = cp_api_key(st->rq.type, NULL, NULL);
    rc = type_prefix != NULL
             ? cp_watch_cache_subscribe(st->reg->shared, type_prefix,
                                        st->prefix, rev + 1, on_store, st,
                                        &sub)
             : CPLANE_ENOMEM;
    free(type_prefix);
    if (rc == CP_WATCH_CACHE_MISS)
      rc = cp_store_watch(ctx->store, st->prefix, strlen(st->prefix),
                          rev + 1, on_store, st, &sw);
  }
  pthread_mutex_lock(&st->mu);
  if (rc == CP_STORE_ECOMPACTED) {
    append_expired(st, rev);
    st->finished = 1;
  } else if (rc == CP_STORE_EFUTURE) {
    char *s = cp_status_failuref(504, "Too large resource version: %" PRId64
                                      ", the store is older",
                                 rev);

    if (s != NULL)
      append_line(st, "ERROR", s);
    free(s);
    st->finished = 1;
  } else if (rc != CPLANE_OK) {
    st->finished = 1;
  }
  gone = st->gone;
  if (!gone) {
    st->sw = sw;
    st->sub = sub;
  }
  activate = !gone && notify_locked(st, 1);
  pthread_mutex_unlock(&st->mu);
  if (gone)
    stop_source(sw, sub);
  if (activate)
    event_active(st->wake, EV_WRITE, 0);
  stream_unref(st);
}

static void reply_status(struct evhttp_request *req, int code, char *body) {
  struct evbuffer *b = evbuffer_new();

  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                    "application/json");
  if (b != NULL && body != NULL)
    evbuffer_add(b, body, strlen(body));
  cp_audit_reply(req, code, NULL, body, body ? strlen(body) : 0);
  evhttp_send_reply(req, code, cp_status_reason_for(code), b);
  if (b != NULL)
    evbuffer_free(b);
  free(body);
}

/* Reads the watch parameters; replies and returns -1 on a bad one. */
static int parse_params(struct stream *st, struct evhttp_request *req) {
  struct cp_query *q = &st->rq.query;
  const char *rv = cp_query_get(q, "resourceVersion");
  const char *match = cp_query_get(q, "resourceVersionMatch");
  int send_initial = cp_query_bool(q, "sendInitialEvents");
  int64_t t = 0, n = 0;
  struct cp_api_response rs = {0};

  if (send_initial && (match == NULL || strcmp(match, "NotOlderThan") != 0)) {
    reply_status(req, 422, cp_status_failuref(
                               422, "sendInitialEvents requires "
                                    "resourceVersionMatch=NotOlderThan"));
    return -1;
  }
  if (!send_initial && match != NULL && match[0] != '\0') {
    reply_status(req, 422, cp_status_failuref(
                               422, "resourceVersionMatch is forbidden for "
                                    "watch unless sendInitialEvents is "
                                    "set"));
    return -1;
  }
  if (rv != NULL && rv[0] != '\0' && strcmp(rv, "0") != 0) {
    if (cp_query_int(q, "resourceVersion", 1, INT64_MAX, &n) != 1) {
      reply_status(req, 400, cp_status_failuref(
                                 400, "invalid resourceVersion \"%s\"", rv));
      return -1;
    }
    st->from_rev = n;
  }
  st->initial = send_initial || rv == NULL || rv[0] == '\0' ||
                strcmp(rv, "0") == 0;
  st->initial_end_bookmark = send_initial;
  st->bookmarks = cp_query_bool(q, "allowWatchBookmarks");
  st->table = cp_table_wanted(st->rq.accept);
  {
    char gv[256];

    cp_resource_group_version(st->rq.type, gv, sizeof gv);
    st->protobuf = !st->table && cp_protobuf_wanted(st->rq.accept) &&
                   cp_protobuf_known(gv, st->rq.type->kind);
  }
  if (cp_query_int(q, "timeoutSeconds", 0, 24 * 3600, &t) < 0) {
    reply_status(req, 400, cp_status_failuref(
                               400, "timeoutSeconds must be a number of "
                                    "seconds"));
    return -1;
  }
  if (t == 0) {
    /* kube-apiserver's default: 30 to 60 minutes. */
    unsigned r = 0;

    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
      r = (unsigned)time(NULL);
    t = 1800 + r % 1800;
  }
  {
    struct timeval tv = {(time_t)t, 0};

    evtimer_add(st->timer, &tv);
  }
  if (cp_api_selectors_parse(&st->rq, &st->sel, &rs) < 0) {
    reply_status(req, rs.code, rs.body);
    return -1;
  }
  return 0;
}

void cp_watch_start(struct cp_watch_registry *r, struct evhttp_request *req,
                    struct cp_api_request *rq) {
  struct stream *st = calloc(1, sizeof *st);

  if (st == NULL) {
    cp_api_request_clear(rq);
    reply_status(req, 500, cp_status_failuref(500, "out of memory"));
    return;
  }
  st->reg = r;
  st->rq = *rq;
  memset(rq, 0, sizeof *rq);
  pthread_mutex_init(&st->mu, NULL);
  st->fl = r->nfl > 0 ? &r->fl[r->next_fl++ % r->nfl] : NULL;
  st->fd = -1;
  st->limit_bytes = r->stream_bytes;
  st->wake = event_new(r->base, -1, 0, on_wake, st);
  if (st->wake != NULL)
    event_priority_set(st->wake, 2); /* after replies and requests */
  st->timer = evtimer_new(r->base, on_timeout, st);
  st->prefix = cp_api_key(st->rq.type, st->rq.ns, NULL);
  st->last_bookmark_ms = now_ms();
  if (st->wake == NULL || st->timer == NULL ||
      st->prefix == NULL) {
    reply_status(req, 500, cp_status_failuref(500, "out of memory"));
    stream_free(st);
    return;
  }
  if (parse_params(st, req) < 0) {
    evtimer_del(st->timer);
    stream_free(st);
    return;
  }
  st->req = req;
  st->refs = 2; /* the loop and the init job */
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                    st->protobuf ? CP_PROTOBUF_WATCH_CONTENT_TYPE
                                 : "application/json");
  cp_audit_reply(req, 200, NULL, NULL, 0); /* ResponseStarted */
  evhttp_send_reply_start(req, 200, "OK");
  evhttp_connection_set_closecb(evhttp_request_get_connection(req),
                                on_client_close, st);
  st->next = r->streams;
  if (r->streams != NULL)
    r->streams->prev = st;
  r->streams = st;
  r->count++;
  if (r->submit(r->pool, init_job, st) != 0) {
    st->refs--;
    stream_close(st, 1);
  }
}

/* Worker: malloc_trim can take a while on a big heap, so not on the loop. */
static void trim_job(void *arg) {
  (void)arg;
  cp_memtrim_run();
}

/* Loop thread, every TRIM_EVERY_MS: after a burst (slow watchers closed,
 * a big list written, the caches turned over) glibc keeps the freed
 * pages; handing them back keeps the server's footprint what it uses. */
static void on_trim_tick(evutil_socket_t fd, short what, void *arg) {
  struct cp_watch_registry *r = arg;

  (void)fd;
  (void)what;
  if (cp_memtrim_due())
    r->submit(r->pool, trim_job, NULL);
}

struct cp_watch_registry *cp_watch_registry_new(
    struct event_base *base, struct cp_api_ctx *ctx,
    const struct cp_watch_limits *limits, cp_watch_submit_fn submit,
    void *pool) {
  struct cp_watch_registry *r = calloc(1, sizeof *r);
  struct timeval every = {TRIM_EVERY_MS / 1000, TRIM_EVERY_MS % 1000 * 1000};

  if (r == NULL)
    return NULL;
  r->base = base;
  r->stream_bytes = limits != NULL && limits->stream_bytes > 0
                        ? limits->stream_bytes
                        : DEFAULT_STREAM_BYTES;
  r->shared = cp_watch_cache_new(ctx->store, 0,
                                 limits != NULL ? limits->cache_bytes : 0);
  r->trim = event_new(base, -1, EV_PERSIST, on_trim_tick, r);
  if (r->shared == NULL || r->trim == NULL) {
    cp_watch_cache_free(r->shared);
    if (r->trim != NULL)
      event_free(r->trim);
    free(r);
    return NULL;
  }
  event_add(r->trim, &every);
  pthread_mutex_init(&r->cache_mu, NULL);
  pthread_mutex_init(&r->term_mu, NULL);
  r->ctx = ctx;
  r->submit = submit;
  r->pool = pool;
  /* One flusher per core (the loop and the clients share them): without
   * one, streams stay on the loop, which still works. */
  {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t want = cpus < 1 ? 1 : cpus > MAX_FLUSHERS ? MAX_FLUSHERS
                                                     : (size_t)cpus;

    /* Staggered ticks: one flusher's burst of writes at a time, while
     * the other cores are free for the clients reading the last one's. */
    while (r->nfl < want) {
      r->fl[r->nfl].offset_ms = (int64_t)r->nfl * FLUSH_MS / (int64_t)want;
      if (flusher_start(&r->fl[r->nfl]) != 0)
        break;
      r->nfl++;
    }
  }
  return r;
}

void cp_watch_registry_free(struct cp_watch_registry *r) {
  size_t i;

  if (r == NULL)
    return;
  event_free(r->trim);
  while (r->streams != NULL)
    stream_close(r->streams, 1);
  for (i = 0; i < r->nfl; i++)
    flusher_stop(&r->fl[i]);
  cp_watch_cache_free(r->shared);
  for (i = 0; i < LINE_CACHE; i++)
    wline_unref(r->cache[i].line);
  pthread_mutex_destroy(&r->cache_mu);
  pthread_mutex_destroy(&r->term_mu);
  free(r);
}

size_t cp_watch_count(struct cp_watch_registry *r) { return r->count; }

int cp_watch_metrics_write(struct cp_watch_registry *r, FILE *out) {
  const char *names[256];
  size_t counts[256], n = 0, i;
  struct stream *st;

  for (st = r->streams; st != NULL; st = st->next) {
    for (i = 0; i < n && strcmp(names[i], st->rq.type->resource) != 0; i++)
      ;
    if (i == n && n < 256) {
      names[n] = st->rq.type->resource;
      counts[n++] = 0;
    }
    if (i < n)
      counts[i]++;
  }
  fputs("# HELP apiserver_registered_watchers Number of currently "
        "registered watchers for a given resource.\n"
        "# TYPE apiserver_registered_watchers gauge\n", out);
  for (i = 0; i < n; i++)
    fprintf(out, "apiserver_registered_watchers{resource=\"%s\"} %zu\n",
            names[i], counts[i]);
  fputs("# HELP apiserver_terminated_watchers_total Counter of watchers "
        "closed due to unresponsiveness broken by resource type.\n"
        "# TYPE apiserver_terminated_watchers_total counter\n", out);
  pthread_mutex_lock(&r->term_mu);
  for (i = 0; i < r->nterm; i++)
    fprintf(out, "apiserver_terminated_watchers_total{group=\"%s\","
                 "resource=\"%s\"} %lu\n",
            r->term[i].group, r->term[i].resource, r->term[i].count);
  pthread_mutex_unlock(&r->term_mu);
  return ferror(out) ? -1 : 0;
}
