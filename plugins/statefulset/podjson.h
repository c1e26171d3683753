/*
 * podjson - the JSON bodies the statefulset plugin creates: a pod built
 * from a template (the set's, or a revision's for the current revision
 * under a partition) with its identity, revision label, controller
 * reference and claim volumes, as kube's newVersionedStatefulSetPod; and
 * a template's members copied with some left out, the one JSON edit the
 * plugin needs.
 *
 * Ownership: returned text is owned (api->free).
 * Threading: pure functions of borrowed objects.
 */
#ifndef STS_PODJSON_H
#define STS_PODJSON_H

#include "sts.h"

/* The members of the object at `path` of o as JSON text without the
 * braces ("\"a\":1,\"b\":[2]"), leaving out the keys in skip (a NULL-
 * terminated list; NULL: none). "" for an absent or empty object; NULL
 * when out of memory. */
char *sts_members_except(const struct cplane_host_api *api,
                         const cplane_object *o, const char *path,
                         const char *const *skip);

/* The pod of ordinal ord from the pod template at `tmpl` of src (the
 * set's "spec.template", or a revision's "data.spec.template"), labelled
 * with revision `rev`. NULL when out of memory. */
char *sts_pod_json(const struct sts *s, const cplane_object *src,
                   const char *tmpl, int64_t ord, const char *rev);

#endif
