/*
 * refuse - the 403 Forbidden Status a strategy's admission answers with,
 * worded as kube-apiserver's admission.NewForbidden / NewForbidden:
 *
 *   priorityclasses.scheduling.k8s.io "system-node-critical" is
 *   forbidden: this is a system priority class and cannot be deleted
 *
 * with details {name, group, kind: <resource>}.
 *
 * Threading: pure. Ownership: rs takes the body it is given.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_REFUSE_H
#define CPLANE_HOST_APISERVER_STRATEGY_REFUSE_H

#include "apiserver/request.h"

/* Sets rs to the 403 about object name (NULL or "": none) of
 * group/resource; why is printf-style. */
void cp_strategy_forbidden(struct cp_api_response *rs, const char *group,
                           const char *resource, const char *name,
                           const char *why_fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The name kube's admission.NewForbidden shows for object o: its name,
 * else its generateName (names are generated after admission), else
 * "Unknown". Borrowed from o. */
struct json_object;
const char *cp_strategy_refused_name(struct json_object *o);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_REFUSE_H */
