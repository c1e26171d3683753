/*
 * cplane/finalizers.h - a controller's finalizer on an object: has it,
 * add it, remove it.
 *
 * Header-only: nothing here is in the host table or the ABI.
 *
 * add and remove return a JSON merge patch (CPLANE_PATCH_MERGE) that sets
 * metadata.finalizers to the whole new list and carries the object's
 * metadata.resourceVersion, so the API server applies it only to the
 * version it was computed from (409 Conflict otherwise: re-read, retry)
 * and no other writer's finalizer is lost:
 *
 *   char *patch = NULL;
 *   if (cplane_finalizer_add_patch(api, obj, "example.com/cleanup", &patch)
 *       == CPLANE_OK && patch != NULL) {
 *     code = api->patch(ctx, &res, ns, name, CPLANE_PATCH_MERGE, patch,
 *                       NULL, NULL);
 *     api->free(patch);
 *   }
 *
 * Threading: pure functions of borrowed objects.
 */
#ifndef CPLANE_FINALIZERS_H
#define CPLANE_FINALIZERS_H

#include <stdlib.h>
#include <string.h>

#include <cplane/host_api.h>
#include <cplane/objects.h>
#include <cplane/strbuf.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CPLANE_FINALIZERS_PATH "metadata.finalizers"

/* 1 when obj's metadata.finalizers holds `name`, else 0. */
static inline int cplane_finalizer_has(const struct cplane_host_api *api,
                                       const cplane_object *obj,
                                       const char *name) {
  return cplane_string_array_contains(api, obj, CPLANE_FINALIZERS_PATH, name);
}

/* The patch setting obj's finalizers to its own without `drop` and with
 * `add` appended (either may be NULL). */
static inline int cplane_finalizer__patch(const struct cplane_host_api *api,
                                          const cplane_object *obj,
                                          const char *drop, const char *add,
                                          char **patch) {
  int n = api->object_len(obj, CPLANE_FINALIZERS_PATH), i, first = 1;
  const char *rv = api->object_resource_version(obj);
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  char *list;

  cplane_strbuf_add(&b, "[");
  for (i = 0; i < n; i++) {
    const char *f =
        cplane_array_string(api, obj, CPLANE_FINALIZERS_PATH, i, NULL);

    if (f == NULL || (drop != NULL && strcmp(f, drop) == 0))
      continue;
    cplane_strbuf_add(&b, first ? "" : ",");
    cplane_strbuf_take(&b, api, api->json_format("%s", f));
    first = 0;
  }
  if (add != NULL) {
    cplane_strbuf_add(&b, first ? "" : ",");
    cplane_strbuf_take(&b, api, api->json_format("%s", add));
  }
  cplane_strbuf_add(&b, "]");
  if ((list = cplane_strbuf_finish(&b)) == NULL)
    return CPLANE_ENOMEM;
  *patch = rv != NULL
               ? api->json_format("{'metadata':{'resourceVersion':%s,"
                                  "'finalizers':%j}}",
                                  rv, list)
               : api->json_format("{'metadata':{'finalizers':%j}}", list);
  free(list);
  return *patch != NULL ? CPLANE_OK : CPLANE_ENOMEM;
}

/* Sets *patch to the merge patch adding finalizer `name` to obj (owned:
 * free with api->free), or to NULL when obj has it already or is being
 * deleted (the API server refuses new finalizers then). Returns CPLANE_OK,
 * CPLANE_EINVAL for a NULL or empty name, CPLANE_ENOMEM. */
static inline int cplane_finalizer_add_patch(const struct cplane_host_api *api,
                                             const cplane_object *obj,
                                             const char *name, char **patch) {
  *patch = NULL;
  if (name == NULL || *name == '\0')
    return CPLANE_EINVAL;
  if (cplane_finalizer_has(api, obj, name) ||
      api->object_deletion_timestamp(obj) != NULL)
    return CPLANE_OK;
  return cplane_finalizer__patch(api, obj, NULL, name, patch);
}

/* Sets *patch to the merge patch removing finalizer `name` (every copy of
 * it) from obj, or to NULL when obj does not have it. Returns as add. */
static inline int
cplane_finalizer_remove_patch(const struct cplane_host_api *api,
                              const cplane_object *obj, const char *name,
                              char **patch) {
  *patch = NULL;
  if (name == NULL || *name == '\0')
    return CPLANE_EINVAL;
  if (!cplane_finalizer_has(api, obj, name))
    return CPLANE_OK;
  return cplane_finalizer__patch(api, obj, name, NULL, patch);
}

#ifdef __cplusplus
}
#endif
#endif /* CPLANE_FINALIZERS_H */
