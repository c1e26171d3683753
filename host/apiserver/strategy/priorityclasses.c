/*
 * priorityclasses - scheduling.k8s.io/v1 PriorityClass, as kube's
 * pkg/registry/scheduling/priorityclass (strategy and REST: the system
 * classes cannot be deleted), ValidatePriorityClass(Update), the
 * default preemptionPolicy, and the Priority admission plugin's rule
 * that only one class is the global default.
 */
#include "apiserver/strategy/priorityclasses.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/store_each.h"
#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/printers.h"
#include "apiserver/strategy/priorityclass_cache.h"
#include "apiserver/strategy/refuse.h"
#include "apiserver/strategy/strategy.h"
#include "apiserver/strategy/workloads.h"
#include "log/log.h"

#define SYSTEM_PREFIX "system-"
/* scheduling.HighestUserDefinablePriority */
#define HIGHEST_USER 1000000000

static const struct system_class {
  const char *name;
  int32_t value;
  const char *description;
} system_classes[] = {
    {"system-node-critical", 2000001000,
     "Used for system critical pods that must not be moved from their "
     "current node."},
    {"system-cluster-critical", 2000000000,
     "Used for system critical pods that must run in the cluster, but can "
     "be moved to another node if necessary."},
};

static const struct system_class *system_class(const char *name) {
  size_t i;

  for (i = 0; name != NULL && i < sizeof system_classes /
                                      sizeof system_classes[0];
       i++)
    if (strcmp(system_classes[i].name, name) == 0)
      return &system_classes[i];
  return NULL;
}

void cp_defaults_priorityclass(json_object *obj) {
  cp_field_default(obj, "preemptionPolicy",
                   json_object_new_string("PreemptLowerPriority"));
}

static void prepare_create(const struct cp_strategy_write *w,
                           json_object *obj) {
  (void)w;
  cp_defaults_priorityclass(obj);
}

static void prepare_update(const struct cp_strategy_write *w,
                           json_object *obj, json_object *old) {
  (void)w;
  (void)old;
  cp_defaults_priorityclass(obj);
}

/* IsKnownSystemPriorityClass's verdict on a class named system-*. */
static void check_system(json_object *obj, const char *name,
                         struct cp_field_errors *errs) {
  const struct system_class *sc = system_class(name);
  char why[256];

  if (sc == NULL)
    snprintf(why, sizeof why, "%s is not a known system priority class",
             name);
  else if (cp_field_int_or(obj, "value", 0) != sc->value)
    snprintf(why, sizeof why, "value of %s PriorityClass must be %d", name,
             (int)sc->value);
  else if (cp_field_true(obj, "globalDefault"))
    snprintf(why, sizeof why, "globalDefault of %s PriorityClass must be "
                              "false", name);
  else
    return;
  {
    char detail[400];

    snprintf(detail, sizeof detail,
             "priority class names with '" SYSTEM_PREFIX "' prefix are "
             "reserved for system use only. error: %s", why);
    cp_field_forbidden(errs, "metadata.name", detail);
  }
}

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  const char *name = cp_field_str(obj, "metadata.name");
  char detail[96];

  (void)w;
  if (name != NULL && strncmp(name, SYSTEM_PREFIX, strlen(SYSTEM_PREFIX)) == 0) {
    check_system(obj, name, errs);
  } else if (cp_field_int_or(obj, "value", 0) > HIGHEST_USER) {
    snprintf(detail, sizeof detail,
             "maximum allowed value of a user defined priority is %d",
             HIGHEST_USER);
    cp_field_forbidden(errs, "value", detail);
  }
  if (old == NULL)
    return;
  if (!json_object_equal(cp_field_at(obj, "value"), cp_field_at(old, "value")))
    cp_field_forbidden(errs, "value", "may not be changed in an update.");
  cp_check_immutable(obj, old, "", "preemptionPolicy", errs);
}

/* The store's classes, each passed to fn until it returns nonzero.
 * Returns -1 on a store failure, else 0. */
static int each_class(struct cp_api_ctx *ctx,
                      int (*fn)(json_object *pc, void *arg), void *arg) {
  return cp_store_each(ctx, "scheduling.k8s.io", "v1", "priorityclasses", fn,
                       arg);
}

static void fill(struct cp_priority_class *out, json_object *pc) {
  const char *name = cp_field_str(pc, "metadata.name");
  const char *pp = cp_field_str(pc, "preemptionPolicy");

  snprintf(out->name, sizeof out->name, "%s", name != NULL ? name : "");
  out->value = (int32_t)cp_field_int_or(pc, "value", 0);
  snprintf(out->preemption_policy, sizeof out->preemption_policy, "%s",
           pp != NULL ? pp : "");
}

struct find_default {
  struct cp_priority_class *out;
  int found;
};

static int default_fn(json_object *pc, void *arg) {
  struct find_default *f = arg;

  if (!cp_field_true(pc, "globalDefault"))
    return 0;
  if (!f->found || cp_field_int_or(pc, "value", 0) < f->out->value)
    fill(f->out, pc);
  f->found = 1;
  return 0;
}

/* ---- the admission cache (priorityclass_cache.h) */

/* The classes a snapshot is built from, grown as the list goes. */
struct snapshot {
  struct cp_pc_entry *v;
  size_t n, cap;
  int nomem;
};

static int snapshot_fn(json_object *pc, void *arg) {
  struct snapshot *s = arg;

  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    struct cp_pc_entry *v = realloc(s->v, cap * sizeof *v);

    if (v == NULL) {
      s->nomem = 1;
      return 1;
    }
    s->v = v;
    s->cap = cap;
  }
  fill(&s->v[s->n].pc, pc);
  s->v[s->n].global_default = cp_field_true(pc, "globalDefault");
  s->n++;
  return 0;
}

/* Answers name (NULL: the default) from the cache, reading every class
 * into a new snapshot when it has no fresh one. 1 found, 0 not, -1 store
 * failure; -2 when there is no cache (read the store directly). */
static int cached(struct cp_api_ctx *ctx, const char *name,
                  struct cp_priority_class *out) {
  struct snapshot s = {NULL, 0, 0, 0};
  uint64_t epoch;
  int rc;

  if (ctx->pc_cache == NULL)
    return -2;
  if ((rc = cp_pc_cache_find(ctx->pc_cache, name, out)) >= 0)
    return rc;
  epoch = cp_pc_cache_epoch(ctx->pc_cache);
  /* calloc, so that no classes is still a snapshot, not NULL. */
  if ((s.v = calloc(16, sizeof *s.v)) == NULL)
    return -2;
  s.cap = 16;
  if (each_class(ctx, snapshot_fn, &s) < 0 || s.nomem) {
    free(s.v);
    return s.nomem ? -2 : -1;
  }
  cp_pc_cache_put(ctx->pc_cache, s.v, s.n, epoch);
  /* Answered from what was read, kept or not. */
  if ((rc = cp_pc_cache_find(ctx->pc_cache, name, out)) >= 0)
    return rc;
  return -2;
}

int cp_priority_class_default(struct cp_api_ctx *ctx,
                              struct cp_priority_class *out) {
  struct find_default f = {out, 0};
  int rc = cached(ctx, NULL, out);

  if (rc != -2)
    return rc;
  if (each_class(ctx, default_fn, &f) < 0)
    return -1;
  return f.found;
}

/* Class name read from the store: 1 found, 0 not, -1 failure. */
static int read_class(struct cp_api_ctx *ctx, const char *name,
                      struct cp_priority_class *out) {
  const struct cp_resource_type *t = cp_resources_find(
      ctx->resources, "scheduling.k8s.io", "v1", "priorityclasses");
  char *key = t != NULL ? cp_api_key(t, NULL, name) : NULL;
  cp_store_kv kv;
  json_object *pc = NULL;
  int rc;

  memset(&kv, 0, sizeof kv);
  if (key == NULL)
    return -1;
  rc = cp_store_get(ctx->store, key, strlen(key), 0, &kv, NULL);
  free(key);
  if (rc == CPLANE_ENOENT)
    return 0;
  if (rc != CPLANE_OK)
    return -1;
  pc = cp_api_parse_stored(NULL, &kv);
  cp_store_kv_free(&kv);
  if (pc == NULL)
    return -1;
  fill(out, pc);
  json_object_put(pc);
  return 1;
}

int cp_priority_class_get(struct cp_api_ctx *ctx, const char *name,
                          struct cp_priority_class *out) {
  int rc = cached(ctx, name, out);

  return rc != -2 ? rc : read_class(ctx, name, out);
}

struct other_default {
  const char *self;
  char other[254];
};

static int other_default_fn(json_object *pc, void *arg) {
  struct other_default *o = arg;
  const char *name = cp_field_str(pc, "metadata.name");

  if (!cp_field_true(pc, "globalDefault") || name == NULL ||
      (o->self != NULL && strcmp(name, o->self) == 0))
    return 0;
  snprintf(o->other, sizeof o->other, "%s", name);
  return 1;
}

/* The Priority admission plugin's validatePriorityClass: one default. */
static int admit(const struct cp_strategy_write *w, json_object *obj,
                 json_object *old, struct cp_api_response *rs) {
  struct other_default o = {cp_field_str(obj, "metadata.name"), ""};

  (void)old;
  if (w->subresource != NULL || !cp_field_true(obj, "globalDefault"))
    return 0;
  if (each_class(w->ctx, other_default_fn, &o) < 0) {
    cp_api_respond_status(rs, 500, NULL);
    return -1;
  }
  if (o.other[0] == '\0')
    return 0;
  cp_strategy_forbidden(rs, "scheduling.k8s.io", "priorityclasses", o.self,
                        "PriorityClass %s is already marked as default. "
                        "Only one default can exist",
                        o.other);
  return -1;
}

static int admit_delete(struct cp_api_ctx *ctx,
                        const struct cp_resource_type *t, json_object *obj,
                        struct cp_api_response *rs) {
  const char *name = cp_field_str(obj, "metadata.name");

  (void)ctx;
  (void)t;
  if (system_class(name) == NULL)
    return 0;
  cp_strategy_forbidden(rs, "scheduling.k8s.io", "priorityclasses", name,
                        "this is a system priority class and cannot be "
                        "deleted");
  return -1;
}

void cp_priority_class_bootstrap(struct cp_api_ctx *ctx) {
  const struct cp_resource_type *t = cp_resources_find(
      ctx->resources, "scheduling.k8s.io", "v1", "priorityclasses");
  size_t i;

  for (i = 0; t != NULL && i < sizeof system_classes /
                                   sizeof system_classes[0];
       i++) {
    struct cp_priority_class have;
    struct cp_api_request rq;
    struct cp_api_response rs;

    if (cp_priority_class_get(ctx, system_classes[i].name, &have) != 0)
      continue; /* there, or the store cannot say: nothing to do now */
    memset(&rq, 0, sizeof rq);
    memset(&rs, 0, sizeof rs);
    rq.method = CP_API_POST;
    rq.type = t;
    if (asprintf(&rq.body,
                 "{\"apiVersion\":\"scheduling.k8s.io/v1\",\"kind\":"
                 "\"PriorityClass\",\"metadata\":{\"name\":\"%s\"},"
                 "\"value\":%d,\"description\":\"%s\"}",
                 system_classes[i].name, (int)system_classes[i].value,
                 system_classes[i].description) < 0)
      continue;
    rq.body_len = strlen(rq.body);
    rq.path = strdup("/apis/scheduling.k8s.io/v1/priorityclasses");
    cp_api_handle(ctx, &rq, &rs);
    if (rs.code != 201 && rs.code != 409)
      cp_log_warn("apiserver", "cannot create priority class %s: %.*s",
                  system_classes[i].name, (int)rs.len,
                  rs.body != NULL ? rs.body : "");
    free(rs.body);
    cp_api_request_clear(&rq);
  }
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, ""},
    {"Value", "integer", "", 0, ""},
    {"Global-Default", "boolean", "", 0, ""},
    {"Age", "string", "", 0, ""},
    {"PreemptionPolicy", "string", "", 0, ""},
};

static void cells(json_object *obj, long long now, json_object *out) {
  cp_cell_name(out, obj);
  cp_cell_int(out, cp_field_int_or(obj, "value", 0));
  cp_cell_bool(out, cp_field_true(obj, "globalDefault"));
  cp_cell_age(out, obj, now);
  cp_cell_str(out, cp_field_str(obj, "preemptionPolicy"));
}

const struct cp_strategy cp_strategy_priorityclasses = {
    .group = "scheduling.k8s.io",
    .resource = "priorityclasses",
    .prepare_create = prepare_create,
    .prepare_update = prepare_update,
    .validate = validate,
    /* Writes change what pod admission answers (its class cache). */
    .flags = CP_STRATEGY_ADMISSION_STATE,
    .admit = admit,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
    .admit_delete = admit_delete,
};
