/*
 * select - which pods kube's pod garbage collector deletes, as pure
 * decisions over the cached pods and nodes:
 *
 *  - terminated (phase Succeeded or Failed) beyond the threshold: the
 *    excess, evicted ones first (Failed with reason Evicted), then oldest
 *    by creation, name breaking ties;
 *  - terminating (deletionTimestamp) on a node that is not Ready and has
 *    the node.kubernetes.io/out-of-service taint;
 *  - terminating and never scheduled (no spec.nodeName).
 *
 * Pods bound to nodes that no longer exist are quarantine.h's.
 *
 * Ownership: arrays of borrowed pods; the caller owns the arrays.
 * Threading: pure.
 */
#ifndef PGC_SELECT_H
#define PGC_SELECT_H

#include <cplane/cplane.h>

#include <stddef.h>

#define PGC_OUT_OF_SERVICE "node.kubernetes.io/out-of-service"

/* 1 when pod's phase is Succeeded or Failed. */
int pgc_terminated(const struct cplane_host_api *api, const cplane_object *pod);

/* Sorts the terminated pods `pods` in kube's deletion order and returns
 * how many of the first are to go: n - threshold, or 0. */
size_t pgc_terminated_victims(const struct cplane_host_api *api,
                              const cplane_object **pods, size_t n,
                              int64_t threshold);

/* 1 when a terminating pod on `node` (NULL: no such node) is to be force
 * deleted: the node is not Ready and carries the out-of-service taint. */
int pgc_out_of_service(const struct cplane_host_api *api,
                       const cplane_object *pod, const cplane_object *node);

/* 1 when pod is terminating and was never scheduled. */
int pgc_unscheduled_terminating(const struct cplane_host_api *api,
                                const cplane_object *pod);

#endif
