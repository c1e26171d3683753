/*
 * discovery - see discovery.h. Documents are built with json-c and
 * serialized compactly.
 */
#include "apiserver/discovery.h"

#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/printer_columns.h"
#include "apiserver/schema.h"
#include "apiserver/strategy/strategy.h"
#include "encoding/base64.h"

/* Compact, and '/' left alone as kube-apiserver writes it. */
#define JSON_OUT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

#define MAX_TYPES 512

static const char *const all_verbs[] = {"create", "delete",
                                        "deletecollection", "get", "list",
                                        "patch", "update", "watch", NULL};
static const char *const sub_verbs[] = {"get", "patch", "update", NULL};
static const char *const read_verbs[] = {"get", "list", NULL};
static const char *const create_verb[] = {"create", NULL};
static const char *const update_verb[] = {"update", NULL};

static json_object *strings(const char *const *v) {
  json_object *a = json_object_new_array();

  for (; a != NULL && *v != NULL; v++)
    json_object_array_add(a, json_object_new_string(*v));
  return a;
}

static void set_str(json_object *o, const char *k, const char *v) {
  json_object_object_add(o, k, json_object_new_string(v));
}

/* Returns the text of o (malloc'd) and drops o. */
static char *finish(json_object *o) {
  char *s = NULL;

  if (o != NULL) {
    const char *t = json_object_to_json_string_ext(o, JSON_OUT);

    s = t != NULL ? strdup(t) : NULL;
  }
  json_object_put(o);
  return s;
}

int cp_discovery_wants_v2(const char *accept) {
  return accept != NULL && strstr(accept, "as=APIGroupDiscoveryList") &&
         strstr(accept, "v=v2") != NULL;
}

char *cp_discovery_api_versions(const char *server_address) {
  json_object *o = json_object_new_object(), *cidrs, *c;

  set_str(o, "kind", "APIVersions");
  json_object_object_add(o, "versions", strings((const char *[]){"v1",
                                                                 NULL}));
  cidrs = json_object_new_array();
  c = json_object_new_object();
  set_str(c, "clientCIDR", "0.0.0.0/0");
  set_str(c, "serverAddress", server_address);
  json_object_array_add(cidrs, c);
  json_object_object_add(o, "serverAddressByClientCIDRs", cidrs);
  return finish(o);
}

#define MAX_VERSIONS 16

/* A version string as kube orders them: v<major>, v<major>beta<minor>,
 * v<major>alpha<minor> ("kube-like"), or anything else. */
struct kube_version {
  int rank; /* 3 GA, 2 beta, 1 alpha, 0 not kube-like */
  long major, minor;
};

static struct kube_version parse_version(const char *v) {
  struct kube_version k = {0, 0, 0};
  char *end;

  if (v[0] != 'v' || v[1] < '1' || v[1] > '9')
    return k;
  k.major = strtol(v + 1, &end, 10);
  if (*end == '\0') {
    k.rank = 3;
    return k;
  }
  if (strncmp(end, "beta", 4) == 0)
    k.rank = 2, end += 4;
  else if (strncmp(end, "alpha", 5) == 0)
    k.rank = 1, end += 5;
  else
    return (struct kube_version){0, 0, 0};
  if (*end < '1' || *end > '9')
    return (struct kube_version){0, 0, 0};
  k.minor = strtol(end, &end, 10);
  if (*end != '\0')
    return (struct kube_version){0, 0, 0};
  return k;
}

/* < 0 when a comes before b in kube's version priority (the order a
 * CRD's versions are discovered in, the first preferred): GA, then beta,
 * then alpha, each by major then minor, highest first; then the rest,
 * alphabetically. */
static int version_cmp(const char *a, const char *b) {
  struct kube_version x = parse_version(a), y = parse_version(b);

  if (x.rank != y.rank)
    return y.rank - x.rank;
  if (x.rank == 0)
    return strcmp(a, b);
  if (x.major != y.major)
    return x.major > y.major ? -1 : 1;
  if (x.minor != y.minor)
    return x.minor > y.minor ? -1 : 1;
  return 0;
}

/* One non-core group and its versions, in priority order. The strings
 * are the registry's, valid while its types are. */
struct api_group {
  const char *name;
  const char *versions[MAX_VERSIONS];
  size_t n;
};

/* Adds version v to g in priority order, once. */
static void group_add_version(struct api_group *g, const char *v) {
  size_t i, at;

  for (i = 0; i < g->n; i++)
    if (strcmp(g->versions[i], v) == 0)
      return;
  if (g->n == MAX_VERSIONS)
    return;
  for (at = 0; at < g->n && version_cmp(g->versions[at], v) <= 0; at++)
    ;
  memmove(&g->versions[at + 1], &g->versions[at],
          (g->n - at) * sizeof g->versions[0]);
  g->versions[at] = v;
  g->n++;
}

/* The groups served, in registration order, each with every version it
 * serves: every non-core group, or only `only` ("" for the core group). */
static size_t api_groups(struct cp_resources *r, const char *only,
                         struct api_group *out, size_t max) {
  const struct cp_resource_type *all[MAX_TYPES];
  size_t n = cp_resources_list(r, all, MAX_TYPES), i, j, k = 0;

  if (n > MAX_TYPES)
    n = MAX_TYPES;
  for (i = 0; i < n; i++) {
    if (only != NULL ? strcmp(all[i]->group, only) != 0
                     : all[i]->group[0] == '\0')
      continue;
    for (j = 0; j < k && strcmp(out[j].name, all[i]->group) != 0; j++)
      ;
    if (j == k) {
      if (k == max)
        continue;
      out[k++] = (struct api_group){.name = all[i]->group};
    }
    group_add_version(&out[j], all[i]->version);
  }
  return k;
}

/* An APIGroup document's body (name, versions, preferredVersion). */
static json_object *group_json(const struct api_group *g) {
  json_object *grp = json_object_new_object(), *vs = json_object_new_array();
  char gv[300];
  size_t i;

  set_str(grp, "name", g->name);
  for (i = 0; i < g->n; i++) {
    json_object *v = json_object_new_object();

    snprintf(gv, sizeof gv, "%s/%s", g->name, g->versions[i]);
    set_str(v, "groupVersion", gv);
    set_str(v, "version", g->versions[i]);
    json_object_array_add(vs, v);
  }
  json_object_object_add(grp, "versions", vs);
  json_object_object_add(grp, "preferredVersion",
                         json_object_get(json_object_array_get_idx(vs, 0)));
  return grp;
}

char *cp_discovery_group_list(struct cp_resources *r) {
  struct api_group g[MAX_TYPES];
  size_t n = api_groups(r, NULL, g, MAX_TYPES), i;
  json_object *o = json_object_new_object(), *list = json_object_new_array();

  set_str(o, "kind", "APIGroupList");
  set_str(o, "apiVersion", "v1");
  for (i = 0; i < n; i++)
    json_object_array_add(list, group_json(&g[i]));
  json_object_object_add(o, "groups", list);
  return finish(o);
}

char *cp_discovery_group(struct cp_resources *r, const char *group) {
  struct api_group g;
  json_object *o;

  if (api_groups(r, group, &g, 1) == 0)
    return NULL;
  o = group_json(&g);
  set_str(o, "kind", "APIGroup");
  set_str(o, "apiVersion", "v1");
  return finish(o);
}

static json_object *resource_entry(const char *name, const char *singular,
                                   int namespaced, const char *kind,
                                   const char *const *verbs) {
  json_object *e = json_object_new_object();

  set_str(e, "name", name);
  set_str(e, "singularName", singular);
  json_object_object_add(e, "namespaced", json_object_new_boolean(namespaced));
  set_str(e, "kind", kind);
  json_object_object_add(e, "verbs", strings(verbs));
  return e;
}

/* The subresources a type may serve, in the order discovery lists them.
 * group NULL: the response is the type's own kind; else group/version/
 * kind of the response (core "" for Binding). */
static const struct subresource {
  unsigned bit;
  const char *name;
  const char *group, *version, *kind;
  const char *const *verbs;
} subresources[] = {
    {CP_SUB_STATUS, "status", NULL, NULL, NULL, sub_verbs},
    {CP_SUB_SCALE, "scale", "autoscaling", "v1", "Scale", sub_verbs},
    {CP_SUB_BINDING, "binding", "", "v1", "Binding", create_verb},
    {CP_SUB_EVICTION, "eviction", "policy", "v1", "Eviction", create_verb},
    {CP_SUB_TOKEN, "token", "authentication.k8s.io", "v1", "TokenRequest",
     create_verb},
    {CP_SUB_FINALIZE, "finalize", NULL, NULL, NULL, update_verb},
    {CP_SUB_APPROVAL, "approval", NULL, NULL, NULL, sub_verbs},
};

static void add_subresources(json_object *list,
                             const struct cp_resource_type *t) {
  char name[300];
  json_object *e;
  size_t i;

  for (i = 0; i < sizeof subresources / sizeof subresources[0]; i++) {
    const struct subresource *sr = &subresources[i];

    if (!(t->subresources & sr->bit))
      continue;
    snprintf(name, sizeof name, "%s/%s", t->resource, sr->name);
    e = resource_entry(name, "", t->namespaced,
                       sr->kind != NULL ? sr->kind : t->kind, sr->verbs);
    /* A response of another group names it, as kube's legacy list. */
    if (sr->group != NULL && sr->group[0] != '\0') {
      set_str(e, "group", sr->group);
      set_str(e, "version", sr->version);
    }
    json_object_array_add(list, e);
  }
}

/* The categories the kind's strategy puts it in ("all": kubectl get
 * all lists it), as kube-apiserver's discovery says. */
/* A built-in kind's from its strategy, a custom resource's from its
 * definition (spec.names.categories). */
static void add_categories(json_object *e, const struct cp_resource_type *t) {
  const char *const *c = cp_strategy_for(t)->categories;

  if (!t->builtin) {
    cp_printer_columns_add_categories(t, e);
    return;
  }

  if (c != NULL && c[0] != NULL)
    json_object_object_add(e, "categories", strings(c));
}

/* kube's storageVersionHash (apiserver endpoints/discovery
 * StorageVersionHash): base64 of the first 8 bytes of the sha256 of
 * "<group>/<version>/<kind>" of the version the kind is stored in, so
 * a client sees when the storage version changes ("/v1/Pod" gives
 * "xPOwRZ+Yhw8=" as kube's). A built-in kind stored as another group's
 * (to_storage: events.k8s.io Event as core/v1 Event) hashes that one; a
 * custom resource its definition's storage version (storage: true), as
 * apiextensions-apiserver does, so every served version of one kind
 * shows the same hash. Only the legacy APIResource carries it: aggregated
 * discovery v2 has no such field. */
static void add_storage_version_hash(json_object *e,
                                     const struct cp_resource_type *t) {
  const struct cp_strategy *s = cp_strategy_for(t);
  const char *group = t->group, *version = t->version;
  unsigned char md[EVP_MAX_MD_SIZE];
  char b64[16];
  char gvk[600];
  unsigned int md_len = 0;
  int n;

  if (t->builtin && s->to_storage != NULL) {
    group = "";
    version = "v1";
  } else if (t->builtin && s->storage_version != NULL)
    version = s->storage_version;
  else if (!t->builtin && cp_resources_custom(t) != NULL &&
           cp_resources_custom(t)->storage_version != NULL)
    version = cp_resources_custom(t)->storage_version;
  /* Reviews are never stored: kube gives them no hash. */
  if (cp_resource_create_only(t))
    return;
  n = snprintf(gvk, sizeof gvk, "%s/%s/%s", group, version, t->kind);
  if (n < 0 || (size_t)n >= sizeof gvk ||
      EVP_Digest(gvk, (size_t)n, md, &md_len, EVP_sha256(), NULL) != 1 ||
      md_len < 8)
    return;
  /* 8 bytes: 12 characters and a NUL */
  b64[cp_base64_encode_to(CP_BASE64_STD, b64, md, 8)] = '\0';
  set_str(e, "storageVersionHash", b64);
}

char *cp_discovery_resource_list(struct cp_resources *r, const char *group,
                                 const char *version) {
  const struct cp_resource_type *all[MAX_TYPES];
  size_t n = cp_resources_list(r, all, MAX_TYPES), i, found = 0;
  json_object *o, *list;
  char gv[256];

  if (n > MAX_TYPES)
    n = MAX_TYPES;
  o = json_object_new_object();
  list = json_object_new_array();
  for (i = 0; i < n; i++) {
    const struct cp_resource_type *t = all[i];
    json_object *e;

    if (strcmp(t->group, group) != 0 || strcmp(t->version, version) != 0)
      continue;
    if (found++ == 0)
      set_str(o, "groupVersion", cp_resource_group_version(t, gv, sizeof gv));
    e = resource_entry(t->resource, t->singular, t->namespaced, t->kind,
                       cp_resource_create_only(t) ? create_verb
                       : cp_resource_read_only(t) ? read_verbs
                                                  : all_verbs);
    if (t->short_names[0] != NULL)
      json_object_object_add(e, "shortNames", strings(t->short_names));
    add_categories(e, t);
    add_storage_version_hash(e, t);
    json_object_array_add(list, e);
    add_subresources(list, t);
  }
  if (found == 0) {
    json_object_put(list);
    json_object_put(o);
    return NULL;
  }
  set_str(o, "kind", "APIResourceList");
  set_str(o, "apiVersion", "v1");
  json_object_object_add(o, "resources", list);
  return finish(o);
}

static json_object *response_kind(const char *group, const char *version,
                                  const char *kind) {
  json_object *k = json_object_new_object();

  set_str(k, "group", group);
  set_str(k, "version", version);
  set_str(k, "kind", kind);
  return k;
}

static json_object *aggregated_resource(const struct cp_resource_type *t) {
  json_object *e = json_object_new_object(), *subs = json_object_new_array();
  size_t i;

  set_str(e, "resource", t->resource);
  json_object_object_add(e, "responseKind",
                         response_kind(t->group, t->version, t->kind));
  set_str(e, "scope", t->namespaced ? "Namespaced" : "Cluster");
  set_str(e, "singularResource", t->singular);
  json_object_object_add(e, "verbs", strings(cp_resource_create_only(t) ? create_verb : cp_resource_read_only(t) ? read_verbs : all_verbs));
  if (t->short_names[0] != NULL)
    json_object_object_add(e, "shortNames", strings(t->short_names));
  add_categories(e, t);
  for (i = 0; i < sizeof subresources / sizeof subresources[0]; i++) {
    const struct subresource *sr = &subresources[i];
    json_object *s;

    if (!(t->subresources & sr->bit))
      continue;
    s = json_object_new_object();
    set_str(s, "subresource", sr->name);
    json_object_object_add(
        s, "responseKind",
        sr->group != NULL ? response_kind(sr->group, sr->version, sr->kind)
                          : response_kind(t->group, t->version, t->kind));
    json_object_object_add(s, "verbs", strings(sr->verbs));
    json_object_array_add(subs, s);
  }
  json_object_object_add(e, "subresources", subs);
  return e;
}

char *cp_discovery_aggregated(struct cp_resources *r, int core) {
  const struct cp_resource_type *all[MAX_TYPES];
  struct api_group g[MAX_TYPES];
  size_t n = cp_resources_list(r, all, MAX_TYPES), i, j, k;
  size_t ng = api_groups(r, core ? "" : NULL, g, MAX_TYPES);
  json_object *o = json_object_new_object(), *items = json_object_new_array();

  if (n > MAX_TYPES)
    n = MAX_TYPES;
  set_str(o, "kind", "APIGroupDiscoveryList");
  set_str(o, "apiVersion", "apidiscovery.k8s.io/v2");
  json_object_object_add(o, "metadata", json_object_new_object());
  for (i = 0; i < ng; i++) {
    json_object *item = json_object_new_object();
    json_object *md = json_object_new_object(), *vs = json_object_new_array();

    set_str(md, "name", g[i].name);
    json_object_object_add(item, "metadata", md);
    /* In priority order: clients take the first as the preferred one. */
    for (j = 0; j < g[i].n; j++) {
      json_object *ver = json_object_new_object();
      json_object *res = json_object_new_array();

      set_str(ver, "version", g[i].versions[j]);
      set_str(ver, "freshness", "Current");
      for (k = 0; k < n; k++)
        if (strcmp(all[k]->group, g[i].name) == 0 &&
            strcmp(all[k]->version, g[i].versions[j]) == 0)
          json_object_array_add(res, aggregated_resource(all[k]));
      json_object_object_add(ver, "resources", res);
      json_object_array_add(vs, ver);
    }
    json_object_object_add(item, "versions", vs);
    json_object_array_add(items, item);
  }
  json_object_object_add(o, "items", items);
  return finish(o);
}

char *cp_openapi_root(struct cp_resources *r) {
  struct api_group g[MAX_TYPES];
  size_t n = api_groups(r, NULL, g, MAX_TYPES), i, j;
  json_object *o = json_object_new_object(), *paths = json_object_new_object();
  json_object *e = json_object_new_object();
  char key[300], url[340];

  set_str(e, "serverRelativeURL", "/openapi/v3/api/v1?hash=1");
  json_object_object_add(paths, "api/v1", e);
  for (i = 0; i < n; i++)
    for (j = 0; j < g[i].n; j++) {
      snprintf(key, sizeof key, "apis/%s/%s", g[i].name, g[i].versions[j]);
      snprintf(url, sizeof url, "/openapi/v3/%s?hash=1", key);
      e = json_object_new_object();
      set_str(e, "serverRelativeURL", url);
      json_object_object_add(paths, key, e);
    }
  json_object_object_add(o, "paths", paths);
  return finish(o);
}

/* The definition name kube-apiserver gives a custom kind: the group's
 * domain reversed, then version and kind ("com.example.v1.Widget"). */
static void crd_def_name(const struct cp_resource_type *t, char *buf,
                         size_t len) {
  const char *g = t->group, *end = g + strlen(g), *dot;
  size_t used = 0;

  buf[0] = '\0';
  while (end > g && used < len) {
    for (dot = end; dot > g && dot[-1] != '.'; dot--)
      ;
    used += (size_t)snprintf(buf + used, len - used, "%.*s.",
                             (int)(end - dot), dot);
    end = dot > g ? dot - 1 : g;
  }
  if (used < len)
    snprintf(buf + used, len - used, "%s.%s", t->version, t->kind);
}

static json_object *gvk_of(const struct cp_resource_type *t) {
  json_object *gvk = json_object_new_object();

  set_str(gvk, "group", t->group);
  set_str(gvk, "version", t->version);
  set_str(gvk, "kind", t->kind);
  return gvk;
}

/* A custom kind's schema as a definition: its openAPIV3Schema with
 * apiVersion, kind and metadata (an ObjectMeta) filled in, as
 * kube-apiserver publishes it. NULL when the CRD gave none. */
static json_object *crd_definition(struct cp_resources *r,
                                   const struct cp_resource_type *t) {
  char *text = cp_resources_schema_text(r, t);
  json_object *d = text ? json_tokener_parse(text) : NULL, *props, *gvks, *m;

  free(text);
  if (d == NULL || !json_object_is_type(d, json_type_object)) {
    json_object_put(d);
    return NULL;
  }
  if (!json_object_object_get_ex(d, "properties", &props) ||
      !json_object_is_type(props, json_type_object)) {
    props = json_object_new_object();
    json_object_object_add(d, "properties", props);
  }
  m = json_object_new_object();
  set_str(m, "$ref",
          "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1."
          "ObjectMeta");
  json_object_object_add(props, "metadata", m);
  m = json_object_new_object();
  set_str(m, "type", "string");
  json_object_object_add(props, "apiVersion", m);
  m = json_object_new_object();
  set_str(m, "type", "string");
  json_object_object_add(props, "kind", m);
  gvks = json_object_new_array();
  json_object_array_add(gvks, gvk_of(t));
  json_object_object_add(d, "x-kubernetes-group-version-kind", gvks);
  return d;
}

/* The PATCH operation of an object path: what kubectl's query parameter
 * verifier reads (the GVK and fieldValidation), and the body's schema. */
static json_object *patch_operation(const struct cp_resource_type *t,
                                    const char *def) {
  static const char *const types[] = {
      "application/json-patch+json", "application/merge-patch+json",
      "application/strategic-merge-patch+json", NULL};
  json_object *patch = json_object_new_object(), *params, *p, *content;
  json_object *body, *resp, *ok;
  char ref[512];
  size_t i;

  params = json_object_new_array();
  p = json_object_new_object();
  set_str(p, "name", "fieldValidation");
  set_str(p, "in", "query");
  json_object_array_add(params, p);
  json_object_object_add(patch, "x-kubernetes-group-version-kind", gvk_of(t));
  json_object_object_add(patch, "parameters", params);
  if (def == NULL)
    return patch;
  snprintf(ref, sizeof ref, "#/components/schemas/%s", def);
  content = json_object_new_object();
  for (i = 0; types[i] != NULL; i++) {
    json_object *media = json_object_new_object(), *sc;

    if (!t->builtin && strstr(types[i], "strategic") != NULL) {
      json_object_put(media);
      continue;
    }
    sc = json_object_new_object();
    set_str(sc, "$ref", ref);
    json_object_object_add(media, "schema", sc);
    json_object_object_add(content, types[i], media);
  }
  body = json_object_new_object();
  json_object_object_add(body, "content", content);
  json_object_object_add(patch, "requestBody", body);
  resp = json_object_new_object();
  ok = json_object_new_object();
  content = json_object_new_object();
  p = json_object_new_object();
  body = json_object_new_object();
  set_str(body, "$ref", ref);
  json_object_object_add(p, "schema", body);
  json_object_object_add(content, "application/json", p);
  json_object_object_add(ok, "content", content);
  set_str(ok, "description", "OK");
  json_object_object_add(resp, "200", ok);
  json_object_object_add(patch, "responses", resp);
  return patch;
}

/* kubectl reads only the PATCH operation of each object path, its
 * x-kubernetes-group-version-kind and the fieldValidation parameter;
 * kubectl explain reads components.schemas. */
char *cp_openapi_group_version(struct cp_resources *r, const char *group,
                               const char *version) {
  const struct cp_resource_type *all[MAX_TYPES];
  size_t n = cp_resources_list(r, all, MAX_TYPES), i, found = 0;
  json_object *o = json_object_new_object(), *paths = json_object_new_object();
  json_object *defs = NULL, *comp;
  const char *builtin_defs = cp_schema_builtin_definitions();
  char path[512], gvpath[300], crd_def[600];

  if (n > MAX_TYPES)
    n = MAX_TYPES;
  /* Every built-in definition goes in each document: they refer to one
   * another across groups (ObjectMeta, PodTemplateSpec). */
  if (builtin_defs != NULL)
    defs = json_tokener_parse(builtin_defs);
  if (defs == NULL)
    defs = json_object_new_object();
  for (i = 0; i < n; i++) {
    const struct cp_resource_type *t = all[i];
    json_object *item, *patch, *cd;
    const char *def = NULL;

    if (strcmp(t->group, group) != 0 || strcmp(t->version, version) != 0)
      continue;
    if (t->builtin) {
      def = cp_schema_builtin_kind_name(t->group, t->version, t->kind);
    } else if ((cd = crd_definition(r, t)) != NULL) {
      crd_def_name(t, crd_def, sizeof crd_def);
      json_object_object_add(defs, crd_def, cd);
      def = crd_def;
    }
    found++;
    if (t->group[0] == '\0')
      snprintf(gvpath, sizeof gvpath, "/api/%s", t->version);
    else
      snprintf(gvpath, sizeof gvpath, "/apis/%s/%s", t->group, t->version);
    snprintf(path, sizeof path, "%s%s/%s/{name}", gvpath,
             t->namespaced ? "/namespaces/{namespace}" : "", t->resource);
    patch = patch_operation(t, def);
    item = json_object_new_object();
    json_object_object_add(item, "patch", patch);
    json_object_object_add(paths, path, item);
  }
  if (found == 0) {
    json_object_put(defs);
    json_object_put(paths);
    json_object_put(o);
    return NULL;
  }
  set_str(o, "openapi", "3.0.0");
  comp = json_object_new_object();
  set_str(comp, "title", "Kubernetes");
  set_str(comp, "version", "v1.32.0");
  json_object_object_add(o, "info", comp);
  json_object_object_add(o, "paths", paths);
  comp = json_object_new_object();
  json_object_object_add(comp, "schemas", defs);
  json_object_object_add(o, "components", comp);
  return finish(o);
}
