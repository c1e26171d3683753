/*
 * jobs - see jobs.h.
 */
#include "jobs.h"

#include <stdio.h>
#include <string.h>

const char *cj_job_finished(const struct cplane_host_api *api,
                            const cplane_object *job) {
  if (cplane_condition_is_true(api, job, "status.conditions", "Complete"))
    return "Complete";
  if (cplane_condition_is_true(api, job, "status.conditions", "Failed"))
    return "Failed";
  return NULL;
}

int cj_job_name(const char *cronjob, int64_t scheduled_ms, char *buf,
                size_t len) {
  int64_t minutes = scheduled_ms / 60000 - (scheduled_ms % 60000 < 0);
  int n = snprintf(buf, len, "%s-%lld", cronjob, (long long)minutes);

  return n >= 0 && (size_t)n < len ? 0 : -1;
}

int cj_format_rfc3339(int64_t ms, int32_t offset_s, char *buf, size_t len) {
  char t[CPLANE_TIME_LEN];
  int32_t a = offset_s < 0 ? -offset_s : offset_s;
  int n;

  if (cplane_time_format(ms + (int64_t)offset_s * 1000, t, sizeof t) != 0)
    return -1;
  if (offset_s == 0) {
    n = snprintf(buf, len, "%s", t);
  } else {
    t[strlen(t) - 1] = '\0'; /* the 'Z' */
    n = snprintf(buf, len, "%s%c%02d:%02d", t, offset_s < 0 ? '-' : '+',
                 (int)(a / 3600), (int)(a % 3600 / 60));
  }
  return n >= 0 && (size_t)n < len ? 0 : -1;
}

struct annotations {
  const struct cplane_host_api *api;
  struct cplane_strbuf *b;
};

/* Copies one template annotation, but never the scheduled-time one: ours
 * replaces it, as kube's map assignment does. */
static int copy_annotation(void *userdata, const char *key, const char *str) {
  struct annotations *a = userdata;
  char *entry;

  if (str == NULL || strcmp(key, CJ_SCHEDULED_ANNOTATION) == 0)
    return 0;
  entry = a->api->json_format("{%s:%s}", key, str);
  if (entry == NULL) {
    a->b->failed = 1;
    return 1;
  }
  /* The member without its braces, then a comma. */
  cplane_strbuf_addn(a->b, entry + 1, strlen(entry) - 2);
  cplane_strbuf_add(a->b, ",");
  a->api->free(entry);
  return 0;
}

/* The template's annotations plus the scheduled time. Owned (free()). */
static char *annotations_json(const struct cplane_host_api *api,
                              const cplane_object *cj, const char *when) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  struct annotations a = {api, &b};
  char *last;

  cplane_strbuf_add(&b, "{");
  if (api->object_type(cj, "spec.jobTemplate.metadata.annotations") ==
      CPLANE_TYPE_OBJECT)
    api->object_foreach(cj, "spec.jobTemplate.metadata.annotations",
                        copy_annotation, &a);
  last = api->json_format("{%s:%s}", CJ_SCHEDULED_ANNOTATION, when);
  if (last == NULL)
    b.failed = 1;
  else
    cplane_strbuf_add(&b, last + 1); /* the member and the closing brace */
  api->free(last);
  return cplane_strbuf_finish(&b);
}

char *cj_job_body(const struct cplane_host_api *api, const cplane_object *cj,
                  int64_t scheduled_ms, int32_t offset_s) {
  char name[320], when[CPLANE_TIME_LEN + 8];
  char *labels = NULL, *annotations = NULL, *spec = NULL, *ref = NULL;
  char *body = NULL;

  if (cj_job_name(api->object_name(cj), scheduled_ms, name, sizeof name) !=
          0 ||
      cj_format_rfc3339(scheduled_ms, offset_s, when, sizeof when) != 0 ||
      api->object_type(cj, "spec.jobTemplate.spec") != CPLANE_TYPE_OBJECT)
    goto out;
  if (api->object_type(cj, "spec.jobTemplate.metadata.labels") ==
      CPLANE_TYPE_OBJECT)
    labels = api->object_json(cj, "spec.jobTemplate.metadata.labels");
  spec = api->object_json(cj, "spec.jobTemplate.spec");
  annotations = annotations_json(api, cj, when);
  ref = cplane_controller_ref_json(api, cj, "batch/v1", "CronJob");
  if (spec == NULL || annotations == NULL || ref == NULL)
    goto out;
  body = api->json_format(
      "{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':%s,"
      "'namespace':%s,'labels':%j,'annotations':%j,'ownerReferences':[%j]},"
      "'spec':%j}",
      name, api->object_namespace(cj), labels != NULL ? labels : "{}",
      annotations, ref, spec);
out:
  api->free(labels);
  api->free(spec);
  api->free(ref);
  free(annotations);
  return body;
}
