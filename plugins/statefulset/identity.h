/*
 * identity - a StatefulSet pod's stable identity, as kube's
 * stateful_set_utils: the name "<set>-<ordinal>", the labels
 * statefulset.kubernetes.io/pod-name and apps.kubernetes.io/pod-index,
 * hostname and subdomain (serviceName), and the claims
 * "<template>-<set>-<ordinal>" its volumes name.
 *
 * Threading: pure functions.
 */
#ifndef STS_IDENTITY_H
#define STS_IDENTITY_H

#include "sts.h"

#include <stddef.h>

/* The ordinal of pod `pod` of set `set` ("web-3" of "web": 3), or -1 when
 * the name is not "<set>-<digits>". */
int64_t sts_ordinal(const char *set, const char *pod);
/* "<set>-<ord>" into buf. 0, or -1 when it does not fit. */
int sts_pod_name(const char *set, int64_t ord, char *buf, size_t len);
/* "<template>-<set>-<ord>" into buf. 0, or -1 when it does not fit. */
int sts_claim_name(const char *tmpl, const char *set, int64_t ord, char *buf,
                   size_t len);
/* 1 when pod carries its identity labels (pod-name, pod-index) right. */
int sts_identity_matches(const struct cplane_host_api *api,
                         const cplane_object *pod, int64_t ord);

#endif
