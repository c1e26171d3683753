/*
 * resources - what the cronjob plugin watches: CronJobs and Jobs.
 */
#include "cj.h"

const struct cplane_resource cj_resources[2] = {
    CPLANE_RESOURCE("batch", "v1", "cronjobs"),
    CPLANE_RESOURCE("batch", "v1", "jobs"),
};
