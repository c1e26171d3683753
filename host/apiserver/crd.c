/*
 * crd - see crd.h.
 */
#include "apiserver/crd.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/crd_scale.h"
#include "apiserver/printer_columns.h"
#include "apiserver/schema.h"
#include "apiserver/watched_set.h"
#include "labels/names.h"
#include "log/log.h"

/* Where the definitions are stored (built-in kind layout). */
#define CRD_PREFIX "customresourcedefinitions/"

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

/* 1 when version v of a definition is served. */
static int is_served(json_object *v) {
  return get(v, "served") != NULL && json_object_get_boolean(get(v, "served"));
}

static int fail(const char **field, char **errmsg, const char *f,
                const char *msg) {
  *field = f;
  *errmsg = strdup(msg);
  return -1;
}

/* A problem at a computed path: *errmsg is msg, then a NUL, then the
 * first flen bytes of f, which *field points at (so freeing *errmsg
 * frees both). Returns -1. */
static int fail_at(const char **field, char **errmsg, const char *f,
                   size_t flen, const char *msg) {
  size_t mlen = strlen(msg);

  if ((*errmsg = malloc(mlen + flen + 2)) == NULL)
    return -1;
  memcpy(*errmsg, msg, mlen + 1);
  memcpy(*errmsg + mlen + 1, f, flen);
  (*errmsg)[mlen + 1 + flen] = '\0';
  *field = *errmsg + mlen + 1;
  return -1;
}

/* Every version's openAPIV3Schema must compile, or its custom resources
 * could not be checked. The schema compiler names the place as kube's
 * CRD validation does ("spec.versions[0].schema.openAPIV3Schema.
 * properties[spec].pattern: Invalid value: ..."); that path becomes
 * *field, stored after the message's NUL in the same allocation. */
static int check_schemas(json_object *versions, const char **field,
                         char **errmsg) {
  size_t i;

  for (i = 0; i < json_object_array_length(versions); i++) {
    json_object *sc = get(get(json_object_array_get_idx(versions, i),
                              "schema"),
                          "openAPIV3Schema");
    struct cp_schema_doc *d;
    char root[96], *err = NULL, *sep;

    if (sc == NULL)
      continue;
    snprintf(root, sizeof root, "spec.versions[%zu].schema.openAPIV3Schema",
             i);
    if ((d = cp_schema_doc_compile_at(sc, root, &err)) != NULL) {
      cp_schema_doc_free(d);
      continue;
    }
    *field = "spec.versions.schema.openAPIV3Schema";
    sep = err != NULL ? strstr(err, ": ") : NULL;
    if (sep == NULL) {
      *errmsg = err;
      return -1;
    }
    fail_at(field, errmsg, err, (size_t)(sep - err), sep + 2);
    free(err);
    return -1;
  }
  return 0;
}

/* Every version's additionalPrinterColumns must be columns kube would
 * print; field and message share one allocation, as in check_schemas. */
static int check_columns(json_object *versions, const char **field,
                         char **errmsg) {
  size_t i;

  for (i = 0; i < json_object_array_length(versions); i++) {
    char at[80], *f = NULL, *m = NULL;

    snprintf(at, sizeof at, "spec.versions[%zu].additionalPrinterColumns", i);
    if (cp_printer_columns_check(
            get(json_object_array_get_idx(versions, i),
                "additionalPrinterColumns"),
            at, &f, &m) == 0)
      continue;
    *field = "spec.versions.additionalPrinterColumns";
    *errmsg = NULL;
    if (f != NULL && m != NULL)
      fail_at(field, errmsg, f, strlen(f), m);
    free(f);
    free(m);
    return -1;
  }
  return 0;
}

/* Every version's subresources.scale must name its paths as kube's
 * ValidateCustomResourceDefinitionSubresources wants; field and message
 * share one allocation, as in check_schemas. */
static int check_scale(json_object *versions, const char **field,
                       char **errmsg) {
  size_t i;

  for (i = 0; i < json_object_array_length(versions); i++) {
    char at[80], *f = NULL, *m = NULL;

    snprintf(at, sizeof at, "spec.versions[%zu].subresources", i);
    if (cp_crd_scale_check(
            get(get(json_object_array_get_idx(versions, i), "subresources"),
                "scale"),
            at, &f, &m) == 0)
      continue;
    *field = "spec.versions.subresources.scale";
    *errmsg = NULL;
    if (f != NULL && m != NULL)
      fail_at(field, errmsg, f, strlen(f), m);
    free(f);
    free(m);
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
    if (is_served(v))
      served++;
  }
  if (served == 0)
    return fail(field, errmsg, "spec.versions",
                "Invalid value: at least one version must be served");
  if (check_columns(versions, field, errmsg) < 0 ||
      check_scale(versions, field, errmsg) < 0)
    return -1;
  return check_schemas(versions, field, errmsg);
}

static void add_condition(json_object *conds, const char *type,
                          const char *status, const char *reason,
                          const char *message) {
  json_object *c = json_object_new_object();

  json_object_object_add(c, "type", json_object_new_string(type));
  json_object_object_add(c, "status", json_object_new_string(status));
  json_object_object_add(c, "reason", json_object_new_string(reason));
  json_object_object_add(c, "message", json_object_new_string(message));
  json_object_array_add(conds, c);
}

/* 1 when s is in the array of strings a (or equals the string a). */
static int in_names(json_object *a, const char *s) {
  size_t i;

  if (s == NULL || a == NULL)
    return 0;
  if (json_object_is_type(a, json_type_string))
    return strcmp(json_object_get_string(a), s) == 0;
  if (!json_object_is_type(a, json_type_array))
    return 0;
  for (i = 0; i < json_object_array_length(a); i++)
    if (in_names(json_object_array_get_idx(a, i), s))
      return 1;
  return 0;
}

/* kube's naming controller for one other definition of the same group:
 * its accepted names claim resources (plural, singular, shortNames,
 * listKind) and kinds (kind, listKind). A name crd requests conflicts
 * when another claims it and crd has not accepted it already. */
static const char *names_conflict(json_object *crd, json_object *other,
                                  char *msg, size_t len) {
  json_object *want = get(get(crd, "spec"), "names");
  json_object *had = get(get(crd, "status"), "acceptedNames");
  json_object *acc = get(get(other, "status"), "acceptedNames");
  const char *plural = str(want, "plural"), *kind = str(want, "kind");
  const char *list_kind = str(want, "listKind");

  if (acc == NULL)
    return NULL;
  if (plural != NULL && !in_names(get(had, "plural"), plural) &&
      (in_names(get(acc, "plural"), plural) ||
       in_names(get(acc, "singular"), plural) ||
       in_names(get(acc, "shortNames"), plural) ||
       in_names(get(acc, "listKind"), plural))) {
    snprintf(msg, len, "\"%s\" is already in use", plural);
    return "PluralConflict";
  }
  if (kind != NULL && !in_names(get(had, "kind"), kind) &&
      (in_names(get(acc, "kind"), kind) ||
       in_names(get(acc, "listKind"), kind))) {
    snprintf(msg, len, "\"%s\" is already in use", kind);
    return "KindConflict";
  }
  if (list_kind != NULL && !in_names(get(had, "listKind"), list_kind) &&
      (in_names(get(acc, "kind"), list_kind) ||
       in_names(get(acc, "listKind"), list_kind))) {
    snprintf(msg, len, "\"%s\" is already in use", list_kind);
    return "ListKindConflict";
  }
  return NULL;
}

const char *cp_crd_names_conflict(struct cp_api_ctx *ctx, json_object *crd,
                                  char *msg, size_t len) {
  const char *group = str(get(crd, "spec"), "group");
  const char *name = str(get(crd, "metadata"), "name"), *why = NULL;
  cp_store_list_result res;
  size_t i;

  memset(&res, 0, sizeof res);
  if (group == NULL || name == NULL ||
      cp_store_list(ctx->store, CRD_PREFIX, strlen(CRD_PREFIX), NULL, 0, 0, 0,
                    &res) != CPLANE_OK)
    return NULL;
  for (i = 0; i < res.count && why == NULL; i++) {
    json_object *o = cp_api_parse_stored(NULL, &res.kvs[i]);
    const char *og = str(get(o, "spec"), "group");
    const char *on = str(get(o, "metadata"), "name");

    if (og != NULL && on != NULL && strcmp(og, group) == 0 &&
        strcmp(on, name) != 0)
      why = names_conflict(crd, o, msg, len);
    json_object_put(o);
  }
  cp_store_list_result_free(&res);
  return why;
}

int cp_crd_names_accepted(json_object *crd) {
  json_object *conds = get(get(crd, "status"), "conditions");
  size_t i;

  if (!json_object_is_type(conds, json_type_array))
    return 1;
  for (i = 0; i < json_object_array_length(conds); i++) {
    json_object *c = json_object_array_get_idx(conds, i);
    const char *t = str(c, "type"), *st = str(c, "status");

    if (t != NULL && st != NULL && strcmp(t, "NamesAccepted") == 0)
      return strcmp(st, "False") != 0;
  }
  return 1;
}

void cp_crd_set_status(json_object *crd, const char *conflict,
                       const char *conflict_msg) {
  json_object *spec = get(crd, "spec"), *names = get(spec, "names");
  json_object *versions = get(spec, "versions"), *st = json_object_new_object();
  json_object *conds = json_object_new_array(), *stored;
  size_t i;

  if (conflict == NULL) {
    add_condition(conds, "NamesAccepted", "True", "NoConflicts",
                  "no conflicts found");
    add_condition(conds, "Established", "True", "InitialNamesAccepted",
                  "the initial names have been accepted");
  } else {
    /* kube: the names stay unaccepted and the type is not served. */
    add_condition(conds, "NamesAccepted", "False", conflict, conflict_msg);
    add_condition(conds, "Established", "False", "NotAccepted",
                  "not all names are accepted");
  }
  /* Being deleted: its cleanup (crd_cleanup.h) is deleting the custom
   * resources. */
  if (str(get(crd, "metadata"), "deletionTimestamp") != NULL) {
    json_object *c = json_object_new_object();

    json_object_object_add(c, "type", json_object_new_string("Terminating"));
    json_object_object_add(c, "status", json_object_new_string("True"));
    json_object_object_add(c, "reason", json_object_new_string(
                                            "InstanceDeletionInProgress"));
    json_object_object_add(c, "message", json_object_new_string(
                                             "CustomResource deletion is in "
                                             "progress"));
    json_object_array_add(conds, c);
  }
  json_object_object_add(st, "conditions", conds);
  if (names != NULL && conflict == NULL)
    json_object_object_add(st, "acceptedNames", json_object_get(names));
  else
    json_object_object_add(st, "acceptedNames", json_object_new_object());
  stored = json_object_new_array();
  if (!json_object_is_type(versions, json_type_array))
    versions = NULL;
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

/* crd's metadata.resourceVersion as a number; 0 when it has none. */
static int64_t crd_rev(json_object *crd) {
  const char *rv = str(get(crd, "metadata"), "resourceVersion");

  return rv != NULL ? strtoll(rv, NULL, 10) : 0;
}

/* Flags every registered version of crd terminating or not, as crd
 * says: how the create path learns, without a store read, that a
 * definition is being deleted. Every version the definition lists, so
 * that one no longer served but still registered is flagged too. */
static void set_terminating(struct cp_resources *r, json_object *crd) {
  json_object *spec = get(crd, "spec"), *versions = get(spec, "versions");
  json_object *md = get(crd, "metadata");
  const char *group = str(spec, "group");
  const char *plural = str(get(spec, "names"), "plural");
  int terminating = str(md, "deletionTimestamp") != NULL;
  int64_t rev = crd_rev(crd);
  size_t i;

  if (group == NULL || plural == NULL ||
      !json_object_is_type(versions, json_type_array))
    return;
  for (i = 0; i < json_object_array_length(versions); i++) {
    const char *v = str(json_object_array_get_idx(versions, i), "name");
    const struct cp_resource_type *t =
        v != NULL ? cp_resources_find(r, group, v, plural) : NULL;

    if (t != NULL)
      cp_resources_set_terminating(r, t, terminating, rev);
  }
}

static void drop_unserved(struct cp_resources *r, json_object **crds,
                          size_t n, int own_type);

/* The version its objects are stored as: the one with storage: true. */
static const char *storage_version(json_object *versions) {
  size_t i;

  for (i = 0; versions && i < json_object_array_length(versions); i++) {
    json_object *v = json_object_array_get_idx(versions, i),
                *st = get(v, "storage");

    if (json_object_is_type(st, json_type_boolean) &&
        json_object_get_boolean(st))
      return str(v, "name");
  }
  return NULL;
}

/* What version v adds to its type: storage version and scale paths. */
static void custom_of(json_object *versions, json_object *v,
                      struct cp_resource_custom *c) {
  json_object *scale = get(get(v, "subresources"), "scale");

  c->storage_version = storage_version(versions);
  c->scale_spec_path = str(scale, "specReplicasPath");
  c->scale_status_path = str(scale, "statusReplicasPath");
  c->scale_selector_path = str(scale, "labelSelectorPath");
}

int cp_crd_register(struct cp_resources *r, json_object *crd) {
  json_object *spec = get(crd, "spec"), *names = get(spec, "names");
  json_object *versions = get(spec, "versions"), *shorts = get(names,
                                                               "shortNames");
  struct cp_resource_type t;
  struct cp_resource_custom c;
  char list_kind[300], singular[300];
  size_t i, j;
  int added = 0;

  memset(&t, 0, sizeof t);
  /* A definition whose names conflict with another's is not served. */
  if (!cp_crd_names_accepted(crd))
    return 0;
  if (!json_object_is_type(versions, json_type_array))
    versions = NULL;
  if (!json_object_is_type(shorts, json_type_array))
    shorts = NULL;
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
  for (i = 0, j = 0; shorts && j < 3 && i < json_object_array_length(shorts);
       i++)
    if (json_object_is_type(json_object_array_get_idx(shorts, i),
                            json_type_string))
      t.short_names[j++] =
          json_object_get_string(json_object_array_get_idx(shorts, i));
  for (i = 0; versions && i < json_object_array_length(versions); i++) {
    json_object *v = json_object_array_get_idx(versions, i);

    if (!is_served(v))
      continue;
    t.version = str(v, "name");
    t.subresources =
        get(get(v, "subresources"), "status") != NULL ? CP_SUB_STATUS : 0;
    if (get(get(v, "subresources"), "scale") != NULL)
      t.subresources |= CP_SUB_SCALE;
    custom_of(versions, v, &c);
    /* An update that raced the definition's delete adds nothing back. */
    c.crd_rev = crd_rev(crd);
    if (t.version != NULL && cp_resources_add_custom(r, &t, &c) == 0)
      added++;
    if (t.version != NULL) {
      const struct cp_resource_type *rt =
          cp_resources_find(r, t.group, t.version, t.resource);

      use_schema(r, rt, get(get(v, "schema"), "openAPIV3Schema"));
      if (rt != NULL && !rt->builtin)
        cp_printer_columns_set(rt, get(v, "additionalPrinterColumns"),
                               get(names, "categories"));
    }
  }
  set_terminating(r, crd);
  /* Versions it no longer serves (out of its list, or served: false)
   * stop being served, as kube-apiserver does on an update. Their
   * objects stay in the store: the type's other versions serve them. */
  drop_unserved(r, &crd, 1, 1);
  return added;
}

int cp_crd_register_written(struct cp_resources *r, json_object *crd) {
  if (str(get(crd, "metadata"), "deletionTimestamp") != NULL) {
    set_terminating(r, crd);
    return 0;
  }
  return cp_crd_register(r, crd);
}

const struct cp_resource_type *cp_crd_unregister(struct cp_resources *r,
                                                json_object *crd) {
  json_object *spec = get(crd, "spec"), *versions = get(spec, "versions");
  const char *group = str(spec, "group");
  const char *plural = str(get(spec, "names"), "plural");
  const struct cp_resource_type *t, *any = NULL;
  size_t i;

  if (group == NULL || plural == NULL ||
      !json_object_is_type(versions, json_type_array))
    return NULL;
  for (i = 0; i < json_object_array_length(versions); i++) {
    const char *v = str(json_object_array_get_idx(versions, i), "name");

    if (v == NULL || (t = cp_resources_find(r, group, v, plural)) == NULL)
      continue;
    /* Two threads may unregister one definition at once (its handler
     * and the CRD watch): only the one whose remove succeeds reports.
     * At crd's revision, so that an older copy of it registered late
     * does not serve the type again. */
    if (cp_resources_remove_at(r, group, v, plural, crd_rev(crd)) == 0)
      any = t;
  }
  return any;
}

/* 1 when one of the n definitions in crds serves custom type t. */
static int defined(const struct cp_resource_type *t, json_object **crds,
                   size_t n) {
  size_t i, j;

  for (i = 0; i < n; i++) {
    json_object *spec = get(crds[i], "spec"), *vs = get(spec, "versions");
    const char *group = str(spec, "group");
    const char *plural = str(get(spec, "names"), "plural");

    if (group == NULL || plural == NULL || strcmp(group, t->group) != 0 ||
        strcmp(plural, t->resource) != 0 ||
        !json_object_is_type(vs, json_type_array))
      continue;
    for (j = 0; j < json_object_array_length(vs); j++) {
      json_object *v = json_object_array_get_idx(vs, j);
      const char *name = str(v, "name");

      if (name != NULL && strcmp(name, t->version) == 0 && is_served(v))
        return 1;
    }
  }
  return 0;
}

/* Stops serving every custom type that none of the n definitions in crds
 * serves any more; with own_type, only the versions of crds[0]'s own type
 * (an update of that definition). Without it, the crds are all the stored
 * ones: types whose definition was deleted while this server's watch was
 * down go, and a definition written after the list they came from may
 * lose its types here for a moment, until the watch that follows brings
 * them back. */
static void drop_unserved(struct cp_resources *r, json_object **crds,
                          size_t n, int own_type) {
  json_object *spec = own_type ? get(crds[0], "spec") : NULL;
  const char *group = str(spec, "group");
  const char *plural = str(get(spec, "names"), "plural");
  const struct cp_resource_type **all;
  size_t i, count = cp_resources_list(r, NULL, 0);

  if (own_type && (group == NULL || plural == NULL))
    return;
  if ((all = calloc(count ? count : 1, sizeof *all)) == NULL) {
    cp_log_warn("apiserver", "out of memory: custom resource versions "
                             "no longer defined may still be served");
    return;
  }
  i = cp_resources_list(r, all, count);
  count = i < count ? i : count; /* the registry may have grown since */
  for (i = 0; i < count; i++) {
    const struct cp_resource_type *t = all[i];

    if (t->builtin ||
        (own_type && (strcmp(t->group, group) != 0 ||
                      strcmp(t->resource, plural) != 0)) ||
        defined(t, crds, n) ||
        cp_resources_remove(r, t->group, t->version, t->resource) != 0)
      continue;
    cp_log_info("apiserver", "%s.%s/%s: %s: no longer served",
                t->resource, t->group, t->version,
                own_type ? "its customresourcedefinition dropped it"
                         : "its customresourcedefinition is gone from the "
                           "store");
  }
  free(all);
}

/* The registry made equal to the definitions listed. */
static void register_all(struct cp_api_ctx *ctx, json_object *const *crds,
                         size_t n) {
  size_t i;

  for (i = 0; i < n; i++)
    cp_crd_register(ctx->resources, crds[i]);
  drop_unserved(ctx->resources, (json_object **)crds, n, 0);
}

int cp_crd_load_all(struct cp_api_ctx *ctx, int64_t *rev) {
  cp_store_list_result res;
  json_object **crds = NULL;
  size_t i, n = 0;
  int rc;

  memset(&res, 0, sizeof res);
  rc = cp_store_list(ctx->store, CRD_PREFIX, strlen(CRD_PREFIX), NULL, 0, 0,
                     0, &res);
  if (rc != CPLANE_OK)
    return rc;
  if ((crds = calloc(res.count ? res.count : 1, sizeof *crds)) == NULL) {
    rc = CPLANE_ENOMEM;
    goto out;
  }
  for (i = 0; i < res.count; i++)
    if ((crds[n] = cp_api_parse_stored(NULL, &res.kvs[i])) != NULL)
      n++;
  register_all(ctx, crds, n);
  if (rev != NULL)
    *rev = res.revision;
  rc = (int)n;
out:
  for (i = 0; i < n; i++)
    json_object_put(crds[i]);
  free(crds);
  cp_store_list_result_free(&res);
  return rc;
}

/* ------------------------------------------------------------ sync */

struct cp_crd_sync {
  struct cp_watched_set *set;
};

/* Store thread: one definition written or deleted, through any API
 * server (this one's handler may have been first: register and
 * unregister are then no-ops). A definition's registration is quick
 * enough for the store's callback thread, and definitions change
 * rarely. */
static void apply_event(struct cp_api_ctx *ctx, const cp_store_event *ev) {
  struct cp_resources *r = ctx->resources;
  json_object *o, *spec;
  const char *name;
  cp_store_kv k;

  if (ev->type == CP_STORE_EVENT_DELETE) {
    if (ev->prev.mod_revision == 0)
      return;
    k = ev->prev;
    k.mod_revision = ev->kv.mod_revision;
    o = cp_api_parse_stored(NULL, &k);
    name = str(get(o, "metadata"), "name");
    /* The custom resources are left alone: the server that handled the
     * DELETE purges them. */
    if (o != NULL && cp_crd_unregister(r, o) != NULL)
      cp_log_info("apiserver", "customresourcedefinition %s gone from the "
                  "store: no longer served",
                  name ? name : "?");
    json_object_put(o);
    return;
  }
  o = cp_api_parse_stored(NULL, &ev->kv);
  spec = get(o, "spec");
  name = str(get(o, "metadata"), "name");
  /* > 0 only with group and plural set. */
  if (o != NULL && cp_crd_register(r, o) > 0)
    /* Not "through another server": this server's own watch can beat
     * the handler that stored it. */
    cp_log_info("apiserver", "customresourcedefinition %s seen in the "
                "store: serving %s.%s",
                name ? name : "?", str(get(spec, "names"), "plural"),
                str(spec, "group"));
  /* Deleted through any API server: cp_crd_register above flagged its
   * types terminating, so this server refuses their creates too, and
   * every server's cleanup may work on it. */
  if (str(get(o, "metadata"), "deletionTimestamp") != NULL &&
      ctx->crd_terminating != NULL)
    ctx->crd_terminating(ctx->crd_terminating_arg);
  json_object_put(o);
}

/* Store thread: the definitions written or deleted, one by one. */
static void on_events(void *arg, const cp_store_watch_msg *msg) {
  size_t i;

  for (i = 0; i < msg->count; i++)
    apply_event(arg, &msg->events[i]);
}

/* Sync thread, after a watch ended: the registry made equal to the
 * store. */
static int build(void *arg, json_object **const *objs, const size_t *n,
                 size_t prev, struct cp_watched_snapshot **out) {
  (void)prev;
  register_all(arg, objs[0], n[0]);
  *out = NULL;
  return 0;
}

static const char *const prefixes[] = {CRD_PREFIX, NULL};

static const struct cp_watched_set_def def = {
    .thread = "api-crd-sync",
    .what = "customresourcedefinitions",
    .prefixes = prefixes,
    .watch = 1,
    .build = build,
    .on_events = on_events,
};

struct cp_crd_sync *cp_crd_sync_start(struct cp_api_ctx *ctx, int64_t rev) {
  struct cp_crd_sync *s = calloc(1, sizeof *s);

  if (s == NULL)
    return NULL;
  /* Without a revision (the load failed) the set loads first. */
  if ((s->set = cp_watched_set_start(ctx, &def, ctx, rev > 0 ? rev : 0)) ==
      NULL) {
    free(s);
    return NULL;
  }
  return s;
}

void cp_crd_sync_stop(struct cp_crd_sync *s) {
  if (s == NULL)
    return;
  cp_watched_set_stop(s->set);
  free(s);
}
