/*
 * pods - a ReplicaSet's pods judged as kube-controller-manager does:
 * ready, available (ready for minReadySeconds), and their value when
 * some must go (unscheduled first, then not running, ready last).
 *
 * Threading: none inside; any thread.
 */
#ifndef RS_PODS_H
#define RS_PODS_H

#include <cplane/cplane.h>

/* 1 when pod is Ready; *since (if not NULL) is when it became so, or 0
 * when the condition has no transition time. */
int rs_pod_ready_since(const struct cplane_host_api *api,
                       const cplane_object *pod, double *since);
/* Counts the ready pods, and the available ones: ready for at least
 * min_ready seconds at `now` (a pod without a transition time counts at
 * once). *next_ms is when the next ready pod becomes available, a little
 * late rather than early (0: none waits). */
void rs_count_ready(const struct cplane_host_api *api,
                    const cplane_object *const *pods, int n, int64_t min_ready,
                    double now, int *ready, int *available, uint32_t *next_ms);
/* 0 unscheduled, 1 not running, 2 running, 3 ready: lower goes first. */
int rs_pod_value(const struct cplane_host_api *api, const cplane_object *pod);

#endif
