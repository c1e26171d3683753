/*
 * escalation - see escalation.h.
 */
#include "apiserver/rbac/escalation.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/rbac/authorizer.h"
#include "apiserver/rbac/call.h"
#include "apiserver/status.h"
#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/platform_fields.h"

#define RBAC "rbac.authorization.k8s.io"

/* The server's own writes (bootstrap, INI rules, aggregation) carry no
 * user; system:masters may escalate (kube's EscalationAllowed); a server
 * without RBAC (only system:masters get this far) checks nothing. */
static int unchecked(const struct cp_strategy_write *w) {
  const struct cp_api_user *u = &w->rq->user;

  return u->name == NULL || w->ctx->rbac == NULL ||
         cp_rbac_is_master(u->groups, u->n_groups);
}

/* Whether the user may do verb on resource (RBAC's group) name in ns. */
static int may(const struct cp_strategy_write *w, const char *verb,
               const char *resource, const char *name, const char *ns) {
  const struct cp_api_user *u = &w->rq->user;
  struct cp_rbac_attrs a = {u->name, u->groups, u->n_groups, verb, 1, RBAC,
                            resource, "", name ? name : "", ns ? ns : "",
                            ""};

  return cp_rbac_authorize(w->ctx->rbac, &a, NULL, 0);
}

/* kube's 403: `<resource>.rbac.authorization.k8s.io "<name>" is
 * forbidden: <why>`. */
static int refuse(struct cp_api_response *rs, const char *resource,
                  const char *name, const char *why) {
  struct cp_status_details d = {0};
  char *msg = NULL;

  d.name = name;
  d.group = RBAC;
  d.kind = resource;
  if (asprintf(&msg, "%s." RBAC " \"%s\" is forbidden: %s", resource, name,
               why) < 0) {
    cp_api_respond_status(rs, 500, NULL);
    return -1;
  }
  cp_api_respond_status(rs, 403, cp_status_failure(403, NULL, msg, &d));
  free(msg);
  return -1;
}

/* Go's %q of the user's groups: ["a" "b"]. */
static char *groups_text(const struct cp_api_user *u) {
  char *s = NULL;
  size_t len = 0, i;
  FILE *f = open_memstream(&s, &len);

  if (f == NULL)
    return NULL;
  fputc('[', f);
  for (i = 0; i < u->n_groups; i++)
    fprintf(f, "%s\"%s\"", i ? " " : "", u->groups[i]);
  fputc(']', f);
  if (fclose(f) != 0) {
    free(s);
    return NULL;
  }
  return s;
}

/* ConfirmNoEscalation: 0 when the user holds every rule of servant in
 * ns, else -1 having set rs. */
static int confirm(const struct cp_strategy_write *w,
                   const struct cp_rbac_rules *servant, const char *ns,
                   const char *resource, const char *name,
                   struct cp_api_response *rs) {
  const struct cp_api_user *u = &w->rq->user;
  struct cp_rbac_rules owner = {0};
  char *missing = NULL, *groups = NULL, *why = NULL;
  int rc = -1, covered;

  if (cp_rbac_index_rules_for(cp_rbac_index(w->ctx->rbac), u->name,
                              u->groups, u->n_groups, ns, &owner) < 0)
    goto oom;
  covered = cp_rbac_rules_cover(&owner, servant, &missing);
  if (covered < 0)
    goto oom;
  if (covered) {
    rc = 0;
    goto out;
  }
  if ((groups = groups_text(u)) == NULL ||
      asprintf(&why, "user \"%s\" (groups=%s) is attempting to grant RBAC "
                     "permissions not currently held:\n%s",
               u->name, groups, missing) < 0) {
    why = NULL;
    goto oom;
  }
  refuse(rs, resource, name, why);
  goto out;
oom:
  cp_api_respond_status(rs, 500, NULL);
out:
  cp_rbac_rules_clear(&owner);
  free(missing);
  free(groups);
  free(why);
  return rc;
}

/* kube's IsOnlyMutatingGCFields, near enough: nothing but metadata
 * outside labels and annotations changed. */
static int only_gc_fields(json_object *obj, json_object *old) {
  static const char *const keys[] = {"rules", "aggregationRule", "roleRef",
                                     "subjects"};
  json_object *m = cp_field_at(obj, "metadata"), *om = cp_field_at(old, "metadata");
  size_t i;

  if (old == NULL)
    return 0;
  for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (!json_object_equal(cp_field_at(obj, keys[i]), cp_field_at(old, keys[i])))
      return 0;
  return json_object_equal(cp_field_at(m, "labels"), cp_field_at(om, "labels")) &&
         json_object_equal(cp_field_at(m, "annotations"), cp_field_at(om, "annotations"));
}

int cp_rbac_admit_role(const struct cp_strategy_write *w, json_object *obj,
                       json_object *old, struct cp_api_response *rs) {
  const char *resource = w->rq->type->resource;
  const char *name = cp_plat_str0(cp_field_at(obj, "metadata"), "name");
  const char *ns = w->rq->type->namespaced ? cp_plat_str0(cp_field_at(obj, "metadata"),
                                                 "namespace")
                                           : "";
  struct cp_rbac_rules rules = {0}, full = {0}, owner = {0};
  json_object *all = NULL;
  int rc = 0;

  if (unchecked(w) || only_gc_fields(obj, old) ||
      may(w, "escalate", resource, w->rq->name, w->rq->ns))
    return 0;
  if (cp_rbac_rules_parse(cp_field_at(obj, "rules"), &rules) < 0) {
    cp_api_respond_status(rs, 500, NULL);
    return -1;
  }
  rc = confirm(w, &rules, ns, resource, name, rs);
  if (rc == 0 && cp_field_at(obj, "aggregationRule") != NULL) {
    /* It can gather anything: it needs * on *.* (kube's fullAuthority). */
    all = json_tokener_parse("[{\"apiGroups\":[\"*\"],\"resources\":[\"*\"],"
                             "\"verbs\":[\"*\"]},{\"nonResourceURLs\":[\"*\"],"
                             "\"verbs\":[\"*\"]}]");
    if (all == NULL || cp_rbac_rules_parse(all, &full) < 0 ||
        cp_rbac_index_rules_for(cp_rbac_index(w->ctx->rbac), w->rq->user.name,
                                w->rq->user.groups, w->rq->user.n_groups, "",
                                &owner) < 0) {
      cp_api_respond_status(rs, 500, NULL);
      rc = -1;
    } else if (cp_rbac_rules_cover(&owner, &full, NULL) != 1) {
      rc = refuse(rs, resource, name,
                  "must have cluster-admin privileges to use the "
                  "aggregationRule");
    }
  }
  cp_rbac_rules_clear(&owner);
  cp_rbac_rules_clear(&rules);
  cp_rbac_rules_clear(&full);
  json_object_put(all);
  return rc;
}

/* The rules of the role a binding names: from the index, else the store
 * (the index may not have seen a role created a moment ago). 1, 0 (no
 * such role), -1 out of memory. */
static int role_rules(const struct cp_strategy_write *w, const char *kind,
                      const char *ns, const char *name,
                      struct cp_rbac_rules *out) {
  int cluster = strcmp(kind, "ClusterRole") == 0;
  char *body = NULL;
  json_object *o;
  int rc = cp_rbac_index_role_rules(cp_rbac_index(w->ctx->rbac), kind, ns,
                                    name, out);

  if (rc != 0)
    return rc;
  if (cp_rbac_call(w->ctx, CP_API_GET, cluster ? "clusterroles" : "roles",
                   cluster ? NULL : ns, name, NULL, NULL, &body) != 200 ||
      body == NULL || (o = json_tokener_parse(body)) == NULL) {
    free(body);
    return 0;
  }
  rc = cp_rbac_rules_parse(cp_field_at(o, "rules"), out) < 0 ? -1 : 1;
  json_object_put(o);
  free(body);
  return rc;
}

int cp_rbac_admit_binding(const struct cp_strategy_write *w,
                          json_object *obj, json_object *old,
                          struct cp_api_response *rs) {
  const char *resource = w->rq->type->resource;
  const char *name = cp_plat_str0(cp_field_at(obj, "metadata"), "name");
  const char *ns = w->rq->type->namespaced ? cp_plat_str0(cp_field_at(obj, "metadata"),
                                                 "namespace")
                                           : "";
  json_object *ref = cp_field_at(obj, "roleRef");
  const char *kind = cp_plat_str0(ref, "kind"), *role = cp_plat_str0(ref, "name");
  struct cp_rbac_rules rules = {0};
  char *why = NULL;
  int rc, found;

  if (unchecked(w) || only_gc_fields(obj, old) ||
      may(w, "bind", strcmp(kind, "ClusterRole") == 0 ? "clusterroles"
                                                       : "roles",
          role, ns))
    return 0;
  found = role_rules(w, kind, ns, role, &rules);
  if (found < 0) {
    cp_api_respond_status(rs, 500, NULL);
    rc = -1;
  } else if (found == 0) {
    rc = asprintf(&why, "%s." RBAC " \"%s\" not found",
                  strcmp(kind, "ClusterRole") == 0 ? "clusterroles" : "roles",
                  role) < 0
             ? (cp_api_respond_status(rs, 500, NULL), -1)
             : refuse(rs, resource, name, why);
  } else {
    rc = confirm(w, &rules, ns, resource, name, rs);
  }
  free(why);
  cp_rbac_rules_clear(&rules);
  return rc;
}
