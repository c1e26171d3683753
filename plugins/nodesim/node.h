/*
 * node - what a simulated Node is and reports: which names are ours, the
 * stopped annotation, its InternalIP, its labels (the INI's win over the
 * defaults) and the whole status a healthy node reports.
 *
 * Ownership: nsim_node_status_json's result is the caller's (api->free);
 * nsim_condition_field's points into the borrowed object.
 *
 * Threading: pure functions of borrowed objects and of the read-only
 * part of struct nodesim.
 */
#ifndef NODESIM_NODE_H
#define NODESIM_NODE_H

#include "sim.h"

#include <stddef.h>
#include <stdint.h>

/* The index of node `name` if it is one of ours, else -1. */
int nsim_node_index(const struct nodesim *st, const char *name);
/* 1 when the node carries cplane.io/nodesim-stopped=true, else 0. */
int nsim_node_stopped(const struct cplane_host_api *api,
                      const cplane_object *node);
/* Node i's InternalIP: 10.1.<i/254>.<i%254+1>. */
void nsim_node_ip(int i, char *buf, size_t len);
/* A member of obj's status condition of `type`, or NULL. */
const char *nsim_condition_field(const struct cplane_host_api *api,
                                 const cplane_object *obj, const char *type,
                                 const char *field);
/* Appends node `name`'s metadata.labels object to b. */
void nsim_node_labels(const struct cplane_host_api *api,
                      struct cplane_strbuf *b, const struct nodesim *st,
                      const char *name);
/* The whole status node i reports at now_ms. `ready_since` keeps the
 * Ready condition's lastTransitionTime when it was already True. NULL
 * when out of memory. */
char *nsim_node_status_json(const struct cplane_host_api *api,
                            const struct nodesim *st, int64_t now_ms, int i,
                            const char *name, const char *created,
                            const char *ready_since);

#endif
