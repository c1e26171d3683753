/*
 * dis - the names the disruption plugin's modules share: its resources
 * and kube's timeouts.
 */
#ifndef DIS_DIS_H
#define DIS_DIS_H

#include <cplane/cplane.h>

/* The plugin's resources (defined in resources.c), indexed by these. */
extern const struct cplane_resource dis_resources[6];
#define DIS_PDBS 0
#define DIS_PODS 1
#define DIS_REPLICASETS 2
#define DIS_DEPLOYMENTS 3
#define DIS_STATEFULSETS 4
#define DIS_RCS 5

/* kube's DeletionTimeout: a pod an eviction let go counts as disrupted
 * (not healthy) this long, waiting for its deletion to show. */
#define DIS_DELETION_TIMEOUT_MS (2 * 60 * 1000)
/* kube's stalePodDisruptionTimeout: a DisruptionTarget condition on a pod
 * that is still not terminating this long after it was set is reset. */
#define DIS_STALE_TIMEOUT_MS (2 * 60 * 1000)

/* Work keys of pods whose DisruptionTarget may be stale start with this
 * (a colon is in no object name); any other key is a budget's. */
#define DIS_POD_KEY "pod:"

#endif
