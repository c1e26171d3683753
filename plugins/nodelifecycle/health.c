/*
 * health - when a node's kubelet was last heard of, and its Ready
 * condition. See health.h.
 */
#include "health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* When the node's kubelet was last heard of: the Lease's renewTime, else
 * the node's creation; never before we started, so that a restart of the
 * control plane does not find every node silent at once. */
double nl_last_heard(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                     const cplane_object *node, double started) {
  const cplane_object *lease = NULL;
  char key[300];
  double t = 0;

  snprintf(key, sizeof key, "%s/%s", LEASE_NS, api->object_name(node));
  t = cplane_time_parse_s(
      api->object_string(node, "metadata.creationTimestamp"), 0);
  if (api->cache_get(ctx, NL_LEASES, key, &lease) == CPLANE_OK)
    t = cplane_time_parse_s(api->object_string(lease, "spec.renewTime"), t);
  api->object_release(lease);
  return t > started ? t : started;
}

struct status_copy {
  const struct cplane_host_api *api;
  const cplane_object *node;
  struct cplane_strbuf *b;
  int first;
};

/* object_foreach callback: copies one member of status, except the
 * conditions, which the caller writes itself. */
static int copy_status_member(void *userdata, const char *key,
                              const char *str) {
  struct status_copy *c = userdata;
  const struct cplane_host_api *api = c->api;
  struct cplane_strbuf path = {0};
  const char *k;
  char *p;

  (void)str;
  if (strcmp(key, "conditions") == 0)
    return 0;
  cplane_strbuf_add(&path, "status.");
  for (k = key; *k != '\0'; k++) {
    char one[3] = {'\\', *k, '\0'};

    cplane_strbuf_add(&path,
                      (*k == '.' || *k == '[' || *k == '\\') ? one : one + 1);
  }
  if ((p = cplane_strbuf_finish(&path)) == NULL) {
    c->b->failed = 1;
    return 1;
  }
  cplane_strbuf_add(c->b, c->first ? "" : ",");
  cplane_strbuf_take(c->b, api, api->json_format("%s", key));
  cplane_strbuf_add(c->b, ":");
  cplane_strbuf_take(c->b, api, api->object_json(c->node, p));
  c->first = 0;
  free(p);
  return 0;
}

/* The conditions kube marks Unknown when a kubelet goes silent;
 * NetworkUnavailable is the control plane's and stays. */
static const char *const silent_types[NL_SILENT_TYPES] = {
    "Ready", "MemoryPressure", "DiskPressure", "PIDPressure"};

static int silent_index(const char *type) {
  int i;

  for (i = 0; type != NULL && i < NL_SILENT_TYPES; i++)
    if (strcmp(type, silent_types[i]) == 0)
      return i;
  return -1;
}

/* One condition as JSON text (owned: api->free). */
static char *condition(const struct cplane_host_api *api, const char *type,
                       const char *status, const char *reason,
                       const char *message, const char *heartbeat,
                       const char *transition) {
  return api->json_format("{'type':%s,'status':%s,'reason':%s,'message':%s,"
                          "'lastHeartbeatTime':%s,'lastTransitionTime':%s}",
                          type, status, reason, message, heartbeat,
                          transition);
}

/* Condition i of node as it is to be written: unchanged, or (`ready` 1)
 * Ready=True, or (`ready` 0) a silent type that is not Unknown yet turned
 * Unknown, heartbeat kept. Sets seen[type] for the silent types. */
static char *rewrite_condition(const struct cplane_host_api *api,
                               const cplane_object *node, int i, int ready,
                               const char *now, int seen[NL_SILENT_TYPES]) {
  const char *t = cplane_array_string(api, node, CONDS, i, "type");
  const char *st = cplane_array_string(api, node, CONDS, i, "status");
  const char *hb = cplane_array_string(api, node, CONDS, i, "lastHeartbeatTime");
  int k = silent_index(t);
  char path[64];

  if (k >= 0)
    seen[k] = 1;
  if (ready && k == 0)
    return condition(api, "Ready", "True", "KubeletReady",
                     "kubelet is posting ready status", hb ? hb : now, now);
  if (!ready && k >= 0 && (st == NULL || strcmp(st, "Unknown") != 0))
    return condition(api, t, "Unknown", "NodeStatusUnknown",
                     "Kubelet stopped posting node status.", hb ? hb : now,
                     now);
  snprintf(path, sizeof path, CONDS "[%d]", i);
  return api->object_json(node, path);
}

/* The conditions a kubelet never posted: Ready alone (`ready` 1), or,
 * as kube marks a node it never heard from, each silent type Unknown
 * with reason NodeStatusNeverUpdated, heartbeat the node's creation. */
static void add_missing(const struct cplane_host_api *api,
                        const cplane_object *node, int ready, const char *now,
                        const int seen[NL_SILENT_TYPES], int first,
                        struct cplane_strbuf *b) {
  const char *created =
      api->object_string(node, "metadata.creationTimestamp");
  int k;

  for (k = 0; k < (ready ? 1 : NL_SILENT_TYPES); k++) {
    if (seen[k])
      continue;
    cplane_strbuf_add(b, first ? "" : ",");
    first = 0;
    cplane_strbuf_take(
        b, api,
        ready ? condition(api, "Ready", "True", "KubeletReady",
                          "kubelet is posting ready status", now, now)
              : condition(api, silent_types[k], "Unknown",
                          "NodeStatusNeverUpdated",
                          "Kubelet never posted node status.",
                          created ? created : now, now));
  }
}

/* Writes Ready=True (`ready` 1) or kube's silent-node Unknowns (0),
 * keeping every other condition and status field. Returns the HTTP code
 * or < 0; on 200 *out is the node as stored. */
int nl_write_ready(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                   const cplane_object *node, int ready,
                   const cplane_object **out) {
  int n = api->object_len(node, "status.conditions"), i, code;
  int seen[NL_SILENT_TYPES] = {0};
  struct cplane_strbuf b = {0};
  struct status_copy copy = {api, node, &b, 1};
  char now[40], *st = NULL, *body = NULL, *msg = NULL;

  cplane_time_format(api->now_ms(ctx), now, sizeof now);
  cplane_strbuf_add(&b, "{");
  if (api->object_type(node, "status") == CPLANE_TYPE_OBJECT)
    api->object_foreach(node, "status", copy_status_member, &copy);
  cplane_strbuf_add(&b, copy.first ? "\"conditions\":[" : ",\"conditions\":[");
  for (i = 0; i < n; i++) {
    cplane_strbuf_add(&b, i > 0 ? "," : "");
    cplane_strbuf_take(&b, api,
                       rewrite_condition(api, node, i, ready, now, seen));
  }
  add_missing(api, node, ready, now, seen, n <= 0, &b);
  cplane_strbuf_add(&b, "]}");
  code = CPLANE_ENOMEM;
  if ((st = cplane_strbuf_finish(&b)) == NULL)
    goto out;
  body = api->json_format("{'apiVersion':'v1','kind':'Node','metadata':{"
                          "'name':%s,'resourceVersion':%s},'status':%j}",
                          api->object_name(node),
                          api->object_resource_version(node), st);
  if (body == NULL)
    goto out;
  code = api->update_status(ctx, &nl_resources[NL_NODES], NULL,
                            api->object_name(node), body, out, &msg);
  if (code != 200 && code != 409 && code != 404)
    api->log(ctx, CPLANE_LOG_WARN, "node %s: setting Ready=%s failed: %d %s",
             api->object_name(node), ready ? "True" : "Unknown", code,
             msg ? msg : "");
out:
  free(st);
  api->free(body);
  api->free(msg);
  return code;
}
