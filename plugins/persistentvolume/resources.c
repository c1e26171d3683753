/*
 * resources - what the persistentvolume plugin watches.
 */
#include "pv.h"

const struct cplane_resource pv_resources[5] = {
    [PV_CLAIMS] = CPLANE_RESOURCE("", "v1", "persistentvolumeclaims"),
    [PV_VOLUMES] = CPLANE_RESOURCE("", "v1", "persistentvolumes"),
    [PV_CLASSES] = CPLANE_RESOURCE("storage.k8s.io", "v1", "storageclasses"),
    [PV_PODS] = CPLANE_RESOURCE("", "v1", "pods"),
    [PV_NAMESPACES] = CPLANE_RESOURCE("", "v1", "namespaces"),
};
