/*
 * resources - what the statefulset plugin watches.
 */
#include "sts.h"

const struct cplane_resource sts_resources[4] = {
    [STS_SETS] = CPLANE_RESOURCE("apps", "v1", "statefulsets"),
    [STS_PODS] = CPLANE_RESOURCE("", "v1", "pods"),
    [STS_REVISIONS] = CPLANE_RESOURCE("apps", "v1", "controllerrevisions"),
    [STS_CLAIMS] = CPLANE_RESOURCE("", "v1", "persistentvolumeclaims"),
};
