/*
 * podtemplate - a Job's pod body. See podtemplate.h.
 */
#include "podtemplate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENV_NAME "JOB_COMPLETION_INDEX"

/* Copies one object member at a time, replacing `key` (see with_member). */
struct rewrite {
  const struct cplane_host_api *api;
  const cplane_object *o;
  const char *path, *key, *value;
  struct cplane_strbuf *b;
  int members, found;
};

/* Appends `key` to b escaped as a path segment ('.', '[', '\'). */
static void add_segment(struct cplane_strbuf *b, const char *key) {
  for (; *key != '\0'; key++) {
    if (*key == '.' || *key == '[' || *key == '\\')
      cplane_strbuf_addn(b, "\\", 1);
    cplane_strbuf_addn(b, key, 1);
  }
}

static int rewrite_member(void *ud, const char *key, const char *str) {
  struct rewrite *r = ud;
  struct cplane_strbuf p = CPLANE_STRBUF_INIT;
  char *path;

  (void)str;
  cplane_strbuf_add(r->b, r->members++ ? "," : "");
  cplane_strbuf_take(r->b, r->api, r->api->json_format("%s", key));
  cplane_strbuf_add(r->b, ":");
  if (strcmp(key, r->key) == 0) {
    r->found = 1;
    cplane_strbuf_add(r->b, r->value);
    return 0;
  }
  if (r->path[0] != '\0') {
    cplane_strbuf_add(&p, r->path);
    cplane_strbuf_add(&p, ".");
  }
  add_segment(&p, key);
  if ((path = cplane_strbuf_finish(&p)) == NULL) {
    r->b->failed = 1;
    return 1;
  }
  cplane_strbuf_take(r->b, r->api, r->api->object_json(r->o, path));
  free(path);
  return 0;
}

/* The object at path of o (absent: {}) as JSON with member key set to the
 * JSON text value. Owned: free(). NULL when out of memory. */
static char *with_member(const struct cplane_host_api *api,
                         const cplane_object *o, const char *path,
                         const char *key, const char *value) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  struct rewrite r = {api, o, path, key, value, &b, 0, 0};

  cplane_strbuf_add(&b, "{");
  if (api->object_type(o, path) == CPLANE_TYPE_OBJECT)
    api->object_foreach(o, path, rewrite_member, &r);
  if (!r.found) {
    cplane_strbuf_add(&b, r.members ? "," : "");
    cplane_strbuf_take(&b, api, api->json_format("%s", key));
    cplane_strbuf_add(&b, ":");
    cplane_strbuf_add(&b, value);
  }
  cplane_strbuf_add(&b, "}");
  return cplane_strbuf_finish(&b);
}

/* with_member over JSON text rather than an object. Owned: free(). */
static char *text_with_member(const struct cplane_host_api *api,
                              const char *json, const char *key,
                              const char *value) {
  const cplane_object *o = NULL;
  char *out;

  if (json == NULL || api->object_parse(json, strlen(json), &o, NULL) != 0)
    return NULL;
  out = with_member(api, o, "", key, value);
  api->object_release(o);
  return out;
}

/* The env array of container `c` (a path) with JOB_COMPLETION_INDEX added
 * unless it has it. Owned: free(). */
static char *env_with_index(const struct cplane_host_api *api,
                            const cplane_object *spec, const char *c) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  char path[128];
  int n, i;

  snprintf(path, sizeof path, "%s.env", c);
  n = api->object_type(spec, path) == CPLANE_TYPE_ARRAY
          ? api->object_len(spec, path) : 0;
  cplane_strbuf_add(&b, "[");
  for (i = 0; i < n; i++) {
    char el[160];

    snprintf(el, sizeof el, "%s[%d]", path, i);
    cplane_strbuf_add(&b, i ? "," : "");
    cplane_strbuf_take(&b, api, api->object_json(spec, el));
  }
  if (cplane_array_find(api, spec, path, "name", ENV_NAME) < 0) {
    cplane_strbuf_add(&b, n ? "," : "");
    cplane_strbuf_take(
        &b, api,
        api->json_format("{'name':%s,'valueFrom':{'fieldRef':{'fieldPath':"
                         "%s}}}",
                         ENV_NAME, "metadata.annotations['" JOB_INDEX_KEY "']"));
  }
  cplane_strbuf_add(&b, "]");
  return cplane_strbuf_finish(&b);
}

/* The array at `list` of spec (containers, initContainers) with the index
 * env in each. Owned: free(). NULL when absent or out of memory. */
static char *containers_with_index(const struct cplane_host_api *api,
                                   const cplane_object *spec,
                                   const char *list) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  int n = api->object_len(spec, list), i;

  if (api->object_type(spec, list) != CPLANE_TYPE_ARRAY)
    return NULL;
  cplane_strbuf_add(&b, "[");
  for (i = 0; i < n; i++) {
    char c[64], *env, *one;

    snprintf(c, sizeof c, "%s[%d]", list, i);
    env = env_with_index(api, spec, c);
    one = env ? with_member(api, spec, c, "env", env) : NULL;
    cplane_strbuf_add(&b, i ? "," : "");
    if (one == NULL)
      b.failed = 1;
    else
      cplane_strbuf_add(&b, one);
    free(env);
    free(one);
  }
  cplane_strbuf_add(&b, "]");
  return cplane_strbuf_finish(&b);
}

/* The template's spec for index ix: hostname and env. Owned: free(). */
static char *indexed_spec(const struct cplane_host_api *api,
                          const cplane_object *job, int ix) {
  static const char *const lists[] = {"containers", "initContainers"};
  const cplane_object *spec = NULL;
  char host[300], *text, *host_json, *arr;
  size_t i;

  snprintf(host, sizeof host, "%s-%d", api->object_name(job), ix);
  if ((host_json = api->json_format("%s", host)) == NULL)
    return NULL;
  text = with_member(api, job, "spec.template.spec", "hostname", host_json);
  api->free(host_json);
  for (i = 0; i < 2 && text != NULL; i++) {
    char *next = NULL;

    if (api->object_parse(text, strlen(text), &spec, NULL) != 0) {
      free(text);
      return NULL;
    }
    arr = containers_with_index(api, spec, lists[i]);
    if (arr != NULL)
      next = text_with_member(api, text, lists[i], arr);
    else if (api->object_type(spec, lists[i]) == CPLANE_ENOENT)
      next = strdup(text); /* none of that kind */
    free(arr);
    api->object_release(spec);
    free(text);
    text = next;
  }
  return text;
}

/* The template's finalizers with the tracking one. Owned: free(). */
static char *finalizers(const struct cplane_host_api *api,
                        const cplane_object *job) {
  static const char path[] = "spec.template.metadata.finalizers";
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  int n = api->object_len(job, path), i, out = 0;

  cplane_strbuf_add(&b, "[");
  for (i = 0; i < n; i++) {
    const char *f = cplane_array_string(api, job, path, i, NULL);

    if (f == NULL || strcmp(f, JOB_TRACKING_FINALIZER) == 0)
      continue;
    cplane_strbuf_add(&b, out++ ? "," : "");
    cplane_strbuf_take(&b, api, api->json_format("%s", f));
  }
  cplane_strbuf_add(&b, out ? "," : "");
  cplane_strbuf_add(&b, "\"" JOB_TRACKING_FINALIZER "\"]");
  return cplane_strbuf_finish(&b);
}

/* Template metadata map `what` (labels, annotations), with the index when
 * ix >= 0. Owned: free(). */
static char *meta_map(const struct cplane_host_api *api,
                      const cplane_object *job, const char *what, int ix) {
  char path[64], num[16];
  char *json;

  snprintf(path, sizeof path, "spec.template.metadata.%s", what);
  if (ix >= 0) {
    snprintf(num, sizeof num, "\"%d\"", ix);
    return with_member(api, job, path, JOB_INDEX_KEY, num);
  }
  if (api->object_type(job, path) != CPLANE_TYPE_OBJECT)
    return strdup("{}");
  json = api->object_json(job, path);
  if (json != NULL) {
    char *copy = strdup(json);

    api->free(json);
    return copy;
  }
  return NULL;
}

/* The annotations with the index's failure count. Owned: free(). */
static char *with_failures(const struct cplane_host_api *api, char *anns,
                           int failures) {
  char num[16], *out;

  if (anns == NULL || failures < 0)
    return anns;
  snprintf(num, sizeof num, "\"%d\"", failures);
  out = text_with_member(api, anns, "batch.kubernetes.io/job-index-failure-count",
                         num);
  free(anns);
  return out;
}

char *job_pod_body(const struct cplane_host_api *api, const cplane_object *job,
                   int index, int failures) {
  char *labels = meta_map(api, job, "labels", index);
  char *anns =
      with_failures(api, meta_map(api, job, "annotations", index), failures);
  char *fins = finalizers(api, job);
  char *spec = NULL, *ref = NULL, *body = NULL, prefix[300];

  if (index >= 0) {
    spec = indexed_spec(api, job, index);
    snprintf(prefix, sizeof prefix, "%s-%d-", api->object_name(job), index);
  } else {
    char *s = api->object_json(job, "spec.template.spec");

    spec = s ? strdup(s) : NULL;
    api->free(s);
    snprintf(prefix, sizeof prefix, "%s-", api->object_name(job));
  }
  ref = cplane_controller_ref_json(api, job, "batch/v1", "Job");
  if (labels && anns && fins && spec && ref)
    body = api->json_format(
        "{'apiVersion':'v1','kind':'Pod','metadata':{'generateName':%s,"
        "'namespace':%s,'labels':%j,'annotations':%j,'finalizers':%j,"
        "'ownerReferences':[%j]},'spec':%j}",
        prefix, api->object_namespace(job), labels, anns, fins, ref, spec);
  free(labels);
  free(anns);
  free(fins);
  free(spec);
  api->free(ref);
  return body;
}
