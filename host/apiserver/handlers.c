/*
 * handlers - cp_api_handle: the dispatch of a resource request to its
 * verb (verbs_read.c get/list, verbs_write.c create/update/patch/
 * binding, verbs_delete.c delete/deletecollection, verbs_eviction.c a
 * pod's eviction), after the checks
 * every verb shares (the path names a served subresource).
 */
#include "apiserver/request.h"

#include <json-c/json.h>
#include <string.h>

#include "apiserver/authn/token_request.h"
#include "apiserver/dry_run.h"
#include "apiserver/yaml_body.h"
#include "apiserver/nscache.h"
#include "apiserver/rbac/reviews.h"
#include "apiserver/policy_cache.h"
#include "apiserver/status.h"
#include "apiserver/strategy/priorityclass_cache.h"
#include "apiserver/strategy/strategy.h"
#include "apiserver/verbs.h"

/* ------------------------------------------------------------ dispatch */

static void method_not_allowed(struct cp_api_response *rs) {
  cp_api_respond_status(rs, 405,
                        cp_status_failuref(405,
                                           "the server does not allow this "
                                           "method on the requested "
                                           "resource"));
}

/* kube-apiserver's 404 for a path it does not serve, details included
 * (empty): clients such as kubectl debug read them. */
static void route_not_found(struct cp_api_response *rs) {
  struct cp_status_details d = {0};

  cp_api_respond_status(rs, 404,
                        cp_status_failure(404, NULL,
                                          "the server could not find the "
                                          "requested resource",
                                          &d));
}

static void handle(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                   struct cp_api_response *rs);

/* Drops what admission caches (namespaces, PriorityClasses,
 * ServiceAccounts, PodSecurity policies). */
static void invalidate_admission(struct cp_api_ctx *ctx) {
  if (ctx->ns_cache != NULL)
    cp_ns_cache_invalidate(ctx->ns_cache);
  if (ctx->pc_cache != NULL)
    cp_pc_cache_invalidate(ctx->pc_cache);
  if (ctx->sa_cache != NULL)
    cp_ns_cache_invalidate(ctx->sa_cache);
  if (ctx->psa_cache != NULL)
    cp_ns_cache_invalidate(ctx->psa_cache);
  if (ctx->policy_cache != NULL)
    cp_policy_cache_invalidate(ctx->policy_cache);
}

void cp_api_handle(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                   struct cp_api_response *rs) {
  /* A write to a namespace or a PriorityClass may change what admission
   * must answer: no cached state from before it, or from while it runs,
   * survives it. */
  int admission_write =
      (cp_strategy_for(rq->type)->flags & CP_STRATEGY_ADMISSION_STATE) != 0 &&
      rq->method != CP_API_GET;

  if (admission_write)
    invalidate_admission(ctx);
  handle(ctx, rq, rs);
  if (admission_write)
    invalidate_admission(ctx);
}

static void handle(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                   struct cp_api_response *rs) {
  const char *sub = rq->subresource;
  unsigned subs = rq->type->subresources;

  if (rq->type->namespaced && rq->ns == NULL && rq->name != NULL) {
    route_not_found(rs);
    return;
  }
  /* application/yaml bodies: JSON from here on, as kube decodes them. */
  if (cp_yaml_body_to_json(rq, rs) < 0)
    return;
  /* Access reviews are answered, not stored. */
  if (cp_rbac_is_review(rq->type)) {
    cp_rbac_review(ctx, rq, rs);
    return;
  }
  /* Token and self reviews: their POST was answered before the registry
   * (authn/reviews.c); no other verb is served. */
  if (cp_resource_create_only(rq->type)) {
    method_not_allowed(rs);
    return;
  }
  if (sub != NULL &&
      !((strcmp(sub, "status") == 0 && (subs & CP_SUB_STATUS)) ||
        (strcmp(sub, "scale") == 0 && (subs & CP_SUB_SCALE)) ||
        (strcmp(sub, "binding") == 0 && (subs & CP_SUB_BINDING)) ||
        (strcmp(sub, "eviction") == 0 && (subs & CP_SUB_EVICTION)) ||
        (strcmp(sub, "finalize") == 0 && (subs & CP_SUB_FINALIZE)) ||
        (strcmp(sub, "token") == 0 && (subs & CP_SUB_TOKEN)) ||
        (strcmp(sub, "approval") == 0 && (subs & CP_SUB_APPROVAL)))) {
    route_not_found(rs);
    return;
  }
  /* metrics.k8s.io: computed from pods and nodes, never stored. */
  if (cp_resource_read_only(rq->type)) {
    cp_verb_metrics(ctx, rq, rs);
    return;
  }
  /* dryRun: "All" or nothing, as kube's options validation (422). */
  if (cp_dry_run_check_query(rq, rs) < 0)
    return;
  if (rq->name == NULL) {
    if (rq->method == CP_API_GET)
      cp_verb_list(ctx, rq, rs);
    else if (rq->method == CP_API_POST &&
             (rq->ns != NULL || !rq->type->namespaced))
      cp_verb_create(ctx, rq, rs);
    else if (rq->method == CP_API_DELETE)
      cp_verb_delete_collection(ctx, rq, rs);
    else
      method_not_allowed(rs);
    return;
  }
  if (sub != NULL && strcmp(sub, "binding") == 0) {
    if (rq->method == CP_API_POST)
      cp_verb_binding(ctx, rq, rs);
    else
      method_not_allowed(rs);
    return;
  }
  if (sub != NULL && strcmp(sub, "eviction") == 0) {
    if (rq->method == CP_API_POST)
      cp_verb_eviction(ctx, rq, rs);
    else
      method_not_allowed(rs);
    return;
  }
  if (sub != NULL && strcmp(sub, "token") == 0) {
    if (rq->method == CP_API_POST)
      cp_token_request(ctx, rq, rs);
    else
      method_not_allowed(rs);
    return;
  }
  if (sub != NULL && strcmp(sub, "finalize") == 0) {
    if (rq->method == CP_API_PUT)
      cp_verb_update(ctx, rq, rs);
    else
      method_not_allowed(rs);
    return;
  }
  switch (rq->method) {
  case CP_API_GET:
    cp_verb_get(ctx, rq, rs);
    break;
  case CP_API_PUT:
    cp_verb_update(ctx, rq, rs);
    break;
  case CP_API_PATCH:
    cp_verb_patch(ctx, rq, rs);
    break;
  case CP_API_DELETE:
    if (sub == NULL)
      cp_verb_delete(ctx, rq, rs);
    else
      method_not_allowed(rs);
    break;
  default:
    method_not_allowed(rs);
  }
}
