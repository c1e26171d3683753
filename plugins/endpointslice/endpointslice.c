/*
 * endpointslice - kube's EndpointSlice controller: for each Service with
 * a selector, discovery.k8s.io/v1 EndpointSlices (IPv4) holding an
 * endpoint per pod it selects that has an address, with kube's
 * ready/serving/terminating conditions, node, zone, hostname and
 * targetRef, under the Service's ports as each pod resolves them.
 *
 * This file is the plugin's glue over its modules: groups (desired and
 * existing endpoints, via endpoint), placement (which slices to write),
 * meta (labels, trigger time), slicewrite (the writes) and config.
 *
 * Threading: callbacks run on the host's dispatch threads and only
 * enqueue Service keys (pods: every Service in their namespace whose
 * selector matches the old or new labels; slices: their owning Service,
 * through enqueue_owner). reconcile runs on the workers, never for one
 * key on two at once; the plugin keeps no state between runs beyond its
 * settings, set in init.
 */
#include <cplane/cplane.h>

#include "config.h"
#include "eps.h"
#include "groups.h"
#include "meta.h"
#include "placement.h"
#include "slicewrite.h"

#include <stdlib.h>
#include <string.h>

static const struct cplane_host_api *api;
static int max_per_slice = ES_MAX_PER_SLICE_DEFAULT;

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  if (res == ES_SERVICES)
    api->enqueue(ctx, api->object_key(obj));
  else if (res == ES_PODS)
    cplane_enqueue_services_of(api, ctx, ES_SERVICES, obj);
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  if (res == ES_SERVICES) {
    api->enqueue(ctx, api->object_key(new_obj));
  } else if (res == ES_PODS) {
    if (old_obj != new_obj)
      cplane_enqueue_services_of(
          api, ctx, ES_SERVICES,
          old_obj); /* labels may have stopped matching */
    cplane_enqueue_services_of(api, ctx, ES_SERVICES, new_obj);
  }
}

static void on_delete(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  on_add(ctx, res, obj);
}

/* The selector of the slices the controller made for Service ns/name. */
static void slice_selector(const char *name, char *buf, size_t len) {
  snprintf(buf, len, "%s=%s,%s=%s", ES_LABEL_SERVICE, name, ES_LABEL_MANAGED_BY,
           ES_CONTROLLER);
}

/* The Service is gone: so are its slices (the garbage collector would
 * delete them too, through their owner reference). */
static int delete_slices(cplane_plugin_ctx *ctx, const char *key) {
  cplane_object_list *slices = NULL;
  char ns[256], sel[400];
  const char *slash = strchr(key, '/');
  size_t i;
  int rc = CPLANE_RECONCILE_DONE;

  if (slash == NULL || (size_t)(slash - key) >= sizeof ns)
    return rc;
  memcpy(ns, key, (size_t)(slash - key));
  ns[slash - key] = '\0';
  slice_selector(slash + 1, sel, sizeof sel);
  if (api->cache_list(ctx, ES_SLICES, ns, sel, &slices) != CPLANE_OK)
    return rc;
  for (i = 0; i < api->list_len(slices); i++) {
    int code = api->delete_object(ctx, &es_resources[ES_SLICES], ns,
                                  api->object_name(api->list_at(slices, i)),
                                  NULL, NULL);

    if (code != 200 && code != 202 && code != 404)
      rc = CPLANE_RECONCILE_RETRY;
  }
  api->list_free(slices);
  return rc;
}

/* The desired endpoints: one per selected pod that has an address. */
static int gather_pods(cplane_plugin_ctx *ctx, const cplane_object *svc,
                       const char *sel, struct es_groups *want,
                       int64_t *trigger) {
  cplane_object_list *pods = NULL;
  size_t i;
  int rc = 0;

  if (api->cache_list(ctx, ES_PODS, api->object_namespace(svc), sel, &pods) !=
      CPLANE_OK)
    return -1;
  for (i = 0; i < api->list_len(pods) && rc == 0; i++) {
    const cplane_object *pod = api->list_at(pods, i), *node = NULL;
    const char *node_name = api->object_string(pod, "spec.nodeName");
    int64_t t;

    if (!cplane_pod_in_endpoints(api, pod, 1))
      continue;
    if (node_name != NULL && node_name[0] != '\0')
      api->cache_get(ctx, ES_NODES, node_name, &node);
    if (es_groups_add_pod(api, want, svc, pod, node) < 0)
      rc = -1;
    api->object_release(node);
    if ((t = cplane_pod_change_ms(api, pod)) > *trigger)
      *trigger = t;
  }
  api->list_free(pods);
  return rc;
}

/* The existing slices: ours (owned by this Service, IPv4) into have and
 * kept[]; any other with our labels is deleted, as kube does. */
static int gather_slices(cplane_plugin_ctx *ctx, const cplane_object *svc,
                         const cplane_object *labels, struct es_groups *have,
                         cplane_object_list **slices,
                         const cplane_object ***kept) {
  char sel[400];
  const char *ns = api->object_namespace(svc);
  size_t i, n;
  int rc = 0;

  slice_selector(api->object_name(svc), sel, sizeof sel);
  if (api->cache_list(ctx, ES_SLICES, ns, sel, slices) != CPLANE_OK)
    return -1;
  n = api->list_len(*slices);
  if ((*kept = calloc(n + 1, sizeof **kept)) == NULL)
    return -1;
  for (i = 0; i < n && rc == 0; i++) {
    const cplane_object *s = api->list_at(*slices, i);
    const char *type = api->object_string(s, "addressType");

    if (api->object_deletion_timestamp(s) != NULL)
      continue;
    if (!cplane_is_controlled_by(api, s, api->object_uid(svc)) ||
        type == NULL || strcmp(type, "IPv4") != 0) {
      int code = api->delete_object(ctx, &es_resources[ES_SLICES], ns,
                                    api->object_name(s), NULL, NULL);

      if (code != 200 && code != 202 && code != 404)
        rc = -1;
      continue;
    }
    (*kept)[have->n] = s;
    if (es_groups_add_slice(api, have, s,
                            cplane_labels_differ(api, s, labels)) != 0)
      rc = -1;
  }
  return rc;
}

static int es_reconcile(cplane_plugin_ctx *ctx, const char *key,
                        uint32_t *requeue_after_ms) {
  const cplane_object *svc = NULL, *labels = NULL, **kept = NULL;
  cplane_object_list *slices = NULL;
  struct es_groups want = {NULL, 0, 0}, have = {NULL, 0, 0};
  struct es_plan plan = {NULL, 0, 0, NULL, 0};
  char *sel = NULL, *labels_text = NULL;
  int64_t trigger = 0;
  int rc = CPLANE_RECONCILE_RETRY;

  (void)requeue_after_ms;
  if (api->cache_get(ctx, ES_SERVICES, key, &svc) != CPLANE_OK)
    return delete_slices(ctx, key);
  if (api->object_deletion_timestamp(svc) != NULL ||
      (sel = cplane_service_selector(api, svc)) == NULL) {
    rc = CPLANE_RECONCILE_DONE; /* no selector: the user's endpoints */
    goto out;
  }
  if ((labels_text = es_labels_json(api, svc)) == NULL ||
      api->object_parse(labels_text, strlen(labels_text), &labels, NULL) !=
          CPLANE_OK)
    goto out;
  if (gather_pods(ctx, svc, sel, &want, &trigger) != 0 ||
      gather_slices(ctx, svc, labels, &have, &slices, &kept) != 0)
    goto out;
  if (es_plan_make(want.g, want.n, have.g, have.n, max_per_slice, &plan) != 0)
    goto out;
  {
    struct es_target t = {svc, labels_text, trigger, kept};

    if (es_plan_apply(api, ctx, &t, &plan) != 0)
      goto out; /* a 409: the cache was behind; run again */
  }
  rc = CPLANE_RECONCILE_DONE;
out:
  es_plan_free(&plan);
  es_groups_free(&want);
  es_groups_free(&have);
  free(kept);
  api->list_free(slices);
  api->object_release(labels);
  free(labels_text);
  free(sel);
  api->object_release(svc);
  return rc;
}

static int es_init(cplane_plugin_ctx *ctx,
                   const struct cplane_host_api *host_api, char **errmsg) {
  const char *why = NULL;

  api = host_api;
  if (es_config_max_per_slice(api->config_get(ctx, "max_endpoints_per_slice"),
                              &max_per_slice, &why) != 0) {
    *errmsg = api->string_dup(why);
    return CPLANE_EINVAL;
  }
  if (api->enqueue_owner(ctx, ES_SLICES, "", "Service",
                         CPLANE_OWNER_CONTROLLER) != CPLANE_OK) {
    *errmsg = api->string_dup("cannot follow EndpointSlices to Services");
    return CPLANE_EINVAL;
  }
  api->log(ctx, CPLANE_LOG_INFO,
           "keeping Services' EndpointSlices, at most %d endpoints each",
           max_per_slice);
  return CPLANE_OK;
}

static const char *const es_config_keys[] = {"max_endpoints_per_slice", NULL};

static const struct cplane_plugin endpointslice_plugin = {
    CPLANE_PLUGIN_HEADER,      .name = "endpointslice",
    .version = "0.1.0",        .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 4,          .resources = es_resources,
    .init = es_init,           .on_add = on_add,
    .on_update = on_update,    .on_delete = on_delete,
    .reconcile = es_reconcile, .config_keys = es_config_keys,
};

CPLANE_PLUGIN_DEFINE(endpointslice_plugin)
