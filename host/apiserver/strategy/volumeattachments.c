/*
 * volumeattachments - storage.k8s.io/v1 VolumeAttachment, as kube's
 * pkg/registry/storage/volumeattachment: an attacher (CSI driver name), a
 * node and exactly one source; the spec never changes; a status
 * subresource that an attacher writes.
 */
#include "apiserver/strategy/strategy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/platform_fields.h"
#include "apiserver/strategy/platform_print.h"
#include "labels/names.h"

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  json_object *src = cp_plat_get(spec, "source", json_type_object);
  const char *attacher = cp_plat_str0(spec, "attacher");
  const char *node = cp_plat_str0(spec, "nodeName"), *why;
  const char *pv = cp_plat_str(src, "persistentVolumeName");
  int inl = cp_plat_get(src, "inlineVolumeSpec", json_type_object) != NULL;

  if (w != NULL && w->subresource != NULL)
    return; /* status: what the attacher reports */
  if (attacher[0] == '\0')
    cp_field_required(errs, "spec.attacher", NULL);
  else if (strlen(attacher) > 63)
    cp_field_errors_add(errs, CP_FIELD_TOO_LONG, "spec.attacher", NULL,
                        "may not be more than 63 bytes");
  else if ((why = cp_name_dns1123_subdomain_error(attacher)) != NULL)
    cp_field_invalid_str(errs, "spec.attacher", attacher, why);
  if (node[0] == '\0')
    cp_field_required(errs, "spec.nodeName", NULL);
  else if ((why = cp_name_dns1123_subdomain_error(node)) != NULL)
    cp_field_invalid_str(errs, "spec.nodeName", node, why);
  if ((pv == NULL) == !inl)
    cp_field_required(errs, "spec.source", "must specify exactly one of "
                                           "inlineVolumeSpec and "
                                           "persistentVolumeName");
  else if (pv != NULL && (why = cp_name_dns1123_subdomain_error(pv)) != NULL)
    cp_field_invalid_str(errs, "spec.source.persistentVolumeName", pv, why);
  if (old != NULL &&
      !cp_plat_equal(spec, cp_plat_get(old, "spec", json_type_object))) {
    char *v = cp_plat_go_value(spec);

    cp_field_errors_add(errs, CP_FIELD_INVALID, "spec", v != NULL ? v : "",
                        "field is immutable");
    free(v);
  }
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"Attacher", "string", "", 0,
     "Attacher indicates the name of the volume driver that MUST handle "
     "this request."},
    {"PV", "string", "", 0, "Name of the persistent volume to attach."},
    {"Node", "string", "", 0, "The node that the volume should be attached "
                              "to."},
    {"Attached", "boolean", "", 0, "Indicates the volume is successfully "
                                   "attached."},
    {"Age", "string", "", 0,
     "CreationTimestamp is a timestamp representing the server time when "
     "this object was created."},
};

static void cells(json_object *obj, long long now, json_object *out) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  json_object *src = cp_plat_get(spec, "source", json_type_object);

  cp_plat_cell_name(out, obj);
  cp_plat_cell_str(out, cp_plat_str0(spec, "attacher"));
  cp_plat_cell_str(out, cp_plat_str0(src, "persistentVolumeName"));
  cp_plat_cell_str(out, cp_plat_str0(spec, "nodeName"));
  cp_plat_cell_bool(out, cp_plat_bool(cp_plat_get(obj, "status",
                                                  json_type_object),
                                      "attached", 0));
  cp_plat_cell_age(out, obj, now);
}

/* kube's PrepareForCreate (v1): the status is the attacher's
 * (storage.VolumeAttachmentStatus{}: attached is not omitempty). */
static void prepare_create(const struct cp_strategy_write *w,
                           json_object *o) {
  (void)w;
  cp_field_set(o, "status", json_object_new_object());
  cp_field_set(o, "status.attached", json_object_new_boolean(0));
}

const struct cp_strategy cp_strategy_volumeattachments = {
    .group = "storage.k8s.io",
    .resource = "volumeattachments",
    .flags = CP_STRATEGY_STATUS_SPLIT,
    .prepare_create = prepare_create,
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
