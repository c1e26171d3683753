/*
 * endpoints - kube's (legacy) Endpoints controller: for each Service
 * with a selector, the v1 Endpoints object of the same name, its subsets
 * holding the selected pods' addresses (ready ones in addresses, others
 * in notReadyAddresses) with the ports each resolves, at most 1000
 * addresses (beyond: truncated, annotated over-capacity), labelled with
 * the Service's labels. kubectl describe svc shows it.
 *
 * This file is the plugin's glue over its modules: addrs (addresses from
 * pods and from the object, in one form) and subsets (repacking and
 * truncation), so that "is it right" is a comparison of two texts.
 *
 * Threading: callbacks run on the host's dispatch threads and only
 * enqueue Service keys (pods: the Services in their namespace selecting
 * the old or new labels; Endpoints: the Service of the same key).
 * reconcile runs on the workers, never for one key on two at once; the
 * plugin keeps no state between runs.
 */
#include <cplane/cplane.h>

#include "addrs.h"
#include "ep.h"
#include "subsets.h"

#include <stdlib.h>
#include <string.h>

static const struct cplane_host_api *api;

static void on_add(cplane_plugin_ctx *ctx, uint32_t res,
                   const cplane_object *obj) {
  if (res == EP_PODS)
    cplane_enqueue_services_of(api, ctx, EP_SERVICES, obj);
  else /* a Service, or the Endpoints of the Service of that key */
    api->enqueue(ctx, api->object_key(obj));
}

static void on_update(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *old_obj,
                      const cplane_object *new_obj) {
  if (res == EP_PODS && old_obj != new_obj)
    cplane_enqueue_services_of(api, ctx, EP_SERVICES,
                               old_obj); /* labels may have stopped matching */
  on_add(ctx, res, new_obj);
}

/* What the Endpoints should be, against what it is. */
struct want {
  char *subsets; /* owned (free()) */
  char *labels;  /* owned (free()) */
  int truncated;
  int64_t trigger_ms;
};

static int compute(cplane_plugin_ctx *ctx, const cplane_object *svc,
                   const char *sel, struct want *w) {
  cplane_object_list *pods = NULL;
  struct ep_addrs l = {NULL, 0, 0};
  size_t i;
  int rc = -1;

  if (api->cache_list(ctx, EP_PODS, api->object_namespace(svc), sel, &pods) !=
      CPLANE_OK)
    return -1;
  for (i = 0; i < api->list_len(pods); i++) {
    const cplane_object *pod = api->list_at(pods, i);
    int64_t t = cplane_pod_change_ms(api, pod);

    if (ep_addrs_add_pod(api, &l, svc, pod) != 0)
      goto out;
    if (t > w->trigger_ms)
      w->trigger_ms = t;
  }
  if ((w->subsets =
           ep_subsets_json(l.a, l.n, EP_MAX_CAPACITY, &w->truncated)) == NULL ||
      (w->labels = cplane_endpoints_labels(api, svc, NULL, NULL)) == NULL)
    goto out;
  rc = 0;
out:
  ep_addrs_free(&l);
  api->list_free(pods);
  return rc;
}

/* 1 when eps already is what w says (kube: subsets, labels and the
 * over-capacity annotation; the trigger time alone is no reason to
 * write). -1 when out of memory. */
static int up_to_date(const cplane_object *eps, const struct want *w) {
  struct ep_addrs l = {NULL, 0, 0};
  const cplane_object *labels = NULL;
  const char *cap = api->object_annotation(eps, EP_ANNOTATION_CAPACITY);
  char *have = NULL;
  int rc = -1;

  if (ep_addrs_add_endpoints(api, &l, eps) != 0 ||
      (have = ep_subsets_json(l.a, l.n, (size_t)-1, NULL)) == NULL ||
      api->object_parse(w->labels, strlen(w->labels), &labels, NULL) !=
          CPLANE_OK)
    goto out;
  rc = strcmp(have, w->subsets) == 0 &&
       !cplane_labels_differ(api, eps, labels) &&
       (w->truncated ? cap != NULL && strcmp(cap, "truncated") == 0
                     : cap == NULL);
out:
  api->object_release(labels);
  free(have);
  ep_addrs_free(&l);
  return rc;
}

/* Creates or replaces the Endpoints object (old: the cached one, NULL). */
static int write_endpoints(cplane_plugin_ctx *ctx, const cplane_object *svc,
                           const cplane_object *old, const struct want *w) {
  struct cplane_strbuf notes = CPLANE_STRBUF_INIT;
  char when[CPLANE_TIME_LEN], *text, *body;
  const char *ns = api->object_namespace(svc), *name = api->object_name(svc);
  char *msg = NULL;
  int code;

  cplane_strbuf_add(&notes, "{");
  if (w->trigger_ms > 0 &&
      cplane_time_format(w->trigger_ms, when, sizeof when) == CPLANE_OK)
    cplane_strbuf_addf(&notes, "\"%s\":\"%s\"", EP_ANNOTATION_TRIGGER, when);
  if (w->truncated)
    cplane_strbuf_addf(&notes, "%s\"%s\":\"truncated\"",
                       notes.len > 1 ? "," : "", EP_ANNOTATION_CAPACITY);
  cplane_strbuf_add(&notes, "}");
  if ((text = cplane_strbuf_finish(&notes)) == NULL)
    return -1;
  body = api->json_format(
      "{'apiVersion':'v1','kind':'Endpoints','metadata':{'name':%s,"
      "'namespace':%s,'resourceVersion':%s,'labels':%j,'annotations':%j},"
      "'subsets':%j}",
      name, ns, old != NULL ? api->object_resource_version(old) : NULL,
      w->labels, text, w->subsets);
  free(text);
  if (body == NULL)
    return -1;
  if (old != NULL)
    code = api->update(ctx, &ep_resources[EP_ENDPOINTS], ns, name, body, NULL,
                       &msg);
  else
    code = api->create(ctx, &ep_resources[EP_ENDPOINTS], ns, body, NULL, &msg);
  api->free(body);
  if (code != 200 && code != 201)
    api->log(ctx, CPLANE_LOG_WARN, "%s Endpoints %s/%s: %d %s",
             old != NULL ? "updating" : "creating", ns, name, code,
             msg != NULL ? msg : "");
  api->free(msg);
  return code == 200 || code == 201 ? 0 : -1;
}

/* The Service is gone: so is its Endpoints object, as kube deletes it. */
static int delete_endpoints(cplane_plugin_ctx *ctx, const char *key) {
  const cplane_object *eps = NULL;
  int code;

  if (api->cache_get(ctx, EP_ENDPOINTS, key, &eps) != CPLANE_OK)
    return CPLANE_RECONCILE_DONE;
  code = api->delete_object(ctx, &ep_resources[EP_ENDPOINTS],
                            api->object_namespace(eps), api->object_name(eps),
                            NULL, NULL);
  api->object_release(eps);
  return code == 200 || code == 202 || code == 404 ? CPLANE_RECONCILE_DONE
                                                   : CPLANE_RECONCILE_RETRY;
}

static int ep_reconcile(cplane_plugin_ctx *ctx, const char *key,
                        uint32_t *requeue_after_ms) {
  const cplane_object *svc = NULL, *eps = NULL;
  struct want w = {NULL, NULL, 0, 0};
  char *sel = NULL;
  int rc = CPLANE_RECONCILE_RETRY, same;

  (void)requeue_after_ms;
  if (api->cache_get(ctx, EP_SERVICES, key, &svc) != CPLANE_OK)
    return delete_endpoints(ctx, key);
  if (api->object_deletion_timestamp(svc) != NULL ||
      (sel = cplane_service_selector(api, svc)) == NULL) {
    rc = CPLANE_RECONCILE_DONE; /* no selector: the user's Endpoints */
    goto out;
  }
  if (compute(ctx, svc, sel, &w) != 0)
    goto out;
  if (api->cache_get(ctx, EP_ENDPOINTS, key, &eps) == CPLANE_OK &&
      (same = up_to_date(eps, &w)) != 0) {
    rc = same > 0 ? CPLANE_RECONCILE_DONE : CPLANE_RECONCILE_RETRY;
    goto out;
  }
  /* A 409 means the cache was behind: the watch event on its way queues
   * the Service again, and the retry reads it. */
  if (write_endpoints(ctx, svc, eps, &w) == 0)
    rc = CPLANE_RECONCILE_DONE;
out:
  free(w.subsets);
  free(w.labels);
  free(sel);
  api->object_release(eps);
  api->object_release(svc);
  return rc;
}

static int ep_init(cplane_plugin_ctx *ctx,
                   const struct cplane_host_api *host_api, char **errmsg) {
  (void)errmsg;
  api = host_api;
  api->log(ctx, CPLANE_LOG_INFO, "keeping Services' Endpoints");
  return CPLANE_OK;
}

/* This plugin reads no [plugin.NAME] key of its own. */
static const char *const ep_config_keys[] = {NULL};

static const struct cplane_plugin endpoints_plugin = {
    CPLANE_PLUGIN_HEADER,      .name = "endpoints",
    .version = "0.1.0",        .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 3,          .resources = ep_resources,
    .init = ep_init,           .on_add = on_add,
    .on_update = on_update,    .on_delete = on_add,
    .reconcile = ep_reconcile, .config_keys = ep_config_keys,
};

CPLANE_PLUGIN_DEFINE(endpoints_plugin)
