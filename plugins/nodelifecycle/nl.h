/*
 * nl - the names the nodelifecycle plugin's modules share: the Lease
 * namespace, the taint, and the plugin's resources.
 */
#ifndef NL_NL_H
#define NL_NL_H

#include <cplane/cplane.h>

#define LEASE_NS "kube-node-lease"
#define TAINT_KEY "node.kubernetes.io/unreachable"
#define CONDS "status.conditions"

/* The plugin's resources (defined in resources.c), indexed by these. */
extern const struct cplane_resource nl_resources[3];
#define NL_NODES 0
#define NL_LEASES 1
#define NL_PODS 2

#endif
