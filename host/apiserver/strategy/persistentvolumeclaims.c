/*
 * persistentvolumeclaims - core/v1 PersistentVolumeClaim: kube's defaults
 * (volume mode Filesystem, phase Pending), ValidatePersistentVolumeClaim's
 * access mode and storage request checks, the update's immutable spec,
 * the DefaultStorageClass admission (pvc_default_class.h), and the
 * columns `kubectl get pvc` prints.
 */
#include "apiserver/strategy/core_kinds.h"

#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/quantity.h"
#include "apiserver/strategy/printers.h"
#include "apiserver/strategy/pvc_default_class.h"
#include "apiserver/strategy/volumes.h"

static void prepare_create(const struct cp_strategy_write *w,
                           json_object *o) {
  json_object *st = json_object_new_object();

  (void)w;
  cp_field_default(o, "spec.volumeMode", json_object_new_string("Filesystem"));
  if (st != NULL)
    json_object_object_add(st, "phase", json_object_new_string("Pending"));
  cp_field_set(o, "status", st);
}

static void prepare_update(const struct cp_strategy_write *w, json_object *o,
                           json_object *old) {
  (void)w;
  (void)old;
  cp_field_default(o, "spec.volumeMode", json_object_new_string("Filesystem"));
}

/* A copy of o's spec (an empty object when it has none); NULL only out
 * of memory. */
static json_object *spec_copy(json_object *o) {
  json_object *spec = cp_field_typed(o, "spec", json_type_object), *c = NULL;

  if (spec == NULL)
    return json_object_new_object();
  return json_object_deep_copy(spec, &c, NULL) == 0 ? c : NULL;
}

/* Sets to[k] to a copy of from[k], or removes it when from has none. */
static void copy_member(json_object *to, json_object *from, const char *k) {
  json_object *v = NULL;

  if (json_object_object_get_ex(from, k, &v) && v != NULL)
    json_object_object_add(to, k, json_object_get(v));
  else
    json_object_object_del(to, k);
}

static int non_empty(json_object *spec, const char *k) {
  const char *v = cp_field_str(spec, k);

  return v != NULL && v[0] != '\0';
}

/* The requested storage of spec as a quantity; 0 when absent or not a
 * quantity (kube's zero Quantity). */
static cp_quantity requested(json_object *spec) {
  cp_quantity q = 0;

  if (cp_quantity_parse(cp_field_at(spec, "resources.requests.storage"),
                        &q) < 0)
    q = 0;
  return q;
}

/* kube's ValidatePersistentVolumeClaimUpdate: the spec is immutable
 * except that volumeName may be set once, storageClassName may be set
 * where there was none (retroactive default class), and a bound claim's
 * requests.storage and volumeAttributesClassName may change; the
 * request may not go down to status.capacity or below (kube 1.32's
 * RecoverVolumeExpansionFailure, beta and on). */
static void validate_update(json_object *o, json_object *old,
                            struct cp_field_errors *errs) {
  json_object *now = spec_copy(o), *was = spec_copy(old);
  const char *phase = cp_field_str(o, "status.phase");
  cp_quantity new_size, old_size, status_size = 0;

  if (now == NULL || was == NULL)
    goto out;
  if (!non_empty(was, "volumeName"))
    copy_member(was, now, "volumeName");
  if (!non_empty(was, "storageClassName") && non_empty(now, "storageClassName"))
    copy_member(was, now, "storageClassName");
  if (phase != NULL && strcmp(phase, "Bound") == 0) {
    json_object *req = cp_field_typed(now, "resources.requests",
                                      json_type_object);

    if (req != NULL)
      copy_member(req, cp_field_typed(was, "resources.requests",
                                      json_type_object), "storage");
    if (json_object_object_get_ex(now, "volumeAttributesClassName", NULL))
      copy_member(now, was, "volumeAttributesClassName");
  }
  if (!json_object_equal(now, was))
    cp_field_forbidden(errs, "spec", "spec is immutable after creation "
                                     "except resources.requests and "
                                     "volumeAttributesClassName for bound "
                                     "claims");
  new_size = requested(cp_field_typed(o, "spec", json_type_object));
  old_size = requested(cp_field_typed(old, "spec", json_type_object));
  if (cp_quantity_parse(cp_field_at(old, "status.capacity.storage"),
                        &status_size) < 0)
    status_size = 0;
  if (new_size < old_size && new_size <= status_size)
    cp_field_forbidden(errs, "spec.resources.requests.storage",
                       "field can not be less than status.capacity");
out:
  json_object_put(now);
  json_object_put(was);
}

static void validate(const struct cp_strategy_write *w, json_object *o,
                     json_object *old, struct cp_field_errors *errs) {
  json_object *req = cp_field_typed(o, "spec.resources.requests",
                                    json_type_object);

  if (w->subresource != NULL)
    return;
  cp_access_modes_check(cp_field_typed(o, "spec.accessModes",
                                       json_type_array),
                        "spec.accessModes", 1, errs);
  if (!json_object_object_get_ex(req, "storage", NULL))
    cp_field_required(errs, "spec.resources[storage]", NULL);
  if (old != NULL)
    validate_update(o, old, errs);
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"Status", "string", "", 0, "phase represents the current phase of "
                                "PersistentVolumeClaim."},
    {"Volume", "string", "", 0, "volumeName is the binding reference to the "
                                "PersistentVolume backing this claim."},
    {"Capacity", "string", "", 0, "capacity represents the actual resources "
                                  "of the underlying volume."},
    {"Access Modes", "string", "", 0, "accessModes contains the desired "
                                      "access modes the volume should "
                                      "have."},
    {"StorageClass", "string", "", 0, "StorageClass of the pvc"},
    {"VolumeAttributesClass", "string", "", 0, "VolumeAttributesClass of the "
                                               "pvc"},
    {"Age", "string", "", 0, "CreationTimestamp is a timestamp representing "
                             "the server time when this object was "
                             "created."},
    {"VolumeMode", "string", "", 1, "volumeMode defines what type of volume "
                                    "is required by the claim."},
};

static void cells(json_object *o, long long now, json_object *out) {
  const char *phase = cp_field_str(o, "status.phase");
  const char *vol = cp_field_str(o, "spec.volumeName");
  const char *vac = cp_field_str(o, "spec.volumeAttributesClassName");
  const char *mode = cp_field_str(o, "spec.volumeMode");
  int bound = vol != NULL && vol[0] != '\0';
  char buf[64] = "";

  if (cp_field_at(o, "metadata.deletionTimestamp") != NULL)
    phase = "Terminating";
  cp_cell_name(out, o);
  cp_cell_str(out, phase != NULL ? phase : "");
  cp_cell_str(out, vol != NULL ? vol : "");
  cp_cell_str(out, bound ? cp_volume_quantity(cp_field_at(
                               o, "status.capacity.storage"))
                         : "");
  if (bound)
    cp_access_modes_text(cp_field_typed(o, "status.accessModes",
                                        json_type_array),
                         buf, sizeof buf);
  cp_cell_str(out, buf);
  cp_cell_str(out, cp_volume_storage_class(o));
  cp_cell_str(out, vac != NULL && vac[0] != '\0' ? vac : "<unset>");
  cp_cell_age(out, o, now);
  cp_cell_str(out, mode != NULL ? mode : "<unset>");
}

const struct cp_strategy cp_strategy_persistentvolumeclaims = {
    .group = "",
    .resource = "persistentvolumeclaims",
    .flags = CP_STRATEGY_STATUS_SPLIT,
    .prepare_create = prepare_create,
    .prepare_update = prepare_update,
    .validate = validate,
    .mutate = cp_pvc_default_class_admit, /* DefaultStorageClass */
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
