/*
 * scale_admission - admission webhooks on a /scale write, as kube's
 * scale subresources run them: the mutating webhooks get the Scale
 * (autoscaling/v1) the client sent (for a patch: the patched Scale) with
 * the stored object's Scale as oldObject, before its replicas are
 * applied; ValidatingAdmissionPolicies and then the validating webhooks
 * get the Scale of the object that would be stored, and the old Scale. Rules match the resource's
 * subresource ("deployments/scale"); webhook/dispatch.c names the kind
 * Scale for them.
 *
 * Threading: request worker threads, as dispatch.h.
 * Ownership: the objects are borrowed; cp_scale_admit_mutate may replace
 * *scale (then the old one is dropped).
 */
#ifndef CPLANE_HOST_APISERVER_SCALE_ADMISSION_H
#define CPLANE_HOST_APISERVER_SCALE_ADMISSION_H

#include "apiserver/request.h"

struct json_object;

/* MutatingAdmissionWebhook on the Scale *scale, cur the stored object.
 * Returns 0, or -1 having responded. */
int cp_scale_admit_mutate(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                          struct json_object **scale, struct json_object *cur,
                          struct cp_api_response *rs);
/* ValidatingAdmissionPolicy and ValidatingAdmissionWebhook on the Scale of next (the object to store),
 * cur's Scale the old one. Returns 0, or -1 having responded. */
int cp_scale_admit_validate(struct cp_api_ctx *ctx, struct cp_api_request *rq,
                            struct json_object *next, struct json_object *cur,
                            struct cp_api_response *rs);

#endif /* CPLANE_HOST_APISERVER_SCALE_ADMISSION_H */
