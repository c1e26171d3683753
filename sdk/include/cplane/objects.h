/*
 * cplane/objects.h - look-ups in the arrays of an object: the element
 * whose field has a value (the condition of a type, the container of a
 * name, the taint of a key), and whether a string array holds a value.
 *
 * Header-only: nothing here is in the host table or the ABI. Each call
 * reads the object through the host table it is given.
 *
 *   int i = cplane_array_find(api, node, "spec.taints", "key",
 *                             "node.kubernetes.io/unreachable");
 *   const char *effect = i >= 0 ? cplane_array_string(api, node,
 *                                     "spec.taints", i, "effect") : NULL;
 *   if (cplane_string_array_contains(api, ns, "spec.finalizers", "kubernetes"))
 *
 * `path` is the array's path as host_api.h spells paths; `field` a path
 * inside one element ("type", "metadata.name"; NULL or "" the element
 * itself). Paths longer than CPLANE_PATH_MAX are not found.
 *
 * Threading: pure functions of borrowed objects.
 */
#ifndef CPLANE_OBJECTS_H
#define CPLANE_OBJECTS_H

#include <stdio.h>
#include <string.h>

#include <cplane/host_api.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CPLANE_PATH_MAX 512

/* Writes "path[i].field" (or "path[i]") into buf. 0, or -1 when it does not
 * fit. */
static inline int cplane_element_path(char *buf, size_t len, const char *path,
                                      int i, const char *field) {
  int n = field != NULL && *field != '\0'
              ? snprintf(buf, len, "%s[%d].%s", path ? path : "", i, field)
              : snprintf(buf, len, "%s[%d]", path ? path : "", i);

  return n >= 0 && (size_t)n < len ? 0 : -1;
}

/* The string at `field` of element i of the array at `path`, or NULL when
 * absent or not a string. Borrowed for the life of obj. */
static inline const char *cplane_array_string(const struct cplane_host_api *api,
                                              const cplane_object *obj,
                                              const char *path, int i,
                                              const char *field) {
  char p[CPLANE_PATH_MAX];

  if (cplane_element_path(p, sizeof p, path, i, field) != 0)
    return NULL;
  return api->object_string(obj, p);
}

/* The index of the first element of the array at `path` whose string at
 * `field` equals `value`, or CPLANE_ENOENT when none does (or there is no
 * such array). */
static inline int cplane_array_find(const struct cplane_host_api *api,
                                    const cplane_object *obj, const char *path,
                                    const char *field, const char *value) {
  int n = api->object_len(obj, path), i;

  if (value == NULL || n < 0 ||
      api->object_type(obj, path) != CPLANE_TYPE_ARRAY)
    return CPLANE_ENOENT;
  for (i = 0; i < n; i++) {
    const char *s = cplane_array_string(api, obj, path, i, field);

    if (s != NULL && strcmp(s, value) == 0)
      return i;
  }
  return CPLANE_ENOENT;
}

/* 1 when the array of strings at `path` holds `value`, else 0. */
static inline int
cplane_string_array_contains(const struct cplane_host_api *api,
                             const cplane_object *obj, const char *path,
                             const char *value) {
  return cplane_array_find(api, obj, path, NULL, value) >= 0;
}

/* 1 when a pod has finished: status.phase Succeeded or Failed. */
static inline int cplane_pod_is_terminal(const struct cplane_host_api *api,
                                         const cplane_object *pod) {
  const char *phase = api->object_string(pod, "status.phase");

  return phase != NULL &&
         (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0);
}

#ifdef __cplusplus
}
#endif
#endif /* CPLANE_OBJECTS_H */
