/*
 * podbody - a DaemonSet's pod for one node. See podbody.h.
 */
#include "podbody.h"

#include "tolerations.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TMPL "spec.template"
#define REQUIRED "requiredDuringSchedulingIgnoredDuringExecution"

/* Copies each member of the object at `path` into b as "key":value,
 * except those named in skip (NULL-terminated); *sep says whether a comma
 * is due. Keys are JSON-quoted through json_format. */
struct copy_walk {
  const struct cplane_host_api *api;
  const cplane_object *o;
  const char *path;
  const char *const *skip;
  struct cplane_strbuf *b;
  int sep;
};

/* `path`.`key` with the key's dots escaped, as object paths want. */
static int member_path(char *out, size_t len, const char *path,
                       const char *key) {
  size_t n = (size_t)snprintf(out, len, "%s.", path);

  for (; *key != '\0' && n + 2 < len; key++) {
    if (*key == '.' || *key == '\\' || *key == '[')
      out[n++] = '\\';
    out[n++] = *key;
  }
  if (*key != '\0' || n >= len)
    return -1;
  out[n] = '\0';
  return 0;
}

static int copy_member(void *ud, const char *key, const char *str) {
  struct copy_walk *w = ud;
  const struct cplane_host_api *api = w->api;
  char p[CPLANE_PATH_MAX], *qkey, *val;
  size_t i;

  (void)str;
  for (i = 0; w->skip != NULL && w->skip[i] != NULL; i++)
    if (strcmp(key, w->skip[i]) == 0)
      return 0;
  if (member_path(p, sizeof p, w->path, key) != 0) {
    w->b->failed = 1;
    return 1;
  }
  qkey = api->json_format("%s", key);
  val = api->object_json(w->o, p);
  if (qkey == NULL || val == NULL) {
    w->b->failed = 1;
  } else {
    cplane_strbuf_addf(w->b, "%s%s:", w->sep ? "," : "", qkey);
    cplane_strbuf_add(w->b, val);
    w->sep = 1;
  }
  api->free(qkey);
  api->free(val);
  return w->b->failed;
}

/* The members of the object at path, minus skip; returns whether any was
 * written (for the comma after). */
static int copy_members(const struct cplane_host_api *api,
                        const cplane_object *o, const char *path,
                        const char *const *skip, struct cplane_strbuf *b) {
  struct copy_walk w = {api, o, path, skip, b, 0};

  if (api->object_type(o, path) == CPLANE_TYPE_OBJECT)
    api->object_foreach(o, path, copy_member, &w);
  return w.sep;
}

/* "labels":{template labels..., the revision labels} */
static void add_labels(const struct cplane_host_api *api,
                       const cplane_object *ds, const char *hash,
                       int64_t generation, struct cplane_strbuf *b) {
  static const char *const ours[] = {CPLANE_POD_REVISION_LABEL,
                                     DS_GENERATION_LABEL, NULL};
  char *h = api->json_format("%s", hash);

  cplane_strbuf_add(b, "\"labels\":{");
  if (copy_members(api, ds, TMPL ".metadata.labels", ours, b))
    cplane_strbuf_add(b, ",");
  if (h == NULL)
    b->failed = 1;
  else
    cplane_strbuf_addf(b, "\"%s\":%s", CPLANE_POD_REVISION_LABEL, h);
  if (generation >= 0)
    cplane_strbuf_addf(b, ",\"%s\":\"%" PRId64 "\"", DS_GENERATION_LABEL,
                       generation);
  cplane_strbuf_add(b, "}");
  api->free(h);
}

static void add_metadata(const struct cplane_host_api *api,
                         const cplane_object *ds, const char *hash,
                         int64_t generation, struct cplane_strbuf *b) {
  char *prefix = NULL, *ns, *ref, *ann = NULL;
  char gen_name[300];

  snprintf(gen_name, sizeof gen_name, "%s-", api->object_name(ds));
  prefix = api->json_format("%s", gen_name);
  ns = api->json_format("%s", api->object_namespace(ds));
  ref = cplane_controller_ref_json(api, ds, "apps/v1", "DaemonSet");
  if (api->object_type(ds, TMPL ".metadata.annotations") == CPLANE_TYPE_OBJECT)
    ann = api->object_json(ds, TMPL ".metadata.annotations");
  if (prefix == NULL || ns == NULL || ref == NULL) {
    b->failed = 1;
    goto out;
  }
  cplane_strbuf_addf(b, "\"metadata\":{\"generateName\":%s,\"namespace\":%s,",
                     prefix, ns);
  add_labels(api, ds, hash, generation, b);
  if (ann != NULL) {
    cplane_strbuf_add(b, ",\"annotations\":");
    cplane_strbuf_add(b, ann);
  }
  cplane_strbuf_add(b, ",\"ownerReferences\":[");
  cplane_strbuf_add(b, ref);
  cplane_strbuf_add(b, "]}");
out:
  api->free(prefix);
  api->free(ns);
  api->free(ref);
  api->free(ann);
}

/* The spec: the template's members, its tolerations with the daemon ones,
 * then affinity last, open at the node's name. */
static void add_spec(const struct cplane_host_api *api, const cplane_object *ds,
                     struct cplane_strbuf *b) {
  static const char *const special[] = {"tolerations", "affinity", NULL};
  static const char *const node_aff[] = {"nodeAffinity", NULL};
  static const char *const required[] = {REQUIRED, NULL};
  char *tols = ds_tolerations_json(api, ds);

  cplane_strbuf_add(b, "\"spec\":{");
  if (copy_members(api, ds, TMPL ".spec", special, b))
    cplane_strbuf_add(b, ",");
  if (tols == NULL)
    b->failed = 1;
  else
    cplane_strbuf_addf(b, "\"tolerations\":%s,", tols);
  free(tols);
  cplane_strbuf_add(b, "\"affinity\":{");
  if (copy_members(api, ds, TMPL ".spec.affinity", node_aff, b))
    cplane_strbuf_add(b, ",");
  cplane_strbuf_add(b, "\"nodeAffinity\":{");
  if (copy_members(api, ds, TMPL ".spec.affinity.nodeAffinity", required, b))
    cplane_strbuf_add(b, ",");
  cplane_strbuf_add(b, "\"" REQUIRED "\":{\"nodeSelectorTerms\":[{"
                       "\"matchFields\":[{\"key\":\"metadata.name\","
                       "\"operator\":\"In\",\"values\":[");
}

int ds_podbody_init(const struct cplane_host_api *api, const cplane_object *ds,
                    const char *hash, int64_t generation,
                    struct ds_podbody *body) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;

  body->head = body->tail = NULL;
  if (api->object_type(ds, TMPL) != CPLANE_TYPE_OBJECT)
    return -1;
  cplane_strbuf_add(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",");
  add_metadata(api, ds, hash, generation, &b);
  cplane_strbuf_add(&b, ",");
  add_spec(api, ds, &b);
  body->head = cplane_strbuf_finish(&b);
  /* values ], requirement }, matchFields ], term }, terms ], required },
   * nodeAffinity }, affinity }, spec }, pod } */
  body->tail = strdup("]}]}]}}}}}");
  if (body->head == NULL || body->tail == NULL) {
    ds_podbody_free(body);
    return -1;
  }
  return 0;
}

char *ds_podbody_for(const struct cplane_host_api *api,
                     const struct ds_podbody *b, const char *node) {
  char *q = api->json_format("%s", node), *out = NULL;
  size_t hl, ql, tl;

  if (q == NULL)
    return NULL;
  hl = strlen(b->head);
  ql = strlen(q);
  tl = strlen(b->tail);
  if ((out = malloc(hl + ql + tl + 1)) != NULL) {
    memcpy(out, b->head, hl);
    memcpy(out + hl, q, ql);
    memcpy(out + hl + ql, b->tail, tl + 1);
  }
  api->free(q);
  return out;
}

void ds_podbody_free(struct ds_podbody *b) {
  free(b->head);
  free(b->tail);
  b->head = b->tail = NULL;
}
