/*
 * admission_policies - see admission_policies.h.
 */
#include "apiserver/strategy/admission_policies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/platform_fields.h"
#include "apiserver/strategy/webhooks.h"

void cp_match_resources_defaults(json_object *mr) {
  if (!json_object_is_type(mr, json_type_object))
    return;
  if (cp_plat_get(mr, "namespaceSelector", json_type_object) == NULL)
    json_object_object_add(mr, "namespaceSelector", json_object_new_object());
  if (cp_plat_get(mr, "objectSelector", json_type_object) == NULL)
    json_object_object_add(mr, "objectSelector", json_object_new_object());
}

/* validateNamedRuleWithOperations: resourceNames path segments, unique;
 * then the webhook rule checks. */
static void named_rule(json_object *r, const char *at,
                       struct cp_field_errors *errs) {
  json_object *names = cp_plat_get(r, "resourceNames", json_type_array);
  size_t i, j, n = names != NULL ? json_object_array_length(names) : 0;

  for (i = 0; i < n; i++) {
    const char *s = json_object_get_string(json_object_array_get_idx(names, i));
    const char *why = cp_plat_path_segment_error(s ? s : "");
    char f[320];

    snprintf(f, sizeof f, "%.256s.resourceNames[%zu]", at, i);
    if (why != NULL)
      cp_field_invalid_str(errs, f, s ? s : "", why);
    for (j = 0; j < i; j++) {
      const char *t =
          json_object_get_string(json_object_array_get_idx(names, j));

      if (s != NULL && t != NULL && strcmp(s, t) == 0) {
        char *q = cp_plat_go_value(json_object_array_get_idx(names, i));

        cp_field_errors_add(errs, CP_FIELD_DUPLICATE, f, q ? q : "", NULL);
        free(q);
        break;
      }
    }
  }
  cp_webhooks_validate_rule(r, at, errs);
}

static void rules(json_object *mr, const char *key, const char *at,
                  struct cp_field_errors *errs) {
  json_object *a = cp_plat_get(mr, key, json_type_array);
  size_t i;
  char f[320];

  for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
    snprintf(f, sizeof f, "%.200s.%.32s[%zu]", at, key, i);
    named_rule(json_object_array_get_idx(a, i), f, errs);
  }
}

void cp_match_resources_validate(json_object *mr, const char *at,
                                 struct cp_field_errors *errs) {
  static const char *const policies[] = {"Equivalent", "Exact", NULL};
  const char *mp;
  char f[320];

  if (mr == NULL)
    return;
  mp = cp_plat_str(mr, "matchPolicy");
  snprintf(f, sizeof f, "%.256s.matchPolicy", at);
  if (mp == NULL)
    cp_field_required(errs, f, NULL);
  else if (strcmp(mp, "Equivalent") != 0 && strcmp(mp, "Exact") != 0)
    cp_field_not_supported(errs, f, mp, policies);
  rules(mr, "resourceRules", at, errs);
  rules(mr, "excludeResourceRules", at, errs);
}
