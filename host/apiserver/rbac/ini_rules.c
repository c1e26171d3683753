/*
 * ini_rules - see ini_rules.h.
 */
#include "apiserver/rbac/ini_rules.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/auth.h"
#include "apiserver/rbac/call.h"
#include "log/log.h"

#define RBAC "rbac.authorization.k8s.io"
#define LABEL "cplane.io/authz-ini"
#define PREFIX "cplane:ini:"

static json_object *strings(const struct cp_auth_list *l) {
  json_object *a = json_object_new_array();
  size_t i;

  for (i = 0; a != NULL && i < l->n; i++)
    json_object_array_add(a, json_object_new_string(l->items[i]));
  return a;
}

static json_object *object(const char *kind, const char *name,
                           const char *ns) {
  json_object *o = json_object_new_object(), *md = json_object_new_object();
  json_object *labels = json_object_new_object();

  json_object_object_add(o, "apiVersion",
                         json_object_new_string(RBAC "/v1"));
  json_object_object_add(o, "kind", json_object_new_string(kind));
  json_object_object_add(md, "name", json_object_new_string(name));
  if (ns != NULL)
    json_object_object_add(md, "namespace", json_object_new_string(ns));
  json_object_object_add(labels, LABEL, json_object_new_string("true"));
  json_object_object_add(md, "labels", labels);
  json_object_object_add(o, "metadata", md);
  return o;
}

static json_object *role(const char *name, const struct cp_auth_rule *r,
                         int urls) {
  json_object *o = object("ClusterRole", name, NULL);
  json_object *rules = json_object_new_array();
  json_object *rule = json_object_new_object();

  json_object_object_add(rule, "verbs", strings(&r->verbs));
  if (urls) {
    json_object_object_add(rule, "nonResourceURLs", strings(&r->paths));
  } else {
    json_object *groups = json_object_new_array();

    json_object_array_add(groups, json_object_new_string("*"));
    json_object_object_add(rule, "apiGroups", groups);
    json_object_object_add(rule, "resources", strings(&r->resources));
  }
  json_object_array_add(rules, rule);
  json_object_object_add(o, "rules", rules);
  return o;
}

static void add_subjects(json_object *subs, const struct cp_auth_list *l,
                         const char *kind) {
  size_t i;

  for (i = 0; i < l->n; i++) {
    json_object *s = json_object_new_object();
    int any = strcmp(l->items[i], "*") == 0;

    json_object_object_add(s, "apiGroup", json_object_new_string(RBAC));
    json_object_object_add(s, "kind",
                           json_object_new_string(any ? "Group" : kind));
    json_object_object_add(s, "name",
                           json_object_new_string(
                               any ? "system:authenticated" : l->items[i]));
    json_object_array_add(subs, s);
  }
}

static json_object *binding(const char *kind, const char *name,
                            const char *ns, const char *role_name,
                            const struct cp_auth_rule *r) {
  json_object *o = object(kind, name, ns), *ref = json_object_new_object();
  json_object *subs = json_object_new_array();

  json_object_object_add(ref, "apiGroup", json_object_new_string(RBAC));
  json_object_object_add(ref, "kind", json_object_new_string("ClusterRole"));
  json_object_object_add(ref, "name", json_object_new_string(role_name));
  json_object_object_add(o, "roleRef", ref);
  add_subjects(subs, &r->users, "User");
  add_subjects(subs, &r->groups, "Group");
  json_object_object_add(o, "subjects", subs);
  return o;
}

/* Creates o, or replaces what is stored under its name. Takes o. */
static void ensure(struct cp_api_ctx *ctx, const char *resource,
                   const char *ns, const char *name, json_object *o) {
  const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
  char *out = NULL;
  int code = cp_rbac_call(ctx, CP_API_POST, resource, ns, NULL, NULL, text,
                          &out);

  if (code == 409) {
    free(out);
    out = NULL;
    code = cp_rbac_call(ctx, CP_API_PUT, resource, ns, name, NULL, text,
                        &out);
  }
  if (code >= 300)
    cp_log_warn("apiserver", "[authz] cannot write %s %s%s%s: %d %s",
                resource, ns ? ns : "", ns ? "/" : "", name, code,
                out ? out : "");
  free(out);
  json_object_put(o);
}

static int all_namespaces(const struct cp_auth_rule *r) {
  size_t i;

  for (i = 0; i < r->namespaces.n; i++)
    if (strcmp(r->namespaces.items[i], "*") == 0)
      return 1;
  return r->namespaces.n == 0;
}

static void write_rule(struct cp_api_ctx *ctx, const struct cp_auth_rule *r) {
  char name[300], urls[320];
  size_t i;

  snprintf(name, sizeof name, PREFIX "%s", r->name);
  snprintf(urls, sizeof urls, PREFIX "%s:nonresource", r->name);
  if (r->resources.n > 0) {
    ensure(ctx, "clusterroles", NULL, name, role(name, r, 0));
    if (all_namespaces(r))
      ensure(ctx, "clusterrolebindings", NULL, name,
             binding("ClusterRoleBinding", name, NULL, name, r));
    else
      for (i = 0; i < r->namespaces.n; i++)
        ensure(ctx, "rolebindings", r->namespaces.items[i], name,
               binding("RoleBinding", name, r->namespaces.items[i], name, r));
  }
  if (r->paths.n > 0) {
    ensure(ctx, "clusterroles", NULL, urls, role(urls, r, 1));
    ensure(ctx, "clusterrolebindings", NULL, urls,
           binding("ClusterRoleBinding", urls, NULL, urls, r));
  }
}

/* Whether the object (kind's resource, ns, name) is one the rules make
 * now. */
static int wanted(const struct cp_auth_rule *rules, size_t n,
                  const char *resource, const char *ns, const char *name) {
  size_t i, j;
  char want[300];

  for (i = 0; i < n; i++) {
    const struct cp_auth_rule *r = &rules[i];
    int binding = strstr(resource, "bindings") != NULL;

    snprintf(want, sizeof want, PREFIX "%s:nonresource", r->name);
    if (r->paths.n > 0 && ns == NULL && strcmp(name, want) == 0)
      return 1;
    snprintf(want, sizeof want, PREFIX "%s", r->name);
    if (r->resources.n == 0 || strcmp(name, want) != 0)
      continue;
    if (!binding || strcmp(resource, "clusterroles") == 0)
      return 1;
    if (strcmp(resource, "clusterrolebindings") == 0)
      return all_namespaces(r);
    for (j = 0; !all_namespaces(r) && j < r->namespaces.n; j++)
      if (strcmp(r->namespaces.items[j], ns) == 0)
        return 1;
  }
  return 0;
}

/* Deletes the labelled objects of resource no rule makes any more. */
static void prune(struct cp_api_ctx *ctx, const char *resource,
                  const struct cp_auth_rule *rules, size_t n) {
  char *out = NULL;
  json_object *list = NULL, *items;
  size_t i;

  if (cp_rbac_call(ctx, CP_API_GET, resource, NULL, NULL,
                   "labelSelector=" LABEL "%3Dtrue", NULL, &out) != 200 ||
      out == NULL || (list = json_tokener_parse(out)) == NULL ||
      !json_object_object_get_ex(list, "items", &items))
    goto out;
  for (i = 0; i < json_object_array_length(items); i++) {
    json_object *md, *v;
    const char *name, *ns = NULL;

    if (!json_object_object_get_ex(json_object_array_get_idx(items, i),
                                   "metadata", &md) ||
        !json_object_object_get_ex(md, "name", &v))
      continue;
    name = json_object_get_string(v);
    if (json_object_object_get_ex(md, "namespace", &v))
      ns = json_object_get_string(v);
    if (wanted(rules, n, resource, ns, name))
      continue;
    cp_log_info("apiserver", "[authz] %s %s%s%s: no [authz] section makes "
                "it any more: deleted", resource, ns ? ns : "", ns ? "/" : "",
                name);
    cp_rbac_call(ctx, CP_API_DELETE, resource, ns, name, NULL, NULL, NULL);
  }
out:
  json_object_put(list);
  free(out);
}

void cp_rbac_ini_reconcile(struct cp_api_ctx *ctx, const struct cp_auth *a) {
  const struct cp_auth_rule *rules;
  size_t n = cp_auth_rules(a, &rules), i;

  for (i = 0; i < n; i++)
    write_rule(ctx, &rules[i]);
  prune(ctx, "clusterrolebindings", rules, n);
  prune(ctx, "rolebindings", rules, n);
  prune(ctx, "clusterroles", rules, n);
  if (n > 0)
    cp_log_info("apiserver", "[authz] %zu rules written as RBAC objects "
                "(ClusterRoles and bindings named " PREFIX "<section>)", n);
}
