/*
 * cj - the names the cronjob plugin's modules share: its resources.
 */
#ifndef CJ_CJ_H
#define CJ_CJ_H

#include <cplane/cplane.h>

/* The plugin's resources (defined in resources.c), indexed by these. */
extern const struct cplane_resource cj_resources[2];
#define CJ_CRONJOBS 0
#define CJ_JOBS 1

#endif
