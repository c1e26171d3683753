/*
 * customresourcedefinitions - apiextensions.k8s.io/v1
 * CustomResourceDefinition, as kube's apiextensions server: a definition
 * must be valid (crd.c) before it is stored; its status says whether its
 * names are accepted and it is served, and it is served as soon as it is
 * stored. It is created with the cleanup finalizer (crd_cleanup.h), so a
 * delete marks it Terminating and waits until its custom resources are
 * gone; once it leaves the store its types stop being served and any
 * custom resource left goes with it.
 */
#include "apiserver/strategy/strategy.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/crd.h"
#include "apiserver/crd_cleanup.h"
#include "apiserver/table.h"
#include "apiserver/verbs.h"
#include "log/log.h"

/* Deleting the definition then waits for its custom resources. */
static void prepare_create(const struct cp_strategy_write *w, json_object *o) {
  cp_verbs_add_finalizer(metadata(o), CP_CRD_CLEANUP_FINALIZER);
}

/* Its status from its names: accepted and served, or the conflict. */
static void set_status(struct cp_api_ctx *ctx, json_object *o) {
  const char *conflict;
  char why[320];

  conflict = cp_crd_names_conflict(ctx, o, why, sizeof why);
  cp_crd_set_status(o, conflict, why);
}

/* cp_crd_validate names the first error with kube's whole message
 * ("Required value", "Invalid value: ..."), kept as it is. A valid
 * definition gets its status here, as the last step before it is
 * stored. */
static void validate(const struct cp_strategy_write *w, json_object *o,
                     json_object *old, struct cp_field_errors *errs) {
  const char *field = NULL;
  char *msg = NULL, *raw;
  size_t n = errs->n;

  if (cp_crd_validate(o, &field, &msg) == 0) {
    set_status(w->ctx, o);
    return;
  }
  cp_field_errors_add(errs, CP_FIELD_INVALID, field, NULL, NULL);
  if (errs->n > n && (raw = strdup(msg ? msg : "invalid")) != NULL) {
    free(errs->v[n].message);
    errs->v[n].message = raw;
  }
  free(msg);
}

/* Marked: its status says Terminating. */
static void deleting(struct cp_api_ctx *ctx, json_object *o) {
  set_status(ctx, o);
}

/* Stored: served at once (unless terminating: crd.h says why). */
static void stored(struct cp_api_ctx *ctx, json_object *o) {
  if (cp_crd_register_written(ctx->resources, o) > 0)
    cp_log_info("apiserver", "serving custom resource %s",
                get_str(get(o, "metadata"), "name"));
}

/* Its cleanup starts. */
static void marked(struct cp_api_ctx *ctx, json_object *o) {
  cp_log_info("apiserver",
              "customresourcedefinition %s terminating: its "
              "custom resources are being deleted",
              get_str(get(o, "metadata"), "name"));
  if (ctx->crd_terminating != NULL)
    ctx->crd_terminating(ctx->crd_terminating_arg);
}

/* A definition that left the store takes its types out of routing and
 * discovery and whatever custom resources are left out of the store.
 * With the cleanup finalizer none is left but one created in a race with
 * its deletion; a definition stored without the finalizer (before it
 * existed) goes at once, and its resources with it, their own finalizers
 * notwithstanding. */
static void deleted(struct cp_api_ctx *ctx, json_object *crd) {
  json_object *spec = get(crd, "spec");
  struct cp_resource_type key;
  size_t gone;
  char *prefix;

  memset(&key, 0, sizeof key);
  key.group = get_str(spec, "group");
  key.resource = get_str(get(spec, "names"), "plural");
  if (key.group == NULL || key.resource == NULL)
    return;
  /* This server's CRD watch (crd.c) may have taken the types out first,
   * so the store prefix comes from the definition (a custom type's
   * prefix needs only its group and plural), not from what this call
   * removed. */
  cp_crd_unregister(ctx->resources, crd);
  if ((prefix = cp_api_key(&key, NULL, NULL)) == NULL)
    return;
  gone = cp_verbs_purge_prefix(ctx, prefix);
  free(prefix);
  cp_log_info("apiserver",
              "customresourcedefinition %s.%s deleted: no "
              "longer served, %zu custom resource(s) deleted",
              key.resource, key.group, gone);
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, NULL},
    {"Created At", "date", "", 0, NULL},
};

static void cells(json_object *o, long long now, json_object *out) {
  cp_table_add_str(out, cp_table_str(o, "metadata.name"));
  cp_table_add_str(out, cp_table_str(o, "metadata.creationTimestamp"));
}

const struct cp_strategy cp_strategy_customresourcedefinitions = {
    .group = "apiextensions.k8s.io",
    .resource = "customresourcedefinitions",
    .flags = CP_STRATEGY_GENERATION | CP_STRATEGY_STATUS_SPLIT,
    .prepare_create = prepare_create,
    .validate = validate,
    .deleted = deleted,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
    .deleting = deleting,
    .marked = marked,
    .stored = stored,
};
