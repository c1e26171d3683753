/*
 * conditions - see conditions.h. Reasons and messages are kube's
 * (pkg/controller/namespace/deletion/status_condition_utils.go).
 */
#include "conditions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_TYPES 5
#define MSG_MAX 2048

struct cond {
  const char *type, *status, *reason;
  char message[MSG_MAX];
};

static const char *const types[N_TYPES] = {
    "NamespaceDeletionDiscoveryFailure",
    "NamespaceDeletionGroupVersionParsingFailure",
    "NamespaceDeletionContentFailure",
    "NamespaceContentRemaining",
    "NamespaceFinalizersRemaining",
};
static const char *const ok_reasons[N_TYPES] = {
    "ResourcesDiscovered", "ParsedGroupVersions", "ContentDeleted",
    "ContentRemoved", "ContentHasNoFinalizers"};
static const char *const ok_messages[N_TYPES] = {
    "All resources successfully discovered",
    "All legacy kube types successfully parsed",
    "All content successfully deleted, may be waiting on finalization",
    "All content successfully removed",
    "All content-preserving finalizers finished"};
static const char *const failed_reasons[N_TYPES] = {
    "DiscoveryFailed", "GroupVersionParsingFailed", "ContentDeletionFailed",
    "SomeResourcesRemain", "SomeFinalizersRemain"};

static int by_name(const void *a, const void *b) {
  return strcmp(((const struct ns_count *)a)->name,
                ((const struct ns_count *)b)->name);
}

/* "prefix" and "NAME<middle>N resource instances", sorted, comma joined,
 * as far as it fits. */
static void join_counts(char *buf, const char *prefix,
                        const struct ns_count *v, size_t n,
                        const char *middle) {
  struct ns_count sorted[NS_MAX_COUNTED];
  size_t i, used;

  memcpy(sorted, v, n * sizeof *v);
  qsort(sorted, n, sizeof *sorted, by_name);
  snprintf(buf, MSG_MAX, "%s", prefix);
  for (i = 0; i < n; i++) {
    used = strlen(buf);
    snprintf(buf + used, MSG_MAX - used, "%s%s%s%d resource instances",
             i ? ", " : "", sorted[i].name, middle, sorted[i].n);
  }
}

/* kube prints an aggregate of one error bare, of several in brackets. */
static void aggregate(char *buf, const char *head, int n, const char *list) {
  snprintf(buf, MSG_MAX, n == 1 ? "%s%s" : "%s[%s]", head, list);
}

static void compute(const struct ns_content *c, struct cond *out) {
  char head[128];
  int i;

  for (i = 0; i < N_TYPES; i++) {
    out[i].type = types[i];
    out[i].status = "False";
    out[i].reason = ok_reasons[i];
    snprintf(out[i].message, MSG_MAX, "%s", ok_messages[i]);
  }
  if (c->discovery_failures > 0) {
    out[0].status = "True";
    out[0].reason = failed_reasons[0];
    snprintf(head, sizeof head, "Discovery failed for some groups, %d "
                                "failing: unable to retrieve the complete "
                                "list of server APIs: ",
             c->discovery_failures);
    snprintf(out[0].message, MSG_MAX, "%s%s", head, c->discovery_errors);
  }
  if (c->delete_failures > 0) {
    out[2].status = "True";
    out[2].reason = failed_reasons[2];
    snprintf(head, sizeof head,
             "Failed to delete all resource types, %d remaining: ",
             c->delete_failures);
    aggregate(out[2].message, head, c->delete_failures, c->delete_errors);
  }
  if (c->remaining > 0) {
    out[3].status = "True";
    out[3].reason = failed_reasons[3];
    join_counts(out[3].message, "Some resources are remaining: ",
                c->resources, c->n_resources, " has ");
  }
  if (c->n_finalizers > 0) {
    out[4].status = "True";
    out[4].reason = failed_reasons[4];
    join_counts(out[4].message, "Some content in the namespace has "
                                "finalizers remaining: ",
                c->finalizers, c->n_finalizers, " in ");
  }
}

int ns_update_conditions(const struct cplane_host_api *api,
                         cplane_plugin_ctx *ctx,
                         const struct cplane_resource *namespaces,
                         const cplane_object *nsobj,
                         const struct ns_content *c) {
  struct cond *want = calloc(N_TYPES, sizeof *want);
  struct cplane_condition set[N_TYPES];
  char *conds = NULL, *md = NULL, *spec = NULL, *body = NULL, *msg = NULL;
  const char *phase = api->object_string(nsobj, "status.phase");
  int changed = 0, code = CPLANE_ENOMEM, i;

  if (want == NULL)
    goto out;
  compute(c, want);
  for (i = 0; i < N_TYPES; i++)
    set[i] = (struct cplane_condition){want[i].type, want[i].status,
                                       want[i].reason, want[i].message, 0};
  if ((code = cplane_conditions_set(api, ctx, nsobj, "status.conditions", set,
                                    N_TYPES, &conds, &changed)) != CPLANE_OK)
    goto out;
  code = 0;
  if (!changed)
    goto out;
  code = CPLANE_ENOMEM;
  md = api->object_json(nsobj, "metadata");
  spec = api->object_json(nsobj, "spec");
  if (md == NULL)
    goto out;
  body = api->json_format("{'apiVersion':'v1','kind':'Namespace',"
                          "'metadata':%j,'spec':%j,'status':{'phase':%s,"
                          "'conditions':%j}}",
                          md, spec ? spec : "{}",
                          phase ? phase : "Terminating", conds);
  if (body == NULL)
    goto out;
  code = api->update_status(ctx, namespaces, NULL, api->object_name(nsobj),
                            body, NULL, &msg);
  if (code != 200 && code != 409 && code != 404)
    api->log(ctx, CPLANE_LOG_WARN, "%s: updating conditions failed: %d %s",
             api->object_name(nsobj), code, msg ? msg : "");
out:
  api->free(msg);
  api->free(body);
  api->free(spec);
  api->free(md);
  api->free(conds);
  free(want);
  return code;
}
