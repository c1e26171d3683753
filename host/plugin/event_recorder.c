/*
 * event_recorder - see event_recorder.h.
 *
 * The correlator (event_correlator.h: kube's aggregation, deduplication
 * and spam filter) is used by the background thread only, so it needs no
 * lock; the queue is guarded by the recorder's mutex. As client-go's
 * recordToSink, an Event whose count is above one is PATCHed, and created
 * anew when that PATCH finds it gone.
 */
#include "plugin/event_recorder.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/http.h>

#include "client/client.h"
#include "clock/clock.h"
#include "plugin/identity.h"
#include "log/log.h"
#include "object/json_format.h"
#include "object/object.h"
#include "plugin/event_correlator.h"
#include "plugin/plugin.h"

/* One queued event: everything copied, so the caller's object may go. */
struct ev {
  int64_t ms;
  char *group, *version, *resource;
  char *api_version, *kind; /* from the object; NULL when it has none */
  char *ns, *name, *uid, *rv;
  char *type, *reason, *message;
};

#define KINDS_MAX 64

struct cp_event_recorder {
  struct cplane_plugin_ctx *p;
  int64_t (*clock_ms)(void);
  char host[256];
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t work, idle;
  struct ev *queue[CP_EVENT_QUEUE_MAX]; /* ring */
  size_t head, len;
  int busy, stopping;
  int64_t stop_by_ms; /* monotonic: give up flushing then */
  struct cp_event_correlator *correlator; /* recorder thread only */
  struct {
    char *gvr, *kind;
  } kinds[KINDS_MAX];
  size_t n_kinds;
};

static int64_t (*_Atomic clock_override)(void);
static pthread_mutex_t create_mu = PTHREAD_MUTEX_INITIALIZER;

static int64_t real_clock_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void) { return cp_now_ms(); }

void cp_event_recorder_set_clock(int64_t (*clock_ms)(void)) {
  atomic_store(&clock_override, clock_ms);
}

/* ---- Queued events ---------------------------------------------------- */

static void ev_free(struct ev *e) {
  if (e == NULL)
    return;
  free(e->group);
  free(e->version);
  free(e->resource);
  free(e->api_version);
  free(e->kind);
  free(e->ns);
  free(e->name);
  free(e->uid);
  free(e->rv);
  free(e->type);
  free(e->reason);
  free(e->message);
  free(e);
}

/* strdup that keeps NULL and reports failure through *nomem. */
static char *dup_or_null(const char *s, int *nomem) {
  char *d;

  if (s == NULL)
    return NULL;
  if ((d = strdup(s)) == NULL)
    *nomem = 1;
  return d;
}

static int reason_valid(const char *r) {
  size_t i;

  if (r == NULL || r[0] < 'A' || r[0] > 'Z')
    return 0;
  for (i = 0; r[i] != '\0'; i++)
    if (i >= 128 || !((r[i] >= 'A' && r[i] <= 'Z') ||
                      (r[i] >= 'a' && r[i] <= 'z') ||
                      (r[i] >= '0' && r[i] <= '9')))
      return 0;
  return 1;
}

static struct ev *ev_make(const struct cplane_resource *res,
                          const cplane_object *obj, const char *type,
                          const char *reason, const char *message,
                          int64_t ms) {
  struct ev *e = calloc(1, sizeof *e);
  int nomem = 0;

  if (e == NULL)
    return NULL;
  e->ms = ms;
  e->group = dup_or_null(res->group != NULL ? res->group : "", &nomem);
  e->version = dup_or_null(res->version, &nomem);
  e->resource = dup_or_null(res->resource, &nomem);
  e->api_version = dup_or_null(cp_object_string(obj, "apiVersion"), &nomem);
  e->kind = dup_or_null(cp_object_string(obj, "kind"), &nomem);
  e->ns = dup_or_null(cp_object_namespace(obj), &nomem);
  e->name = dup_or_null(cp_object_name(obj), &nomem);
  e->uid = dup_or_null(cp_object_uid(obj), &nomem);
  e->rv = dup_or_null(cp_object_resource_version(obj), &nomem);
  e->type = dup_or_null(type, &nomem);
  e->reason = dup_or_null(reason, &nomem);
  e->message = dup_or_null(message, &nomem);
  if (nomem) {
    ev_free(e);
    return NULL;
  }
  return e;
}

/* ---- Writing ---------------------------------------------------------- */

/* The kind of e's resource through discovery, cached. NULL when unknown. */
static const char *discover_kind(struct cp_event_recorder *r,
                                 const struct ev *e) {
  char *gvr = NULL, *path = NULL, *body = NULL;
  cplane_object *doc = NULL;
  const char *kind = NULL;
  size_t len = 0, i;
  int n;

  if (asprintf(&gvr, "%s/%s/%s", e->group, e->version, e->resource) < 0)
    return NULL;
  for (i = 0; i < r->n_kinds; i++)
    if (strcmp(r->kinds[i].gvr, gvr) == 0) {
      free(gvr);
      return r->kinds[i].kind;
    }
  if (asprintf(&path, e->group[0] ? "/apis/%s/%s" : "/api%s/%s", e->group,
               e->version) < 0)
    path = NULL;
  if (path == NULL || r->p->client == NULL ||
      cp_client_request(r->p->client, "GET", path, NULL, NULL, 0, &body,
                        &len) != 200 ||
      body == NULL || cp_object_parse(body, len, &doc, NULL) != CPLANE_OK)
    goto out;
  n = cp_object_len(doc, "resources");
  for (i = 0; (int)i < n && kind == NULL; i++) {
    char p[64];

    snprintf(p, sizeof p, "resources[%zu].name", i);
    if (cp_object_string(doc, p) == NULL ||
        strcmp(cp_object_string(doc, p), e->resource) != 0)
      continue;
    snprintf(p, sizeof p, "resources[%zu].kind", i);
    kind = cp_object_string(doc, p);
  }
  if (kind != NULL && r->n_kinds < KINDS_MAX &&
      (r->kinds[r->n_kinds].kind = strdup(kind)) != NULL) {
    r->kinds[r->n_kinds].gvr = gvr;
    gvr = NULL;
    kind = r->kinds[r->n_kinds++].kind;
  } else {
    kind = NULL;
  }
out:
  cp_object_release(doc);
  free(body);
  free(path);
  free(gvr);
  return kind;
}

static void rfc3339(int64_t ms, char *buf, size_t size) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;

  gmtime_r(&t, &tm);
  strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* POST or PATCH one event; returns the HTTP status (0: no answer). */
static int send_event(struct cp_event_recorder *r, const struct ev *e,
                      const char *kind, const char *av,
                      const struct cp_event_decision *o, int patch) {
  const char *ns = e->ns != NULL && e->ns[0] ? e->ns : "default";
  char first[32], last[32], *body = NULL, *path = NULL, *resp = NULL;
  char *en = evhttp_encode_uri(ns), *nn = evhttp_encode_uri(o->name);
  size_t len = 0;
  int code = 0;

  rfc3339(o->first_ms, first, sizeof first);
  rfc3339(e->ms, last, sizeof last);
  if (en == NULL || nn == NULL || r->p->client == NULL)
    goto out;
  if (patch) {
    body = cp_json_format("{'count':%lld,'lastTimestamp':%s,'message':%s}",
                          (long long)o->count, last, o->message);
    if (asprintf(&path, "/api/v1/namespaces/%s/events/%s", en, nn) < 0)
      path = NULL;
  } else {
    body = cp_json_format(
        "{'apiVersion':'v1','kind':'Event','metadata':{'name':%s,"
        "'namespace':%s},'involvedObject':{'kind':%s,'namespace':%s,"
        "'name':%s,'uid':%s,'apiVersion':%s,'resourceVersion':%s},"
        "'reason':%s,'message':%s,'source':{'component':%s,'host':%s},"
        "'firstTimestamp':%s,'lastTimestamp':%s,'count':%lld,'type':%s,"
        "'eventTime':null,'reportingComponent':%s,'reportingInstance':%s}",
        o->name, ns, kind, e->ns ? e->ns : "", e->name, e->uid ? e->uid : "",
        av, e->rv ? e->rv : "", e->reason, o->message, r->p->name, r->host,
        first, last, (long long)o->count, e->type, r->p->name, r->host);
    if (asprintf(&path, "/api/v1/namespaces/%s/events", en) < 0)
      path = NULL;
  }
  if (body == NULL || path == NULL)
    goto out;
  /* As the plugin's own user (identity.h), as kube's controllers do. */
  code = cp_plugin_request(r->p, patch ? "PATCH" : "POST", path,
                           patch ? "application/merge-patch+json"
                                 : "application/json",
                           body, strlen(body), &resp, &len);
out:
  free(resp);
  free(path);
  free(body);
  free(en);
  free(nn);
  return code;
}

/* Correlates and writes one event (background thread). */
static void handle(struct cp_event_recorder *r, const struct ev *e) {
  struct cp_event_counts *c = &r->p->event_counts;
  struct cp_event_decision d;
  struct cp_event_fields f;
  const char *kind = e->kind, *av = e->api_version;
  char av_buf[256];
  int code, verdict;

  if (kind == NULL && (kind = discover_kind(r, e)) == NULL)
    kind = "";
  if (av == NULL) {
    snprintf(av_buf, sizeof av_buf, "%s%s%s", e->group,
             e->group[0] ? "/" : "", e->version);
    av = av_buf;
  }
  f = (struct cp_event_fields){r->p->name, r->host, kind, av, e->ns,
                               e->name, e->uid, e->type, e->reason,
                               e->message, e->ms};
  verdict = cp_event_correlate(r->correlator, &f, &d);
  if (verdict <= 0) { /* the spam filter, or out of memory */
    atomic_fetch_add(&c->dropped, 1);
    cp_event_decision_clear(&d);
    return;
  }
  code = send_event(r, e, kind, av, &d, d.count > 1);
  if (d.count > 1 && code == 404) /* the Event expired: write it anew */
    code = send_event(r, e, kind, av, &d, 0);
  if (code >= 200 && code < 300) {
    atomic_fetch_add(d.count > 1 ? &c->aggregated : &c->created, 1);
  } else {
    atomic_fetch_add(&c->failed, 1);
    cp_log_debug(r->p->name, "event %s %s about %s: HTTP %d", e->type,
                 e->reason, e->name, code);
  }
  cp_event_decision_clear(&d);
}

static void *recorder_main(void *arg) {
  struct cp_event_recorder *r = arg;
  struct ev *e;

  pthread_setname_np(pthread_self(), "ctl-events");
  pthread_mutex_lock(&r->mu);
  for (;;) {
    while (r->len == 0 && !r->stopping)
      pthread_cond_wait(&r->work, &r->mu);
    if (r->len == 0 || (r->stopping && mono_ms() > r->stop_by_ms))
      break;
    e = r->queue[r->head];
    r->head = (r->head + 1) % CP_EVENT_QUEUE_MAX;
    r->len--;
    r->busy = 1;
    pthread_mutex_unlock(&r->mu);
    handle(r, e);
    ev_free(e);
    pthread_mutex_lock(&r->mu);
    r->busy = 0;
    if (r->len == 0)
      pthread_cond_broadcast(&r->idle);
  }
  /* Past the flush bound: what is left is dropped, counted. */
  while (r->len > 0) {
    ev_free(r->queue[r->head]);
    r->head = (r->head + 1) % CP_EVENT_QUEUE_MAX;
    r->len--;
    atomic_fetch_add(&r->p->event_counts.dropped, 1);
  }
  pthread_cond_broadcast(&r->idle);
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

/* ---- Life cycle --------------------------------------------------------- */

static void recorder_free(struct cp_event_recorder *r) {
  size_t i;

  cp_event_correlator_free(r->correlator);
  for (i = 0; i < r->n_kinds; i++) {
    free(r->kinds[i].gvr);
    free(r->kinds[i].kind);
  }
  pthread_cond_destroy(&r->work);
  pthread_cond_destroy(&r->idle);
  pthread_mutex_destroy(&r->mu);
  free(r);
}

/* p's recorder, made and started on first use. NULL when out of memory. */
static struct cp_event_recorder *recorder_of(struct cplane_plugin_ctx *p) {
  struct cp_event_recorder *r = atomic_load(&p->events);

  if (r != NULL)
    return r;
  pthread_mutex_lock(&create_mu);
  if ((r = atomic_load(&p->events)) != NULL)
    goto out;
  if ((r = calloc(1, sizeof *r)) == NULL)
    goto out;
  if ((r->correlator = cp_event_correlator_new()) == NULL) {
    free(r);
    r = NULL;
    goto out;
  }
  r->p = p;
  r->clock_ms = atomic_load(&clock_override);
  if (r->clock_ms == NULL)
    r->clock_ms = real_clock_ms;
  if (gethostname(r->host, sizeof r->host - 1) != 0)
    strcpy(r->host, "cplane");
  pthread_mutex_init(&r->mu, NULL);
  pthread_cond_init(&r->work, NULL);
  pthread_cond_init(&r->idle, NULL);
  if (pthread_create(&r->thread, NULL, recorder_main, r) != 0) {
    recorder_free(r);
    r = NULL;
    goto out;
  }
  atomic_store(&p->events, r);
out:
  pthread_mutex_unlock(&create_mu);
  return r;
}

int cp_event_recorder_record(struct cplane_plugin_ctx *p,
                             const struct cplane_resource *res,
                             const cplane_object *regarding,
                             const char *type, const char *reason,
                             const char *fmt, va_list ap) {
  struct cp_event_recorder *r;
  char message[CP_EVENT_MESSAGE_MAX + 1];
  struct ev *e;

  if (p == NULL || res == NULL || res->version == NULL ||
      res->resource == NULL || regarding == NULL ||
      cp_object_name(regarding) == NULL || fmt == NULL || type == NULL ||
      (strcmp(type, "Normal") != 0 && strcmp(type, "Warning") != 0) ||
      !reason_valid(reason))
    return CPLANE_EINVAL;
  vsnprintf(message, sizeof message, fmt, ap);
  if ((r = recorder_of(p)) == NULL)
    return CPLANE_ENOMEM;
  e = ev_make(res, regarding, type, reason, message, r->clock_ms());
  if (e == NULL)
    return CPLANE_ENOMEM;
  pthread_mutex_lock(&r->mu);
  if (r->len >= CP_EVENT_QUEUE_MAX || r->stopping) {
    pthread_mutex_unlock(&r->mu);
    ev_free(e);
    atomic_fetch_add(&p->event_counts.dropped, 1);
    return CPLANE_OK;
  }
  r->queue[(r->head + r->len++) % CP_EVENT_QUEUE_MAX] = e;
  pthread_cond_signal(&r->work);
  pthread_mutex_unlock(&r->mu);
  return CPLANE_OK;
}

int cp_event_recorder_flush(struct cplane_plugin_ctx *p, int timeout_ms) {
  struct cp_event_recorder *r = p != NULL ? atomic_load(&p->events) : NULL;
  struct timespec until;
  int drained;

  if (r == NULL)
    return 1;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += timeout_ms / 1000;
  until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&r->mu);
  while ((r->len > 0 || r->busy) &&
         pthread_cond_timedwait(&r->idle, &r->mu, &until) == 0)
    ;
  drained = r->len == 0 && !r->busy;
  pthread_mutex_unlock(&r->mu);
  return drained;
}

void cp_event_recorder_stop(struct cplane_plugin_ctx *p) {
  struct cp_event_recorder *r;

  if (p == NULL || (r = atomic_exchange(&p->events, NULL)) == NULL)
    return;
  pthread_mutex_lock(&r->mu);
  r->stopping = 1;
  r->stop_by_ms = mono_ms() + CP_EVENT_FLUSH_MS;
  pthread_cond_signal(&r->work);
  pthread_mutex_unlock(&r->mu);
  pthread_join(r->thread, NULL);
  recorder_free(r);
}

void cp_event_recorder_metrics_write(struct cplane_plugin_ctx *const *plugins,
                                     size_t n, FILE *out) {
  static const char *const results[] = {"created", "aggregated", "dropped",
                                        "failed"};
  size_t i, k;

  fputs("# HELP cplane_plugin_events_total Events a plugin recorded, by "
        "what became of them: created (a new Event), aggregated (count of "
        "an existing Event raised), dropped (queue full or spam filter), "
        "failed (refused by the API server)\n"
        "# TYPE cplane_plugin_events_total counter\n", out);
  for (i = 0; i < n; i++) {
    struct cp_event_counts *c = &plugins[i]->event_counts;
    unsigned long long v[4] = {atomic_load(&c->created),
                               atomic_load(&c->aggregated),
                               atomic_load(&c->dropped),
                               atomic_load(&c->failed)};

    for (k = 0; k < 4; k++)
      fprintf(out, "cplane_plugin_events_total{plugin=\"%s\",result=\"%s\"} "
                   "%llu\n", plugins[i]->name, results[k], v[k]);
  }
}
