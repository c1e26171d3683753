/*
 * volumebinding - the VolumeBinding PreFilter. See volumebinding.h.
 */
#include "volumebinding.h"

#include <stdio.h>
#include <string.h>

/* 1 when the claim waits for its first consumer: its class says so. */
static int delayed(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                   uint32_t classes, const cplane_object *claim) {
  const char *class = api->object_string(claim, "spec.storageClassName");
  const cplane_object *sc = NULL;
  const char *mode;
  int wait;

  if (class == NULL || class[0] == '\0' ||
      api->cache_get(ctx, classes, class, &sc) != CPLANE_OK)
    return 0;
  mode = api->object_string(sc, "volumeBindingMode");
  wait = mode != NULL && strcmp(mode, "WaitForFirstConsumer") == 0;
  api->object_release(sc);
  return wait;
}

int sched_volumes_refuse(const struct cplane_host_api *api,
                         cplane_plugin_ctx *ctx, const cplane_object *pod,
                         uint32_t claims, uint32_t classes, char *msg,
                         size_t len) {
  int n = api->object_len(pod, "spec.volumes"), i, unbound = 0;
  const char *ns = api->object_namespace(pod);

  for (i = 0; i < n && ns != NULL; i++) {
    const char *name = cplane_array_string(api, pod, "spec.volumes", i,
                                           "persistentVolumeClaim.claimName");
    const cplane_object *claim = NULL;
    const char *volume;
    char key[600];

    if (name == NULL)
      continue;
    snprintf(key, sizeof key, "%s/%s", ns, name);
    if (api->cache_get(ctx, claims, key, &claim) != CPLANE_OK) {
      snprintf(msg, len, "persistentvolumeclaim \"%s\" not found", name);
      return 1;
    }
    if (api->object_deletion_timestamp(claim) != NULL) {
      snprintf(msg, len, "persistentvolumeclaim \"%s\" is being deleted", name);
      api->object_release(claim);
      return 1;
    }
    volume = api->object_string(claim, "spec.volumeName");
    if ((volume == NULL || volume[0] == '\0') &&
        !delayed(api, ctx, classes, claim))
      unbound = 1;
    api->object_release(claim);
  }
  if (unbound)
    snprintf(msg, len, "pod has unbound immediate PersistentVolumeClaims");
  return unbound;
}
