/*
 * dispatch - kube's MutatingAdmissionWebhook and ValidatingAdmissionWebhook
 * admission steps: the webhooks of the set (set.h) that match a write
 * (match.h) are sent an AdmissionReview (review.h, call.h) and their
 * answers applied, as kube's webhook dispatchers do:
 *
 *   - mutating webhooks run one after another in order; a JSONPatch
 *     answer is applied to the object, which is then pruned and
 *     defaulted by its schema again (the caller validates it after, as
 *     kube re-runs validation on the mutated object);
 *   - kube's reinvocation: when a webhook changed the object, the
 *     built-in mutating steps run once more (the caller's rerun), then
 *     each webhook with reinvocationPolicy IfNeeded that ran before a
 *     later change (by a webhook or by that rerun) is called once more,
 *     in order; a webhook not called in the first round never is in the
 *     second;
 *   - validating webhooks run one after another too (kube runs them in
 *     parallel; each call is bounded by its timeout, so the worst case is
 *     the sum of their timeouts);
 *   - a denial (allowed: false) is the webhook's status with "admission
 *     webhook "x" denied the request: <message>" (code 400 when it gave
 *     none below 400); a call that fails (unreachable, timeout, garbage
 *     answer) follows failurePolicy: Fail is 500 "Internal error
 *     occurred: failed calling webhook "x": ...", Ignore goes on; a dry
 *     run of a webhook with sideEffects Some or Unknown is 400 "admission
 *     webhook "x" does not support dry run"; warnings become Warning
 *     headers;
 *   - matchConditions (CEL, conditions.h) are asked after the rules and
 *     selectors matched: one false skips the webhook; errors follow its
 *     failurePolicy (Ignore skips, Fail is kube's 403 "<resource>
 *     \"<name>\" is forbidden: expression '...' resulted in error: ...").
 *
 * Threading: request worker threads, several at once; the set's snapshot
 * is held for the duration of one step.
 * Ownership: objects are borrowed; cp_webhook_mutate may replace *o.
 */
#ifndef CPLANE_HOST_APISERVER_WEBHOOK_DISPATCH_H
#define CPLANE_HOST_APISERVER_WEBHOOK_DISPATCH_H

#include "apiserver/request.h"
#include "apiserver/webhook/hook.h"
#include "apiserver/webhook/match.h"

struct json_object;

/* MutatingAdmissionWebhook on a create (old NULL) or update of *o (the
 * whole object, for a /status write too). *o may be replaced by the
 * mutated object. Returns 0, or -1 having responded. */
int cp_webhook_mutate(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                      struct json_object **o, struct json_object *old,
                      struct cp_api_response *rs);
/* The built-in mutating admission steps run again on o (kube's
 * reinvocation, reinvocation.go). Returns 0, or -1 having responded. */
typedef int (*cp_webhook_rerun_fn)(void *arg, struct json_object *o);
/* cp_webhook_mutate, and when a webhook changed the object, kube's
 * reinvocation round with rerun(arg, *o) first (rerun NULL: none). */
int cp_webhook_mutate_reinvoking(struct cp_api_ctx *ctx,
                                 struct cp_api_request *rq,
                                 struct json_object **o,
                                 struct json_object *old,
                                 struct cp_api_response *rs,
                                 cp_webhook_rerun_fn rerun, void *arg);
/* ValidatingAdmissionWebhook on a create (old NULL) or update. */
int cp_webhook_validate(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                        struct json_object *o, struct json_object *old,
                        struct cp_api_response *rs);
/* Both steps on a DELETE of cur (the oldObject; no object), with the
 * request's DeleteOptions (opts, NULL: none) and dry run. A mutating
 * webhook that patches a delete is refused as kube refuses it. */
int cp_webhook_admit_delete(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                            struct json_object *cur, struct json_object *opts,
                            int dry_run, struct cp_api_response *rs);

#endif /* CPLANE_HOST_APISERVER_WEBHOOK_DISPATCH_H */
