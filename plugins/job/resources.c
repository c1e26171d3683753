/*
 * resources - what the job plugin watches: Jobs and pods.
 */
#include "jobs.h"

const struct cplane_resource job_resources[2] = {
    CPLANE_RESOURCE("batch", "v1", "jobs"),
    CPLANE_RESOURCE("", "v1", "pods"),
};
