/*
 * resources - what the daemonset plugin watches: DaemonSets, their pods,
 * the nodes they run on and their ControllerRevisions.
 */
#include "ds.h"

const struct cplane_resource ds_resources[4] = {
    CPLANE_RESOURCE("apps", "v1", "daemonsets"),
    CPLANE_RESOURCE("", "v1", "pods"),
    CPLANE_RESOURCE("", "v1", "nodes"),
    CPLANE_RESOURCE("apps", "v1", "controllerrevisions"),
};
