/*
 * admit - the ValidatingAdmissionPolicy step (admit.h).
 */
#include "apiserver/vap/admit.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/audit/audit.h"
#include "apiserver/cel_authorizer.h"
#include "apiserver/status.h"
#include "apiserver/strategy/platform_fields.h"
#include "apiserver/vap/evaluate.h"
#include "apiserver/vap/set.h"
#include "apiserver/verbs.h"
#include "log/log.h"

/* At most this many params a selector may bring (each runs the
 * policy once). */
#define MAX_PARAMS 1000

/* ------------------------------------------------------------ params */

static const struct cp_resource_type *
type_of_kind(struct cp_api_ctx *ctx, const char *group, const char *version,
             const char *kind) {
  const struct cp_resource_type *types[512];
  size_t i, n = cp_resources_list(ctx->resources, types, 512);

  for (i = 0; i < n && i < 512; i++)
    if (strcmp(types[i]->group, group) == 0 &&
        strcmp(types[i]->version, version) == 0 &&
        strcmp(types[i]->kind, kind) == 0)
      return types[i];
  return NULL;
}

static int get_one(struct cp_api_ctx *ctx, const struct cp_resource_type *t,
                   const char *ns, const char *name, json_object *out,
                   char **err) {
  char *key = cp_api_key(t, t->namespaced ? ns : NULL, name);
  cp_store_kv kv;
  json_object *o;
  int rc;

  if (key == NULL)
    return -1;
  memset(&kv, 0, sizeof kv);
  rc = cp_store_get(ctx->store, key, strlen(key), 0, &kv, NULL);
  free(key);
  if (rc == CPLANE_ENOENT)
    return 0;
  if (rc != CPLANE_OK) {
    if (asprintf(err, "failed to read the params: %s",
                 cp_store_strerror(rc)) < 0)
      *err = NULL;
    return -1;
  }
  o = cp_api_parse_stored(t, &kv);
  cp_store_kv_free(&kv);
  if (o != NULL)
    json_object_array_add(out, o);
  return 0;
}

static int list_selected(struct cp_api_ctx *ctx,
                         const struct cp_resource_type *t, const char *ns,
                         json_object *sel, json_object *out, char **err) {
  char *prefix = cp_api_key(t, t->namespaced && ns[0] ? ns : NULL, NULL);
  cp_store_list_result res;
  size_t i;
  int rc;

  if (prefix == NULL)
    return -1;
  memset(&res, 0, sizeof res);
  rc = cp_store_list(ctx->store, prefix, strlen(prefix), NULL, 0, 0, 0, &res);
  free(prefix);
  if (rc != CPLANE_OK) {
    if (asprintf(err, "failed to list the params: %s",
                 cp_store_strerror(rc)) < 0)
      *err = NULL;
    return -1;
  }
  for (i = 0; i < res.count && json_object_array_length(out) < MAX_PARAMS;
       i++) {
    json_object *o = cp_api_parse_stored(t, &res.kvs[i]);

    if (o != NULL && cp_webhook_selector_match(
                         sel, cp_plat_get(cp_plat_get(o, "metadata",
                                                      json_type_object),
                                          "labels", json_type_object)))
      json_object_array_add(out, o);
    else
      json_object_put(o);
  }
  cp_store_list_result_free(&res);
  return 0;
}

/* kube's generic.CollectParams over the store. */
static int params_from_store(void *arg, const struct cp_vap_policy *p,
                             const struct cp_vap_binding *b, const char *ns,
                             json_object **out, char **err) {
  struct cp_api_ctx *ctx = arg;
  const struct cp_resource_type *t =
      type_of_kind(ctx, p->param_group, p->param_version, p->param_kind);
  const char *pns = b->param_ns[0] ? b->param_ns : ns;
  int rc;

  *out = NULL;
  *err = NULL;
  if (t == NULL) {
    if (asprintf(err, "failed to find resource referenced by paramKind: "
                 "'%s%s%s, Kind=%s'", p->param_group,
                 p->param_group[0] ? "/" : "", p->param_version,
                 p->param_kind) < 0)
      *err = NULL;
    return -1;
  }
  if (t->namespaced && pns[0] == '\0' && b->param_name[0] != '\0') {
    *err = strdup("cannot use namespaced paramRef in policy binding that "
                  "matches cluster-scoped resources");
    return -1;
  }
  if ((*out = json_object_new_array()) == NULL)
    return -1;
  rc = b->param_name[0] != '\0'
           ? get_one(ctx, t, pns, b->param_name, *out, err)
           : list_selected(ctx, t, pns, b->param_selector, *out, err);
  if (rc < 0) {
    json_object_put(*out);
    *out = NULL;
  }
  return rc;
}

/* ------------------------------------------------------------ request */

struct ns_arg {
  struct cp_api_ctx *ctx;
  const char *ns; /* "" for none */
};

/* The request's namespace object (NULL: cluster-scoped, a Namespace
 * itself, or not found). */
static json_object *read_namespace(void *arg) {
  struct ns_arg *na = arg;
  struct cp_api_ctx *ctx = na->ctx;
  const char *ns = na->ns;
  const struct cp_resource_type *nt;
  cp_store_kv kv;
  json_object *o = NULL;
  char *key;

  if (ns == NULL || ns[0] == '\0')
    return NULL;
  nt = cp_resources_find(ctx->resources, "", "v1", "namespaces");
  if (nt == NULL || (key = cp_api_key(nt, NULL, ns)) == NULL)
    return NULL;
  memset(&kv, 0, sizeof kv);
  if (cp_store_get(ctx->store, key, strlen(key), 0, &kv, NULL) == CPLANE_OK) {
    o = cp_api_parse_stored(nt, &kv);
    cp_store_kv_free(&kv);
  }
  free(key);
  return o;
}

/* kube's admission.NewForbidden with the decision's reason and code. */
static void respond_denied(struct cp_api_response *rs,
                           const struct cp_resource_type *t,
                           const char *name, const struct cp_vap_outcome *o) {
  struct cp_status_cause cause = {NULL, NULL, NULL};
  struct cp_status_details d = {.name = name[0] ? name : NULL,
                                .group = t->group,
                                .kind = t->resource,
                                .causes = &cause,
                                .n_causes = 1};
  char *msg = NULL;
  int n;

  if (name[0] != '\0')
    n = asprintf(&msg, "%s%s%s \"%s\" is forbidden: %s", t->resource,
                 t->group[0] ? "." : "", t->group, name, o->message);
  else
    n = asprintf(&msg, "%s%s%s is forbidden: %s", t->resource,
                 t->group[0] ? "." : "", t->group, o->message);
  if (n < 0) {
    cp_api_respond_status(rs, 500, NULL);
    return;
  }
  cause.message = msg;
  cp_api_respond_status(rs, o->code,
                        cp_status_failure(o->code, o->reason, msg, &d));
  free(msg);
}

static void log_audit(const struct cp_api_request *rq, json_object *audit) {
  json_object_object_foreach(audit, k, v) {
    cp_log_info("apiserver", "audit annotation %s=%s (%s %s%s%s)", k,
                json_object_get_string(v), rq->type->resource,
                rq->ns ? rq->ns : "", rq->ns ? "/" : "",
                rq->name ? rq->name : "");
  }
}

int cp_vap_admit(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                 json_object *o, json_object *old, json_object *opts,
                 struct cp_api_response *rs) {
  struct cp_vap_snapshot *snap = cp_vap_acquire(ctx->vap);
  const struct cp_resource_type *t = rq->type;
  int is_ns = t->group[0] == '\0' && strcmp(t->resource, "namespaces") == 0;
  struct cp_webhook_attrs a;
  struct cp_vap_input in;
  struct cp_vap_outcome out;
  struct cp_cel_authz_arg z = {ctx, &rq->user};
  struct ns_arg na = {ctx, ""};
  json_object *request = NULL;
  const char *name = rq->name;
  int rc = 0;
  size_t i;

  if (snap == NULL)
    return 0;
  memset(&out, 0, sizeof out);
  if (name == NULL)
    name = cp_plat_str(cp_plat_get(o, "metadata", json_type_object), "name");
  memset(&a, 0, sizeof a);
  a.operation = o == NULL ? "DELETE" : old == NULL ? "CREATE" : "UPDATE";
  a.group = t->group;
  a.version = t->version;
  a.resource = t->resource;
  a.subresource = rq->subresource ? rq->subresource : "";
  a.kind = t->kind;
  /* kube admits a /scale write with its autoscaling/v1 Scale. */
  if (strcmp(a.subresource, "scale") == 0) {
    a.kind = "Scale";
    a.kind_group = "autoscaling";
    a.kind_version = "v1";
  }
  a.name = name ? name : "";
  /* kube: a Namespace's own requests carry its name as namespace. */
  a.ns = is_ns ? a.name : (rq->ns ? rq->ns : "");
  a.object = o;
  a.old_object = old;
  /* kube: namespaceObject is null for a Namespace's own requests. */
  na.ns = is_ns ? "" : a.ns;
  request = cp_vap_request_object(&a, rq->user.name, rq->user.uid,
                                  rq->user.groups, rq->user.n_groups,
                                  cp_verbs_dry_run(rq), opts);
  if (request == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    rc = -1;
    goto out;
  }
  memset(&in, 0, sizeof in);
  in.attrs = &a;
  in.request = request;
  in.load_namespace = read_namespace;
  in.load_namespace_arg = &na;
  in.params = params_from_store;
  in.params_arg = ctx;
  in.authorize = cp_cel_rbac_authorize;
  in.authorize_arg = &z;
  if (cp_vap_evaluate(snap, &in, &out) < 0) {
    cp_api_respond_status(rs, 500, NULL);
    rc = -1;
    goto out;
  }
  for (i = 0; out.warnings && i < json_object_array_length(out.warnings);
       i++)
    cp_api_add_warning(rs, json_object_get_string(
                               json_object_array_get_idx(out.warnings, i)));
  if (out.audit != NULL && !cp_audit_annotate_map(rq, out.audit, NULL))
    log_audit(rq, out.audit);
  if (out.denied) {
    respond_denied(rs, t, a.name, &out);
    rc = -1;
  }
out:
  cp_vap_outcome_clear(&out);
  json_object_put(request);
  cp_vap_release(ctx->vap, snap);
  return rc;
}
