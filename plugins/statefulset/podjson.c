/*
 * podjson - the pod bodies of a StatefulSet. See podjson.h.
 */
#include "podjson.h"

#include "identity.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* path + "." + key with key's '.', '[' and '\' escaped, into buf. 0, or -1
 * when it does not fit. */
static int child_path(char *buf, size_t len, const char *path,
                      const char *key) {
  size_t n = 0;

  if (path != NULL && path[0] != '\0') {
    n = (size_t)snprintf(buf, len, "%s.", path);
    if (n >= len)
      return -1;
  }
  for (; *key != '\0'; key++) {
    if (n + 3 >= len)
      return -1;
    if (*key == '.' || *key == '[' || *key == '\\')
      buf[n++] = '\\';
    buf[n++] = *key;
  }
  buf[n] = '\0';
  return 0;
}

struct members {
  const struct cplane_host_api *api;
  const cplane_object *o;
  const char *path;
  const char *const *skip;
  struct cplane_strbuf out;
};

static int skipped(const char *const *skip, const char *key) {
  for (; skip != NULL && *skip != NULL; skip++)
    if (strcmp(*skip, key) == 0)
      return 1;
  return 0;
}

static int add_member(void *userdata, const char *key, const char *str) {
  struct members *m = userdata;
  char path[CPLANE_PATH_MAX], *k, *v;

  (void)str;
  if (skipped(m->skip, key))
    return 0;
  if (child_path(path, sizeof path, m->path, key) < 0)
    return 0; /* a key too long to reach is not one we can copy */
  k = m->api->json_format("%s", key);
  v = m->api->object_json(m->o, path);
  if (k == NULL || v == NULL) {
    m->out.failed = 1;
  } else {
    if (m->out.len > 0)
      cplane_strbuf_add(&m->out, ",");
    cplane_strbuf_addf(&m->out, "%s:%s", k, v);
  }
  m->api->free(k);
  m->api->free(v);
  return m->out.failed;
}

char *sts_members_except(const struct cplane_host_api *api,
                         const cplane_object *o, const char *path,
                         const char *const *skip) {
  struct members m = {api, o, path, skip, CPLANE_STRBUF_INIT};
  char *text, *out;

  cplane_strbuf_add(&m.out, "");
  if (api->object_type(o, path) == CPLANE_TYPE_OBJECT)
    api->object_foreach(o, path, add_member, &m);
  text = cplane_strbuf_finish(&m.out);
  if (text == NULL)
    return NULL;
  out = api->string_dup(text); /* owned as api->free, like the rest */
  free(text);
  return out;
}

/* "<tmpl>.<rest>" into buf. */
static const char *at(char *buf, size_t len, const char *tmpl,
                      const char *rest) {
  snprintf(buf, len, "%s.%s", tmpl, rest);
  return buf;
}

/* The volumes: one per claim template (named as the template, claiming
 * "<template>-<set>-<ord>"), then the template's own volumes of other
 * names, as kube's updateStorage. Appended to b as a JSON array. */
static void volumes(const struct sts *s, const cplane_object *src,
                    const char *tmpl, int64_t ord, struct cplane_strbuf *b) {
  const struct cplane_host_api *api = s->api;
  int n = api->object_len(s->o, "spec.volumeClaimTemplates"), i, k = 0;
  int nv;
  char p[CPLANE_PATH_MAX], claim[512];

  cplane_strbuf_add(b, "[");
  for (i = 0; i < n; i++) {
    const char *t = cplane_array_string(api, s->o, "spec.volumeClaimTemplates",
                                        i, "metadata.name");
    char *v;

    if (t == NULL || sts_claim_name(t, s->name, ord, claim, sizeof claim) < 0)
      continue;
    v = api->json_format("{'name':%s,'persistentVolumeClaim':{'claimName':%s}}",
                         t, claim);
    if (v == NULL) {
      b->failed = 1;
      return;
    }
    cplane_strbuf_addf(b, "%s%s", k++ ? "," : "", v);
    api->free(v);
  }
  at(p, sizeof p, tmpl, "spec.volumes");
  nv = api->object_len(src, p);
  for (i = 0; i < nv; i++) {
    const char *name = cplane_array_string(api, src, p, i, "name");
    char ep[CPLANE_PATH_MAX], *v;

    if (name != NULL && cplane_array_find(api, s->o, "spec.volumeClaimTemplates",
                                          "metadata.name", name) >= 0)
      continue;
    if (cplane_element_path(ep, sizeof ep, p, i, NULL) < 0 ||
        (v = api->object_json(src, ep)) == NULL)
      continue;
    cplane_strbuf_addf(b, "%s%s", k++ ? "," : "", v);
    api->free(v);
  }
  cplane_strbuf_add(b, "]");
}

static const char *const label_skip[] = {
    STS_LABEL_POD_NAME, STS_LABEL_POD_INDEX, CPLANE_POD_REVISION_LABEL, NULL};
static const char *const spec_skip[] = {"hostname", "subdomain", "volumes",
                                        NULL};

char *sts_pod_json(const struct sts *s, const cplane_object *src,
                   const char *tmpl, int64_t ord, const char *rev) {
  const struct cplane_host_api *api = s->api;
  const char *service = api->object_string(s->o, "spec.serviceName");
  char name[320], index[32], p[CPLANE_PATH_MAX];
  char *labels = NULL, *ann = NULL, *spec = NULL, *ref = NULL, *out = NULL;
  char *ids = NULL, *text;
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;

  if (sts_pod_name(s->name, ord, name, sizeof name) < 0)
    return NULL;
  snprintf(index, sizeof index, "%" PRId64, ord);
  labels = sts_members_except(api, src, at(p, sizeof p, tmpl, "metadata.labels"),
                              label_skip);
  ann = sts_members_except(api, src,
                           at(p, sizeof p, tmpl, "metadata.annotations"), NULL);
  spec = sts_members_except(api, src, at(p, sizeof p, tmpl, "spec"), spec_skip);
  ref = cplane_controller_ref_json(api, s->o, "apps/v1", "StatefulSet");
  ids = api->json_format("{%s:%s,%s:%s,%s:%s}", STS_LABEL_POD_NAME, name,
                         STS_LABEL_POD_INDEX, index, CPLANE_POD_REVISION_LABEL,
                         rev);
  if (labels == NULL || ann == NULL || spec == NULL || ref == NULL ||
      ids == NULL)
    goto out;
  /* ids is "{...}": its members follow the template's labels. */
  cplane_strbuf_addf(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
                         "\"metadata\":{\"name\":\"%s\",\"labels\":{%s%s%.*s},"
                         "\"annotations\":{%s},\"ownerReferences\":[%s]},"
                         "\"spec\":{%s%s",
                     name, labels, labels[0] ? "," : "",
                     (int)strlen(ids) - 2, ids + 1, ann, ref, spec,
                     spec[0] ? "," : "");
  /* Pod names are DNS labels: nothing in them needs escaping. */
  cplane_strbuf_addf(&b, "\"hostname\":\"%s\"", name);
  if (service != NULL && service[0] != '\0' &&
      (text = api->json_format("%s", service)) != NULL) {
    cplane_strbuf_addf(&b, ",\"subdomain\":%s", text);
    api->free(text);
  }
  cplane_strbuf_add(&b, ",\"volumes\":");
  volumes(s, src, tmpl, ord, &b);
  cplane_strbuf_add(&b, "}}");
  text = cplane_strbuf_finish(&b);
  if (text != NULL) {
    out = api->string_dup(text);
    free(text);
  }
out:
  api->free(labels);
  api->free(ann);
  api->free(spec);
  api->free(ref);
  api->free(ids);
  return out;
}
