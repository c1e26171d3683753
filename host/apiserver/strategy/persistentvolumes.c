/*
 * persistentvolumes - core/v1 PersistentVolume: kube's defaults (reclaim
 * policy Retain, volume mode Filesystem, phase Pending on create),
 * ValidatePersistentVolume's capacity, access mode and volume source
 * checks, and the columns `kubectl get pv` prints.
 */
#include "apiserver/strategy/core_kinds.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "apiserver/strategy/volumes.h"
#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/printers.h"

/* The volume sources a PersistentVolumeSpec may name (one). */
static const char *const sources[] = {
    "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder",
    "csi", "fc", "flexVolume", "flocker", "gcePersistentDisk", "glusterfs",
    "hostPath", "iscsi", "local", "nfs", "photonPersistentDisk",
    "portworxVolume", "quobyte", "rbd", "scaleIO", "storageos",
    "vsphereVolume", NULL};
static const char *const policies[] = {"Delete", "Recycle", "Retain", NULL};
static const char *const volume_modes[] = {"Block", "Filesystem", NULL};

static int in(const char *const *list, const char *s) {
  for (; *list != NULL; list++)
    if (strcmp(*list, s) == 0)
      return 1;
  return 0;
}

static void now_text(char *buf, size_t len) {
  time_t t = time(NULL);
  struct tm tm;

  gmtime_r(&t, &tm);
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void defaults(json_object *o) {
  cp_field_default(o, "spec.persistentVolumeReclaimPolicy",
                   json_object_new_string("Retain"));
  cp_field_default(o, "spec.volumeMode", json_object_new_string("Filesystem"));
}

static void prepare_create(const struct cp_strategy_write *w,
                           json_object *o) {
  json_object *st = json_object_new_object();
  char ts[32];

  (void)w;
  defaults(o);
  now_text(ts, sizeof ts);
  if (st != NULL) {
    json_object_object_add(st, "phase", json_object_new_string("Pending"));
    json_object_object_add(st, "lastPhaseTransitionTime",
                           json_object_new_string(ts));
  }
  cp_field_set(o, "status", st);
}

static void prepare_update(const struct cp_strategy_write *w, json_object *o,
                           json_object *old) {
  (void)w;
  (void)old;
  defaults(o);
}

static void validate(const struct cp_strategy_write *w, json_object *o,
                     json_object *old, struct cp_field_errors *errs) {
  json_object *spec = cp_field_typed(o, "spec", json_type_object);
  json_object *cap = cp_field_typed(spec, "capacity", json_type_object);
  const char *v;
  size_t i;
  int n = 0;

  (void)w;
  (void)old;
  if (w->subresource != NULL)
    return;
  if (cap == NULL || json_object_object_length(cap) == 0)
    cp_field_required(errs, "spec.capacity", NULL);
  cp_access_modes_check(cp_field_typed(spec, "accessModes", json_type_array),
                        "spec.accessModes", 1, errs);
  v = cp_field_str(spec, "persistentVolumeReclaimPolicy");
  if (v != NULL && !in(policies, v))
    cp_field_not_supported(errs, "spec.persistentVolumeReclaimPolicy", v,
                           policies);
  v = cp_field_str(spec, "volumeMode");
  if (v != NULL && !in(volume_modes, v))
    cp_field_not_supported(errs, "spec.volumeMode", v, volume_modes);
  for (i = 0; sources[i] != NULL; i++) {
    if (!json_object_object_get_ex(spec, sources[i], NULL))
      continue;
    if (n++ > 0)
      cp_field_errors_addf(errs, CP_FIELD_FORBIDDEN, NULL,
                           "may not specify more than 1 volume type",
                           "spec.%s", sources[i]);
  }
  if (n == 0)
    cp_field_required(errs, "spec", "must specify a volume type");
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"Capacity", "string", "", 0, "capacity is the description of the "
                                  "persistent volume's resources and "
                                  "capacity."},
    {"Access Modes", "string", "", 0, "accessModes contains all ways the "
                                      "volume can be mounted."},
    {"Reclaim Policy", "string", "", 0, "persistentVolumeReclaimPolicy "
                                        "defines what happens to a "
                                        "persistent volume when released "
                                        "from its claim."},
    {"Status", "string", "", 0, "phase indicates if a volume is available, "
                                "bound to a claim, or released by a "
                                "claim."},
    {"Claim", "string", "", 0, "claimRef is part of a bi-directional binding "
                               "between PersistentVolume and "
                               "PersistentVolumeClaim."},
    {"StorageClass", "string", "", 0, "StorageClass of the pv"},
    {"VolumeAttributesClass", "string", "", 0, "VolumeAttributesClass of the "
                                               "pv"},
    {"Reason", "string", "", 0, "reason is a brief CamelCase string that "
                                "describes any failure and is meant for "
                                "machine parsing and tidy display in the "
                                "CLI."},
    {"Age", "string", "", 0, "CreationTimestamp is a timestamp representing "
                             "the server time when this object was "
                             "created."},
    {"VolumeMode", "string", "", 1, "volumeMode defines if a volume is "
                                    "intended to be used with a formatted "
                                    "filesystem or to remain in raw block "
                                    "state."},
};


static void cells(json_object *o, long long now, json_object *out) {
  const char *phase = cp_field_str(o, "status.phase");
  const char *ns = cp_field_str(o, "spec.claimRef.namespace");
  const char *name = cp_field_str(o, "spec.claimRef.name");
  const char *vac = cp_field_str(o, "spec.volumeAttributesClassName");
  const char *mode = cp_field_str(o, "spec.volumeMode");
  char buf[300];

  if (cp_field_at(o, "metadata.deletionTimestamp") != NULL)
    phase = "Terminating";
  cp_cell_name(out, o);
  cp_cell_str(out, cp_volume_quantity(cp_field_at(o, "spec.capacity.storage")));
  cp_access_modes_text(cp_field_typed(o, "spec.accessModes", json_type_array),
                       buf, sizeof buf);
  cp_cell_str(out, buf);
  cp_cell_str(out, cp_field_str(o, "spec.persistentVolumeReclaimPolicy")
                       ? cp_field_str(o, "spec.persistentVolumeReclaimPolicy")
                       : "");
  cp_cell_str(out, phase != NULL ? phase : "");
  if (cp_field_at(o, "spec.claimRef") != NULL)
    snprintf(buf, sizeof buf, "%.120s/%.120s", ns ? ns : "",
             name ? name : "");
  else
    buf[0] = '\0';
  cp_cell_str(out, buf);
  cp_cell_str(out, cp_volume_storage_class(o));
  cp_cell_str(out, vac != NULL && vac[0] != '\0' ? vac : "<unset>");
  cp_cell_str(out, cp_field_str(o, "status.reason") != NULL
                       ? cp_field_str(o, "status.reason")
                       : "");
  cp_cell_age(out, o, now);
  cp_cell_str(out, mode != NULL ? mode : "<unset>");
}

const struct cp_strategy cp_strategy_persistentvolumes = {
    .group = "",
    .resource = "persistentvolumes",
    .flags = CP_STRATEGY_STATUS_SPLIT,
    .prepare_create = prepare_create,
    .prepare_update = prepare_update,
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
