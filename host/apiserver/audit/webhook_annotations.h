/*
 * audit/webhook_annotations - the audit annotations kube's webhook
 * dispatchers record for each webhook they call (the mutating one's
 * webhookAnnotator), keyed by the round (0, or 1 for the reinvocation)
 * and the webhook's index in the configuration set:
 *  - mutation.webhook.admission.k8s.io/round_<r>_index_<i>:
 *    {"configuration","webhook","mutated"}, for every call, a refused or
 *    failed one too (mutated false);
 *  - patch.webhook.admission.k8s.io/round_<r>_index_<i>:
 *    {"configuration","webhook","patch","patchType":"JSONPatch"}, for a
 *    non-empty patch once applied, at level Request and above only (a
 *    patch may carry what Metadata must not show).
 *  - failed-open.mutation.webhook.admission.k8s.io/round_<r>_index_<i>
 *    (mutating) and failed-open.validating.webhook.admission.k8s.io/
 *    round_0_index_<i> (validating, always round 0): the webhook's name,
 *    when a call with failurePolicy Ignore failed and the request went
 *    on, at every level.
 * The values are written as Go's encoding/json writes the structs
 * (object/go_json.h): the patch's operations with their keys sorted (a
 * Go map), each value compact as sent.
 *
 * Threading: from the worker running the request's admission.
 * Ownership: the values are copied into the request's event; rq->audit
 * NULL: nothing.
 */
#ifndef CPLANE_HOST_APISERVER_AUDIT_WEBHOOK_ANNOTATIONS_H
#define CPLANE_HOST_APISERVER_AUDIT_WEBHOOK_ANNOTATIONS_H

#include <stddef.h>

#include "apiserver/request.h"

struct cp_webhook;

/* h was called in round at index; changed > 0 when it changed the
 * object (<= 0: it did not, refused or failed). */
void cp_audit_webhook_mutation(const struct cp_api_request *rq, int round,
                               size_t index, const struct cp_webhook *h,
                               int changed);

/* h's JSON patch (the response's, decoded: patch[0..len)) was applied. */
void cp_audit_webhook_patch(const struct cp_api_request *rq, int round,
                            size_t index, const struct cp_webhook *h,
                            const char *patch, size_t len);

/* h (h->mutating says which dispatcher) failed open in round at index. */
void cp_audit_webhook_failed_open(const struct cp_api_request *rq, int round,
                                  size_t index, const struct cp_webhook *h);

#endif /* CPLANE_HOST_APISERVER_AUDIT_WEBHOOK_ANNOTATIONS_H */
