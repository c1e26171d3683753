/*
 * slicewrite - EndpointSlice writes. See slicewrite.h.
 */
#include "slicewrite.h"

#include "eps.h"

#include <stdlib.h>
#include <string.h>

/* The metadata: generateName or name and resourceVersion, labels, the
 * trigger-time annotation and the controller reference. */
static char *metadata(const struct cplane_host_api *api,
                      const struct es_target *t, const cplane_object *old) {
  char *ref = cplane_controller_ref_json(api, t->svc, "v1", "Service");
  char prefix[300], when[CPLANE_TIME_LEN], *notes = NULL, *out = NULL;

  snprintf(prefix, sizeof prefix, "%s-", api->object_name(t->svc));
  if (t->trigger_ms > 0 &&
      cplane_time_format(t->trigger_ms, when, sizeof when) == 0)
    notes = api->json_format("{%s:%s}", ES_ANNOTATION_TRIGGER, when);
  else
    notes = api->json_format("{}");
  if (ref == NULL || notes == NULL)
    goto out;
  if (old != NULL)
    out = api->json_format(
        "{'name':%s,'namespace':%s,'resourceVersion':%s,'generateName':%s,"
        "'labels':%j,'annotations':%j,'ownerReferences':[%j]}",
        api->object_name(old), api->object_namespace(t->svc),
        api->object_resource_version(old), prefix, t->labels, notes, ref);
  else
    out = api->json_format("{'generateName':%s,'namespace':%s,'labels':%j,"
                           "'annotations':%j,'ownerReferences':[%j]}",
                           prefix, api->object_namespace(t->svc), t->labels,
                           notes, ref);
out:
  api->free(ref);
  api->free(notes);
  return out;
}

char *es_slice_body(const struct cplane_host_api *api,
                    const struct es_target *t, const struct es_write *w) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  char *meta = metadata(api, t, w->slice >= 0 ? t->have[w->slice] : NULL);
  char *text, *body;
  size_t i;

  if (meta == NULL)
    return NULL;
  cplane_strbuf_add(&b, "{\"apiVersion\":\"discovery.k8s.io/v1\","
                        "\"kind\":\"EndpointSlice\",\"metadata\":");
  cplane_strbuf_take(&b, api, meta);
  cplane_strbuf_add(&b, ",\"addressType\":\"IPv4\",\"endpoints\":[");
  for (i = 0; i < w->n; i++) {
    if (i > 0)
      cplane_strbuf_add(&b, ",");
    cplane_strbuf_add(&b, w->eps[i]);
  }
  cplane_strbuf_add(&b, "],\"ports\":");
  cplane_strbuf_add(&b, w->ports);
  cplane_strbuf_add(&b, "}");
  if ((text = cplane_strbuf_finish(&b)) == NULL)
    return NULL;
  body = api->string_dup(text); /* the caller frees with api->free */
  free(text);
  return body;
}

/* Logs a failed write; returns -1. */
static int failed(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                  const char *what, const char *ns, const char *name, int code,
                  char *msg) {
  api->log(ctx, CPLANE_LOG_WARN, "%s EndpointSlice %s/%s: %d %s", what, ns,
           name ? name : "(new)", code, msg ? msg : "");
  api->free(msg);
  return -1;
}

int es_plan_apply(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                  const struct es_target *t, const struct es_plan *plan) {
  const char *ns = api->object_namespace(t->svc);
  int rc = 0, code;
  size_t i;

  for (i = 0; i < plan->n_writes; i++) {
    const struct es_write *w = &plan->writes[i];
    const char *name =
        w->slice >= 0 ? api->object_name(t->have[w->slice]) : NULL;
    char *body = es_slice_body(api, t, w), *msg = NULL;

    if (body == NULL) {
      rc = -1;
      continue;
    }
    if (name != NULL)
      code = api->update(ctx, &es_resources[ES_SLICES], ns, name, body, NULL,
                         &msg);
    else
      code = api->create(ctx, &es_resources[ES_SLICES], ns, body, NULL, &msg);
    api->free(body);
    if (code != 200 && code != 201)
      rc =
          failed(api, ctx, name ? "updating" : "creating", ns, name, code, msg);
    else
      api->free(msg);
  }
  for (i = 0; i < plan->n_deletes; i++) {
    const char *name = api->object_name(t->have[plan->deletes[i]]);
    char *msg = NULL;

    code =
        api->delete_object(ctx, &es_resources[ES_SLICES], ns, name, NULL, &msg);
    if (code != 200 && code != 202 && code != 404)
      rc = failed(api, ctx, "deleting", ns, name, code, msg);
    else
      api->free(msg);
  }
  return rc;
}
