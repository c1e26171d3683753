/*
 * resources - what the nodelifecycle plugin watches: nodes, the Leases
 * in kube-node-lease (only those), and pods.
 */
#include "nl.h"

const struct cplane_resource nl_resources[3] = {
    CPLANE_RESOURCE("", "v1", "nodes"),
    {sizeof(struct cplane_resource), 0, "coordination.k8s.io", "v1", "leases",
     NULL, "metadata.namespace=" LEASE_NS},
    CPLANE_RESOURCE("", "v1", "pods"),
};
