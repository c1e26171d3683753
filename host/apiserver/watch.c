/*
 * watch - see watch.h.
 *
 * A stream has up to three owners at once: the loop (until the response
 * ends or the client leaves), the worker running its initial list and
 * store-watch start, and the store watch itself (until cancelled). The
 * first two hold references; the store watch is cancelled before the last
 * reference goes, so no callback can see a freed stream.
 */
#include "apiserver/watch.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "apiserver/status.h"
#include "apiserver/table.h"
#include "apiserver/watchcache.h"
#include "log/log.h"

#define BOOKMARK_EVERY_MS 60000
#define LIST_PAGE 500
/* A busy stream is written at most once per FLUSH_MS, on a tick shared by
 * every stream: with 1,000 watchers and 1,000 events/s, one write (and one
 * client wake-up) per event would be a million system calls a second, and
 * ticks that line up let the loop and the clients do their writes and
 * reads in bursts instead of being woken all the time. An idle stream's
 * first event still goes out at once, so a quiet watch sees no delay. */
#define FLUSH_MS 20

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

  pthread_mutex_t mu; /* guards what follows */
  struct evbuffer *pending;
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
  int64_t last_flush_ms; /* loop thread only */

  struct stream *next, *prev; /* the registry's list; loop thread */
};

/* The encoded line of one event, shared by every watcher without
 * selectors: with 1,000 watchers an event is parsed and printed once, not
 * 1,000 times (the store delivers each event to every watcher in turn). */
#define LINE_CACHE 4096

struct cached_line {
  int64_t rev;
  const struct cp_resource_type *type;
  char *line; /* NULL: empty, or the event is skipped */
  size_t len;
};

struct cp_watch_registry {
  struct event_base *base;
  struct cp_watch_cache *shared; /* one store watch per type */
  pthread_mutex_t cache_mu;
  struct cached_line cache[LINE_CACHE];
  struct cp_api_ctx *ctx;
  cp_watch_submit_fn submit;
  void *pool;
  struct stream *streams;
  size_t count;
};

static int64_t now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ lifetime */

static void stream_free(struct stream *st) {
  if (st->wake != NULL)
    event_free(st->wake);
  if (st->timer != NULL)
    event_free(st->timer);
  evbuffer_free(st->pending);
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
  pthread_mutex_unlock(&st->mu);
  /* First: after this no store callback touches the stream. */
  stop_source(sw, sub);
  evtimer_del(st->timer);
  event_del(st->wake);
  if (st->req != NULL) {
    evhttp_connection_set_closecb(evhttp_request_get_connection(st->req),
                                  NULL, NULL);
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

/* Loop thread: writes what the workers and the store queued, or, when the
 * last write was under FLUSH_MS ago, comes back when it is due. */
static void on_wake(evutil_socket_t fd, short what, void *arg) {
  struct stream *st = arg;
  struct evbuffer *out;
  int64_t now = now_ms(), wait_ms;
  int fin;

  (void)fd;
  (void)what;
  pthread_mutex_lock(&st->mu);
  fin = st->finished;
  wait_ms = st->last_flush_ms + FLUSH_MS - now;
  if (!fin && wait_ms > 0 && st->req != NULL) {
    /* To the next tick boundary, where the other busy streams go too. */
    struct timeval tv = {0, (suseconds_t)(FLUSH_MS - now % FLUSH_MS) * 1000};

    pthread_mutex_unlock(&st->mu);
    event_add(st->wake, &tv);
    return;
  }
  st->armed = 0;
  out = evbuffer_new();
  if (out != NULL)
    evbuffer_add_buffer(out, st->pending);
  pthread_mutex_unlock(&st->mu);
  if (out == NULL)
    return;
  if (st->req != NULL && evbuffer_get_length(out) > 0) {
    evhttp_send_reply_chunk(st->req, out);
    st->last_flush_ms = now;
  }
  evbuffer_free(out);
  if (fin)
    stream_close(st, 1);
}

/* With st->mu held: 1 when the caller must activate the wake event (it is
 * neither active nor timed yet). */
static int arm_locked(struct stream *st) {
  if (st->armed)
    return 0;
  st->armed = 1;
  return 1;
}

/* ------------------------------------------------------------ lines */

static void append_line(struct stream *st, const char *type,
                        const char *object) {
  evbuffer_add_printf(st->pending, "{\"type\":\"%s\",\"object\":%s}\n", type,
                      object);
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
  free(text);
}

static void append_bookmark(struct stream *st, int64_t rev, int end) {
  char gv[256];

  cp_resource_group_version(st->rq.type, gv, sizeof gv);
  evbuffer_add_printf(st->pending,
                      "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\","
                      "\"apiVersion\":\"%s\",\"metadata\":{"
                      "\"resourceVersion\":\"%" PRId64 "\"%s}}}\n",
                      st->rq.type->kind, gv, rev,
                      end ? ",\"annotations\":{\"k8s.io/initial-events-end\":"
                            "\"true\"}"
                          : "");
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
 * previous value), or NULL. malloc'd. */
static char *encode_plain(const cp_store_event *ev, size_t *len) {
  json_object *o;
  cp_store_kv k;
  char *text, *line = NULL;
  const char *type;
  int n;

  if (ev->type == CP_STORE_EVENT_DELETE) {
    if (ev->prev.mod_revision == 0)
      return NULL;
    k = ev->prev;
    k.mod_revision = ev->kv.mod_revision;
    o = cp_api_parse_stored(&k);
    type = "DELETED";
  } else {
    o = cp_api_parse_stored(&ev->kv);
    type = ev->prev.mod_revision != 0 ? "MODIFIED" : "ADDED";
  }
  text = o != NULL ? cp_api_to_text(o) : NULL;
  json_object_put(o);
  if (text != NULL &&
      (n = asprintf(&line, "{\"type\":\"%s\",\"object\":%s}\n", type,
                    text)) >= 0)
    *len = (size_t)n;
  else
    line = NULL;
  free(text);
  return line;
}

static void append_cached(struct stream *st, const cp_store_event *ev) {
  struct cp_watch_registry *r = st->reg;
  int64_t rev = ev->kv.mod_revision;
  struct cached_line *c = &r->cache[(uint64_t)rev % LINE_CACHE];

  pthread_mutex_lock(&r->cache_mu);
  if (c->rev != rev || c->type != st->rq.type) {
    free(c->line);
    c->rev = rev;
    c->type = st->rq.type;
    c->line = encode_plain(ev, &c->len);
  }
  if (c->line != NULL)
    evbuffer_add(st->pending, c->line, c->len);
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
    old = cp_api_parse_stored(&k);
    if (old != NULL && cp_api_selectors_match(st->sel, old))
      append_object(st, "DELETED", old);
    json_object_put(old);
    return;
  }
  cur = cp_api_parse_stored(&ev->kv);
  if (cur == NULL)
    return;
  in_new = cp_api_selectors_match(st->sel, cur);
  if (ev->prev.mod_revision != 0 && st->sel != NULL) {
    old = cp_api_parse_stored(&ev->prev);
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
  int activate;

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
  activate = evbuffer_get_length(st->pending) > 0 || st->finished
                 ? arm_locked(st)
                 : 0;
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
  int rc = CPLANE_OK, gone;

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
        json_object *o = cp_api_parse_stored(&res.kvs[i]);

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
  st->armed = 1;
  pthread_mutex_unlock(&st->mu);
  if (gone)
    stop_source(sw, sub);
  if (!gone)
    event_active(st->wake, EV_WRITE, 0);
  stream_unref(st);
}

static void reply_status(struct evhttp_request *req, int code, char *body) {
  struct evbuffer *b = evbuffer_new();

  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                    "application/json");
  if (b != NULL && body != NULL)
    evbuffer_add(b, body, strlen(body));
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
  st->pending = evbuffer_new();
  st->wake = event_new(r->base, -1, 0, on_wake, st);
  if (st->wake != NULL)
    event_priority_set(st->wake, 2); /* after replies and requests */
  st->timer = evtimer_new(r->base, on_timeout, st);
  st->prefix = cp_api_key(st->rq.type, st->rq.ns, NULL);
  st->last_bookmark_ms = now_ms();
  if (st->pending == NULL || st->wake == NULL || st->timer == NULL ||
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
                    "application/json");
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

struct cp_watch_registry *cp_watch_registry_new(struct event_base *base,
                                                struct cp_api_ctx *ctx,
                                                cp_watch_submit_fn submit,
                                                void *pool) {
  struct cp_watch_registry *r = calloc(1, sizeof *r);

  if (r == NULL)
    return NULL;
  r->base = base;
  r->shared = cp_watch_cache_new(ctx->store, 0);
  if (r->shared == NULL) {
    free(r);
    return NULL;
  }
  pthread_mutex_init(&r->cache_mu, NULL);
  r->ctx = ctx;
  r->submit = submit;
  r->pool = pool;
  return r;
}

void cp_watch_registry_free(struct cp_watch_registry *r) {
  size_t i;

  if (r == NULL)
    return;
  while (r->streams != NULL)
    stream_close(r->streams, 1);
  cp_watch_cache_free(r->shared);
  for (i = 0; i < LINE_CACHE; i++)
    free(r->cache[i].line);
  pthread_mutex_destroy(&r->cache_mu);
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
  return ferror(out) ? -1 : 0;
}
