/*
 * pv - what the persistentvolume plugin's modules share: its resources,
 * the names kube's PV controller writes, and its work-queue keys.
 *
 * Keys: "pvc:<ns>/<name>" for a claim, "pv:<name>" for a volume and
 * PV_KEY_DEFAULT_CLASS for the check that a default StorageClass exists.
 *
 * Threading: constants only.
 */
#ifndef PV_PV_H
#define PV_PV_H

#include <cplane/cplane.h>

/* The plugin's resources (defined in resources.c), indexed by these. */
extern const struct cplane_resource pv_resources[5];
#define PV_CLAIMS 0
#define PV_VOLUMES 1
#define PV_CLASSES 2
#define PV_PODS 3
#define PV_NAMESPACES 4

#define PV_KEY_CLAIM "pvc:"
#define PV_KEY_VOLUME "pv:"
#define PV_KEY_DEFAULT_CLASS "@default-storageclass"

/* Index over pods: "<ns>/<claim>" for each claim a pod mounts. */
#define PV_INDEX_POD_CLAIMS "persistentvolume-claims"
/* Index over claims: PV_UNBOUND for each claim with no volumeName. */
#define PV_INDEX_UNBOUND "persistentvolume-unbound"
#define PV_UNBOUND "unbound"

#define PV_ANN_BIND_COMPLETED "pv.kubernetes.io/bind-completed"
#define PV_ANN_BOUND_BY_CONTROLLER "pv.kubernetes.io/bound-by-controller"
#define PV_ANN_PROVISIONED_BY "pv.kubernetes.io/provisioned-by"
#define PV_ANN_SELECTED_NODE "volume.kubernetes.io/selected-node"
#define PV_ANN_STORAGE_PROVISIONER "volume.kubernetes.io/storage-provisioner"
#define PV_ANN_DEFAULT_CLASS "storageclass.kubernetes.io/is-default-class"
#define PV_ANN_DEFAULT_CLASS_BETA                                          \
  "storageclass.beta.kubernetes.io/is-default-class"

#define PV_PROVISIONER "cplane.io/simulated"
#define PV_DEFAULT_CLASS_NAME "standard"

#endif
