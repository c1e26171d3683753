/*
 * discovery_merge - the aggregator's routes in the discovery documents
 * (declared in aggregator_table.h): /apis lists every registered group
 * and version (available or not, as kube-aggregator's group list does);
 * aggregated discovery v2 carries a remote version's resources once its
 * list was fetched (an unavailable one is left out); /apis/<group> of a
 * group served only remotely. A remote version replaces a local one of
 * the same group/version (metrics.k8s.io/v1beta1).
 */
#include "apiserver/aggregator/aggregator_table.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/strategy/platform_fields.h"

static json_object *gv_entry(const char *g, const char *v) {
  json_object *e = json_object_new_object();
  char gv[400];

  snprintf(gv, sizeof gv, "%s/%s", g, v);
  json_object_object_add(e, "groupVersion", json_object_new_string(gv));
  json_object_object_add(e, "version", json_object_new_string(v));
  return e;
}

/* The element of array a whose string member key is val, or NULL. */
static json_object *find_by(json_object *a, const char *key, const char *val) {
  size_t i;

  for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
    json_object *e = json_object_array_get_idx(a, i);

    if (strcmp(cp_plat_str0(e, key), val) == 0)
      return e;
  }
  return NULL;
}

static json_object *group_of_list(json_object *groups, const char *name) {
  size_t i;

  for (i = 0; groups != NULL && i < json_object_array_length(groups); i++) {
    json_object *g = json_object_array_get_idx(groups, i);

    if (strcmp(cp_plat_str0(g, "name"), name) == 0)
      return g;
  }
  return NULL;
}

/* A new APIGroup for route r's group. */
static json_object *new_group(const struct cp_agg_route *r) {
  json_object *g = json_object_new_object(), *vs = json_object_new_array();

  json_object_object_add(g, "name", json_object_new_string(r->group));
  json_object_array_add(vs, gv_entry(r->group, r->version));
  json_object_object_add(g, "versions", vs);
  json_object_object_add(g, "preferredVersion",
                         gv_entry(r->group, r->version));
  return g;
}

/* Adds r's version to APIGroup g (once). */
static void add_version(json_object *g, const struct cp_agg_route *r) {
  json_object *vs = cp_plat_get(g, "versions", json_type_array);

  if (vs == NULL || find_by(vs, "version", r->version) != NULL)
    return;
  json_object_array_add(vs, gv_entry(r->group, r->version));
}

static char *replace(char *json, json_object *doc) {
  const char *s = json_object_to_json_string_ext(
      doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  char *out = s != NULL ? strdup(s) : NULL;

  json_object_put(doc);
  if (out == NULL)
    return json;
  free(json);
  return out;
}

char *cp_agg_merge_group_list(const struct cp_agg_table *t, char *json) {
  json_object *doc, *groups;
  size_t i;

  if (t->n == 0 || (doc = json_tokener_parse(json)) == NULL)
    return json;
  if ((groups = cp_plat_get(doc, "groups", json_type_array)) == NULL) {
    json_object_put(doc);
    return json;
  }
  for (i = 0; i < t->n; i++) {
    json_object *g = group_of_list(groups, t->routes[i].group);

    if (g == NULL)
      json_object_array_add(groups, new_group(&t->routes[i]));
    else
      add_version(g, &t->routes[i]);
  }
  return replace(json, doc);
}

char *cp_agg_group(const struct cp_agg_table *t, const char *group) {
  json_object *g = NULL;
  size_t i;

  for (i = 0; i < t->n; i++) {
    if (strcmp(t->routes[i].group, group) != 0)
      continue;
    if (g == NULL)
      g = new_group(&t->routes[i]);
    else
      add_version(g, &t->routes[i]);
  }
  if (g == NULL)
    return NULL;
  json_object_object_add(g, "kind", json_object_new_string("APIGroup"));
  json_object_object_add(g, "apiVersion", json_object_new_string("v1"));
  return replace(NULL, g);
}

/* --- aggregated discovery v2 ----------------------------------------- */

static json_object *response_kind(const char *g, const char *v,
                                  const char *kind) {
  json_object *k = json_object_new_object();

  json_object_object_add(k, "group", json_object_new_string(g));
  json_object_object_add(k, "version", json_object_new_string(v));
  json_object_object_add(k, "kind", json_object_new_string(kind));
  return k;
}

static void copy_member(json_object *to, json_object *from, const char *k) {
  json_object *v = NULL, *copy = NULL;

  if (json_object_object_get_ex(from, k, &v) &&
      json_object_deep_copy(v, &copy, NULL) == 0)
    json_object_object_add(to, k, copy);
}

/* APIResourceList.resources to APIResourceDiscovery entries: "x/y"
 * names become subresources of x. */
static json_object *resources_v2(json_object *list, const char *g,
                                 const char *v) {
  json_object *rs = cp_plat_get(list, "resources", json_type_array);
  json_object *out = json_object_new_array();
  size_t i;

  for (i = 0; rs != NULL && i < json_object_array_length(rs); i++) {
    json_object *r = json_object_array_get_idx(rs, i), *e;
    const char *name = cp_plat_str0(r, "name"), *slash = strchr(name, '/');

    if (name[0] == '\0' || slash != NULL)
      continue;
    e = json_object_new_object();
    json_object_object_add(e, "resource", json_object_new_string(name));
    json_object_object_add(e, "responseKind",
                           response_kind(g, v, cp_plat_str0(r, "kind")));
    json_object_object_add(
        e, "scope",
        json_object_new_string(cp_plat_bool(r, "namespaced", 0)
                                   ? "Namespaced"
                                   : "Cluster"));
    json_object_object_add(e, "singularResource",
                           json_object_new_string(
                               cp_plat_str0(r, "singularName")));
    copy_member(e, r, "verbs");
    copy_member(e, r, "shortNames");
    copy_member(e, r, "categories");
    json_object_array_add(out, e);
  }
  for (i = 0; rs != NULL && i < json_object_array_length(rs); i++) {
    json_object *r = json_object_array_get_idx(rs, i), *parent, *subs, *s;
    const char *name = cp_plat_str0(r, "name"), *slash = strchr(name, '/');
    char base[256];

    if (slash == NULL || (size_t)(slash - name) >= sizeof base)
      continue;
    snprintf(base, sizeof base, "%.*s", (int)(slash - name), name);
    if ((parent = find_by(out, "resource", base)) == NULL)
      continue;
    if ((subs = cp_plat_get(parent, "subresources", json_type_array)) ==
        NULL) {
      subs = json_object_new_array();
      json_object_object_add(parent, "subresources", subs);
    }
    s = json_object_new_object();
    json_object_object_add(s, "subresource",
                           json_object_new_string(slash + 1));
    json_object_object_add(s, "responseKind",
                           response_kind(cp_plat_str0(r, "group"),
                                         cp_plat_str0(r, "version"),
                                         cp_plat_str0(r, "kind")));
    copy_member(s, r, "verbs");
    json_object_array_add(subs, s);
  }
  return out;
}

/* The APIVersionDiscovery of a route whose resource list was fetched;
 * NULL otherwise. */
static json_object *version_v2(const struct cp_agg_route *r) {
  json_object *list, *v;

  if (!r->available || r->resources == NULL ||
      (list = json_tokener_parse(r->resources)) == NULL)
    return NULL;
  v = json_object_new_object();
  json_object_object_add(v, "version", json_object_new_string(r->version));
  json_object_object_add(v, "resources",
                         resources_v2(list, r->group, r->version));
  json_object_object_add(v, "freshness", json_object_new_string("Current"));
  json_object_put(list);
  return v;
}

static json_object *item_of(json_object *items, const char *group) {
  size_t i;

  for (i = 0; items != NULL && i < json_object_array_length(items); i++) {
    json_object *it = json_object_array_get_idx(items, i);

    if (strcmp(cp_plat_str0(cp_plat_get(it, "metadata", json_type_object),
                            "name"),
               group) == 0)
      return it;
  }
  return NULL;
}

/* Puts version v into the item's versions, replacing a local one. */
static void put_version(json_object *item, json_object *v, const char *name) {
  json_object *vs = cp_plat_get(item, "versions", json_type_array);
  size_t i;

  if (vs == NULL) {
    vs = json_object_new_array();
    json_object_object_add(item, "versions", vs);
  }
  for (i = 0; i < json_object_array_length(vs); i++)
    if (strcmp(cp_plat_str0(json_object_array_get_idx(vs, i), "version"),
               name) == 0) {
      json_object_array_put_idx(vs, i, v);
      return;
    }
  json_object_array_add(vs, v);
}

char *cp_agg_merge_aggregated(const struct cp_agg_table *t, char *json) {
  json_object *doc, *items;
  size_t i;

  if (t->n == 0 || (doc = json_tokener_parse(json)) == NULL)
    return json;
  if ((items = cp_plat_get(doc, "items", json_type_array)) == NULL) {
    json_object_put(doc);
    return json;
  }
  for (i = 0; i < t->n; i++) {
    const struct cp_agg_route *r = &t->routes[i];
    json_object *v = version_v2(r), *item;

    if (v == NULL)
      continue;
    if ((item = item_of(items, r->group)) == NULL) {
      json_object *md = json_object_new_object();

      item = json_object_new_object();
      json_object_object_add(md, "name", json_object_new_string(r->group));
      json_object_object_add(md, "creationTimestamp", NULL);
      json_object_object_add(item, "metadata", md);
      json_object_array_add(items, item);
    }
    put_version(item, v, r->version);
  }
  return replace(json, doc);
}
