/*
 * crd_scale - a custom resource's scale subresource, at the JSON paths
 * its definition names (subresources.scale: specReplicasPath
 * ".spec.replicas", statusReplicasPath ".status.replicas", optional
 * labelSelectorPath ".status.selector"), as apiextensions-apiserver reads
 * and writes them (customresource/etcd.go, unstructured.NestedInt64 /
 * NestedString / SetNestedField) and checks them on the definition
 * (ValidateCustomResourceDefinitionSubresources).
 *
 * Threading: pure; any thread.
 * Ownership: borrows its arguments; messages returned through err are
 * the caller's (free()).
 */
#ifndef CPLANE_HOST_APISERVER_CRD_SCALE_H
#define CPLANE_HOST_APISERVER_CRD_SCALE_H

#include <json-c/json.h>
#include <stdint.h>

#include "apiserver/resources.h"

/* Checks the scale object of one version's subresources (scale; at is
 * "spec.versions[0].subresources"). Returns 0, or -1 with *field (the
 * offending path, malloc'd) and *msg (kube's words after the path:
 * "Required value", "Invalid value: \".x\": should be a json path under
 * .spec", malloc'd). Both NULL on -1 means out of memory. */
int cp_crd_scale_check(json_object *scale, const char *at, char **field,
                       char **msg);

/* The scale paths of custom type t, copied into *buf: NULL for a
 * built-in (its Scale is spec.replicas, status.replicas and its
 * spec.selector). A definition stored before its paths were checked gets
 * ".spec.replicas" and ".status.replicas" for a path it lacks. */
const struct cp_resource_custom *
cp_crd_scale_paths(const struct cp_resource_type *t,
                   struct cp_resource_custom *buf);

/* The Scale values of custom object o of type t (custom scale paths
 * registered). */
struct cp_crd_scale_values {
  int64_t spec_replicas; /* 0 when absent */
  int spec_found;
  int64_t status_replicas; /* 0 when absent */
  const char *selector;    /* borrowed from o; "" when absent or none */
};

/* Reads them. Returns 0, or -1 with *err (kube's accessor message:
 * ".spec.replicas accessor error: x is of the type string, expected
 * int64"; NULL out of memory) when a value has the wrong type. */
int cp_crd_scale_read(const struct cp_resource_custom *c, json_object *o,
                      struct cp_crd_scale_values *v, char **err);

/* Sets the integer at path in o, creating the objects on the way.
 * Returns 0, or -1 with *err (NULL out of memory) when something other
 * than an object is in the way. */
int cp_crd_scale_set(json_object *o, const char *path, int64_t value,
                     char **err);

#endif /* CPLANE_HOST_APISERVER_CRD_SCALE_H */
