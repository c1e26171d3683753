/*
 * identity_rbac - see identity_rbac.h.
 */
#include "plugin/identity_rbac.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "client/client.h"
#include "log/log.h"
#include "object/json_format.h"
#include "plugin/identity.h"
#include "plugin/plugin.h"

#define RBAC_PATH "/apis/rbac.authorization.k8s.io/v1"
#define MANAGED_BY "cplane-host"

static const char *const status_verbs[] = {"get", "update", "patch", NULL};
static const char *const write_verbs[] = {
    "get",   "list",   "watch",           "create", "update",
    "patch", "delete", "deletecollection", NULL};
static const char *const event_verbs[] = {"create", "update", "patch",
                                          NULL};
static const char *const read_verbs[] = {"get", "list", "watch", NULL};

static json_object *strings(const char *const *v) {
  json_object *a = json_object_new_array();

  for (; a != NULL && *v != NULL; v++)
    if (json_object_array_add(a, json_object_new_string(*v)) != 0) {
      json_object_put(a);
      return NULL;
    }
  return a;
}

/* Appends {apiGroups: [g...], resources: [r], verbs} to rules. */
static int add_rule(json_object *rules, const char *const *groups,
                    const char *resource, const char *const *verbs) {
  const char *res[] = {resource, NULL};
  json_object *r = json_object_new_object();

  if (r == NULL ||
      json_object_object_add(r, "apiGroups", strings(groups)) != 0 ||
      json_object_object_add(r, "resources", strings(res)) != 0 ||
      json_object_object_add(r, "verbs", strings(verbs)) != 0 ||
      json_object_array_add(rules, r) != 0) {
    json_object_put(r);
    return -1;
  }
  return 0;
}

/* Each resource with every verb; watched: its status too. A plugin may
 * write what it watches (confinement lets it), so its role says the
 * same: the descriptor is the one statement of what a plugin touches. */
static int add_resources(json_object *rules, const struct cplane_resource *rs,
                         uint32_t n, int watched) {
  uint32_t i;

  for (i = 0; rs != NULL && i < n; i++) {
    const char *g[] = {rs[i].group != NULL ? rs[i].group : "", NULL};
    char sub[256];

    if (add_rule(rules, g, rs[i].resource, write_verbs) < 0)
      return -1;
    if (!watched || strchr(rs[i].resource, '/') != NULL)
      continue;
    snprintf(sub, sizeof sub, "%s/status", rs[i].resource);
    if (add_rule(rules, g, sub, status_verbs) < 0)
      return -1;
  }
  return 0;
}

char *cp_identity_rbac_role(const struct cplane_plugin_ctx *p) {
  return cp_identity_rbac_role_of(p->name, &p->desc);
}

/* A ClusterRole `name` with rules (JSON array), or NULL. */
static char *role_json(const char *name, json_object *rules) {
  const char *r = json_object_to_json_string_ext(rules,
                                                 JSON_C_TO_STRING_PLAIN);

  return cp_json_format("{'apiVersion':'rbac.authorization.k8s.io/v1',"
                        "'kind':'ClusterRole','metadata':{'name':%s,"
                        "'labels':{'app.kubernetes.io/managed-by':%s}},"
                        "'rules':%j}",
                        name, MANAGED_BY, r);
}

char *cp_identity_rbac_role_of(const char *plugin,
                               const struct cplane_plugin *desc) {
  static const char *const event_groups[] = {"", "events.k8s.io", NULL};
  json_object *rules = json_object_new_array();
  char *out = NULL, name[300];

  snprintf(name, sizeof name, "cplane:plugin:%s", plugin);
  if (rules != NULL &&
      add_resources(rules, desc->resources, desc->n_resources, 1) == 0 &&
      add_resources(rules, desc->writes, desc->n_writes, 0) == 0 &&
      add_rule(rules, event_groups, "events", event_verbs) == 0)
    out = role_json(name, rules);
  json_object_put(rules);
  return out;
}

char *cp_identity_rbac_reads_role_of(const char *plugin,
                                     const struct cplane_plugin *desc) {
  json_object *rules = json_object_new_array();
  char *out = NULL, name[300];
  uint32_t i;
  int ok = rules != NULL;

  snprintf(name, sizeof name, "cplane:plugin:%s:reads", plugin);
  for (i = 0; ok && desc->resources != NULL && i < desc->n_resources; i++) {
    const char *g[] = {desc->resources[i].group != NULL
                           ? desc->resources[i].group
                           : "",
                       NULL};

    ok = add_rule(rules, g, desc->resources[i].resource, read_verbs) == 0;
  }
  if (ok)
    out = role_json(name, rules);
  json_object_put(rules);
  return out;
}

/* One request whose answer only its status matters. */
static int call(struct cp_client *admin, const char *method,
                const char *path, const char *ctype, const char *body) {
  char *resp = NULL;
  size_t len = 0;
  int code = cp_client_request(admin, method, path, ctype, body,
                               body != NULL ? strlen(body) : 0, &resp, &len);

  free(resp);
  return code;
}

/* POST body to collection; when it exists (409), merge-patch it at
 * collection/name so that it says what we say now. Returns 0 or -1. */
static int apply(struct cp_client *admin, const char *collection,
                 const char *name, const char *body, int update) {
  char path[700];
  int code;

  code = call(admin, "POST", collection, "application/json", body);
  if (code == 409 && update) {
    snprintf(path, sizeof path, "%s/%s", collection, name);
    code = call(admin, "PATCH", path, "application/merge-patch+json", body);
  }
  if (code == 409 || (code >= 200 && code < 300))
    return 0;
  cp_log_warn("identity", "cannot make %s/%s for a plugin's identity: HTTP "
                          "%d", collection, name, code);
  return -1;
}

/* The host's user may not make a plugin's RBAC objects (a real cluster
 * where it is not an admin): say exactly what an operator must create,
 * as KCM's docs do for its controllers' roles. */
static void log_operator_steps(const char *plugin, const char *name,
                               const char *role) {
  cp_log_warn("identity", "plugin %s: the host could not make its RBAC "
                          "objects; until an operator creates them the "
                          "plugin's calls are refused: create ClusterRole "
                          "%s (%s) and bind it: kubectl create "
                          "clusterrolebinding %s --clusterrole=%s "
                          "--serviceaccount=%s:%s",
              plugin, name, role != NULL ? role : "?", name, name,
              CP_IDENTITY_NAMESPACE, plugin);
}

static int has_bootstrap_role(struct cp_client *admin, const char *plugin) {
  char path[600];

  snprintf(path, sizeof path, RBAC_PATH "/clusterroles/system:controller:%s",
           plugin);
  return call(admin, "GET", path, NULL, NULL) == 200;
}

int cp_identity_rbac_ensure(struct cp_client *admin,
                            const struct cplane_plugin_ctx *p) {
  return cp_identity_rbac_ensure_of(admin, p->name, &p->desc, 0);
}

/* Makes or updates ClusterRole `name` (role) and its binding to the
 * plugin's ServiceAccount; says what an operator must do when it cannot.
 * Returns how many objects could not be made. */
static int ensure_role(struct cp_client *admin, const char *plugin,
                       const char *name, const char *role) {
  char *binding = cp_json_format(
      "{'apiVersion':'rbac.authorization.k8s.io/v1',"
      "'kind':'ClusterRoleBinding','metadata':{'name':%s,'labels':{"
      "'app.kubernetes.io/managed-by':%s}},'roleRef':{'apiGroup':"
      "'rbac.authorization.k8s.io','kind':'ClusterRole','name':%s},"
      "'subjects':[{'kind':'ServiceAccount','name':%s,'namespace':%s}]}",
      name, MANAGED_BY, name, plugin, CP_IDENTITY_NAMESPACE);
  int failed = 0;

  if (role == NULL || apply(admin, RBAC_PATH "/clusterroles", name, role,
                            1) < 0)
    failed++;
  if (binding == NULL || apply(admin, RBAC_PATH "/clusterrolebindings", name,
                               binding, 1) < 0)
    failed++;
  if (failed)
    log_operator_steps(plugin, name, role);
  free(binding);
  return failed;
}

int cp_identity_rbac_ensure_of(struct cp_client *admin, const char *plugin,
                               const struct cplane_plugin *desc,
                               int informers) {
  char name[300], *sa = NULL, *role = NULL;
  int failed = 0;

  if (admin == NULL)
    return 0;
  sa = cp_json_format("{'apiVersion':'v1','kind':'ServiceAccount',"
                      "'metadata':{'name':%s,'namespace':%s,'labels':{"
                      "'app.kubernetes.io/managed-by':%s}}}",
                      plugin, CP_IDENTITY_NAMESPACE, MANAGED_BY);
  if (sa == NULL ||
      apply(admin, "/api/v1/namespaces/" CP_IDENTITY_NAMESPACE
                   "/serviceaccounts",
            plugin, sa, 0) < 0)
    failed++;
  if (desc == NULL)
    goto out;
  if (has_bootstrap_role(admin, plugin)) {
    /* The bootstrap roles are kube's, written for controllers whose
     * shared informers list and watch as kube-controller-manager: a
     * plugin whose own informers do (an isolated one) also gets get,
     * list and watch on what it watches. */
    if (!informers)
      goto out;
    snprintf(name, sizeof name, "cplane:plugin:%s:reads", plugin);
    role = cp_identity_rbac_reads_role_of(plugin, desc);
    if ((failed += ensure_role(admin, plugin, name, role)) == 0)
      cp_log_info("identity", "plugin %s lists and watches as itself: made "
                              "ClusterRole and ClusterRoleBinding %s (get, "
                              "list, watch on what it watches) beside its "
                              "bootstrap role", plugin, name);
    goto out;
  }
  snprintf(name, sizeof name, "cplane:plugin:%s", plugin);
  role = cp_identity_rbac_role_of(plugin, desc);
  if ((failed += ensure_role(admin, plugin, name, role)) == 0)
    cp_log_info("identity", "plugin %s has no bootstrap role: made "
                            "ClusterRole and ClusterRoleBinding %s from its "
                            "descriptor", plugin, name);
out:
  free(sa);
  free(role);
  return failed;
}
