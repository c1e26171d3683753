/*
 * resources - what the replicaset plugin watches: ReplicaSets (or, built
 * as the replicationcontroller plugin, ReplicationControllers) and pods.
 */
#include "rs.h"

const struct cplane_resource rs_resources[2] = {
#ifdef RS_REPLICATIONCONTROLLER
    CPLANE_RESOURCE("", "v1", "replicationcontrollers"),
#else
    CPLANE_RESOURCE("apps", "v1", "replicasets"),
#endif
    CPLANE_RESOURCE("", "v1", "pods"),
};
