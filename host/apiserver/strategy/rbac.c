/*
 * rbac - see rbac.h.
 */
#include "apiserver/strategy/rbac.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/platform_fields.h"
#include "apiserver/strategy/platform_print.h"
#include "labels/names.h"

#define RBAC_GROUP "rbac.authorization.k8s.io"

const char *cp_rbac_name_error(const char *name) {
  return cp_plat_path_segment_error(name);
}

/* ValidatePolicyRule. */
static void validate_rule(json_object *rule, int namespaced, size_t i,
                          struct cp_field_errors *errs) {
  json_object *urls = cp_plat_get(rule, "nonResourceURLs", json_type_array);
  char at[64];
  char *v;

  if (cp_plat_len(rule, "verbs") == 0)
    cp_field_errors_addf(errs, CP_FIELD_REQUIRED, NULL,
                         "verbs must contain at least one value",
                         "rules[%zu].verbs", i);
  if (urls != NULL && json_object_array_length(urls) > 0) {
    snprintf(at, sizeof at, "rules[%zu].nonResourceURLs", i);
    if ((v = cp_plat_go_value(urls)) == NULL) {
      errs->oom = 1;
      return;
    }
    if (namespaced)
      cp_field_errors_add(errs, CP_FIELD_INVALID, at, v,
                          "namespaced rules cannot apply to non-resource "
                          "URLs");
    if (cp_plat_len(rule, "apiGroups") > 0 ||
        cp_plat_len(rule, "resources") > 0 ||
        cp_plat_len(rule, "resourceNames") > 0)
      cp_field_errors_add(errs, CP_FIELD_INVALID, at, v,
                          "rules cannot apply to both regular resources and "
                          "non-resource URLs");
    free(v);
    return;
  }
  if (cp_plat_len(rule, "apiGroups") == 0)
    cp_field_errors_addf(errs, CP_FIELD_REQUIRED, NULL,
                         "resource rules must supply at least one api group",
                         "rules[%zu].apiGroups", i);
  if (cp_plat_len(rule, "resources") == 0)
    cp_field_errors_addf(errs, CP_FIELD_REQUIRED, NULL,
                         "resource rules must supply at least one resource",
                         "rules[%zu].resources", i);
}

void cp_rbac_validate_rules(json_object *obj, int namespaced,
                            struct cp_field_errors *errs) {
  json_object *rules = cp_plat_get(obj, "rules", json_type_array);
  size_t i;

  for (i = 0; rules != NULL && i < json_object_array_length(rules); i++)
    validate_rule(json_object_array_get_idx(rules, i), namespaced, i, errs);
}

void cp_rbac_binding_defaults(json_object *obj) {
  json_object *ref = cp_plat_get(obj, "roleRef", json_type_object);
  json_object *subjects = cp_plat_get(obj, "subjects", json_type_array);
  size_t i;

  if (ref == NULL && json_object_is_type(obj, json_type_object) &&
      (ref = json_object_new_object()) != NULL)
    json_object_object_add(obj, "roleRef", ref);
  if (ref != NULL && cp_plat_str0(ref, "apiGroup")[0] == '\0')
    json_object_object_add(ref, "apiGroup",
                           json_object_new_string(RBAC_GROUP));
  /* SetDefaults_Subject: User and Group are rbac's; ServiceAccount "". */
  for (i = 0; subjects != NULL && i < json_object_array_length(subjects);
       i++) {
    json_object *s = json_object_array_get_idx(subjects, i);
    const char *kind = cp_plat_str0(s, "kind");

    if (!json_object_is_type(s, json_type_object) ||
        cp_plat_str0(s, "apiGroup")[0] != '\0')
      continue;
    if (strcmp(kind, "User") == 0 || strcmp(kind, "Group") == 0)
      json_object_object_add(s, "apiGroup",
                             json_object_new_string(RBAC_GROUP));
  }
}

/* ValidateRoleBindingSubject. */
static void validate_subject(json_object *s, int namespaced, size_t i,
                             struct cp_field_errors *errs) {
  static const char *const kinds[] = {"ServiceAccount", "User", "Group",
                                      NULL};
  static const char *const empty[] = {"", NULL};
  static const char *const rbac[] = {RBAC_GROUP, NULL};
  const char *name = cp_plat_str0(s, "name"), *kind = cp_plat_str0(s, "kind");
  const char *group = cp_plat_str0(s, "apiGroup"), *why;
  char at[64];

  if (name[0] == '\0')
    cp_field_errors_addf(errs, CP_FIELD_REQUIRED, NULL, NULL,
                         "subjects[%zu].name", i);
  if (strcmp(kind, "ServiceAccount") == 0) {
    snprintf(at, sizeof at, "subjects[%zu].name", i);
    if (name[0] != '\0' &&
        (why = cp_name_dns1123_subdomain_error(name)) != NULL)
      cp_field_invalid_str(errs, at, name, why);
    snprintf(at, sizeof at, "subjects[%zu].apiGroup", i);
    if (group[0] != '\0')
      cp_field_not_supported(errs, at, group, empty);
    if (!namespaced && cp_plat_str0(s, "namespace")[0] == '\0')
      cp_field_errors_addf(errs, CP_FIELD_REQUIRED, NULL, NULL,
                           "subjects[%zu].namespace", i);
    return;
  }
  if (strcmp(kind, "User") == 0 || strcmp(kind, "Group") == 0) {
    snprintf(at, sizeof at, "subjects[%zu].apiGroup", i);
    if (strcmp(group, RBAC_GROUP) != 0)
      cp_field_not_supported(errs, at, group, rbac);
    return;
  }
  snprintf(at, sizeof at, "subjects[%zu].kind", i);
  cp_field_not_supported(errs, at, kind, kinds);
}

/* Go's %#v of an rbac.RoleRef, the value kube's "cannot change roleRef"
 * prints. */
static char *go_role_ref(json_object *ref) {
  char *q[3] = {NULL, NULL, NULL}, *out = NULL;
  static const char *const keys[] = {"apiGroup", "kind", "name"};
  size_t i;

  for (i = 0; i < 3; i++) {
    json_object *s = json_object_new_string(cp_plat_str0(ref, keys[i]));

    q[i] = s != NULL ? cp_plat_go_value(s) : NULL;
    json_object_put(s);
    if (q[i] == NULL)
      goto out;
  }
  if (asprintf(&out, "rbac.RoleRef{APIGroup:%s, Kind:%s, Name:%s}", q[0],
               q[1], q[2]) < 0)
    out = NULL;
out:
  for (i = 0; i < 3; i++)
    free(q[i]);
  return out;
}

void cp_rbac_validate_binding(json_object *obj, json_object *old,
                              int namespaced, const char *const *kinds,
                              struct cp_field_errors *errs) {
  static const char *const rbac[] = {RBAC_GROUP, NULL};
  json_object *ref = cp_plat_get(obj, "roleRef", json_type_object);
  json_object *subjects = cp_plat_get(obj, "subjects", json_type_array);
  const char *group = cp_plat_str0(ref, "apiGroup");
  const char *kind = cp_plat_str0(ref, "kind");
  const char *name = cp_plat_str0(ref, "name"), *why;
  size_t i;

  if (old != NULL) {
    json_object *was = cp_plat_get(old, "roleRef", json_type_object);

    if (!cp_plat_equal(ref, was)) {
      char *v = go_role_ref(ref);

      if (v == NULL)
        errs->oom = 1;
      else
        cp_field_errors_add(errs, CP_FIELD_INVALID, "roleRef", v,
                            "cannot change roleRef");
      free(v);
    }
  }
  if (strcmp(group, RBAC_GROUP) != 0)
    cp_field_not_supported(errs, "roleRef.apiGroup", group, rbac);
  for (i = 0; kinds[i] != NULL && strcmp(kinds[i], kind) != 0; i++)
    ;
  if (kinds[i] == NULL)
    cp_field_not_supported(errs, "roleRef.kind", kind, kinds);
  if (name[0] == '\0')
    cp_field_required(errs, "roleRef.name", NULL);
  else if ((why = cp_rbac_name_error(name)) != NULL)
    cp_field_invalid_str(errs, "roleRef.name", name, why);
  for (i = 0; subjects != NULL && i < json_object_array_length(subjects); i++)
    validate_subject(json_object_array_get_idx(subjects, i), namespaced, i,
                     errs);
}

const struct cp_table_column cp_rbac_role_columns[2] = {
    {"Name", "string", "name", 0,
     "Name must be unique within a namespace."},
    {"Created At", "date", "", 0,
     "CreationTimestamp is a timestamp representing the server time when "
     "this object was created."},
};

void cp_rbac_role_cells(json_object *obj, long long now, json_object *cells) {
  json_object *md = cp_plat_get(obj, "metadata", json_type_object);

  (void)now;
  cp_plat_cell_name(cells, obj);
  cp_plat_cell_str(cells, cp_plat_str0(md, "creationTimestamp"));
}

const struct cp_table_column cp_rbac_binding_columns[6] = {
    {"Name", "string", "name", 0,
     "Name must be unique within a namespace."},
    {"Role", "string", "", 0, "RoleRef is the Role or ClusterRole bound."},
    {"Age", "string", "", 0,
     "CreationTimestamp is a timestamp representing the server time when "
     "this object was created."},
    {"Users", "string", "", 1, "Users in the binding."},
    {"Groups", "string", "", 1, "Groups in the binding."},
    {"ServiceAccounts", "string", "", 1, "ServiceAccounts in the binding."},
};

/* Appends s to the ", "-separated list *l (realloc'd). */
static void join(char **l, const char *s) {
  size_t n = *l != NULL ? strlen(*l) : 0;
  char *p = realloc(*l, n + strlen(s) + 3);

  if (p == NULL)
    return;
  if (n > 0)
    memcpy(p + n, ", ", 3), n += 2;
  strcpy(p + n, s);
  *l = p;
}

void cp_rbac_binding_cells(json_object *obj, long long now,
                           json_object *cells) {
  json_object *ref = cp_plat_get(obj, "roleRef", json_type_object);
  json_object *subjects = cp_plat_get(obj, "subjects", json_type_array);
  char *role = NULL, *lists[3] = {NULL, NULL, NULL};
  size_t i;

  cp_plat_cell_name(cells, obj);
  if (asprintf(&role, "%s/%s", cp_plat_str0(ref, "kind"),
               cp_plat_str0(ref, "name")) < 0)
    role = NULL;
  cp_plat_cell_str(cells, role != NULL ? role : "");
  cp_plat_cell_age(cells, obj, now);
  /* rbac.SubjectsStrings: users, groups, "namespace/name" of SAs. */
  for (i = 0; subjects != NULL && i < json_object_array_length(subjects);
       i++) {
    json_object *s = json_object_array_get_idx(subjects, i);
    const char *kind = cp_plat_str0(s, "kind"), *name = cp_plat_str0(s, "name");
    const char *ns = cp_plat_str0(s, "namespace");
    char *sa = NULL;

    if (strcmp(kind, "User") == 0) {
      join(&lists[0], name);
    } else if (strcmp(kind, "Group") == 0) {
      join(&lists[1], name);
    } else if (strcmp(kind, "ServiceAccount") == 0) {
      if (ns[0] == '\0' || asprintf(&sa, "%s/%s", ns, name) < 0)
        sa = NULL;
      join(&lists[2], sa != NULL ? sa : name);
      free(sa);
    }
  }
  for (i = 0; i < 3; i++) {
    cp_plat_cell_str(cells, lists[i] != NULL ? lists[i] : "");
    free(lists[i]);
  }
  free(role);
}
