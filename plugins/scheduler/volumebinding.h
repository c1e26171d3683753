/*
 * volumebinding - the PreFilter of kube-scheduler's VolumeBinding plugin,
 * as far as cplane's simulated storage needs it: a pod whose
 * PersistentVolumeClaim does not exist, is being deleted, or is unbound
 * with a class that binds Immediately (or no class) is not scheduled;
 * claims of a WaitForFirstConsumer class are left for the persistentvolume
 * controller to bind once the pod has a node. Messages are kube's:
 *
 *   persistentvolumeclaim "data" not found
 *   persistentvolumeclaim "data" is being deleted
 *   pod has unbound immediate PersistentVolumeClaims
 *
 * Threading: cache reads only; safe from any worker.
 */
#ifndef SCHED_VOLUMEBINDING_H
#define SCHED_VOLUMEBINDING_H

#include <cplane/cplane.h>

#include <stddef.h>

/* 1 when the pod's claims refuse it, with the reason in msg; 0 when they
 * allow it (or it has none). claims and classes index the plugin's
 * resources[] (persistentvolumeclaims, storageclasses). */
int sched_volumes_refuse(const struct cplane_host_api *api,
                         cplane_plugin_ctx *ctx, const cplane_object *pod,
                         uint32_t claims, uint32_t classes, char *msg,
                         size_t len);

#endif
