/*
 * resources - what the replicaset plugin watches: ReplicaSets and pods.
 */
#include "rs.h"

const struct cplane_resource rs_resources[2] = {
    CPLANE_RESOURCE("apps", "v1", "replicasets"),
    CPLANE_RESOURCE("", "v1", "pods"),
};
