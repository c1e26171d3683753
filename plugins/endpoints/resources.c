/*
 * resources - what the endpoints plugin watches: Services, pods and
 * Endpoints.
 */
#include "ep.h"

const struct cplane_resource ep_resources[3] = {
    CPLANE_RESOURCE("", "v1", "services"),
    CPLANE_RESOURCE("", "v1", "pods"),
    CPLANE_RESOURCE("", "v1", "endpoints"),
};
