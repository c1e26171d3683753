/*
 * match - matchConstraints and matchResources (match.h).
 */
#include "apiserver/vap/match.h"

#include <json-c/json.h>
#include <string.h>

#include "apiserver/strategy/platform_fields.h"

/* The selectors of mr as a webhook's, for webhook/match.h. */
static struct cp_webhook selectors(json_object *mr) {
  struct cp_webhook h;

  memset(&h, 0, sizeof h);
  h.ns_selector = cp_plat_get(mr, "namespaceSelector", json_type_object);
  h.obj_selector = cp_plat_get(mr, "objectSelector", json_type_object);
  return h;
}

int cp_vap_needs_ns_labels(json_object *mr, const struct cp_webhook_attrs *a) {
  struct cp_webhook h = selectors(mr);

  return mr != NULL && cp_webhook_needs_ns_labels(&h, a);
}

/* kube's matchesResourceRules: a rule that matches, and names no
 * resource or this one. */
static int rules_match(json_object *rules, const struct cp_webhook_attrs *a) {
  size_t i, j;

  for (i = 0; rules != NULL && i < json_object_array_length(rules); i++) {
    json_object *r = json_object_array_get_idx(rules, i);
    json_object *names = cp_plat_get(r, "resourceNames", json_type_array);

    if (!cp_webhook_rule_match(r, a))
      continue;
    if (names == NULL || json_object_array_length(names) == 0)
      return 1;
    for (j = 0; j < json_object_array_length(names); j++) {
      const char *n = json_object_get_string(json_object_array_get_idx(names, j));

      if (n != NULL && strcmp(n, a->name) == 0)
        return 1;
    }
  }
  return 0;
}

int cp_vap_matches(json_object *mr, const struct cp_webhook_attrs *a,
                   json_object *ns_labels) {
  struct cp_webhook h = selectors(mr);
  json_object *rules;

  if (mr == NULL)
    return 0;
  if (!cp_webhook_ns_match(&h, a, ns_labels) ||
      !cp_webhook_object_match(&h, a))
    return 0;
  if (rules_match(cp_plat_get(mr, "excludeResourceRules", json_type_array),
                  a))
    return 0;
  rules = cp_plat_get(mr, "resourceRules", json_type_array);
  if (rules == NULL || json_object_array_length(rules) == 0)
    return 1;
  return rules_match(rules, a);
}
