/*
 * rs - the names the replicaset plugin's modules share: its resources.
 */
#ifndef RS_RS_H
#define RS_RS_H

#include <cplane/cplane.h>

/* The plugin's resources (defined in resources.c), indexed by these. */
extern const struct cplane_resource rs_resources[2];
#define RS_REPLICASETS 0
#define RS_PODS 1

#endif
