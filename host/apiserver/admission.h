/*
 * admission - what the server checks before a write is let in, as
 * kube-apiserver's built-in admission: NamespaceLifecycle (no new
 * content in a namespace that is missing or terminating), the
 * apiextensions server's refusal of custom resources whose definition is
 * being deleted, and the kind's strategy (prepare, validate, admit,
 * warnings; strategy/strategy.h).
 *
 * Threading: every function runs on a request worker thread; they share
 * only ctx (store, registry, namespace cache), which are thread-safe.
 * Ownership: objects are borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_ADMISSION_H
#define CPLANE_HOST_APISERVER_ADMISSION_H

#include "apiserver/request.h"

struct json_object;

/* Plugins "[apiserver] disable_admission_plugins" may turn off (kube's
 * --disable-admission-plugins names). */
#define CP_ADMISSION_OFF_SA 1u          /* ServiceAccount */
#define CP_ADMISSION_OFF_POD_SECURITY 2u /* PodSecurity */

/* Parses a comma-separated list of plugin names into *off: 0, or -1
 * naming the unknown plugin in *bad (static text up to the comma is
 * not kept: the name is copied into bad, bad_len bytes). */
int cp_admission_off_parse(const char *list, unsigned *off, char *bad,
                           size_t bad_len);

/* NamespaceLifecycle for a create of `name` (NULL when the body is
 * unreadable) of type t in namespace ns. Returns 1 when it may go on,
 * else 0 having responded (404 no such namespace, 403 terminating). */
int cp_admission_namespace(struct cp_api_ctx *ctx,
                           const struct cp_resource_type *t, const char *ns,
                           const char *name, struct cp_api_response *rs);
/* A create of a custom resource of type t while its definition is
 * terminating: 0 having responded 405; else 1. */
int cp_admission_crd(struct cp_api_ctx *ctx, const struct cp_resource_type *t,
                     struct cp_api_response *rs);
/* Mutating admission on a create (old NULL) or update of the decoded,
 * defaulted *o, in kube's order: LimitRanger, the kind's own mutating
 * plugins (strategy mutate: ServiceAccount, Priority,
 * DefaultTolerationSeconds, DefaultStorageClass), then
 * MutatingAdmissionWebhook, which may replace *o (defaulted again after
 * each patch). Before the strategy prepares and validates, as kube's
 * handlers admit before BeforeCreate/BeforeUpdate. Returns 0, or -1
 * having responded; it keeps nothing. */
int cp_admission_mutate(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                        struct json_object **o, struct json_object *old,
                        struct cp_api_response *rs);
/* The kind's strategy on a create (old NULL) or update: prepare,
 * validate (every error, one 422), admit, warnings. Responds and returns
 * -1 when the write is refused. A write that fails after this returned 0
 * hands what admit took back through cp_admission_release. */
int cp_admission_strategy(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                          struct json_object *o, struct json_object *old,
                          struct cp_api_response *rs);
void cp_admission_release(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                          struct json_object *o);
/* An update of old to o that cp_admission_strategy admitted has ended:
 * stored 1 when o was written (or the write removed it), 0 when it was
 * not. The kind hands back what is no longer held (update_done). */
void cp_admission_update_done(struct cp_api_ctx *ctx,
                              struct cp_api_request *rq, struct json_object *o,
                              struct json_object *old, int stored);

#endif /* CPLANE_HOST_APISERVER_ADMISSION_H */
