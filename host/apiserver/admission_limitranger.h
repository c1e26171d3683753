/*
 * admission_limitranger - kube's LimitRanger admission
 * (plugin/pkg/admission/limitranger): the LimitRanges of a pod's or
 * claim's namespace, read through policy_cache.h.
 *
 * Mutating (a pod create): each Container item's `default` (limits) and
 * `defaultRequest` (requests), with kube's item defaults (a missing
 * default is the max, a missing defaultRequest the default, else the
 * min), fill what a container does not say, and the pod is annotated
 * `kubernetes.io/limit-ranger: LimitRanger plugin set: cpu request for
 * container app; cpu limit for container app`.
 *
 * Validating (pod creates; claim creates and updates): min, max and
 * maxLimitRequestRatio of Container items per container, of Pod items
 * on the pod's sums, of PersistentVolumeClaim items on the claim's
 * requests, refused 403 with kube's words: `pods "p" is forbidden:
 * maximum cpu usage per Container is 1, but limit is 2` (several: kube's
 * aggregate, "[first, second]").
 *
 * Threading: request worker threads; pure apart from the cache read.
 * Ownership: objects are borrowed; strings returned are malloc'd.
 */
#ifndef CPLANE_HOST_APISERVER_ADMISSION_LIMITRANGER_H
#define CPLANE_HOST_APISERVER_ADMISSION_LIMITRANGER_H

#include "apiserver/request.h"

struct json_object;

/* The mutating half on a write of o (old NULL on create). 0, or -1
 * having responded (5xx: the LimitRanges could not be read). */
int cp_admission_limitranger_mutate(struct cp_api_ctx *ctx,
                                    struct cp_api_request *rq,
                                    struct json_object *o,
                                    struct json_object *old,
                                    struct cp_api_response *rs);
/* The validating half. 0, or -1 having responded (403). */
int cp_admission_limitranger_validate(struct cp_api_ctx *ctx,
                                      struct cp_api_request *rq,
                                      struct json_object *o,
                                      struct json_object *old,
                                      struct cp_api_response *rs);

/* The pure parts, for tests: applies every Container item of the
 * LimitRanges in array lrs to pod (and its annotation). lrs is only read
 * (they are the policy cache's): pod gets copies of its values. */
void cp_limitranger_default_pod(struct json_object *lrs,
                                struct json_object *pod);
/* Checks obj, a pod (is_pod 1) or a claim, against lrs: NULL when it
 * passes, else kube's message (malloc'd). */
char *cp_limitranger_check(struct json_object *lrs, int is_pod,
                           struct json_object *obj);

#endif /* CPLANE_HOST_APISERVER_ADMISSION_LIMITRANGER_H */
