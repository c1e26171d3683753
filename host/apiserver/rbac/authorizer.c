/*
 * authorizer - see authorizer.h.
 */
#include "apiserver/rbac/authorizer.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/rbac/call.h"
#include "apiserver/request.h"
#include "apiserver/request_info.h"
#include "clock/deadline.h"
#include "log/log.h"

/* The least time between two reloads (and watches). */
#define RETRY_MS 1000

static const struct {
  const char *prefix;
  enum cp_rbac_kind kind;
} kinds[4] = {
    {"roles/", CP_RBAC_ROLE},
    {"clusterroles/", CP_RBAC_CLUSTER_ROLE},
    {"rolebindings/", CP_RBAC_ROLE_BINDING},
    {"clusterrolebindings/", CP_RBAC_CLUSTER_ROLE_BINDING},
};

struct cp_rbac;

/* One store watch, on one kind's prefix. */
struct watch {
  struct cp_rbac *r;
  int i; /* in kinds[] */
  cp_store_watcher *sw; /* under r->mu */
};

struct cp_rbac {
  struct cp_api_ctx *ctx; /* NULL: over a given index, no sync */
  struct cp_rbac_index *index;
  int owns_index;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv; /* CLOCK_MONOTONIC */
  struct watch watches[4];
  int resync;    /* a watch ended: read all again and watch anew */
  int aggregate; /* a ClusterRole changed */
  int stopping;
};

int cp_rbac_is_master(char *const *groups, size_t n_groups) {
  size_t g;

  for (g = 0; g < n_groups; g++)
    if (strcmp(groups[g], "system:masters") == 0)
      return 1;
  return 0;
}

int cp_rbac_authorize(struct cp_rbac *r, const struct cp_rbac_attrs *a,
                      char *reason, size_t len) {
  static const char prefix[] = "RBAC: allowed by ";

  if (reason != NULL && len > 0)
    reason[0] = '\0';
  if (cp_rbac_is_master(a->groups, a->n_groups))
    return 1;
  if (r == NULL)
    return 0;
  if (reason == NULL || len <= sizeof prefix)
    return cp_rbac_index_authorize(r->index, a, NULL, 0);
  if (!cp_rbac_index_authorize(r->index, a, reason + sizeof prefix - 1,
                               len - (sizeof prefix - 1)))
    return 0;
  memcpy(reason, prefix, sizeof prefix - 1);
  return 1;
}

void cp_rbac_attrs_from_info(struct cp_rbac_attrs *at,
                             const struct cp_request_info *ri,
                             const char *user, char *const *groups,
                             size_t n_groups) {
  at->user = user;
  at->groups = groups;
  at->n_groups = n_groups;
  at->verb = ri->verb;
  at->resource_request = ri->resource_request;
  at->group = ri->resource_request ? ri->group : "";
  at->resource = ri->resource_request ? ri->resource : "";
  at->subresource = ri->resource_request ? ri->subresource : "";
  at->name = ri->resource_request ? ri->name : "";
  at->ns = ri->resource_request ? ri->ns : "";
  at->path = ri->path;
}

struct cp_rbac_index *cp_rbac_index(struct cp_rbac *r) {
  return r != NULL ? r->index : NULL;
}

/* ------------------------------------------------------------ events */

static void ask_aggregation(struct cp_rbac *r) {
  pthread_mutex_lock(&r->mu);
  r->aggregate = 1;
  pthread_cond_signal(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

static const char *meta_str(json_object *o, const char *k) {
  json_object *m, *v;

  if (!json_object_object_get_ex(o, "metadata", &m) ||
      !json_object_object_get_ex(m, k, &v) ||
      !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

/* Store thread: one object written or deleted through any API server. */
static void apply_event(struct cp_rbac *r, enum cp_rbac_kind k,
                        const cp_store_event *ev) {
  json_object *o;

  if (ev->type == CP_STORE_EVENT_DELETE) {
    if (ev->prev.mod_revision == 0)
      return;
    o = cp_api_parse_stored(NULL, &ev->prev);
    if (o != NULL && meta_str(o, "name") != NULL)
      cp_rbac_index_remove(r->index, k, meta_str(o, "namespace"),
                           meta_str(o, "name"));
  } else {
    o = cp_api_parse_stored(NULL, &ev->kv);
    if (o != NULL && cp_rbac_index_put(r->index, k, o) < 0)
      cp_log_warn("apiserver", "rbac: cannot index %s: out of memory; "
                  "reading them all again", kinds[k].prefix);
  }
  json_object_put(o);
  if (k == CP_RBAC_CLUSTER_ROLE)
    ask_aggregation(r);
}

static void on_watch(void *userdata, const cp_store_watch_msg *msg) {
  struct watch *w = userdata;
  size_t i;

  if (msg->kind == CP_STORE_WATCH_PROGRESS)
    return;
  if (msg->kind == CP_STORE_WATCH_EVENTS) {
    for (i = 0; i < msg->count; i++)
      apply_event(w->r, kinds[w->i].kind, &msg->events[i]);
    return;
  }
  cp_log_warn("apiserver", "the %s watch ended (%s): reading the RBAC "
              "objects again and watching anew", kinds[w->i].prefix,
              msg->kind == CP_STORE_WATCH_COMPACTED
                  ? "history compacted"
                  : cp_store_strerror(msg->status));
  pthread_mutex_lock(&w->r->mu);
  w->r->resync = 1;
  pthread_cond_signal(&w->r->cv);
  pthread_mutex_unlock(&w->r->mu);
}

/* ------------------------------------------------------------ load */

/* Reads one kind into x; its revision into *rev. */
static int load_kind(struct cp_rbac *r, int i, struct cp_rbac_index *x,
                     int64_t *rev) {
  cp_store_list_result res;
  size_t j;
  int rc;

  memset(&res, 0, sizeof res);
  rc = cp_store_list(r->ctx->store, kinds[i].prefix, strlen(kinds[i].prefix),
                     NULL, 0, 0, 0, &res);
  if (rc != CPLANE_OK)
    return rc;
  for (j = 0; j < res.count && rc == CPLANE_OK; j++) {
    json_object *o = cp_api_parse_stored(NULL, &res.kvs[j]);

    if (o != NULL && cp_rbac_index_put(x, kinds[i].kind, o) < 0)
      rc = CPLANE_ENOMEM;
    json_object_put(o);
  }
  *rev = res.revision;
  cp_store_list_result_free(&res);
  return rc;
}

static void cancel_watches(struct cp_rbac *r) {
  int i;

  for (i = 0; i < 4; i++) {
    cp_store_watcher *w;

    pthread_mutex_lock(&r->mu);
    w = r->watches[i].sw;
    r->watches[i].sw = NULL;
    pthread_mutex_unlock(&r->mu);
    /* From this thread the call waits for its callback to return. */
    if (w != NULL)
      cp_store_watch_cancel(w);
  }
}

/* Sync thread (or start): the index made equal to the store, then new
 * watches from the revisions read. Returns 0 or -1 (logged). */
static int resync(struct cp_rbac *r) {
  struct cp_rbac_index *fresh = cp_rbac_index_new();
  int64_t revs[4];
  int i, rc = CPLANE_ENOMEM;

  cancel_watches(r);
  if (fresh == NULL)
    goto fail;
  for (i = 0; i < 4; i++)
    if ((rc = load_kind(r, i, fresh, &revs[i])) != CPLANE_OK)
      goto fail;
  cp_rbac_index_swap(r->index, fresh);
  cp_rbac_index_free(fresh);
  fresh = NULL;
  for (i = 0; i < 4; i++) {
    cp_store_watcher *w = NULL;

    rc = cp_store_watch(r->ctx->store, kinds[i].prefix,
                        strlen(kinds[i].prefix), revs[i] + 1, on_watch,
                        &r->watches[i], &w);
    if (rc != CPLANE_OK)
      goto fail;
    pthread_mutex_lock(&r->mu);
    r->watches[i].sw = w;
    pthread_mutex_unlock(&r->mu);
  }
  return 0;
fail:
  cp_rbac_index_free(fresh);
  cp_log_warn("apiserver", "rbac: cannot read or watch the RBAC objects: "
              "%s; retrying in %d ms", cp_store_strerror(rc), RETRY_MS);
  return -1;
}

/* ------------------------------------------------------------ aggregation */

struct update {
  char *name;
  json_object *rules;
  struct update *next;
};

static void note_update(void *arg, const char *name, json_object *rules) {
  struct update **head = arg, *u = calloc(1, sizeof *u);

  if (u == NULL || (u->name = strdup(name)) == NULL) {
    free(u);
    return;
  }
  u->rules = json_object_get(rules);
  u->next = *head;
  *head = u;
}

/* Writes one aggregated role's rules: the stored object with rules
 * replaced, under its resourceVersion (a 409 is retried by the next
 * pass). Returns the HTTP code. */
static int write_rules(struct cp_rbac *r, const struct update *u) {
  char *body = NULL;
  json_object *o = NULL;
  int code = cp_rbac_call(r->ctx, CP_API_GET, "clusterroles", NULL, u->name,
                          NULL, NULL, &body);

  if (code == 200 && body != NULL && (o = json_tokener_parse(body)) != NULL) {
    json_object_object_add(o, "rules", json_object_get(u->rules));
    free(body);
    body = NULL;
    code = cp_rbac_call(r->ctx, CP_API_PUT, "clusterroles", NULL, u->name,
                        NULL, json_object_to_json_string_ext(
                                  o, JSON_C_TO_STRING_PLAIN),
                        &body);
    if (code == 200)
      cp_log_info("apiserver", "rbac: aggregated ClusterRole %s: %zu rules",
                  u->name, json_object_array_length(u->rules));
  }
  if (code != 200 && code != 404 && code != 409)
    cp_log_warn("apiserver", "rbac: cannot aggregate ClusterRole %s: %d %s",
                u->name, code, body ? body : "");
  json_object_put(o);
  free(body);
  return code;
}

/* Sync thread. Returns 0, or -1 when a write must be tried again. */
static int aggregate(struct cp_rbac *r) {
  struct update *head = NULL, *u;
  int rc = 0;

  cp_rbac_index_aggregation(r->index, note_update, &head);
  while ((u = head) != NULL) {
    head = u->next;
    if (write_rules(r, u) == 409)
      rc = -1;
    json_object_put(u->rules);
    free(u->name);
    free(u);
  }
  return rc;
}

/* ------------------------------------------------------------ thread */

static void wait_until(struct cp_rbac *r, const struct timespec *until) {
  while (!r->stopping)
    if (pthread_cond_timedwait(&r->cv, &r->mu, until) == ETIMEDOUT)
      break;
}

static void *sync_main(void *arg) {
  struct cp_rbac *r = arg;
  struct timespec next = {0, 0}; /* no resync before it (monotonic) */
  int do_resync, rc;

  pthread_setname_np(pthread_self(), "api-rbac-sync"); /* top -H */
  pthread_mutex_lock(&r->mu);
  for (;;) {
    while (!r->resync && !r->aggregate && !r->stopping)
      pthread_cond_wait(&r->cv, &r->mu);
    /* At most one reload (or retried aggregation) a RETRY_MS. */
    wait_until(r, &next);
    if (r->stopping)
      break;
    do_resync = r->resync;
    r->resync = r->aggregate = 0;
    pthread_mutex_unlock(&r->mu);
    rc = 0;
    cp_deadline_after_ms(CLOCK_MONOTONIC, RETRY_MS, &next);
    if (do_resync)
      rc = resync(r);
    if (rc == 0 && aggregate(r) < 0)
      rc = 1;
    pthread_mutex_lock(&r->mu);
    if (rc < 0)
      r->resync = 1;
    else if (rc > 0)
      r->aggregate = 1; /* a conflict: again, after a wait */
  }
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

static struct cp_rbac *alloc_rbac(void) {
  struct cp_rbac *r = calloc(1, sizeof *r);
  pthread_condattr_t ca;
  int i;

  if (r == NULL)
    return NULL;
  pthread_mutex_init(&r->mu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&r->cv, &ca);
  pthread_condattr_destroy(&ca);
  for (i = 0; i < 4; i++) {
    r->watches[i].r = r;
    r->watches[i].i = i;
  }
  return r;
}

struct cp_rbac *cp_rbac_over(struct cp_rbac_index *x) {
  struct cp_rbac *r = alloc_rbac();

  if (r != NULL)
    r->index = x;
  return r;
}

struct cp_rbac *cp_rbac_start(struct cp_api_ctx *ctx) {
  struct cp_rbac *r = alloc_rbac();

  if (r == NULL)
    return NULL;
  r->ctx = ctx;
  r->owns_index = 1;
  if ((r->index = cp_rbac_index_new()) == NULL) {
    cp_rbac_stop(r);
    return NULL;
  }
  /* Loaded before the server answers anyone. */
  if (resync(r) < 0)
    r->resync = 1;
  r->aggregate = 1;
  if (pthread_create(&r->thread, NULL, sync_main, r) != 0) {
    cancel_watches(r);
    r->ctx = NULL; /* no thread to join */
    cp_rbac_stop(r);
    return NULL;
  }
  return r;
}

void cp_rbac_stop(struct cp_rbac *r) {
  if (r == NULL)
    return;
  if (r->ctx != NULL) {
    pthread_mutex_lock(&r->mu);
    r->stopping = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    cancel_watches(r);
  }
  if (r->owns_index)
    cp_rbac_index_free(r->index);
  pthread_cond_destroy(&r->cv);
  pthread_mutex_destroy(&r->mu);
  free(r);
}
