/*
 * claims - the PersistentVolumeClaims of a StatefulSet's pods, as kube's
 * StatefulPodControl: before a pod is created each of its claims
 * "<template>-<set>-<ordinal>" is created from its volumeClaimTemplate
 * (labels: the template's and the selector's matchLabels), with the
 * owner references persistentVolumeClaimRetentionPolicy asks for:
 * whenDeleted Delete makes the set the claim's controller (the garbage
 * collector removes it with the set); whenScaled Delete makes a
 * condemned pod its controller before the pod is deleted (the claim
 * goes with it). Retain leaves claims alone.
 *
 * Threading: blocking writes; a reconcile's worker only.
 */
#ifndef STS_CLAIMS_H
#define STS_CLAIMS_H

#include "sts.h"

/* Creates the missing claims of ordinal ord, recording events. 0, or -1
 * when a create failed (the pod must not be created then). */
int sts_create_claims(struct sts *s, int64_t ord);

/* For whenScaled Delete: hands the claims of condemned pod (ordinal ord)
 * to the pod. 0, or -1 on a failed write. */
int sts_claims_to_pod(struct sts *s, const cplane_object *pod, int64_t ord);

#endif
