/*
 * set - the admission policies and bindings, loaded and watched (set.h).
 */
#include "apiserver/vap/set.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiserver/strategy/platform_fields.h"
#include "clock/deadline.h"
#include "log/log.h"

/* The least time between two reloads after a failure. */
#define RETRY_MS 1000

/* [0] policies, [1] bindings. */
static const char *const prefixes[2] = {"validatingadmissionpolicies/",
                                        "validatingadmissionpolicybindings/"};

struct cp_vap_set {
  struct cp_api_ctx *ctx; /* borrowed; outlives the set */
  pthread_t thread;
  int has_thread;
  pthread_mutex_t mu;
  pthread_cond_t cv; /* CLOCK_MONOTONIC */
  struct cp_vap_snapshot *cur; /* under mu */
  cp_store_watcher *sw[2];     /* under mu */
  int dirty;   /* something changed: read them all again */
  int rewatch; /* a watch ended (or never started): watch anew */
  int stopping;
  /* cur->n_active, read without the lock: the cost of a write when no
   * policy is bound. */
  atomic_size_t active;
};

/* ------------------------------------------------------------ snapshots */

static const char *name_of(json_object *o) {
  return cp_plat_str0(cp_plat_get(o, "metadata", json_type_object), "name");
}

static int by_name(const void *a, const void *b) {
  return strcmp(name_of(*(json_object *const *)a),
                name_of(*(json_object *const *)b));
}

static void binding_clear(struct cp_vap_binding *b) {
  free(b->name);
  free(b->policy_name);
  free(b->param_name);
  free(b->param_ns);
  json_object_put(b->param_selector);
  json_object_put(b->match);
}

void cp_vap_snapshot_free(struct cp_vap_snapshot *snap) {
  size_t i;

  if (snap == NULL)
    return;
  for (i = 0; i < snap->n_policies; i++)
    cp_vap_policy_clear(&snap->policies[i]);
  for (i = 0; i < snap->n_bindings; i++)
    binding_clear(&snap->bindings[i]);
  free(snap->policies);
  free(snap->bindings);
  free(snap);
}

static unsigned actions_of(json_object *spec) {
  json_object *a = cp_plat_get(spec, "validationActions", json_type_array);
  unsigned out = 0;
  size_t i;

  for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
    const char *v = json_object_get_string(json_object_array_get_idx(a, i));

    if (v == NULL)
      continue;
    if (strcmp(v, "Deny") == 0)
      out |= CP_VAP_DENY;
    else if (strcmp(v, "Warn") == 0)
      out |= CP_VAP_WARN;
    else if (strcmp(v, "Audit") == 0)
      out |= CP_VAP_AUDIT;
  }
  return out;
}

/* Reads binding obj into *b; -1 out of memory. */
static int binding_parse(json_object *obj, struct cp_vap_binding *b) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  json_object *pr = cp_plat_get(spec, "paramRef", json_type_object);

  memset(b, 0, sizeof *b);
  b->name = strdup(name_of(obj));
  b->policy_name = strdup(cp_plat_str0(spec, "policyName"));
  b->match = json_object_get(
      cp_plat_get(spec, "matchResources", json_type_object));
  b->actions = actions_of(spec);
  if (pr != NULL) {
    b->has_param_ref = 1;
    b->param_name = strdup(cp_plat_str0(pr, "name"));
    b->param_ns = strdup(cp_plat_str0(pr, "namespace"));
    b->param_selector = json_object_get(
        cp_plat_get(pr, "selector", json_type_object));
    b->param_not_found_allow =
        strcmp(cp_plat_str0(pr, "parameterNotFoundAction"), "Allow") == 0;
    if (b->param_name == NULL || b->param_ns == NULL)
      return -1;
  }
  return b->name != NULL && b->policy_name != NULL ? 0 : -1;
}

static const struct cp_vap_policy *
find_policy(const struct cp_vap_snapshot *snap, const char *name) {
  size_t i;

  for (i = 0; i < snap->n_policies; i++)
    if (strcmp(snap->policies[i].name, name) == 0)
      return &snap->policies[i];
  return NULL;
}

struct cp_vap_snapshot *
cp_vap_snapshot_build(json_object *const *policies, size_t np,
                      json_object *const *bindings, size_t nb) {
  struct cp_vap_snapshot *snap = calloc(1, sizeof *snap);
  json_object **sorted = calloc(nb ? nb : 1, sizeof *sorted);
  size_t i;

  if (snap == NULL || sorted == NULL ||
      (snap->policies = calloc(np ? np : 1, sizeof *snap->policies)) ==
          NULL ||
      (snap->bindings = calloc(nb ? nb : 1, sizeof *snap->bindings)) == NULL)
    goto fail;
  for (i = 0; i < np; i++) {
    if (cp_vap_policy_parse(policies[i], &snap->policies[snap->n_policies],
                            NULL) < 0)
      goto fail;
    snap->n_policies++;
  }
  memcpy(sorted, bindings, nb * sizeof *sorted);
  /* A stable order: bindings by name. */
  qsort(sorted, nb, sizeof *sorted, by_name);
  for (i = 0; i < nb; i++) {
    struct cp_vap_binding *b = &snap->bindings[snap->n_bindings++];

    if (binding_parse(sorted[i], b) < 0)
      goto fail;
    if ((b->policy = find_policy(snap, b->policy_name)) != NULL)
      snap->n_active++;
  }
  free(sorted);
  return snap;
fail:
  free(sorted);
  cp_vap_snapshot_free(snap);
  return NULL;
}

struct cp_vap_snapshot *cp_vap_acquire(struct cp_vap_set *s) {
  struct cp_vap_snapshot *snap;

  if (s == NULL || atomic_load(&s->active) == 0)
    return NULL;
  pthread_mutex_lock(&s->mu);
  snap = s->cur;
  if (snap != NULL)
    snap->refs++;
  pthread_mutex_unlock(&s->mu);
  return snap;
}

void cp_vap_release(struct cp_vap_set *s, struct cp_vap_snapshot *snap) {
  int last;

  if (snap == NULL)
    return;
  pthread_mutex_lock(&s->mu);
  last = --snap->refs == 0;
  pthread_mutex_unlock(&s->mu);
  if (last)
    cp_vap_snapshot_free(snap);
}

/* Makes snap current (the set holds one reference). */
static void install(struct cp_vap_set *s, struct cp_vap_snapshot *snap) {
  struct cp_vap_snapshot *old;
  int last = 0;

  snap->refs = 1;
  pthread_mutex_lock(&s->mu);
  old = s->cur;
  s->cur = snap;
  atomic_store(&s->active, snap->n_active);
  if (old != NULL)
    last = --old->refs == 0;
  pthread_mutex_unlock(&s->mu);
  if (last)
    cp_vap_snapshot_free(old);
}

/* ------------------------------------------------------------ loading */

struct listed {
  cp_store_list_result res;
  json_object **objs;
  size_t n;
};

static void listed_free(struct listed *l) {
  size_t i;

  for (i = 0; i < l->n; i++)
    json_object_put(l->objs[i]);
  free(l->objs);
  cp_store_list_result_free(&l->res);
}

static int list_prefix(struct cp_vap_set *s, int k, struct listed *l) {
  size_t i;
  int rc;

  memset(l, 0, sizeof *l);
  rc = cp_store_list(s->ctx->store, prefixes[k], strlen(prefixes[k]), NULL,
                     0, 0, 0, &l->res);
  if (rc != CPLANE_OK)
    return rc;
  if ((l->objs = calloc(l->res.count ? l->res.count : 1, sizeof *l->objs)) ==
      NULL)
    return CPLANE_ENOMEM;
  for (i = 0; i < l->res.count; i++)
    if ((l->objs[l->n] = cp_api_parse_stored(NULL, &l->res.kvs[i])) != NULL)
      l->n++;
  return CPLANE_OK;
}

/* Reads both kinds into a new snapshot; rev[k] the revisions read at.
 * Returns 0 or a store error. */
static int load(struct cp_vap_set *s, int64_t rev[2]) {
  struct listed l[2];
  struct cp_vap_snapshot *snap;
  int rc;

  memset(l, 0, sizeof l);
  if ((rc = list_prefix(s, 0, &l[0])) != CPLANE_OK ||
      (rc = list_prefix(s, 1, &l[1])) != CPLANE_OK)
    goto out;
  if ((snap = cp_vap_snapshot_build(l[0].objs, l[0].n, l[1].objs,
                                    l[1].n)) == NULL) {
    rc = CPLANE_ENOMEM;
    goto out;
  }
  if (snap->n_active != atomic_load(&s->active))
    cp_log_info("apiserver", "%zu validating admission policy binding(s) "
                "in effect (%zu policies)",
                snap->n_active, snap->n_policies);
  install(s, snap);
  rev[0] = l[0].res.revision;
  rev[1] = l[1].res.revision;
out:
  listed_free(&l[0]);
  listed_free(&l[1]);
  return rc;
}

/* Store thread: something changed, or a watch ended; the set's thread
 * does the work (a store callback must return quickly). */
static void on_watch(void *userdata, const cp_store_watch_msg *msg) {
  struct cp_vap_set *s = userdata;

  if (msg->kind == CP_STORE_WATCH_PROGRESS)
    return;
  pthread_mutex_lock(&s->mu);
  s->dirty = 1;
  if (msg->kind != CP_STORE_WATCH_EVENTS)
    s->rewatch = 1;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
  if (msg->kind == CP_STORE_WATCH_COMPACTED ||
      msg->kind == CP_STORE_WATCH_ERROR)
    cp_log_warn("apiserver", "the validating admission policies watch "
                "ended: reading them again and watching anew");
}

static void cancel_watches(struct cp_vap_set *s) {
  cp_store_watcher *old[2];
  int k;

  pthread_mutex_lock(&s->mu);
  old[0] = s->sw[0];
  old[1] = s->sw[1];
  s->sw[0] = s->sw[1] = NULL;
  pthread_mutex_unlock(&s->mu);
  for (k = 0; k < 2; k++)
    if (old[k] != NULL)
      cp_store_watch_cancel(old[k]);
}

/* Set thread: everything read again; with watch, the watches restarted
 * after what was read. 0 or -1. */
static int reload(struct cp_vap_set *s, int watch) {
  int64_t rev[2] = {0, 0};
  int k, rc;

  if (watch)
    cancel_watches(s);
  if ((rc = load(s, rev)) != CPLANE_OK) {
    cp_log_warn("apiserver", "cannot read the validating admission "
                "policies: %s; retrying in %d ms",
                cp_store_strerror(rc), RETRY_MS);
    return -1;
  }
  for (k = 0; watch && k < 2; k++) {
    cp_store_watcher *sw = NULL;

    rc = cp_store_watch(s->ctx->store, prefixes[k], strlen(prefixes[k]),
                        rev[k] + 1, on_watch, s, &sw);
    if (rc != CPLANE_OK) {
      cp_log_warn("apiserver", "cannot watch the validating admission "
                  "policies: %s; retrying in %d ms",
                  cp_store_strerror(rc), RETRY_MS);
      return -1;
    }
    pthread_mutex_lock(&s->mu);
    s->sw[k] = sw;
    pthread_mutex_unlock(&s->mu);
  }
  return 0;
}

static void *set_main(void *arg) {
  struct cp_vap_set *s = arg;
  struct timespec next = {0, 0};
  int watch, failed = 0;

  pthread_setname_np(pthread_self(), "api-vap"); /* top -H */
  pthread_mutex_lock(&s->mu);
  for (;;) {
    while (!s->dirty && !s->stopping)
      pthread_cond_wait(&s->cv, &s->mu);
    while (failed && !s->stopping)
      if (pthread_cond_timedwait(&s->cv, &s->mu, &next) == ETIMEDOUT)
        break;
    if (s->stopping)
      break;
    watch = s->rewatch;
    s->dirty = s->rewatch = 0;
    pthread_mutex_unlock(&s->mu);
    failed = reload(s, watch) < 0;
    if (failed)
      cp_deadline_after_ms(CLOCK_MONOTONIC, RETRY_MS, &next);
    pthread_mutex_lock(&s->mu);
    if (failed) {
      s->dirty = 1;
      s->rewatch |= watch;
    }
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

struct cp_vap_set *cp_vap_set_start(struct cp_api_ctx *ctx) {
  struct cp_vap_set *s = calloc(1, sizeof *s);
  pthread_condattr_t ca;

  if (s == NULL)
    return NULL;
  s->ctx = ctx;
  pthread_mutex_init(&s->mu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&s->cv, &ca);
  pthread_condattr_destroy(&ca);
  /* Read now, so that the first requests see what is stored. */
  if (reload(s, 1) < 0)
    s->dirty = s->rewatch = 1;
  if (pthread_create(&s->thread, NULL, set_main, s) != 0) {
    cp_vap_set_stop(s);
    return NULL;
  }
  s->has_thread = 1;
  return s;
}

void cp_vap_set_stop(struct cp_vap_set *s) {
  if (s == NULL)
    return;
  pthread_mutex_lock(&s->mu);
  s->stopping = 1;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
  if (s->has_thread)
    pthread_join(s->thread, NULL);
  cancel_watches(s);
  if (s->cur != NULL && --s->cur->refs == 0)
    cp_vap_snapshot_free(s->cur);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  free(s);
}
