/*
 * podsecurity_restricted - the restricted level's own checks of the Pod
 * Security Standards, on top of baseline's, one function per kube check
 * (policy/check_<id>.go), in kube's order: allowPrivilegeEscalation,
 * capabilities drop ALL, restricted volume types, runAsNonRoot,
 * runAsUser, seccompProfile required.
 *
 * Threading: pure. Ownership: the pod is borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_PODSECURITY_RESTRICTED_H
#define CPLANE_HOST_APISERVER_PODSECURITY_RESTRICTED_H

#include "apiserver/podsecurity_walk.h"

/* The restricted-only checks of p (at p's policy version), into r. */
void cp_psa_run_restricted(const struct cp_psa_pod *p,
                           struct cp_psa_result *r);

#endif /* CPLANE_HOST_APISERVER_PODSECURITY_RESTRICTED_H */
