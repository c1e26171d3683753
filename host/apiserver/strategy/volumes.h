/*
 * volumes - what PersistentVolume and PersistentVolumeClaim share:
 * their accessModes checked as kube's ValidatePersistentVolume(Claim)
 * does, and printed as kubectl prints them (GetAccessModesAsString:
 * "RWO,ROX,RWX,RWOP"), their storage class and capacity as printed.
 *
 * Threading: pure functions. Ownership: objects are borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_VOLUMES_H
#define CPLANE_HOST_APISERVER_STRATEGY_VOLUMES_H

#include <stddef.h>

#include <json-c/json.h>

#include "apiserver/field_errors.h"

/* modes (the accessModes array, may be NULL) at path: required when
 * `required` ("at least 1 access mode is required"), each a supported
 * one, ReadWriteOncePod alone. */
void cp_access_modes_check(json_object *modes, const char *path,
                           int required, struct cp_field_errors *errs);
/* "RWO,ROX" into buf ("" for none). */
void cp_access_modes_text(json_object *modes, char *buf, size_t len);
/* kube's GetPersistentVolume(Claim)Class: the beta annotation
 * volume.beta.kubernetes.io/storage-class, else spec.storageClassName,
 * else "". Borrowed from o. */
const char *cp_volume_storage_class(json_object *o);
/* A quantity as stored (a string, or a number as text), "" for none. */
const char *cp_volume_quantity(json_object *v);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_VOLUMES_H */
