/*
 * admission_podsecurity - kube-apiserver's PodSecurity admission
 * (k8s.io/pod-security-admission) with its default policy (everything
 * privileged) and the exemptions of podsecurity_exemptions.h, driven by
 * the namespace labels
 *
 *   pod-security.kubernetes.io/enforce|warn|audit: privileged|baseline|
 *                                                  restricted
 *   pod-security.kubernetes.io/<mode>-version: latest|v1.N
 *
 * (as kube's PolicyToEvaluate: a level it cannot read is restricted for
 * enforce, privileged for warn and audit; a version it cannot read is
 * latest). The checks are podsecurity_checks.h's.
 *
 *   - pod create: enforce refuses with 403 `pods "x" is forbidden:
 *     violates PodSecurity "restricted:latest": ...`; warn adds the
 *     Warning `would violate PodSecurity "restricted:latest": ...` (not
 *     on a refused pod). A pod update is looked at
 *     only when significant (kube's isSignificantPodUpdate: a container's
 *     image or seccomp annotation changed, containers added or removed,
 *     an ephemeral container added or changed).
 *   - workloads with a pod template (Deployment, ReplicaSet,
 *     StatefulSet, DaemonSet, Job, CronJob, ReplicationController,
 *     PodTemplate), created or with their template changed: warn
 *     and audit only (kube's ValidatePodController), never enforce:
 *     their pods are refused when created.
 *   - a namespace update changing the enforce policy to something other
 *     than privileged: warnings about its existing pods (up to 3,000), as
 *     kube words them: `existing pods in namespace "x" violate the new
 *     PodSecurity enforce level "restricted:latest"`, then one per set of
 *     reasons: `web (and 2 other pods): allowPrivilegeEscalation !=
 *     false, ...`.
 *   - audit: kube's audit annotation
 *     pod-security.kubernetes.io/audit-violations ("would violate
 *     PodSecurity ..."); with no audit log it is an info log line,
 *     "apiserver: audit: <resource> <ns>/<name> by <user>: <key>=<value>",
 *     for pods (refused ones too) and workloads.
 *
 * The labels are read through ctx->psa_cache (an nscache of the encoded
 * policy per namespace; namespace writes through this server invalidate
 * it), so a burst of creates reads a namespace once a second.
 * "[apiserver] disable_admission_plugins = PodSecurity" turns it off.
 *
 * Threading: any request worker. Ownership: objects borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_ADMISSION_PODSECURITY_H
#define CPLANE_HOST_APISERVER_ADMISSION_PODSECURITY_H

#include <json-c/json.h>

#include "apiserver/request.h"

/* One mode's policy: level (podsecurity_checks.h) and version 1.<minor>
 * (0: latest). */
struct cp_psa_policy {
  int level, minor;
};

/* The three modes a namespace's labels (a JSON object, or NULL) give. */
struct cp_psa_ns_policy {
  struct cp_psa_policy enforce, warn, audit;
};
void cp_psa_policy_from_labels(json_object *labels,
                               struct cp_psa_ns_policy *out);

/* "restricted:latest", "baseline:v1.25" into buf. */
void cp_psa_policy_string(const struct cp_psa_policy *p, char *buf,
                          size_t len);

/* On a create (old NULL) or update of o, after the kind's own admission:
 * 0, or -1 having set rs to the refusal (403, or 500/store errors). May
 * add warnings to rs either way. */
int cp_admission_podsecurity(struct cp_api_ctx *ctx,
                             struct cp_api_request *rq, json_object *o,
                             json_object *old, struct cp_api_response *rs);

#endif /* CPLANE_HOST_APISERVER_ADMISSION_PODSECURITY_H */
