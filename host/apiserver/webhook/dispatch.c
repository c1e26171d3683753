/*
 * dispatch - the two webhook admission steps (dispatch.h).
 */
#include "apiserver/webhook/dispatch.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/audit/audit.h"
#include "apiserver/audit/webhook_annotations.h"
#include "apiserver/patch.h"
#include "apiserver/schema.h"
#include "apiserver/status.h"
#include "apiserver/strategy/platform_fields.h"
#include "apiserver/verbs.h"
#include "apiserver/webhook/call.h"
#include "apiserver/webhook/conditions.h"
#include "apiserver/webhook/review.h"
#include "apiserver/webhook/set.h"
#include "log/log.h"

/* A deep copy of o; NULL when out of memory. */
static json_object *copy(json_object *o) {
  json_object *c = NULL;

  return json_object_deep_copy(o, &c, NULL) == 0 ? c : NULL;
}

/* A webhook ends with one of these. */
enum outcome {
  CALLED,    /* answered and allowed (a patch may have changed it) */
  SKIPPED,   /* not called, or failed open */
  RESPONDED  /* the request is refused: rs is set */
};

/* One admission step over one request. */
struct run {
  struct cp_api_ctx *ctx;
  struct cp_api_request *rq;
  struct cp_api_response *rs;
  struct cp_webhook_attrs attrs;
  struct cp_webhook_review_in in;
  const char *ns_for_labels; /* the namespace whose labels selectors read */
  json_object *ns_labels;    /* read once, when a selector needs them */
  int ns_read;
  /* The object's name when the URL has none (a create): a copy, since a
   * patch replaces the object it came from. */
  char *name;
  /* The webhook being called: its round and index in the set, for the
   * audit annotations. */
  int round;
  size_t index;
  /* The built-in mutating steps, for kube's reinvocation; NULL: none. */
  cp_webhook_rerun_fn rerun;
  void *rerun_arg;
};

/* ------------------------------------------------------------ set-up */

static json_object *options(struct cp_api_request *rq, const char *kind,
                            json_object *from, int dry_run) {
  json_object *o = from != NULL ? copy(from)
                                : json_object_new_object();
  const char *fm = cp_query_get(&rq->query, "fieldManager");

  if (o == NULL)
    return NULL;
  json_object_object_add(o, "kind", json_object_new_string(kind));
  json_object_object_add(o, "apiVersion",
                         json_object_new_string("meta.k8s.io/v1"));
  if (dry_run && get(o, "dryRun") == NULL) {
    json_object *a = json_object_new_array();

    json_object_array_add(a, json_object_new_string("All"));
    json_object_object_add(o, "dryRun", a);
  }
  if (fm != NULL && fm[0] != '\0')
    json_object_object_add(o, "fieldManager", json_object_new_string(fm));
  return o;
}

static int is_scale(const struct cp_api_request *rq) {
  return rq->subresource != NULL && strcmp(rq->subresource, "scale") == 0;
}

static void run_init(struct run *r, struct cp_api_ctx *ctx,
                     struct cp_api_request *rq, struct cp_api_response *rs,
                     const char *op, json_object *o, json_object *old,
                     int dry_run) {
  const struct cp_resource_type *t = rq->type;
  int is_ns = t->group[0] == '\0' && strcmp(t->resource, "namespaces") == 0;
  const char *name = rq->name;

  memset(r, 0, sizeof *r);
  r->ctx = ctx;
  r->rq = rq;
  r->rs = rs;
  if (name == NULL && get_str(get(o, "metadata"), "name") != NULL)
    name = r->name = strdup(get_str(get(o, "metadata"), "name"));
  r->attrs.operation = op;
  r->attrs.group = t->group;
  r->attrs.version = t->version;
  r->attrs.resource = t->resource;
  r->attrs.subresource = rq->subresource ? rq->subresource : "";
  r->attrs.kind = t->kind;
  /* kube sends a /scale write's Scale (autoscaling/v1), whatever the
   * resource's group. */
  if (is_scale(rq)) {
    r->attrs.kind = "Scale";
    r->attrs.kind_group = "autoscaling";
    r->attrs.kind_version = "v1";
  }
  r->attrs.name = name ? name : "";
  /* kube: a Namespace's own requests carry its name as namespace. */
  r->attrs.ns = is_ns ? r->attrs.name : (rq->ns ? rq->ns : "");
  r->attrs.object = o;
  r->attrs.old_object = old;
  r->ns_for_labels = r->attrs.ns;
  r->in.attrs = &r->attrs;
  r->in.user = &rq->user;
  r->in.dry_run = dry_run;
}

static void run_clear(struct run *r) {
  free(r->name);
  json_object_put(r->ns_labels);
  json_object_put(r->in.options);
}

/* The labels of the request's namespace, read once. Returns 0, or -1
 * having responded (kube: 404 when the namespace does not exist). */
static int ns_labels(struct run *r) {
  const struct cp_resource_type *nt;
  char *key;
  cp_store_kv kv;
  json_object *ns;
  int rc;

  if (r->ns_read)
    return 0;
  nt = cp_resources_find(r->ctx->resources, "", "v1", "namespaces");
  if (nt == NULL || (key = cp_api_key(nt, NULL, r->ns_for_labels)) == NULL) {
    cp_api_respond_status(r->rs, 500, NULL);
    return -1;
  }
  memset(&kv, 0, sizeof kv);
  rc = cp_store_get(r->ctx->store, key, strlen(key), 0, &kv, NULL);
  free(key);
  if (rc == CPLANE_ENOENT) {
    cp_verbs_not_found(r->rs, nt, r->ns_for_labels);
    return -1;
  }
  if (rc != CPLANE_OK) {
    cp_verbs_store_error(r->rs, rc);
    return -1;
  }
  ns = cp_api_parse_stored(NULL, &kv);
  cp_store_kv_free(&kv);
  r->ns_labels = json_object_get(
      cp_plat_get(get(ns, "metadata"), "labels", json_type_object));
  json_object_put(ns);
  r->ns_read = 1;
  return 0;
}

/* ------------------------------------------------------------ outcomes */

/* kube's apierrors.NewInternalError(err). */
static void internal_error(struct cp_api_response *rs, const char *err) {
  struct cp_status_cause cause = {NULL, err, NULL};
  struct cp_status_details d = {.causes = &cause, .n_causes = 1};
  char *msg = NULL;

  if (asprintf(&msg, "Internal error occurred: %s", err) < 0) {
    cp_api_respond_status(rs, 500, NULL);
    return;
  }
  cp_api_respond_status(rs, 500,
                        cp_status_failure(500, "InternalError", msg, &d));
  free(msg);
}

/* A call that failed: Ignore goes on, Fail refuses (kube's
 * ErrCallingWebhook). Takes reason. */
static enum outcome call_failed(struct run *r, const struct cp_webhook *h,
                                char *reason) {
  char *err = NULL;

  if (asprintf(&err, "failed calling webhook \"%s\": %s", h->name,
               reason ? reason : "out of memory") < 0)
    err = NULL;
  free(reason);
  if (h->fail_open) {
    cp_log_warn("apiserver", "Failed calling webhook, failing open %s: %s",
                h->name, err ? err : "out of memory");
    cp_audit_webhook_failed_open(r->rq, r->round, r->index, h);
    free(err);
    return SKIPPED;
  }
  cp_log_warn("apiserver", "Failed calling webhook, failing closed %s: %s",
              h->name, err ? err : "out of memory");
  internal_error(r->rs, err ? err : "out of memory");
  free(err);
  return RESPONDED;
}

/* kube's webhookerrors.ToStatusErr message: who denied it, and why. */
static char *denial_message(const struct cp_webhook *h, json_object *st) {
  const char *m = cp_plat_str(st, "message"), *why = cp_plat_str(st, "reason");
  char *msg = NULL;
  int n;

  if (m == NULL || m[0] == '\0')
    m = why;
  if (m != NULL && m[0] != '\0')
    n = asprintf(&msg, "admission webhook \"%s\" denied the request: %s",
                 h->name, m);
  else
    n = asprintf(&msg, "admission webhook \"%s\" denied the request "
                       "without explanation",
                 h->name);
  return n < 0 ? NULL : msg;
}

/* kube's webhookerrors.ToStatusErr: the webhook's own status (reason and
 * details as it gave them), its code at least 400 (and a real HTTP
 * error code here), its message prefixed with who denied it. */
static void denied(struct cp_api_response *rs, const struct cp_webhook *h,
                   json_object *status) {
  json_object *st = status != NULL ? copy(status)
                                   : json_object_new_object();
  const char *state = cp_plat_str(st, "status");
  char *msg = denial_message(h, st);
  long long code = 0;

  if (st == NULL || msg == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    goto out;
  }
  if (!cp_plat_int(st, "code", &code) || code < 400 || code > 599)
    code = 400;
  json_object_object_add(st, "kind", json_object_new_string("Status"));
  json_object_object_add(st, "apiVersion", json_object_new_string("v1"));
  if (get(st, "metadata") == NULL)
    json_object_object_add(st, "metadata", json_object_new_object());
  if (state == NULL || state[0] == '\0' || strcmp(state, "Success") == 0)
    json_object_object_add(st, "status", json_object_new_string("Failure"));
  json_object_object_add(st, "message", json_object_new_string(msg));
  json_object_object_add(st, "code", json_object_new_int((int)code));
  cp_api_respond_status(rs, (int)code, cp_api_to_text(st));
out:
  free(msg);
  json_object_put(st);
}

static void add_warnings(struct cp_api_response *rs, json_object *w) {
  size_t i;

  for (i = 0; w != NULL && i < json_object_array_length(w); i++) {
    json_object *s = json_object_array_get_idx(w, i);

    if (json_object_is_type(s, json_type_string))
      cp_api_add_warning(rs, json_object_get_string(s));
  }
}

/* ------------------------------------------------------------ calling */

/* matchPolicy Equivalent for a custom resource: another served version
 * of the same group and resource that one of h's rules names; its
 * version, or NULL. Built-in kinds with several versions convert their
 * objects, which is not done here: they match exactly only. */
static const char *equivalent_version(struct run *r,
                                      const struct cp_webhook *h) {
  size_t i, j;

  /* A Scale is the same in every version of its resource. */
  if (h->exact || r->rq->type->builtin || is_scale(r->rq))
    return NULL;
  for (i = 0; h->rules && i < json_object_array_length(h->rules); i++) {
    json_object *vs = cp_plat_get(json_object_array_get_idx(h->rules, i),
                                  "apiVersions", json_type_array);

    for (j = 0; vs != NULL && j < json_object_array_length(vs); j++) {
      const char *v = json_object_get_string(json_object_array_get_idx(vs, j));
      struct cp_webhook_attrs a = r->attrs;

      if (v == NULL || strcmp(v, a.version) == 0 ||
          cp_resources_find(r->ctx->resources, a.group, v, a.resource) ==
              NULL)
        continue;
      a.version = v;
      if (cp_webhook_rules_match(h, &a))
        return v;
    }
  }
  return NULL;
}

/* matchConditions, after the rules and selectors matched: 1 call, 0
 * skip, -1 having responded (kube: errors failing closed are a 403
 * apierrors.NewForbidden, whatever failurePolicy says of calls). */
static int conditions(struct run *r, const struct cp_webhook *h) {
  char *err = NULL;
  int c;

  if (h->n_conditions == 0)
    return 1;
  if ((c = cp_webhook_conditions_match(r->ctx, h, &r->in, &err)) >= 0)
    return c;
  cp_log_warn("apiserver", "Failed evaluating match conditions, failing "
              "closed %s: %s", h->name, err ? err : "out of memory");
  if (err == NULL)
    cp_api_respond_status(r->rs, 500, NULL);
  else
    cp_verbs_forbidden(r->rs, r->rq->type, r->attrs.name, err, NULL);
  free(err);
  return -1;
}

/* Whether to call h: 1, 0, or -1 having responded. *version is the
 * version to send (the request's, or an equivalent one). */
static int should_call(struct run *r, const struct cp_webhook *h,
                       const char **version) {
  *version = r->attrs.version;
  if (!cp_webhook_rules_match(h, &r->attrs) &&
      (*version = equivalent_version(r, h)) == NULL)
    return 0;
  if (!cp_webhook_object_match(h, &r->attrs))
    return 0;
  if (cp_webhook_needs_ns_labels(h, &r->attrs) && ns_labels(r) < 0)
    return -1;
  if (!cp_webhook_ns_match(h, &r->attrs, r->ns_labels))
    return 0;
  return conditions(r, h);
}

/* The object as sent in another version of a custom resource: the same
 * object under that apiVersion (kube's None conversion). Owned. */
static json_object *in_version(json_object *o, const char *group,
                               const char *version) {
  json_object *c;
  char av[300];

  if (o == NULL || (c = copy(o)) == NULL)
    return NULL;
  snprintf(av, sizeof av, "%s%s%s", group, group[0] ? "/" : "", version);
  json_object_object_add(c, "apiVersion", json_object_new_string(av));
  return c;
}

/* Calls h about r's request; *v is its allowed answer on CALLED. */
static enum outcome call_hook(struct run *r, const struct cp_webhook *h,
                              const char *version,
                              struct cp_webhook_verdict *v) {
  struct cp_webhook_attrs a = r->attrs;
  struct cp_webhook_review_in in = r->in;
  char uid[40], *body = NULL, *resp = NULL, *err = NULL, *why = NULL;
  json_object *obj = NULL, *old = NULL;
  size_t resp_len = 0;
  enum outcome out = SKIPPED;
  int rc;

  if (r->in.dry_run && !h->dry_run_ok) {
    cp_api_respond_status(r->rs, 400,
                          cp_status_failuref(400,
                                             "admission webhook \"%s\" does "
                                             "not support dry run",
                                             h->name));
    return RESPONDED;
  }
  if (!h->v1)
    return call_failed(r, h,
                       strdup("could not create admission objects: webhook "
                              "does not accept known AdmissionReview "
                              "versions"));
  if (strcmp(version, a.version) != 0) {
    a.object = obj = in_version(a.object, a.group, version);
    a.old_object = old = in_version(a.old_object, a.group, version);
    a.version = version;
  }
  in.attrs = &a;
  cp_verbs_new_uid(uid, sizeof uid);
  if ((body = cp_webhook_review_request(&in, uid)) == NULL) {
    out = call_failed(r, h, NULL);
    goto out;
  }
  if (cp_webhook_call(cp_webhooks_caller(r->ctx->webhooks), r->ctx, h, body,
                      strlen(body), &resp, &resp_len, &err) < 0) {
    if (asprintf(&why, "failed to call webhook: %s",
                 err ? err : "out of memory") < 0)
      why = NULL;
    out = call_failed(r, h, why);
    goto out;
  }
  rc = cp_webhook_review_response(resp, resp_len, uid, h->mutating, v, &err);
  if (rc != CP_WEBHOOK_REVIEW_OK) {
    if (asprintf(&why, "%s: %s",
                 rc == CP_WEBHOOK_REVIEW_INVALID
                     ? "received invalid webhook response"
                     : "failed to call webhook",
                 err ? err : "out of memory") < 0)
      why = NULL;
    out = call_failed(r, h, why);
    goto out;
  }
  add_warnings(r->rs, v->warnings);
  cp_audit_annotate_map(r->rq, v->audit_annotations, h->name);
  if (!v->allowed) {
    denied(r->rs, h, v->status);
    cp_webhook_verdict_clear(v);
    out = RESPONDED;
    goto out;
  }
  out = CALLED;
out:
  json_object_put(obj);
  json_object_put(old);
  free(body);
  free(resp);
  free(err);
  return out;
}

/* ------------------------------------------------------------ mutating */

/* After a patch, what decoding does: fields the schema does not know
 * dropped and defaults set, silently (kube decodes the patched JSON into
 * the typed object). */
static void redecode(struct run *r, json_object *o) {
  const struct cp_resource_type *t = r->rq->type;
  const struct cp_schema *s =
      t->builtin ? cp_schema_builtin_kind(t->group, t->version, t->kind)
                 : cp_resources_schema(r->ctx->resources, t);
  struct cp_schema_result res = {0};

  /* A Scale has no schema here: it is read field by field after. */
  if (s == NULL || is_scale(r->rq))
    return;
  cp_schema_prune(s, o, 1, &res);
  cp_schema_result_clear(&res);
  cp_schema_default(s, o);
  if (t->builtin)
    cp_schema_builtin_hooks(t->group, t->kind, o);
}

/* A patch may not move the object: its store key comes from the URL.
 * kube's BeforeCreate/BeforeUpdate refuse the namespace with 400, and
 * the name of an update cannot differ from the URL's either. Returns 1
 * having responded. */
static int moved(struct run *r, json_object *o) {
  json_object *md = get(o, "metadata");
  const char *ns = get_str(md, "namespace"), *name = get_str(md, "name");

  if (r->rq->type->namespaced && ns != NULL && ns[0] != '\0' &&
      strcmp(ns, r->rq->ns ? r->rq->ns : "") != 0) {
    cp_api_respond_status(r->rs, 400,
                          cp_status_failuref(400,
                                             "the namespace of the provided "
                                             "object does not match the "
                                             "namespace sent on the "
                                             "request"));
    return 1;
  }
  if (r->rq->name != NULL && (name == NULL || strcmp(name, r->rq->name))) {
    cp_api_respond_status(
        r->rs, 400,
        cp_status_failuref(400,
                           "the name of the object (%s) does not match the "
                           "name on the URL (%s)",
                           name ? name : "", r->rq->name));
    return 1;
  }
  return 0;
}

/* Applies h's JSON patch to *o (h called in round at index). Returns 1
 * when the object changed, 0 when not, -1 having responded. */
static int apply_patch(struct run *r, const struct cp_webhook *h,
                       const struct cp_webhook_verdict *v, json_object **o,
                       int round, size_t index) {
  json_object *next = NULL;
  char *err = NULL, *msg = NULL;
  const char *av;
  int rc;

  if (v->patch_len == 0)
    return 0;
  if (*o == NULL) {
    if (asprintf(&msg, "admission webhook \"%s\" attempted to modify the "
                       "object, which is not supported for this operation",
                 h->name) < 0)
      msg = NULL;
    internal_error(r->rs, msg ? msg : "out of memory");
    free(msg);
    return -1;
  }
  av = get_str(*o, "apiVersion");
  rc = cp_patch_apply(CP_PATCH_JSON, *o, (const char *)v->patch, v->patch_len,
                      &next, &err);
  if (rc != CPLANE_OK || !json_object_is_type(next, json_type_object)) {
    internal_error(r->rs, err ? err : "the patch did not give an object");
    free(err);
    json_object_put(next);
    return -1;
  }
  /* kube's patch audit annotation, once the patch applied. */
  cp_audit_webhook_patch(r->rq, round, index, h, (const char *)v->patch,
                         v->patch_len);
  /* An equivalent version's patch comes back as the request's. */
  if (av != NULL)
    json_object_object_add(next, "apiVersion", json_object_new_string(av));
  if (moved(r, next)) {
    json_object_put(next);
    return -1;
  }
  redecode(r, next);
  rc = !json_object_equal(next, *o);
  json_object_put(*o);
  *o = next;
  r->attrs.object = next;
  return rc;
}

/* One mutating webhook (the index-th, in round). -1 having responded,
 * else 1 when it changed *o. */
static int mutate_one(struct run *r, const struct cp_webhook *h,
                      const char *version, json_object **o, int round,
                      size_t index) {
  struct cp_webhook_verdict v;
  enum outcome out;
  int changed;

  memset(&v, 0, sizeof v);
  r->round = round;
  r->index = index;
  out = call_hook(r, h, version, &v);
  if (out != CALLED)
    return out == RESPONDED ? -1 : 0;
  changed = apply_patch(r, h, &v, o, round, index);
  cp_webhook_verdict_clear(&v);
  return changed;
}

/* A webhook's part in kube's reinvocation (the mutating dispatcher's
 * webhookReinvokeContext). */
#define PREVIOUSLY 1 /* called with IfNeeded, nothing changed since */
#define AGAIN 2      /* to be called in the reinvocation round */

/* Something changed the object: every webhook called with IfNeeded
 * before is to be called again (RequireReinvokingPreviouslyInvoked). */
static void require_again(unsigned char *st, size_t n) {
  size_t i;

  for (i = 0; i < n; i++)
    if (st[i] & PREVIOUSLY)
      st[i] = (unsigned char)((st[i] & ~PREVIOUSLY) | AGAIN);
}

/* One round over the webhooks (round 1: only those marked AGAIN, as
 * kube never calls a webhook for the first time in the reinvocation).
 * Returns -1 having responded, else 1 when one changed *o. */
static int mutate_round(struct run *r, struct cp_webhook_snapshot *s,
                        json_object **o, unsigned char *st, int round) {
  const char *version;
  size_t i;
  int c, changed = 0;

  for (i = 0; i < s->n; i++) {
    if ((c = should_call(r, &s->hooks[i], &version)) < 0)
      return -1;
    if (c == 0 || (round == 1 && !(st[i] & AGAIN)))
      continue;
    c = mutate_one(r, &s->hooks[i], version, o, round, i);
    cp_audit_webhook_mutation(r->rq, round, i, &s->hooks[i], c);
    if (c < 0)
      return -1;
    if (c > 0) {
      require_again(st, s->n);
      changed = 1;
    }
    if (s->hooks[i].reinvoke)
      st[i] |= PREVIOUSLY;
  }
  return changed;
}

/* kube's reinvocation (admission/reinvocation.go and the mutating
 * dispatcher): when a webhook changed the object, the built-in mutating
 * steps run once more (r->rerun), and then the webhooks with
 * reinvocationPolicy IfNeeded that ran before a later change (a change
 * by the built-in steps counts) are called once more, in order. */
static int mutate_all(struct run *r, struct cp_webhook_snapshot *s,
                      json_object **o) {
  unsigned char *st = calloc(s->n ? s->n : 1, 1);
  json_object *last = NULL;
  size_t i;
  int rc, pending = 0;

  if (st == NULL) {
    cp_api_respond_status(r->rs, 500, NULL);
    return -1;
  }
  if ((rc = mutate_round(r, s, o, st, 0)) <= 0)
    goto out;
  for (i = 0; i < s->n; i++)
    pending |= st[i] & PREVIOUSLY;
  /* What the webhooks left, to see whether the built-in steps change it
   * (kube's IsOutputChangedSinceLastWebhookInvocation). */
  if (pending && r->rerun != NULL && (last = copy(*o)) == NULL) {
    cp_api_respond_status(r->rs, 500, NULL);
    rc = -1;
    goto out;
  }
  if (r->rerun != NULL && (rc = r->rerun(r->rerun_arg, *o)) < 0)
    goto out;
  if (last != NULL && !json_object_equal(last, *o))
    require_again(st, s->n);
  rc = mutate_round(r, s, o, st, 1);
out:
  json_object_put(last);
  free(st);
  return rc < 0 ? -1 : 0;
}

int cp_webhook_mutate(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                      json_object **o, json_object *old,
                      struct cp_api_response *rs) {
  return cp_webhook_mutate_reinvoking(ctx, rq, o, old, rs, NULL, NULL);
}

int cp_webhook_mutate_reinvoking(struct cp_api_ctx *ctx,
                                 struct cp_api_request *rq, json_object **o,
                                 json_object *old, struct cp_api_response *rs,
                                 cp_webhook_rerun_fn rerun, void *arg) {
  struct cp_webhook_snapshot *s = cp_webhooks_acquire(ctx->webhooks, 1);
  struct run r;
  int dry = cp_verbs_dry_run(rq), rc;

  if (s == NULL)
    return 0;
  run_init(&r, ctx, rq, rs, old ? "UPDATE" : "CREATE", *o, old, dry);
  r.rerun = rerun;
  r.rerun_arg = arg;
  r.in.options = options(rq,
                         !old                       ? "CreateOptions"
                         : rq->method == CP_API_PATCH ? "PatchOptions"
                                                      : "UpdateOptions",
                         NULL, dry);
  rc = mutate_all(&r, s, o);
  run_clear(&r);
  cp_webhooks_release(ctx->webhooks, s);
  return rc;
}

/* ------------------------------------------------------------ validating */

static int validate_all(struct run *r, struct cp_webhook_snapshot *s) {
  const char *version;
  size_t i;
  int c;

  for (i = 0; i < s->n; i++) {
    struct cp_webhook_verdict v;

    if ((c = should_call(r, &s->hooks[i], &version)) < 0)
      return -1;
    if (c == 0)
      continue;
    memset(&v, 0, sizeof v);
    r->round = 0; /* kube's validating dispatcher has one round */
    r->index = i;
    if (call_hook(r, &s->hooks[i], version, &v) == RESPONDED)
      return -1;
    cp_webhook_verdict_clear(&v);
  }
  return 0;
}

int cp_webhook_validate(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                        json_object *o, json_object *old,
                        struct cp_api_response *rs) {
  struct cp_webhook_snapshot *s = cp_webhooks_acquire(ctx->webhooks, 0);
  struct run r;
  int dry = cp_verbs_dry_run(rq), rc;

  if (s == NULL)
    return 0;
  run_init(&r, ctx, rq, rs, old ? "UPDATE" : "CREATE", o, old, dry);
  r.in.options = options(rq,
                         !old                       ? "CreateOptions"
                         : rq->method == CP_API_PATCH ? "PatchOptions"
                                                      : "UpdateOptions",
                         NULL, dry);
  rc = validate_all(&r, s);
  run_clear(&r);
  cp_webhooks_release(ctx->webhooks, s);
  return rc;
}

/* ------------------------------------------------------------ delete */

int cp_webhook_admit_delete(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                            json_object *cur, json_object *opts, int dry_run,
                            struct cp_api_response *rs) {
  struct cp_webhook_snapshot *s;
  json_object *none = NULL;
  struct run r;
  int k, rc = 0;

  for (k = 1; k >= 0 && rc == 0; k--) {
    if ((s = cp_webhooks_acquire(ctx->webhooks, k)) == NULL)
      continue;
    run_init(&r, ctx, rq, rs, "DELETE", NULL, cur, dry_run);
    r.in.options = options(rq, "DeleteOptions", opts, dry_run);
    rc = k ? mutate_all(&r, s, &none) : validate_all(&r, s);
    run_clear(&r);
    cp_webhooks_release(ctx->webhooks, s);
  }
  json_object_put(none);
  return rc;
}
