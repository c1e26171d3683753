/*
 * tolerations - the taints a daemon pod tolerates: its template's
 * tolerations plus the ones kube adds to every daemon pod
 * (util.AddOrUpdateDaemonPodTolerations): not-ready and unreachable
 * (NoExecute, so a node problem never evicts it), disk-, memory- and
 * pid-pressure and unschedulable (NoSchedule), and network-unavailable
 * (NoSchedule) for a hostNetwork pod.
 *
 * Ownership: returned strings are the caller's (free()).
 * Threading: pure functions of borrowed objects; any thread.
 */
#ifndef DS_TOLERATIONS_H
#define DS_TOLERATIONS_H

#include "ds.h"

/* 1 when the pod template at `spec` ("spec.template.spec" of a
 * DaemonSet), with the daemon tolerations, tolerates the taint
 * (key, value, effect; value may be NULL), as kube's ToleratesTaint. */
int ds_tolerates(const struct cplane_host_api *api, const cplane_object *ds,
                 const char *key, const char *value, const char *effect);

/* The pod's tolerations: the template's, then each daemon toleration the
 * template does not already hold, as a JSON array. NULL when out of
 * memory. */
char *ds_tolerations_json(const struct cplane_host_api *api,
                          const cplane_object *ds);

#endif
