/*
 * taints - the unreachable taint and the pods' tolerations of it. See
 * taints.h.
 */
#include "taints.h"

#include <stdio.h>
#include <string.h>

/* The index of our unreachable taint with that effect in spec.taints,
 * or -1. */
int nl_find_taint_effect(const struct cplane_host_api *api,
                         const cplane_object *node, const char *effect) {
  int n = api->object_len(node, "spec.taints"), i;

  for (i = 0; i < n; i++) {
    const char *k = cplane_array_string(api, node, "spec.taints", i, "key");
    const char *e = cplane_array_string(api, node, "spec.taints", i, "effect");

    if (k != NULL && e != NULL && strcmp(k, TAINT_KEY) == 0 &&
        strcmp(e, effect) == 0)
      return i;
  }
  return -1;
}

/* The index of our unreachable NoExecute taint in spec.taints, or -1. */
int nl_find_taint(const struct cplane_host_api *api,
                  const cplane_object *node) {
  return nl_find_taint_effect(api, node, "NoExecute");
}

/* When the taint went on (its timeAdded), or `fallback`. */
double nl_taint_time(const struct cplane_host_api *api,
                     const cplane_object *node, int t, double fallback) {
  return cplane_time_parse_s(
      cplane_array_string(api, node, "spec.taints", t, "timeAdded"), fallback);
}

/* How long pod tolerates the unreachable taint: -1 for ever, else
 * seconds. The shortest of several matching tolerations wins, as in
 * Kubernetes; a pod with none gets the default. */
int64_t nl_toleration_s(const struct cplane_host_api *api,
                        const cplane_object *pod, int64_t default_s) {
  int n = api->object_len(pod, "spec.tolerations"), i;
  int64_t best = -2;
  char path[80];

  for (i = 0; i < n; i++) {
    const char *key, *op, *effect, *value;
    int64_t secs;
    int exists;

    key = cplane_array_string(api, pod, "spec.tolerations", i, "key");
    op = cplane_array_string(api, pod, "spec.tolerations", i, "operator");
    effect = cplane_array_string(api, pod, "spec.tolerations", i, "effect");
    value = cplane_array_string(api, pod, "spec.tolerations", i, "value");
    exists = op != NULL && strcmp(op, "Exists") == 0;
    if (key == NULL || key[0] == '\0') {
      if (!exists) /* an empty key only means "all" with Exists */
        continue;
    } else if (strcmp(key, TAINT_KEY) != 0 ||
               (!exists && value != NULL && value[0] != '\0')) {
      continue; /* the taint has no value: Equal needs an empty one */
    }
    if (effect != NULL && effect[0] != '\0' && strcmp(effect, "NoExecute") != 0)
      continue;
    snprintf(path, sizeof path, "spec.tolerations[%d].tolerationSeconds", i);
    if (api->object_int(pod, path, &secs) != CPLANE_OK)
      return -1;
    if (secs < 0)
      secs = 0;
    if (best < 0 || secs < best)
      best = secs;
  }
  return best == -2 ? default_s : best;
}

/* Writes spec.taints with our taint added (`add`) or removed, as a merge
 * patch of the whole list guarded by the resourceVersion we read, so a
 * taint someone else added meanwhile is never lost. Returns the HTTP code
 * or < 0. */
int nl_write_taint(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                   const cplane_object *node, int add) {
  int n = api->object_len(node, "spec.taints"), i,
      mine = nl_find_taint(api, node);
  int mine_ns = nl_find_taint_effect(api, node, "NoSchedule");
  int code = CPLANE_ENOMEM, first = 1;
  struct cplane_strbuf b = {0};
  char now[40], path[48], *list = NULL, *body = NULL, *msg = NULL;

  cplane_time_format(api->now_ms(ctx), now, sizeof now);
  cplane_strbuf_add(&b, "[");
  for (i = 0; i < n; i++) {
    if (i == mine || i == mine_ns)
      continue;
    snprintf(path, sizeof path, "spec.taints[%d]", i);
    cplane_strbuf_add(&b, first ? "" : ",");
    cplane_strbuf_take(&b, api, api->object_json(node, path));
    first = 0;
  }
  if (add) {
    /* NoSchedule as well, as kube's TaintNodesByCondition: every pod
     * tolerates the NoExecute one for a while (the API server's
     * DefaultTolerationSeconds), and must still not be scheduled here. */
    cplane_strbuf_add(&b, first ? "" : ",");
    cplane_strbuf_take(
        &b, api,
        api->json_format("{'key':%s,'effect':'NoSchedule'}", TAINT_KEY));
    cplane_strbuf_add(&b, ",");
    cplane_strbuf_take(&b, api,
                       api->json_format("{'key':%s,'effect':'NoExecute',"
                                        "'timeAdded':%s}",
                                        TAINT_KEY, now));
    first = 0;
  }
  cplane_strbuf_add(&b, "]");
  if ((list = cplane_strbuf_finish(&b)) == NULL)
    goto out;
  /* An empty list removes the field, as kubectl taint leaves it. */
  body = api->json_format("{'metadata':{'resourceVersion':%s},'spec':{"
                          "'taints':%j}}",
                          api->object_resource_version(node),
                          first ? "null" : list);
  if (body == NULL)
    goto out;
  code = api->patch(ctx, &nl_resources[NL_NODES], NULL, api->object_name(node),
                    CPLANE_PATCH_MERGE, body, NULL, &msg);
  if (code != 200 && code != 409 && code != 404)
    api->log(ctx, CPLANE_LOG_WARN, "node %s: %s the %s taint failed: %d %s",
             api->object_name(node), add ? "adding" : "removing", TAINT_KEY,
             code, msg ? msg : "");
out:
  free(list);
  api->free(body);
  api->free(msg);
  return code;
}
