/*
 * match - kube's webhook rules, object and namespace selectors (match.h).
 */
#include "apiserver/webhook/match.h"

#include <json-c/json.h>
#include <string.h>

#include "apiserver/strategy/platform_fields.h"

/* exactOrWildcard: "*" or requested among the strings of member key. */
static int exact_or_wildcard(json_object *rule, const char *key,
                             const char *requested) {
  json_object *a = cp_plat_get(rule, key, json_type_array);
  size_t i;

  for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
    json_object *s = json_object_array_get_idx(a, i);
    const char *v;

    if (!json_object_is_type(s, json_type_string))
      continue;
    v = json_object_get_string(s);
    if (strcmp(v, "*") == 0 || strcmp(v, requested) == 0)
      return 1;
  }
  return 0;
}

static int is_namespace(const struct cp_webhook_attrs *a) {
  return a->group[0] == '\0' && strcmp(a->resource, "namespaces") == 0;
}

/* kube's scope(): a Namespace object is cluster-scoped even though its
 * requests carry its name as their namespace. */
static int scope_match(json_object *rule, const struct cp_webhook_attrs *a) {
  const char *scope = cp_plat_str(rule, "scope");

  if (scope == NULL || strcmp(scope, "*") == 0)
    return 1;
  if (strcmp(scope, "Namespaced") == 0)
    return !is_namespace(a) && a->ns[0] != '\0';
  if (strcmp(scope, "Cluster") == 0)
    return is_namespace(a) || a->ns[0] == '\0';
  return 0;
}

/* kube's resource(): "res/sub" split at the first '/'; a bare "res"
 * names the main resource only, "*" in either half anything. */
static int resource_match(json_object *rule,
                          const struct cp_webhook_attrs *a) {
  json_object *arr = cp_plat_get(rule, "resources", json_type_array);
  size_t i;

  for (i = 0; arr != NULL && i < json_object_array_length(arr); i++) {
    json_object *s = json_object_array_get_idx(arr, i);
    const char *v, *slash, *sub;
    size_t res_len;
    int res_ok, sub_ok;

    if (!json_object_is_type(s, json_type_string))
      continue;
    v = json_object_get_string(s);
    slash = strchr(v, '/');
    res_len = slash != NULL ? (size_t)(slash - v) : strlen(v);
    sub = slash != NULL ? slash + 1 : "";
    res_ok = (res_len == 1 && v[0] == '*') ||
             (res_len == strlen(a->resource) &&
              strncmp(v, a->resource, res_len) == 0);
    sub_ok = strcmp(sub, "*") == 0 || strcmp(sub, a->subresource) == 0;
    if (res_ok && sub_ok)
      return 1;
  }
  return 0;
}

int cp_webhook_rules_match(const struct cp_webhook *h,
                           const struct cp_webhook_attrs *a) {
  size_t i;

  for (i = 0; h->rules != NULL && i < json_object_array_length(h->rules);
       i++) {
    json_object *r = json_object_array_get_idx(h->rules, i);

    if (scope_match(r, a) &&
        exact_or_wildcard(r, "operations", a->operation) &&
        exact_or_wildcard(r, "apiGroups", a->group) &&
        exact_or_wildcard(r, "apiVersions", a->version) &&
        resource_match(r, a))
      return 1;
  }
  return 0;
}

int cp_webhook_rule_match(json_object *r, const struct cp_webhook_attrs *a) {
  return scope_match(r, a) &&
         exact_or_wildcard(r, "operations", a->operation) &&
         exact_or_wildcard(r, "apiGroups", a->group) &&
         exact_or_wildcard(r, "apiVersions", a->version) &&
         resource_match(r, a);
}

/* One matchExpressions requirement against labels. */
static int requirement_holds(json_object *req, json_object *labels) {
  const char *key = cp_plat_str(req, "key"), *op = cp_plat_str(req, "operator");
  json_object *vals = cp_plat_get(req, "values", json_type_array), *v = NULL;
  const char *have = NULL;
  size_t i;
  int in = 0;

  if (key == NULL || op == NULL)
    return -1;
  if (labels != NULL && json_object_object_get_ex(labels, key, &v) &&
      json_object_is_type(v, json_type_string))
    have = json_object_get_string(v);
  if (strcmp(op, "Exists") == 0)
    return have != NULL;
  if (strcmp(op, "DoesNotExist") == 0)
    return have == NULL;
  if (strcmp(op, "In") != 0 && strcmp(op, "NotIn") != 0)
    return -1;
  for (i = 0; have != NULL && vals != NULL &&
              i < json_object_array_length(vals);
       i++) {
    json_object *s = json_object_array_get_idx(vals, i);

    if (json_object_is_type(s, json_type_string) &&
        strcmp(json_object_get_string(s), have) == 0)
      in = 1;
  }
  return op[0] == 'I' ? in : !in;
}

int cp_webhook_selector_match(json_object *sel, json_object *labels) {
  json_object *ml = cp_plat_get(sel, "matchLabels", json_type_object);
  json_object *me = cp_plat_get(sel, "matchExpressions", json_type_array);
  size_t i;

  if (labels != NULL && !json_object_is_type(labels, json_type_object))
    labels = NULL;
  if (ml != NULL) {
    json_object_object_foreach(ml, k, want) {
      json_object *v = NULL;

      if (!json_object_is_type(want, json_type_string) || labels == NULL ||
          !json_object_object_get_ex(labels, k, &v) ||
          !json_object_is_type(v, json_type_string) ||
          strcmp(json_object_get_string(v), json_object_get_string(want)))
        return 0;
    }
  }
  for (i = 0; me != NULL && i < json_object_array_length(me); i++)
    if (requirement_holds(json_object_array_get_idx(me, i), labels) != 1)
      return 0;
  return 1;
}

static json_object *labels_of(json_object *o) {
  return cp_plat_get(cp_plat_get(o, "metadata", json_type_object), "labels",
                     json_type_object);
}

/* An absent or empty selector: kube's labels.Everything(). */
static int selects_all(json_object *sel) {
  return sel == NULL || json_object_object_length(sel) == 0;
}

int cp_webhook_object_match(const struct cp_webhook *h,
                            const struct cp_webhook_attrs *a) {
  if (selects_all(h->obj_selector))
    return 1;
  return (a->object != NULL &&
          cp_webhook_selector_match(h->obj_selector, labels_of(a->object))) ||
         (a->old_object != NULL &&
          cp_webhook_selector_match(h->obj_selector,
                                    labels_of(a->old_object)));
}

/* A Namespace created or updated carries the labels to judge. */
static int own_labels(const struct cp_webhook_attrs *a) {
  return is_namespace(a) && a->subresource[0] == '\0' &&
         (strcmp(a->operation, "CREATE") == 0 ||
          strcmp(a->operation, "UPDATE") == 0);
}

int cp_webhook_needs_ns_labels(const struct cp_webhook *h,
                               const struct cp_webhook_attrs *a) {
  if (selects_all(h->ns_selector))
    return 0;
  if (a->ns[0] == '\0' && !is_namespace(a))
    return 0;
  return !own_labels(a);
}

int cp_webhook_ns_match(const struct cp_webhook *h,
                        const struct cp_webhook_attrs *a,
                        json_object *ns_labels) {
  if (selects_all(h->ns_selector))
    return 1;
  if (a->ns[0] == '\0' && !is_namespace(a))
    return 1;
  if (own_labels(a))
    ns_labels = labels_of(a->object);
  return cp_webhook_selector_match(h->ns_selector, ns_labels);
}
