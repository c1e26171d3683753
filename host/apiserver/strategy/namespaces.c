/*
 * namespaces - core/v1 Namespace, as kube-apiserver's namespace
 * strategy and lifecycle (pkg/registry/core/namespace): created with the
 * "kubernetes" finalizer in spec.finalizers and phase Active; a DELETE
 * marks it Terminating, and it leaves the store only once the finalize
 * subresource has emptied spec.finalizers (the namespace plugin does
 * that once the namespace is empty); default, kube-system and
 * kube-public cannot be deleted, and the system namespaces are created
 * again once gone; its name is a DNS-1123 label; writes to it change
 * what NamespaceLifecycle admits. The custom resources left in a
 * namespace that is gone go with it.
 */
#include "apiserver/strategy/strategy.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/strategy/namespaces.h"
#include "apiserver/table.h"
#include "apiserver/verbs.h"
#include "log/log.h"

/* What kube-apiserver's namespace strategy sets on create: status.phase
 * Active and "kubernetes" among spec.finalizers. */
static void prepare_create(const struct cp_strategy_write *w, json_object *o) {
  json_object *spec = get(o, "spec"), *fs, *status;
  size_t i;

  if (spec == NULL || !json_object_is_type(spec, json_type_object)) {
    spec = json_object_new_object();
    json_object_object_add(o, "spec", spec);
  }
  fs = get(spec, "finalizers");
  if (fs == NULL || !json_object_is_type(fs, json_type_array)) {
    fs = json_object_new_array();
    json_object_object_add(spec, "finalizers", fs);
  }
  for (i = 0; i < json_object_array_length(fs); i++) {
    const char *f = json_object_get_string(json_object_array_get_idx(fs, i));

    if (f != NULL && strcmp(f, "kubernetes") == 0)
      break;
  }
  if (i == json_object_array_length(fs))
    json_object_array_add(fs, json_object_new_string("kubernetes"));
  status = json_object_new_object();
  set_str(status, "phase", "Active");
  json_object_object_add(o, "status", status);
}

const char *const cp_system_namespaces[] = {
    "default", "kube-system", "kube-public", "kube-node-lease", NULL};

void cp_namespace_ensure(struct cp_api_ctx *ctx, const char *name) {
  struct cp_api_request rq = {0};
  struct cp_api_response rs = {0};

  rq.method = CP_API_POST;
  rq.type = cp_resources_find(ctx->resources, "", "v1", "namespaces");
  rq.path = strdup("/api/v1/namespaces");
  if (rq.type == NULL || rq.path == NULL ||
      asprintf(&rq.body,
               "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\","
               "\"metadata\":{\"name\":\"%s\"}}",
               name) < 0) {
    rq.body = NULL;
    cp_log_warn("apiserver", "cannot create namespace %s: out of memory", name);
    goto out;
  }
  rq.body_len = strlen(rq.body);
  cp_api_handle(ctx, &rq, &rs);
  if (rs.code != 201 && rs.code != 409)
    cp_log_warn("apiserver", "cannot create namespace %s: %.*s", name,
                (int)rs.len, rs.body ? rs.body : "");
out:
  free(rs.body);
  cp_api_request_clear(&rq);
}

static int is_system(const char *name) {
  size_t i;

  for (i = 0; cp_system_namespaces[i] != NULL; i++)
    if (strcmp(cp_system_namespaces[i], name) == 0)
      return 1;
  return 0;
}

/* Marked for deletion: Terminating until its finalizers are done. */
static void deleting(struct cp_api_ctx *ctx, json_object *o) {
  json_object *st = get(o, "status");

  if (st == NULL || !json_object_is_type(st, json_type_object)) {
    st = json_object_new_object();
    json_object_object_add(o, "status", st);
  }
  set_str(st, "phase", "Terminating");
}

/* The custom resources of a namespace that is gone go with it. No
 * controller empties them (the namespace plugin knows the built-in kinds
 * only), so the server removes them at once, their own finalizers
 * notwithstanding. Best effort: a failure is logged. A system namespace
 * is created again at once (kube's controller does within a minute). */
static void deleted(struct cp_api_ctx *ctx, json_object *o) {
  const char *ns = get_str(get(o, "metadata"), "name");
  size_t n = cp_resources_list(ctx->resources, NULL, 0), i, gone;
  const struct cp_resource_type **all;
  char *prefix;

  if (ns == NULL || (all = calloc(n + 1, sizeof *all)) == NULL)
    return;
  n = cp_resources_list(ctx->resources, all, n);
  for (i = 0; i < n && all[i] != NULL; i++) {
    const struct cp_resource_type *t = all[i];

    if (t->builtin || !t->namespaced ||
        (prefix = cp_api_key(t, ns, NULL)) == NULL)
      continue;
    gone = cp_verbs_purge_prefix(ctx, prefix);
    if (gone > 0)
      cp_log_info("apiserver", "namespace %s: deleted %zu %s.%s", ns, gone,
                  t->resource, t->group);
    free(prefix);
  }
  free(all);
  /* kube-apiserver's system namespaces controller: they come back. */
  if (is_system(ns))
    cp_namespace_ensure(ctx, ns);
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, NULL},
    {"Status", "string", "", 0, NULL},
    {"Age", "string", "", 0, NULL},
};

static void cells(json_object *o, long long now, json_object *out) {
  char ag[32];

  cp_table_age(ag, sizeof ag, o, now);
  cp_table_add_str(out, cp_table_str(o, "metadata.name"));
  cp_table_add_str(out, cp_table_str(o, "status.phase"));
  cp_table_add_str(out, ag);
}

static const char *const field_labels[] = {"status.phase", NULL};
/* kube's NamespaceLifecycle immortal namespaces. */
static const char *const undeletable[] = {"default", "kube-system",
                                          "kube-public", NULL};

const struct cp_strategy cp_strategy_namespaces = {
    .group = "",
    .resource = "namespaces",
    .flags = CP_STRATEGY_STATUS_SPLIT | CP_STRATEGY_SPEC_FINALIZERS |
             CP_STRATEGY_ADMISSION_STATE | CP_STRATEGY_NAME_DNS_LABEL,
    .field_labels = field_labels,
    .prepare_create = prepare_create,
    .deleted = deleted,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
    .undeletable = undeletable,
    .deleting = deleting,
};
