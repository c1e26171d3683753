/*
 * adopt - orphaned ReplicaSets and the Deployments that may adopt them.
 * See adopt.h.
 */
#include "adopt.h"

#include "rswrite.h"

#include <stdlib.h>
#include <string.h>

/* A LabelSelector (matchLabels, matchExpressions) at `path` as the text
 * cache_list() takes: "app=web,tier in (a,b),!canary". Owned: free().
 * NULL when out of memory, malformed or empty (which, for a Deployment,
 * selects nothing). */
static char *selector_of(const struct cplane_host_api *api,
                         const cplane_object *o, const char *path) {
  char *text = api->label_selector_text(o, path), *copy;

  copy = text != NULL && text[0] != '\0' ? strdup(text) : NULL;
  api->free(text);
  return copy;
}

/* Makes the Deployment the controller of ReplicaSets that match its
 * selector and have no controller, as Kubernetes' ClaimReplicaSets does.
 * The JSON patch tests the resourceVersion first, so a ReplicaSet that
 * changed meanwhile (perhaps adopted by someone else) is left alone.
 * Returns how many were adopted, or -1 after a failed write. */
int dp_adopt_orphans(struct deploy *d) {
  const struct cplane_host_api *api = d->api;
  cplane_object_list *list = NULL;
  char *sel = selector_of(api, d->o, "spec.selector");
  char *ref = cplane_controller_ref_json(api, d->o, "apps/v1", "Deployment");
  size_t i, n;
  int adopted = 0, failed = 0;

  if (sel == NULL || ref == NULL ||
      api->cache_list(d->ctx, DP_RS, d->ns, sel, &list) != CPLANE_OK)
    goto out;
  n = api->list_len(list);
  for (i = 0; i < n; i++) {
    const cplane_object *o = api->list_at(list, i);
    int has_refs =
        api->object_type(o, "metadata.ownerReferences") == CPLANE_TYPE_ARRAY;
    char *patch, *msg = NULL;
    int code;

    if (api->object_controller_uid(o) != NULL ||
        api->object_deletion_timestamp(o) != NULL)
      continue;
    patch = api->json_format(
        has_refs ? "[{'op':'test','path':'/metadata/resourceVersion',"
                   "'value':%s},{'op':'add','path':"
                   "'/metadata/ownerReferences/-','value':%j}]"
                 : "[{'op':'test','path':'/metadata/resourceVersion',"
                   "'value':%s},{'op':'add','path':"
                   "'/metadata/ownerReferences','value':[%j]}]",
        api->object_resource_version(o), ref);
    if (patch == NULL) {
      failed = 1;
      break;
    }
    code = api->patch(d->ctx, &dp_resources[DP_RS], d->ns, api->object_name(o),
                      CPLANE_PATCH_JSON, patch, NULL, &msg);
    api->free(patch);
    if (code != 200) {
      dp_write_failed(d, "adopting a ReplicaSet", code, msg);
      failed = 1;
      continue;
    }
    api->free(msg);
    api->log(d->ctx, CPLANE_LOG_INFO, "%s: adopted ReplicaSet %s", d->key,
             api->object_name(o));
    adopted++;
  }
out:
  api->list_free(list);
  api->free(ref);
  free(sel);
  return failed ? -1 : adopted;
}

/* A ReplicaSet without a controller: every Deployment of its namespace
 * that selects it may adopt it. Only reads the cache, so it does not
 * block. */
void dp_enqueue_adopters(const struct cplane_host_api *api,
                         cplane_plugin_ctx *ctx, const cplane_object *rs) {
  cplane_object_list *list = NULL;
  size_t i, n;

  if (api->object_controller_uid(rs) != NULL ||
      api->object_deletion_timestamp(rs) != NULL ||
      api->cache_list(ctx, DP_DEPLOY, api->object_namespace(rs), NULL, &list) !=
          CPLANE_OK)
    return;
  n = api->list_len(list);
  for (i = 0; i < n; i++) {
    const cplane_object *dep = api->list_at(list, i);
    char *sel = selector_of(api, dep, "spec.selector");

    if (sel != NULL && api->object_labels_match(rs, sel) == 1)
      api->enqueue(ctx, api->object_key(dep));
    free(sel);
  }
  api->list_free(list);
}
