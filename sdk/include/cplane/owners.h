/*
 * cplane/owners.h - owner references: the controller reference a
 * controller puts on what it creates, and who controls an object.
 *
 * Header-only: nothing here is in the host table or the ABI.
 *
 *   char *ref = cplane_controller_ref_json(api, deploy, "apps/v1",
 *                                          "Deployment");
 *   char *rs = api->json_format("{'metadata':{'name':%s,"
 *                               "'ownerReferences':[%j]},...}", name, ref);
 *   api->free(ref);
 *
 *   if (cplane_is_controlled_by(api, pod, api->object_uid(rs))) ...
 *
 * To have a dependent's changes enqueue its owner, declare it with
 * api->enqueue_owner() in init() rather than in on_*.
 *
 * Threading: pure functions of borrowed objects.
 */
#ifndef CPLANE_OWNERS_H
#define CPLANE_OWNERS_H

#include <stdio.h>
#include <string.h>

#include <cplane/host_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ownerReference naming `owner` (of `api_version` and `kind`, which an
 * object does not always carry) as its controller, with controller and
 * blockOwnerDeletion true, as kube's NewControllerRef() makes it:
 *   {"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-5d9c",
 *    "uid":"...","controller":true,"blockOwnerDeletion":true}
 * Owned: free with api->free. NULL when owner has no name or uid, or out
 * of memory. */
static inline char *
cplane_controller_ref_json(const struct cplane_host_api *api,
                           const cplane_object *owner, const char *api_version,
                           const char *kind) {
  const char *name = api->object_name(owner), *uid = api->object_uid(owner);

  if (name == NULL || uid == NULL || api_version == NULL || kind == NULL)
    return NULL;
  return api->json_format("{'apiVersion':%s,'kind':%s,'name':%s,'uid':%s,"
                          "'controller':true,'blockOwnerDeletion':true}",
                          api_version, kind, name, uid);
}

/* 1 when obj's controller reference (controller: true) has `uid`, else 0:
 * kube's metav1.IsControlledBy. */
static inline int cplane_is_controlled_by(const struct cplane_host_api *api,
                                          const cplane_object *obj,
                                          const char *uid) {
  const char *ctl = api->object_controller_uid(obj);

  return ctl != NULL && uid != NULL && strcmp(ctl, uid) == 0;
}

/* "namespace/name" of obj's controller into buf, when that controller is
 * of `kind`: the key to enqueue for the owner. Returns 1, or 0 when obj
 * has no controller, it is of another kind, or buf is too short. */
static inline int cplane_controller_key(const struct cplane_host_api *api,
                                        const cplane_object *obj,
                                        const char *kind, char *buf,
                                        size_t len) {
  int n = api->object_len(obj, "metadata.ownerReferences"), i;
  char path[96];

  for (i = 0; i < n; i++) {
    const char *k, *name, *ns = api->object_namespace(obj);
    int ctl = 0;

    snprintf(path, sizeof path, "metadata.ownerReferences[%d].controller", i);
    if (api->object_bool(obj, path, &ctl) != CPLANE_OK || !ctl)
      continue;
    snprintf(path, sizeof path, "metadata.ownerReferences[%d].kind", i);
    k = api->object_string(obj, path);
    snprintf(path, sizeof path, "metadata.ownerReferences[%d].name", i);
    name = api->object_string(obj, path);
    if (k == NULL || name == NULL || kind == NULL || strcmp(k, kind) != 0)
      return 0;
    if (ns == NULL || *ns == '\0')
      return snprintf(buf, len, "%s", name) < (int)len;
    return snprintf(buf, len, "%s/%s", ns, name) < (int)len;
  }
  return 0;
}

#ifdef __cplusplus
}
#endif
#endif /* CPLANE_OWNERS_H */
