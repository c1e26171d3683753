/*
 * libFuzzer target: object snapshots (host/object/object.c): parsing and
 * every accessor a plugin calls, at fixed paths and, for input
 * "PATH\0JSON", at a fuzzed one.
 */
#include <cplane/host_api.h>

#include "fuzz_input.h"
#include "object/object.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int each(void *userdata, const char *key, const char *str) {
  size_t *n = userdata;

  if (key == NULL)
    abort();
  (void)str;
  return ++*n > 1000;
}

static void read_path(const cplane_object *obj, const char *path) {
  int64_t i;
  double d;
  int b;
  size_t n = 0;

  (void)cp_object_type(obj, path);
  (void)cp_object_string(obj, path);
  (void)cp_object_int(obj, path, &i);
  (void)cp_object_double(obj, path, &d);
  (void)cp_object_bool(obj, path, &b);
  (void)cp_object_len(obj, path);
  (void)cp_object_foreach(obj, path, each, &n);
  free(cp_object_json(obj, path));
}

static void read_all(const cplane_object *obj, const char *path) {
  static const char *const paths[] = {
      "",  "metadata", "metadata.name", "metadata.labels",
      "spec.containers[0].name", "spec.containers.0.image", "status[1]",
      "metadata.ownerReferences[0].uid", "a.b.c.d.e.f", "[0]", ".", "..",
      "metadata..name", "spec.containers[-1]", "spec.containers[99999999999]"};
  size_t i;

  (void)cp_object_name(obj);
  (void)cp_object_namespace(obj);
  (void)cp_object_uid(obj);
  (void)cp_object_resource_version(obj);
  (void)cp_object_key(obj);
  (void)cp_object_generation(obj);
  (void)cp_object_label(obj, "app");
  (void)cp_object_annotation(obj, "a");
  (void)cp_object_deletion_timestamp(obj);
  (void)cp_object_controller_uid(obj);
  (void)cp_object_heap_bytes(obj);
  for (i = 0; i < sizeof paths / sizeof paths[0]; i++)
    read_path(obj, paths[i]);
  if (path != NULL)
    read_path(obj, path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *path = NULL, *json = NULL, *err = NULL;
  cplane_object *obj = NULL;
  size_t len;
  int valid, rc;

  if (fuzz_split(data, size, &path, &json, &len) != 0)
    return 0;
  valid = cp_json_valid(json, len);
  rc = cp_object_parse(json, len, &obj, &err);
  if (rc == CPLANE_OK) {
    if (obj == NULL || err != NULL)
      abort();
    read_all(cp_object_retain(obj), path);
    cp_object_release(obj);
    cp_object_release(obj);
  } else if (err == NULL) {
    abort(); /* a refusal always says why */
  }
  (void)valid;
  free(err);
  free(path);
  free(json);
  return 0;
}
