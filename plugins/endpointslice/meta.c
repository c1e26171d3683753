/*
 * meta - EndpointSlice labels and trigger time. See meta.h.
 */
#include "meta.h"

#include "eps.h"

#include <string.h>

struct copy {
  struct cplane_strbuf *b;
  int first;
};

/* Kube's own keys are set below, whatever the Service says; label keys
 * and values cannot hold quotes (the API server validates them), but a
 * bad one is skipped rather than written as broken JSON. */
static int copy_label(void *userdata, const char *key, const char *value) {
  struct copy *c = userdata;

  if (value == NULL || strcmp(key, ES_LABEL_SERVICE) == 0 ||
      strcmp(key, ES_LABEL_MANAGED_BY) == 0 ||
      strcmp(key, ES_LABEL_HEADLESS) == 0 || strpbrk(key, "\"\\") != NULL ||
      strpbrk(value, "\"\\") != NULL)
    return 0;
  cplane_strbuf_addf(c->b, "%s\"%s\":\"%s\"", c->first ? "" : ",", key, value);
  c->first = 0;
  return 0;
}

char *es_labels_json(const struct cplane_host_api *api,
                     const cplane_object *svc) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  struct copy c = {&b, 1};
  const char *name = api->object_name(svc);

  if (name == NULL || strpbrk(name, "\"\\") != NULL)
    return NULL;
  cplane_strbuf_add(&b, "{");
  api->object_foreach(svc, "metadata.labels", copy_label, &c);
  cplane_strbuf_addf(&b, "%s\"%s\":\"%s\",\"%s\":\"%s\"", c.first ? "" : ",",
                     ES_LABEL_SERVICE, name, ES_LABEL_MANAGED_BY,
                     ES_CONTROLLER);
  if (cplane_service_is_headless(api, svc))
    cplane_strbuf_addf(&b, ",\"%s\":\"\"", ES_LABEL_HEADLESS);
  cplane_strbuf_add(&b, "}");
  return cplane_strbuf_finish(&b);
}

struct compare {
  const struct cplane_host_api *api;
  const cplane_object *slice;
  int differ;
};

static int compare_label(void *userdata, const char *key, const char *value) {
  struct compare *c = userdata;
  const char *have = c->api->object_label(c->slice, key);

  if (have == NULL || value == NULL || strcmp(have, value) != 0) {
    c->differ = 1;
    return 1;
  }
  return 0;
}

int es_labels_stale(const struct cplane_host_api *api,
                    const cplane_object *slice, const cplane_object *labels) {
  struct compare c = {api, slice, 0};

  if (api->object_len(slice, "metadata.labels") != api->object_len(labels, ""))
    return 1;
  api->object_foreach(labels, "", compare_label, &c);
  return c.differ;
}

/* max(*ms, the time at path of obj). */
static void later(const struct cplane_host_api *api, const cplane_object *obj,
                  const char *path, int64_t *ms) {
  const char *s = api->object_string(obj, path);
  int64_t t;

  if (s != NULL && cplane_time_parse(s, &t) == 0 && t > *ms)
    *ms = t;
}

int64_t es_pod_change_ms(const struct cplane_host_api *api,
                         const cplane_object *pod) {
  int64_t ms = 0;
  int i = cplane_condition_find(api, pod, "status.conditions", "Ready");
  char path[80];

  later(api, pod, "metadata.creationTimestamp", &ms);
  later(api, pod, "metadata.deletionTimestamp", &ms);
  if (i >= 0) {
    snprintf(path, sizeof path, "status.conditions[%d].lastTransitionTime", i);
    later(api, pod, path, &ms);
  }
  return ms;
}
