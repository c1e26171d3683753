/*
 * admission - NamespaceLifecycle, the terminating-definition refusal and
 * the kind's strategy before a write (admission.h).
 */
#include "apiserver/admission.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/admission_podsecurity.h"
#include "apiserver/admission_limitranger.h"
#include "apiserver/admission_quota.h"
#include "apiserver/crd.h"
#include "apiserver/nscache.h"
#include "apiserver/status.h"
#include "apiserver/strategy/strategy.h"
#include "apiserver/verbs.h"
#include "apiserver/vap/admit.h"
#include "apiserver/webhook/dispatch.h"
#include "log/log.h"

/* kube-apiserver's NamespaceLifecycle for a create of `name` (NULL when
 * the body is unreadable) of type t in ns: the namespace must exist (404
 * NotFound) and not be terminating (403 Forbidden). Responds and returns
 * 0 when the create may not go on. */
/* Whether namespace ns is being deleted: 1 yes, 0 no, -1 after
 * responding (it does not exist, or the store failed). */
static int namespace_terminating(struct cp_api_ctx *ctx, const char *ns,
                                 struct cp_api_response *rs) {
  const struct cp_resource_type *ns_type;
  char *key;
  json_object *o = NULL;
  cp_store_kv kv;
  uint64_t epoch = 0;
  int rc, terminating = 0;

  if (ctx->ns_cache != NULL) {
    if (cp_ns_cache_get(ctx->ns_cache, ns, &terminating))
      return terminating;
    epoch = cp_ns_cache_epoch(ctx->ns_cache);
  }
  ns_type = cp_resources_find(ctx->resources, "", "v1", "namespaces");
  if (ns_type == NULL || (key = cp_api_key(ns_type, NULL, ns)) == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    return -1;
  }
  memset(&kv, 0, sizeof kv);
  rc = cp_store_get(ctx->store, key, strlen(key), 0, &kv, NULL);
  free(key);
  if (rc == CPLANE_ENOENT) {
    cp_verbs_not_found(rs, ns_type, ns);
    return -1;
  }
  if (rc != CPLANE_OK) {
    cp_verbs_store_error(rs, rc);
    return -1;
  }
  /* An unreadable namespace is not this check's business. */
  o = cp_api_parse_stored(NULL, &kv);
  terminating =
      o != NULL && get_str(get(o, "metadata"), "deletionTimestamp") != NULL;
  json_object_put(o);
  cp_store_kv_free(&kv);
  if (ctx->ns_cache != NULL)
    cp_ns_cache_put(ctx->ns_cache, ns, terminating, epoch);
  return terminating;
}

int cp_admission_namespace(struct cp_api_ctx *ctx,
                           const struct cp_resource_type *t, const char *ns,
                           const char *name, struct cp_api_response *rs) {
  char *why = NULL, *what = NULL;
  int state = namespace_terminating(ctx, ns, rs);

  if (state <= 0)
    return state == 0;
  if (asprintf(&why,
               "unable to create new content in namespace %s "
               "because it is being terminated",
               ns) < 0 ||
      asprintf(&what, "namespace %s is being terminated", ns) < 0) {
    cp_api_respond_status(rs, 500, NULL);
  } else {
    struct cp_status_cause cause = {"NamespaceTerminating", what,
                                    "metadata.namespace"};

    cp_verbs_forbidden(rs, t, name, why, &cause);
  }
  free(why);
  free(what);
  return 0;
}

/* kube's apiextensions server refuses new custom resources of type t
 * while their definition is being deleted: its cleanup could miss them.
 * Like kube, which asks its informer cache, this asks the registry: the
 * flag cp_crd_register sets from every definition this server writes,
 * watches or loads, so a create costs no store read. Responds 405 and
 * returns 0 when the create may not go on. */
int cp_admission_crd(struct cp_api_ctx *ctx, const struct cp_resource_type *t,
                     struct cp_api_response *rs) {
  struct cp_status_details d = {.group = t->group, .kind = t->resource};

  if (!cp_resources_terminating(ctx->resources, t))
    return 1;
  cp_api_respond_status(
      rs, 405,
      cp_status_failure(405, "MethodNotAllowed",
                        "create not allowed while custom resource "
                        "definition is terminating",
                        &d));
  return 0;
}

/* The built-in mutating steps, before the webhooks. */
struct builtin_mutate {
  struct cp_api_ctx *ctx;
  struct cp_api_request *rq;
  json_object *old;
  struct cp_api_response *rs;
};

static int builtin_mutate(void *arg, json_object *o) {
  struct builtin_mutate *b = arg;
  const struct cp_strategy *st = cp_strategy_for(b->rq->type);
  struct cp_strategy_write w = {b->old != NULL ? CP_OP_UPDATE : CP_OP_CREATE,
                                b->rq->subresource, cp_verbs_dry_run(b->rq),
                                b->ctx, b->rq};

  /* LimitRanger */
  if (cp_admission_limitranger_mutate(b->ctx, b->rq, o, b->old, b->rs) < 0)
    return -1;
  /* ServiceAccount, Priority, DefaultTolerationSeconds,
   * DefaultStorageClass: the kind's own. */
  if (st->mutate != NULL && st->mutate(&w, o, b->old, b->rs) < 0)
    return -1;
  return 0;
}

int cp_admission_mutate(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                        json_object **o, json_object *old,
                        struct cp_api_response *rs) {
  struct builtin_mutate b = {ctx, rq, old, rs};

  if (builtin_mutate(&b, *o) < 0)
    return -1;
  /* MutatingAdmissionWebhook, last of the mutating steps. When a webhook
   * changed the object, kube's reinvocation runs the built-in steps once
   * more, then the IfNeeded webhooks (webhook/dispatch.h). */
  return cp_webhook_mutate_reinvoking(ctx, rq, o, old, rs, builtin_mutate,
                                      &b);
}

/* The kind's strategy on a create (old NULL) or update: prepare,
 * validate (every error, one 422), admit, warnings. Responds and returns
 * -1 when the write is refused. A write that fails after this returned 0
 * hands what admit took back through strategy_release. */
int cp_admission_strategy(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                          json_object *o, json_object *old,
                          struct cp_api_response *rs) {
  const struct cp_strategy *st = cp_strategy_for(rq->type);
  struct cp_strategy_write w = {old != NULL ? CP_OP_UPDATE : CP_OP_CREATE,
                                rq->subresource, cp_verbs_dry_run(rq), ctx, rq};
  struct cp_field_errors errs = CP_FIELD_ERRORS_INIT;

  /* Mutating admission ran before (cp_admission_mutate): the strategy
   * sets what depends on its result (a pod's qosClass). */
  if (old == NULL && st->prepare_create != NULL)
    st->prepare_create(&w, o);
  if (old != NULL && st->prepare_update != NULL)
    st->prepare_update(&w, o, old);
  if (st->validate != NULL)
    st->validate(&w, o, old, &errs);
  if (cp_field_errors_any(&errs)) {
    cp_field_errors_respond(&errs, rq->type,
                            get_str(get(o, "metadata"), "name"), rs);
    cp_field_errors_clear(&errs);
    return -1;
  }
  if (st->admit != NULL && st->admit(&w, o, old, rs) < 0)
    return -1;
  /* Validating admission, in kube's order. LimitRanger: */
  if (cp_admission_limitranger_validate(ctx, rq, o, old, rs) < 0)
    goto refused;
  /* PodSecurity (it sees what the mutating steps made) */
  if (cp_admission_podsecurity(ctx, rq, o, old, rs) < 0)
    goto refused;
  /* ValidatingAdmissionPolicy: before the validating webhooks. */
  if (cp_vap_admit(ctx, rq, o, old, NULL, rs) < 0)
    goto refused;
  /* ValidatingAdmissionWebhook: after validation, before ResourceQuota. */
  if (cp_webhook_validate(ctx, rq, o, old, rs) < 0)
    goto refused;
  /* ResourceQuota, last: it charges the quotas. */
  if (cp_admission_quota(ctx, rq, o, old, rs) < 0)
    goto refused;
  if (st->warnings != NULL)
    st->warnings(&w, o, old, rs);
  return 0;
refused:
  /* What the kind's admit took (a Service's addresses) goes back. */
  if (old == NULL)
    cp_admission_release(ctx, rq, o);
  else
    cp_admission_update_done(ctx, rq, o, old, 0);
  return -1;
}

int cp_admission_off_parse(const char *list, unsigned *off, char *bad,
                           size_t bad_len) {
  static const struct {
    const char *name;
    unsigned bit;
  } known[] = {{"ServiceAccount", CP_ADMISSION_OFF_SA},
               {"PodSecurity", CP_ADMISSION_OFF_POD_SECURITY}};
  const char *p = list;

  *off = 0;
  while (p != NULL && *p != '\0') {
    size_t n, i;
    int hit = 0;

    p += strspn(p, " ,");
    n = strcspn(p, " ,");
    if (n == 0)
      break;
    for (i = 0; i < sizeof known / sizeof known[0]; i++) {
      if (strlen(known[i].name) == n && strncmp(known[i].name, p, n) == 0) {
        *off |= known[i].bit;
        hit = 1;
      }
    }
    if (!hit) {
      snprintf(bad, bad_len, "%.*s", (int)n, p);
      return -1;
    }
    p += n;
  }
  return 0;
}

void cp_admission_release(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                          json_object *o) {
  const struct cp_strategy *st = cp_strategy_for(rq->type);

  if (st->admit != NULL && st->deleted != NULL && !cp_verbs_dry_run(rq))
    st->deleted(ctx, o);
}

void cp_admission_update_done(struct cp_api_ctx *ctx,
                              struct cp_api_request *rq, json_object *o,
                              json_object *old, int stored) {
  const struct cp_strategy *st = cp_strategy_for(rq->type);

  if (st->update_done != NULL && !cp_verbs_dry_run(rq))
    st->update_done(ctx, o, old, stored);
}
