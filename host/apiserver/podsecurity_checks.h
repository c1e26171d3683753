/*
 * podsecurity_checks - the Pod Security Standards' checks, as
 * k8s.io/pod-security-admission/policy words them: the baseline level
 * (appArmorProfile, capabilities, host namespaces, hostPath volumes,
 * hostPorts, privileged, procMount, seLinuxOptions, seccompProfile,
 * sysctls, windowsHostProcess) and the restricted level on top of it
 * (allowPrivilegeEscalation, capabilities drop ALL, restricted volume
 * types, runAsNonRoot, runAsUser, seccompProfile required). Restricted
 * replaces baseline's capabilities, hostPath and seccomp checks with its
 * stricter ones, as kube's registry does. Checks run in kube's order
 * (baseline then restricted, each by check ID), so a refusal reads as
 * kube's, e.g.
 *
 *   allowPrivilegeEscalation != false (container "x" must set
 *   securityContext.allowPrivilegeEscalation=false), unrestricted
 *   capabilities (container "x" must set
 *   securityContext.capabilities.drop=["ALL"]), ...
 *
 * Versions: minor is the policy version's 1.<minor> (0: latest, kube
 * 1.32's checks); checks that came later than the version asked for are
 * skipped, and the sysctls allowed grow with it as in kube.
 *
 * Threading: pure. Ownership: the pod parts are borrowed; the strings
 * returned are malloc'd, the caller frees them.
 */
#ifndef CPLANE_HOST_APISERVER_PODSECURITY_CHECKS_H
#define CPLANE_HOST_APISERVER_PODSECURITY_CHECKS_H

#include <json-c/json.h>

enum cp_psa_level {
  CP_PSA_PRIVILEGED = 0,
  CP_PSA_BASELINE = 1,
  CP_PSA_RESTRICTED = 2,
};

/* "privileged", "baseline", "restricted". */
const char *cp_psa_level_name(int level);

/* Checks a pod's metadata and spec (or a template's) against level at
 * version 1.<minor> (0: latest). Returns the number of violations (0:
 * allowed), or -1 out of memory. When there are some, *detailed (if
 * asked) is "reason (detail), reason (detail)" and *reasons (if asked)
 * "reason, reason"; else they are NULL. */
int cp_psa_check(json_object *meta, json_object *spec, int level, int minor,
                 char **detailed, char **reasons);

#endif /* CPLANE_HOST_APISERVER_PODSECURITY_CHECKS_H */
