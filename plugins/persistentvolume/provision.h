/*
 * provision - the simulated dynamic provisioner: which StorageClasses it
 * serves (provisioner cplane.io/simulated), the PersistentVolume it makes
 * for a claim (named pvc-<claim uid>, of the requested size, pre-bound to
 * the claim, the class's reclaim policy, on the selected node when the
 * class waits for the first consumer), and the default class `standard`
 * it creates when a cluster has none.
 *
 * Ownership: returned JSON is owned (api->free).
 * Threading: pure functions of borrowed objects.
 */
#ifndef PV_PROVISION_H
#define PV_PROVISION_H

#include "pv.h"

/* 1 when sc is marked as the default class (either annotation "true"). */
int pv_class_is_default(const struct cplane_host_api *api,
                        const cplane_object *sc);
/* 1 when sc's volumeBindingMode is WaitForFirstConsumer. */
int pv_class_waits(const struct cplane_host_api *api, const cplane_object *sc);
/* 1 when this plugin provisions for sc. */
int pv_class_simulated(const struct cplane_host_api *api,
                       const cplane_object *sc);
/* The default StorageClass `standard`. NULL when out of memory. */
char *pv_default_class_json(const struct cplane_host_api *api);
/* The name of the volume provisioned for claim ("pvc-<uid>") into buf;
 * 0, or -1 when the claim has no uid or buf is short. */
int pv_provisioned_name(const struct cplane_host_api *api,
                        const cplane_object *claim, char *buf, size_t len);
/* The volume provisioned for claim from sc; node is the selected node or
 * NULL. NULL when out of memory or the claim lacks a request. */
char *pv_provisioned_json(const struct cplane_host_api *api,
                          const cplane_object *claim, const cplane_object *sc,
                          const char *node);

#endif
