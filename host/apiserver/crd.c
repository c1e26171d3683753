/*
 * crd - see crd.h.
 */
#include "apiserver/crd.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/schema.h"
#include "labels/names.h"
#include "log/log.h"

static json_object *get(json_object *o, const char *k) {
  json_object *v = NULL;

  if (o == NULL || !json_object_is_type(o, json_type_object) ||
      !json_object_object_get_ex(o, k, &v))
    return NULL;
  return v;
}

static const char *str(json_object *o, const char *k) {
  json_object *v = get(o, k);

  return v != NULL && json_object_is_type(v, json_type_string)
             ? json_object_get_string(v)
             : NULL;
}

static int fail(const char **field, char **errmsg, const char *f,
                const char *msg) {
  *field = f;
  *errmsg = strdup(msg);
  return -1;
}

/* Every version's openAPIV3Schema must compile, or its custom resources
 * could not be checked. */
static int check_schemas(json_object *versions, const char **field,
                         char **errmsg) {
  size_t i;

  for (i = 0; i < json_object_array_length(versions); i++) {
    json_object *sc = get(get(json_object_array_get_idx(versions, i),
                              "schema"),
                          "openAPIV3Schema");
    struct cp_schema_doc *d;
    char *err = NULL;

    if (sc == NULL)
      continue;
    if ((d = cp_schema_doc_compile(sc, &err)) != NULL) {
      cp_schema_doc_free(d);
      continue;
    }
    /* *field is a borrowed constant, so the index goes in the message. */
    *field = "spec.versions.schema.openAPIV3Schema";
    if (asprintf(errmsg, "Invalid value: versions[%zu]: %s", i,
                 err ? err : "out of memory") < 0)
      *errmsg = NULL;
    free(err);
    return -1;
  }
  return 0;
}

int cp_crd_validate(json_object *crd, const char **field, char **errmsg) {
  json_object *spec = get(crd, "spec"), *names = get(spec, "names");
  json_object *versions = get(spec, "versions");
  const char *group = str(spec, "group"), *plural = str(names, "plural");
  const char *kind = str(names, "kind"), *scope = str(spec, "scope");
  const char *name = str(get(crd, "metadata"), "name");
  char want[512];
  size_t i, served = 0;

  *errmsg = NULL;
  if (group == NULL || !cp_name_is_dns1123_subdomain(group, strlen(group)) ||
      strchr(group, '.') == NULL)
    return fail(field, errmsg, "spec.group",
                "Invalid value: should be a domain with at least one dot");
  if (plural == NULL || !cp_name_is_dns1123_label(plural, strlen(plural)))
    return fail(field, errmsg, "spec.names.plural",
                "Required value: a lowercase DNS-1123 label");
  if (kind == NULL || kind[0] == '\0')
    return fail(field, errmsg, "spec.names.kind", "Required value");
  if (scope == NULL ||
      (strcmp(scope, "Namespaced") != 0 && strcmp(scope, "Cluster") != 0))
    return fail(field, errmsg, "spec.scope",
                "Unsupported value: must be Namespaced or Cluster");
  snprintf(want, sizeof want, "%s.%s", plural, group);
  if (name == NULL || strcmp(name, want) != 0) {
    *field = "metadata.name";
    if (asprintf(errmsg, "Invalid value: must be spec.names.plural+\".\"+"
                         "spec.group (%s)", want) < 0)
      *errmsg = NULL;
    return -1;
  }
  if (versions == NULL || !json_object_is_type(versions, json_type_array) ||
      json_object_array_length(versions) == 0)
    return fail(field, errmsg, "spec.versions", "Required value");
  for (i = 0; i < json_object_array_length(versions); i++) {
    json_object *v = json_object_array_get_idx(versions, i);
    const char *vn = str(v, "name");

    if (vn == NULL || !cp_name_is_dns1123_label(vn, strlen(vn)))
      return fail(field, errmsg, "spec.versions.name",
                  "Required value: a DNS-1123 label such as v1");
    if (get(v, "served") != NULL && json_object_get_boolean(get(v, "served")))
      served++;
  }
  if (served == 0)
    return fail(field, errmsg, "spec.versions",
                "Invalid value: at least one version must be served");
  return check_schemas(versions, field, errmsg);
}

void cp_crd_set_status(json_object *crd) {
  json_object *spec = get(crd, "spec"), *names = get(spec, "names");
  json_object *versions = get(spec, "versions"), *st = json_object_new_object();
  json_object *conds = json_object_new_array(), *stored;
  const char *types[] = {"NamesAccepted", "Established"};
  size_t i;

  for (i = 0; i < 2; i++) {
    json_object *c = json_object_new_object();

    json_object_object_add(c, "type", json_object_new_string(types[i]));
    json_object_object_add(c, "status", json_object_new_string("True"));
    json_object_object_add(c, "reason", json_object_new_string(
                                            i ? "InitialNamesAccepted"
                                              : "NoConflicts"));
    json_object_array_add(conds, c);
  }
  json_object_object_add(st, "conditions", conds);
  if (names != NULL)
    json_object_object_add(st, "acceptedNames", json_object_get(names));
  stored = json_object_new_array();
  for (i = 0; versions && i < json_object_array_length(versions); i++) {
    json_object *v = json_object_array_get_idx(versions, i);

    if (get(v, "storage") != NULL && json_object_get_boolean(get(v, "storage")))
      json_object_array_add(stored, json_object_new_string(str(v, "name")));
  }
  json_object_object_add(st, "storedVersions", stored);
  json_object_object_add(crd, "status", st);
}

/* Compiles a served version's schema for its type, unless the type has
 * this very schema already (a CRD is written again for every status
 * change). */
static void use_schema(struct cp_resources *r,
                       const struct cp_resource_type *t, json_object *sc) {
  struct cp_schema_doc *d;
  const char *src;
  char *err = NULL;

  if (t == NULL || sc == NULL || t->builtin)
    return;
  src = json_object_to_json_string_ext(sc, JSON_C_TO_STRING_PLAIN);
  if (src == NULL || cp_resources_schema_is(r, t, src))
    return;
  if ((d = cp_schema_doc_compile(sc, &err)) == NULL) {
    cp_log_warn("apiserver", "%s.%s/%s: schema not used: %s", t->resource,
                t->group, t->version, err ? err : "out of memory");
    free(err);
    return;
  }
  if (cp_resources_set_schema(r, t, d, src) != 1)
    cp_schema_doc_free(d);
}

int cp_crd_register(struct cp_resources *r, json_object *crd) {
  json_object *spec = get(crd, "spec"), *names = get(spec, "names");
  json_object *versions = get(spec, "versions"), *shorts = get(names,
                                                               "shortNames");
  struct cp_resource_type t;
  char list_kind[300], singular[300];
  size_t i, j;
  int added = 0;

  memset(&t, 0, sizeof t);
  t.group = str(spec, "group");
  t.resource = str(names, "plural");
  t.kind = str(names, "kind");
  if (t.group == NULL || t.resource == NULL || t.kind == NULL)
    return 0;
  snprintf(list_kind, sizeof list_kind, "%s", str(names, "listKind")
                                                  ? str(names, "listKind")
                                                  : "");
  if (list_kind[0] == '\0')
    snprintf(list_kind, sizeof list_kind, "%sList", t.kind);
  if (str(names, "singular") != NULL)
    snprintf(singular, sizeof singular, "%s", str(names, "singular"));
  else {
    for (j = 0; t.kind[j] != '\0' && j < sizeof singular - 1; j++)
      singular[j] = (char)(t.kind[j] >= 'A' && t.kind[j] <= 'Z'
                               ? t.kind[j] - 'A' + 'a'
                               : t.kind[j]);
    singular[j] = '\0';
  }
  t.list_kind = list_kind;
  t.singular = singular;
  t.namespaced = str(spec, "scope") != NULL &&
                 strcmp(str(spec, "scope"), "Namespaced") == 0;
  for (j = 0; shorts && j < 3 && j < json_object_array_length(shorts); j++)
    t.short_names[j] =
        json_object_get_string(json_object_array_get_idx(shorts, j));
  for (i = 0; versions && i < json_object_array_length(versions); i++) {
    json_object *v = json_object_array_get_idx(versions, i);

    if (get(v, "served") == NULL || !json_object_get_boolean(get(v, "served")))
      continue;
    t.version = str(v, "name");
    t.subresources =
        get(get(v, "subresources"), "status") != NULL ? CP_SUB_STATUS : 0;
    if (get(get(v, "subresources"), "scale") != NULL)
      t.subresources |= CP_SUB_SCALE;
    if (t.version != NULL && cp_resources_add(r, &t) == 0)
      added++;
    if (t.version != NULL)
      use_schema(r, cp_resources_find(r, t.group, t.version, t.resource),
                 get(get(v, "schema"), "openAPIV3Schema"));
  }
  return added;
}

int cp_crd_load_all(struct cp_api_ctx *ctx) {
  static const char prefix[] = "customresourcedefinitions/";
  cp_store_list_result res;
  size_t i;
  int rc, n = 0;

  memset(&res, 0, sizeof res);
  rc = cp_store_list(ctx->store, prefix, strlen(prefix), NULL, 0, 0, 0, &res);
  if (rc != CPLANE_OK)
    return rc;
  for (i = 0; i < res.count; i++) {
    json_object *o = cp_api_parse_stored(&res.kvs[i]);

    if (o != NULL) {
      cp_crd_register(ctx->resources, o);
      n++;
    }
    json_object_put(o);
  }
  cp_store_list_result_free(&res);
  return n;
}
