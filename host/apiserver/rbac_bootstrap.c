/*
 * rbac_bootstrap - see rbac_bootstrap.h.
 */
#include "apiserver/rbac_bootstrap.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/rbac/call.h"
#include "apiserver/rbac/policy.h"
#include "apiserver/rbac/rules.h"
#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/platform_fields.h"
#include "log/log.h"

#define AUTOUPDATE "rbac.authorization.kubernetes.io/autoupdate"

/* Adds to have[k] (an object, made when absent) the members of want[k]
 * it lacks. Returns 1 when it changed. */
static int merge_map(json_object *have, json_object *want, const char *k) {
  json_object *w = cp_field_at(want, k), *h = cp_field_at(have, k);
  int changed = 0;

  if (!json_object_is_type(w, json_type_object))
    return 0;
  if (!json_object_is_type(h, json_type_object)) {
    h = json_object_new_object();
    json_object_object_add(have, k, h);
  }
  json_object_object_foreach(w, key, val) {
    if (json_object_object_get_ex(h, key, NULL))
      continue;
    json_object_object_add(h, key, json_object_get(val));
    changed = 1;
  }
  return changed;
}

/* Appends to have[k] (an array) the members of want[k] none of it equals
 * (covered by eq). Returns 1 when it changed. */
static int merge_list(json_object *have, json_object *want, const char *k,
                      int (*covered)(json_object *have, json_object *one)) {
  json_object *w = cp_field_at(want, k), *h = cp_field_at(have, k);
  size_t i;
  int changed = 0;

  if (!json_object_is_type(w, json_type_array))
    return 0;
  if (!json_object_is_type(h, json_type_array)) {
    h = json_object_new_array();
    json_object_object_add(have, k, h);
  }
  for (i = 0; i < json_object_array_length(w); i++) {
    json_object *one = json_object_array_get_idx(w, i);

    if (covered(h, one))
      continue;
    json_object_array_add(h, json_object_get(one));
    changed = 1;
  }
  return changed;
}

static int equal_member(json_object *have, json_object *one) {
  size_t i;

  for (i = 0; i < json_object_array_length(have); i++)
    if (json_object_equal(json_object_array_get_idx(have, i), one))
      return 1;
  return 0;
}

/* A rule the role's rules already cover (kube's Covers). */
static int rule_covered(json_object *have, json_object *one) {
  struct cp_rbac_rules h = {0}, w = {0};
  json_object *a = json_object_new_array();
  int rc = 0;

  if (a == NULL)
    return 1;
  json_object_array_add(a, json_object_get(one));
  if (cp_rbac_rules_parse(have, &h) == 0 && cp_rbac_rules_parse(a, &w) == 0)
    rc = cp_rbac_rules_cover(&h, &w, NULL) != 0;
  cp_rbac_rules_clear(&h);
  cp_rbac_rules_clear(&w);
  json_object_put(a);
  return rc;
}

static int same_subject(json_object *have, json_object *one) {
  size_t i;

  for (i = 0; i < json_object_array_length(have); i++) {
    json_object *s = json_object_array_get_idx(have, i);
    const char *ns1 = cp_plat_str(s, "namespace"), *ns2 = cp_plat_str(one, "namespace");

    if (strcmp(cp_plat_str(s, "kind") ? cp_plat_str(s, "kind") : "", cp_plat_str(one, "kind")) == 0 &&
        strcmp(cp_plat_str(s, "name") ? cp_plat_str(s, "name") : "", cp_plat_str(one, "name")) == 0 &&
        strcmp(ns1 ? ns1 : "", ns2 ? ns2 : "") == 0)
      return 1;
  }
  return 0;
}

/* The policy's additions to an existing object; 1 when it changed. */
static int reconcile(json_object *have, json_object *want, int binding) {
  json_object *hm = cp_field_at(have, "metadata"), *wm = cp_field_at(want, "metadata");
  int changed = merge_map(hm, wm, "labels") | merge_map(hm, wm, "annotations");

  if (binding)
    return changed | merge_list(have, want, "subjects", same_subject);
  changed |= merge_list(have, want, "rules", rule_covered);
  if (cp_field_at(want, "aggregationRule") != NULL) {
    if (cp_field_at(have, "aggregationRule") == NULL) {
      json_object_object_add(have, "aggregationRule",
                             json_object_get(cp_field_at(want, "aggregationRule")));
      changed = 1;
    } else {
      changed |= merge_list(cp_field_at(have, "aggregationRule"),
                            cp_field_at(want, "aggregationRule"),
                            "clusterRoleSelectors", equal_member);
    }
  }
  return changed;
}

static void warn(const struct cp_rbac_policy_object *p, const char *what,
                 int code, const char *body) {
  cp_log_warn("apiserver", "rbac bootstrap: cannot %s %s %s: %d %s", what,
              p->resource, p->name, code, body ? body : "");
}

static void ensure(struct cp_api_ctx *ctx,
                   const struct cp_rbac_policy_object *p) {
  int binding = strcmp(p->resource, "clusterrolebindings") == 0;
  json_object *have = NULL, *want = json_tokener_parse(p->json);
  const char *au;
  char *body = NULL;
  int code = cp_rbac_call(ctx, CP_API_GET, p->resource, NULL, p->name, NULL,
                          NULL, &body);

  if (code == 404) {
    free(body);
    body = NULL;
    code = cp_rbac_call(ctx, CP_API_POST, p->resource, NULL, NULL, NULL,
                        p->json, &body);
    if (code != 201 && code != 409)
      warn(p, "create", code, body);
    goto out;
  }
  if (code != 200 || body == NULL || want == NULL ||
      (have = json_tokener_parse(body)) == NULL) {
    warn(p, "read", code, body);
    goto out;
  }
  au = cp_plat_str(cp_field_at(have, "metadata.annotations"), AUTOUPDATE);
  if (au != NULL && strcmp(au, "false") == 0)
    goto out;
  if (binding && !json_object_equal(cp_field_at(have, "roleRef"),
                                    cp_field_at(want, "roleRef"))) {
    /* roleRef cannot change: kube deletes and creates it again. */
    cp_rbac_call(ctx, CP_API_DELETE, p->resource, NULL, p->name, NULL, NULL,
                 NULL);
    free(body);
    body = NULL;
    code = cp_rbac_call(ctx, CP_API_POST, p->resource, NULL, NULL, NULL,
                        p->json, &body);
  } else if (reconcile(have, want, binding)) {
    free(body);
    body = NULL;
    code = cp_rbac_call(ctx, CP_API_PUT, p->resource, NULL, p->name, NULL,
                        json_object_to_json_string_ext(
                            have, JSON_C_TO_STRING_PLAIN),
                        &body);
  } else {
    goto out;
  }
  if (code == 200 || code == 201)
    cp_log_info("apiserver", "rbac bootstrap: %s %s reconciled", p->resource,
                p->name);
  else
    warn(p, "reconcile", code, body);
out:
  json_object_put(have);
  json_object_put(want);
  free(body);
}

void cp_rbac_bootstrap(struct cp_api_ctx *ctx) {
  const struct cp_rbac_policy_object *p;
  size_t n, i;

  p = cp_rbac_policy(&n);
  for (i = 0; i < n; i++)
    ensure(ctx, &p[i]);
}
