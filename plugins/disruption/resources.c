/*
 * resources - what the disruption plugin watches: PodDisruptionBudgets
 * and pods, and (read only, for their scale) the pods' controllers.
 */
#include "dis.h"

const struct cplane_resource dis_resources[6] = {
    CPLANE_RESOURCE("policy", "v1", "poddisruptionbudgets"),
    CPLANE_RESOURCE("", "v1", "pods"),
    CPLANE_RESOURCE("apps", "v1", "replicasets"),
    CPLANE_RESOURCE("apps", "v1", "deployments"),
    CPLANE_RESOURCE("apps", "v1", "statefulsets"),
    CPLANE_RESOURCE("", "v1", "replicationcontrollers"),
};
