/*
 * admit - kube's ValidatingAdmissionPolicy admission step in a write:
 * after the mutating steps and the strategy, before
 * ValidatingAdmissionWebhook (admission.c), and on a DELETE with the
 * stored object as oldObject (verbs_delete.c). It takes the set's
 * snapshot (set.h; one atomic load when no binding is in effect), reads
 * the request's namespace (namespaceSelector, namespaceObject) and the
 * params (paramKind and paramRef, from the store) and evaluates the
 * policies (evaluate.h). A denial is kube's admission.NewForbidden
 * carrying the validation's reason and code: `deployments.apps "web" is
 * forbidden: ValidatingAdmissionPolicy 'p' with binding 'b' denied
 * request: <message>` (422 Invalid unless the validation names another
 * reason); warnings become Warning headers; audit annotations (and
 * validation failures of Audit bindings) are logged at info level, as
 * cplane has no audit log yet.
 *
 * Threading: request worker threads, several at once.
 * Ownership: objects are borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_VAP_ADMIT_H
#define CPLANE_HOST_APISERVER_VAP_ADMIT_H

#include "apiserver/request.h"

struct json_object;

/* On a create (old NULL), update (both) or delete (o NULL, old the
 * stored object; opts its DeleteOptions or NULL). Returns 0, or -1
 * having responded. */
int cp_vap_admit(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                 struct json_object *o, struct json_object *old,
                 struct json_object *opts, struct cp_api_response *rs);

#endif /* CPLANE_HOST_APISERVER_VAP_ADMIT_H */
