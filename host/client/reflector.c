/*
 * reflector - see reflector.h. Follows client-go's reflector
 * (controllers.md §1.2).
 */
#include "client/reflector.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <event2/http.h>

#include "clock/clock.h"
#include "clock/deadline.h"
#include "log/log.h"
#include "object/object.h"

#define PAGE 500
#define SHORT_WATCH_MS 1000

/* client-go's: minWatchTimeout 5 min, backoff 800 ms doubling to 30 s,
 * reset after 2 minutes without a failure. */
static const struct cp_reflector_timing default_timing = {
    .watch_timeout_s = 300,
    .idle_ms = 150000,
    .backoff_min_ms = 800,
    .backoff_max_ms = 30000,
    .healthy_reset_ms = 120000,
};

struct cp_reflector {
  struct cp_client *client;
  cp_informer *inf;
  char *name, *path, *selectors; /* selectors: "&labelSelector=..." */
  pthread_t thread;
  int running;
  atomic_int stop;
  struct cp_client_stream *stream;
  pthread_mutex_t mu; /* guards stats and the sleep */
  pthread_cond_t cv;
  struct cp_reflector_stats stats;
  struct cp_reflector_timing timing;
  char rv[32];
  int initial_done; /* the last WatchList stream delivered its state */
};

static int64_t now_ms(void) { return cp_now_ms(); }

static unsigned rnd(void) {
  unsigned r = 0;

  if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
    r = (unsigned)time(NULL);
  return r;
}

static void count(struct cp_reflector *r, uint64_t *field) {
  pthread_mutex_lock(&r->mu);
  (*field)++;
  pthread_mutex_unlock(&r->mu);
}

static void set_rv(struct cp_reflector *r, const char *rv) {
  if (rv == NULL || rv[0] == '\0')
    return;
  pthread_mutex_lock(&r->mu);
  snprintf(r->rv, sizeof r->rv, "%s", rv);
  r->stats.last_resource_version = strtoll(rv, NULL, 10);
  pthread_mutex_unlock(&r->mu);
}

/* Sleeps ms unless stopped first. */
static void nap(struct cp_reflector *r, int64_t ms) {
  struct timespec ts;

  cp_deadline_after_ms(CLOCK_REALTIME, ms, &ts);
  pthread_mutex_lock(&r->mu);
  while (!atomic_load(&r->stop))
    if (pthread_cond_timedwait(&r->cv, &r->mu, &ts) != 0)
      break;
  pthread_mutex_unlock(&r->mu);
}

static const char *json_str(json_object *o, const char *k) {
  json_object *v;

  if (o == NULL || !json_object_object_get_ex(o, k, &v))
    return NULL;
  return json_object_get_string(v);
}

/* ------------------------------------------------------------ list */

struct objs {
  cplane_object **v;
  size_t n, cap;
};

static int objs_push(struct objs *a, cplane_object *o) {
  if (a->n == a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 256;
    cplane_object **v = realloc(a->v, cap * sizeof *v);

    if (v == NULL)
      return -1;
    a->v = v;
    a->cap = cap;
  }
  a->v[a->n++] = o;
  return 0;
}

static void objs_free(struct objs *a) {
  size_t i;

  for (i = 0; i < a->n; i++)
    cp_object_release(a->v[i]);
  free(a->v);
  memset(a, 0, sizeof *a);
}

/* Lists every page into the informer. Returns 0, 410 when a continue
 * token expired (list again), or -1. */
static int do_list(struct cp_reflector *r) {
  struct objs all = {0};
  char *cont = NULL, path[4096], *body = NULL;
  int rc = -1;

  count(r, &r->stats.lists);
  for (;;) {
    json_object *list, *items, *md;
    size_t len, i;
    int code;

    snprintf(path, sizeof path, "%s?limit=%d%s%s%s", r->path, PAGE,
             cont ? "&continue=" : "", cont ? cont : "", r->selectors);
    free(cont);
    cont = NULL;
    code = cp_client_request(r->client, "GET", path, NULL, NULL, 0, &body,
                             &len);
    if (code == 410) {
      rc = 410;
      goto out;
    }
    if (code != 200 || body == NULL) {
      cp_log_warn("reflector", "%s: list failed: HTTP %d %.200s", r->name,
                  code, body ? body : "(no answer)");
      goto out;
    }
    list = json_tokener_parse(body);
    free(body);
    body = NULL;
    if (list == NULL || !json_object_object_get_ex(list, "items", &items)) {
      json_object_put(list);
      goto out;
    }
    for (i = 0; i < json_object_array_length(items); i++) {
      cplane_object *o =
          cp_object_from_json_c(json_object_array_get_idx(items, i));

      if (o != NULL && objs_push(&all, o) < 0) {
        cp_object_release(o);
        json_object_put(list);
        goto out;
      }
    }
    json_object_object_get_ex(list, "metadata", &md);
    set_rv(r, json_str(md, "resourceVersion"));
    if (json_str(md, "continue") != NULL && json_str(md, "continue")[0])
      cont = evhttp_uriencode(json_str(md, "continue"), -1, 0);
    json_object_put(list);
    if (cont == NULL)
      break;
  }
  rc = cp_informer_replace(r->inf, all.v, all.n) == CPLANE_OK ? 0 : -1;
  all.n = 0; /* the informer took the references */
out:
  free(body);
  free(cont);
  objs_free(&all);
  return rc;
}

/* ------------------------------------------------------------ watch */

struct watch_state {
  struct cp_reflector *r;
  uint64_t events;
  int gone;        /* a 410 ERROR event: relist */
  int error;       /* another ERROR event: a failure */
  int initial;     /* WatchList: collecting the initial objects */
  int initial_end; /* ... and the initial-events-end bookmark came */
  struct objs collected;
};

/* The WatchList bookmark that ends the initial objects. */
static int is_initial_end(json_object *obj) {
  json_object *md, *ann, *v;

  return json_object_object_get_ex(obj, "metadata", &md) &&
         json_object_object_get_ex(md, "annotations", &ann) &&
         json_object_object_get_ex(ann, "k8s.io/initial-events-end", &v) &&
         strcmp(json_object_get_string(v), "true") == 0;
}

static int on_line(void *userdata, const char *line, size_t len) {
  struct watch_state *ws = userdata;
  struct cp_reflector *r = ws->r;
  json_object *ev = json_tokener_parse(line), *obj = NULL;
  const char *type = json_str(ev, "type");
  cplane_object *o;
  int deleted;

  (void)len;
  if (ev == NULL || type == NULL ||
      !json_object_object_get_ex(ev, "object", &obj)) {
    json_object_put(ev);
    return 0;
  }
  if (strcmp(type, "ERROR") == 0) {
    json_object *code;

    if (json_object_object_get_ex(obj, "code", &code) &&
        json_object_get_int(code) == 410)
      ws->gone = 1;
    else
      ws->error = 1;
    json_object_put(ev);
    return 1; /* the stream is over either way */
  }
  if (strcmp(type, "BOOKMARK") == 0) {
    json_object *md;

    if (json_object_object_get_ex(obj, "metadata", &md))
      set_rv(r, json_str(md, "resourceVersion"));
    if (ws->initial && is_initial_end(obj)) {
      /* The initial state is complete: it becomes the cache at once,
       * with deletes for what vanished, as a list would. */
      ws->initial = 0;
      ws->initial_end = 1;
      r->initial_done = 1;
      cp_informer_replace(r->inf, ws->collected.v, ws->collected.n);
      ws->collected.n = 0;
    }
    json_object_put(ev);
    return 0;
  }
  deleted = strcmp(type, "DELETED") == 0; /* type dies with ev */
  o = cp_object_from_json_c(obj);
  json_object_put(ev);
  if (o == NULL)
    return 0;
  if (ws->initial) {
    set_rv(r, cp_object_resource_version(o));
    if (objs_push(&ws->collected, o) < 0)
      cp_object_release(o);
    return 0;
  }
  ws->events++;
  count(r, &r->stats.events);
  set_rv(r, cp_object_resource_version(o));
  if (deleted)
    cp_informer_delete_object(r->inf, o);
  else
    cp_informer_upsert(r->inf, o);
  return 0;
}

enum watch_end { WATCH_OK, WATCH_GONE, WATCH_FAILED, WATCH_UNSUPPORTED };

/* timeoutSeconds of a watch: random in [min, 2*min), as client-go's
 * reflector spreads its watches' ends over time. */
static unsigned watch_timeout_s(const struct cp_reflector *r) {
  return r->timing.watch_timeout_s + rnd() % r->timing.watch_timeout_s;
}

/* initial: WatchList (KEP-3157) - the stream starts with the current
 * objects and a bookmark, instead of a separate LIST. A watch the server
 * ends (its timeoutSeconds, a restart) or that stays quiet past the idle
 * timeout is over, not failed: client-go's StreamWatcher treats EOF and
 * timeouts alike as a normal close. Only no answer, an error status, or a
 * "very short watch" (under a second, nothing received) is a failure. */
static enum watch_end do_watch(struct cp_reflector *r, int initial) {
  struct watch_state ws = {.r = r, .initial = initial};
  char path[4096], rv[32], *err = NULL;
  int64_t t0 = now_ms();
  int code;

  pthread_mutex_lock(&r->mu);
  snprintf(rv, sizeof rv, "%s", r->rv);
  pthread_mutex_unlock(&r->mu);
  if (initial)
    snprintf(path, sizeof path, "%s?watch=true&allowWatchBookmarks=true&"
                                "sendInitialEvents=true&"
                                "resourceVersionMatch=NotOlderThan&"
                                "timeoutSeconds=%u%s",
             r->path, watch_timeout_s(r), r->selectors);
  else
    snprintf(path, sizeof path, "%s?watch=true&allowWatchBookmarks=true&"
                                "resourceVersion=%s&timeoutSeconds=%u%s",
             r->path, rv, watch_timeout_s(r), r->selectors);
  count(r, initial ? &r->stats.lists : &r->stats.watches);
  cp_client_stream_set_idle_timeout(r->stream, r->timing.idle_ms);
  code = cp_client_stream_get(r->stream, path, on_line, &ws, &err);
  objs_free(&ws.collected);
  if (initial && code >= 400 && code < 500 && code != 410 && code != 429) {
    free(err);
    return WATCH_UNSUPPORTED; /* an older server: list instead */
  }
  if (code == 410 || ws.gone) {
    free(err);
    return WATCH_GONE;
  }
  if (code != 200 || ws.error || (initial && !ws.initial_end)) {
    cp_log_warn("reflector", "%s: watch failed: %s%d %.200s", r->name,
                ws.error ? "an ERROR event, HTTP "
                : code   ? "HTTP "
                         : "no answer ",
                code, err ? err : "");
    free(err);
    return WATCH_FAILED;
  }
  free(err);
  if (ws.events == 0 && now_ms() - t0 < SHORT_WATCH_MS &&
      !atomic_load(&r->stop)) {
    cp_log_warn("reflector", "%s: very short watch: it ended within a "
                             "second and received nothing", r->name);
    return WATCH_FAILED;
  }
  cp_log_debug("reflector", "%s: watch ended after %" PRId64 " ms, %" PRIu64
                            " events: watching again from %s",
               r->name, now_ms() - t0, ws.events, r->rv);
  return WATCH_OK;
}

/* One LIST-or-WatchList and WATCH round. Returns nonzero when it failed
 * (the caller backs off); a watch that merely ended is not a failure and
 * the next round re-watches at once from the last resourceVersion. */
static int round_once(struct cp_reflector *r, int *need_list,
                      int *watchlist) {
  enum watch_end e;

  if (*need_list && *watchlist) {
    r->initial_done = 0;
    e = do_watch(r, 1);
    /* Once the initial state arrived, a broken stream resumes from its
     * revision like any watch; it does not start over. */
    if (r->initial_done)
      *need_list = 0;
    if (e == WATCH_UNSUPPORTED) {
      cp_log_info("reflector", "%s: the server does not stream initial "
                               "events (WatchList): listing instead",
                  r->name);
      *watchlist = 0;
      return 0;
    }
  } else {
    if (*need_list) {
      int rc = do_list(r);

      if (rc == 410) {
        count(r, &r->stats.relists);
        return 0; /* a continue token expired: list again at once */
      }
      if (rc != 0)
        return 1;
      *need_list = 0;
      cp_log_debug("reflector", "%s: listed at resourceVersion %s", r->name,
                   r->rv);
      if (atomic_load(&r->stop))
        return 0;
    }
    e = do_watch(r, 0);
  }
  if (e == WATCH_GONE) {
    count(r, &r->stats.relists);
    cp_log_info("reflector", "%s: resourceVersion %s expired: relisting",
                r->name, r->rv);
    *need_list = 1;
    return 0;
  }
  return e == WATCH_FAILED;
}

static void *reflector_main(void *arg) {
  struct cp_reflector *r = arg;
  int64_t backoff = r->timing.backoff_min_ms, last_failure = 0;
  int need_list = 1, watchlist = 1;

  pthread_setname_np(pthread_self(), "reflector"); /* top -H, perf */
  while (!atomic_load(&r->stop)) {
    int64_t now;

    if (!round_once(r, &need_list, &watchlist) || atomic_load(&r->stop))
      continue;
    /* A real failure. The backoff starts over after a healthy period
     * without one, as client-go's backoff manager does. */
    count(r, &r->stats.failures);
    now = now_ms();
    if (last_failure != 0 && now - last_failure > r->timing.healthy_reset_ms)
      backoff = r->timing.backoff_min_ms;
    last_failure = now;
    nap(r, backoff + (int64_t)(rnd() % (unsigned)(backoff / 2 + 1)));
    backoff = backoff * 2 > r->timing.backoff_max_ms
                  ? r->timing.backoff_max_ms
                  : backoff * 2;
  }
  return NULL;
}

/* ------------------------------------------------------------ life */

static char *selector_query(const char *label, const char *field) {
  char *l = label && label[0] ? evhttp_uriencode(label, -1, 0) : NULL;
  char *f = field && field[0] ? evhttp_uriencode(field, -1, 0) : NULL;
  char *q = NULL;

  if (asprintf(&q, "%s%s%s%s", l ? "&labelSelector=" : "", l ? l : "",
               f ? "&fieldSelector=" : "", f ? f : "") < 0)
    q = NULL;
  free(l);
  free(f);
  return q;
}

struct cp_reflector *cp_reflector_new(struct cp_client *c, cp_informer *inf,
                                      const char *group, const char *version,
                                      const char *resource,
                                      const char *label_selector,
                                      const char *field_selector) {
  struct cp_reflector *r = calloc(1, sizeof *r);
  int n1, n2;

  if (r == NULL)
    return NULL;
  r->client = c;
  r->inf = inf;
  r->timing = default_timing;
  pthread_mutex_init(&r->mu, NULL);
  pthread_cond_init(&r->cv, NULL);
  if (group == NULL || group[0] == '\0') {
    n1 = asprintf(&r->path, "/api/%s/%s", version, resource);
    n2 = asprintf(&r->name, "%s", resource);
  } else {
    n1 = asprintf(&r->path, "/apis/%s/%s/%s", group, version, resource);
    n2 = asprintf(&r->name, "%s.%s", resource, group);
  }
  if (n1 < 0)
    r->path = NULL;
  if (n2 < 0)
    r->name = NULL;
  r->selectors = selector_query(label_selector, field_selector);
  r->stream = cp_client_stream_new(c);
  if (r->path == NULL || r->name == NULL || r->selectors == NULL ||
      r->stream == NULL) {
    cp_reflector_free(r);
    return NULL;
  }
  return r;
}

void cp_reflector_set_timing(struct cp_reflector *r,
                             const struct cp_reflector_timing *t) {
  r->timing = *t;
  if (r->timing.watch_timeout_s == 0)
    r->timing.watch_timeout_s = 1;
  if (r->timing.backoff_min_ms < 1)
    r->timing.backoff_min_ms = 1;
  if (r->timing.backoff_max_ms < r->timing.backoff_min_ms)
    r->timing.backoff_max_ms = r->timing.backoff_min_ms;
}

int cp_reflector_start(struct cp_reflector *r) {
  if (r->running)
    return 0;
  atomic_store(&r->stop, 0);
  if (pthread_create(&r->thread, NULL, reflector_main, r) != 0)
    return -1;
  r->running = 1;
  return 0;
}

void cp_reflector_stop(struct cp_reflector *r) {
  if (r == NULL || !r->running)
    return;
  pthread_mutex_lock(&r->mu);
  atomic_store(&r->stop, 1);
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
  cp_client_stream_stop(r->stream);
  pthread_join(r->thread, NULL);
  r->running = 0;
}

void cp_reflector_free(struct cp_reflector *r) {
  if (r == NULL)
    return;
  cp_reflector_stop(r);
  cp_client_stream_free(r->stream);
  free(r->path);
  free(r->name);
  free(r->selectors);
  pthread_mutex_destroy(&r->mu);
  pthread_cond_destroy(&r->cv);
  free(r);
}

void cp_reflector_stats(struct cp_reflector *r,
                        struct cp_reflector_stats *st) {
  pthread_mutex_lock(&r->mu);
  *st = r->stats;
  pthread_mutex_unlock(&r->mu);
}

const char *cp_reflector_name(const struct cp_reflector *r) {
  return r->name;
}
