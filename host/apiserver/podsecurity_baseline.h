/*
 * podsecurity_baseline - the baseline level of the Pod Security
 * Standards, one function per kube check (policy/check_<id>.go), in
 * kube's order: appArmorProfile, capabilities, host namespaces,
 * hostPath volumes, hostPorts, privileged, procMount, seLinuxOptions,
 * seccompProfile, sysctls, windowsHostProcess. Each adds at most one
 * "reason (detail)" to the result.
 *
 * Threading: pure. Ownership: the pod is borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_PODSECURITY_BASELINE_H
#define CPLANE_HOST_APISERVER_PODSECURITY_BASELINE_H

#include "apiserver/podsecurity_walk.h"

/* The baseline checks of p, into r. restricted: the level asked is
 * restricted, whose own capabilities, hostPath and seccomp checks
 * replace baseline's (from the policy versions kube replaced them). */
void cp_psa_run_baseline(const struct cp_psa_pod *p, int restricted,
                         struct cp_psa_result *r);
/* kube's seccompProfile checks; required: restricted's (unset is bad
 * unless the pod sets a good one). */
void cp_psa_check_seccomp(const struct cp_psa_pod *p, struct cp_psa_result *r,
                          int required);

#endif /* CPLANE_HOST_APISERVER_PODSECURITY_BASELINE_H */
