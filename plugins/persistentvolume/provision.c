/*
 * provision - the simulated dynamic provisioner. See provision.h.
 */
#include "provision.h"

#include <stdio.h>
#include <string.h>

static int is_true(const char *s) { return s != NULL && strcmp(s, "true") == 0; }

int pv_class_is_default(const struct cplane_host_api *api,
                        const cplane_object *sc) {
  return is_true(api->object_annotation(sc, PV_ANN_DEFAULT_CLASS)) ||
         is_true(api->object_annotation(sc, PV_ANN_DEFAULT_CLASS_BETA));
}

int pv_class_waits(const struct cplane_host_api *api, const cplane_object *sc) {
  const char *m = api->object_string(sc, "volumeBindingMode");

  return m != NULL && strcmp(m, "WaitForFirstConsumer") == 0;
}

int pv_class_simulated(const struct cplane_host_api *api,
                       const cplane_object *sc) {
  const char *p = api->object_string(sc, "provisioner");

  return p != NULL && strcmp(p, PV_PROVISIONER) == 0;
}

char *pv_default_class_json(const struct cplane_host_api *api) {
  return api->json_format(
      "{'apiVersion':'storage.k8s.io/v1','kind':'StorageClass','metadata':{"
      "'name':%s,'annotations':{%s:'true'}},'provisioner':%s,"
      "'reclaimPolicy':'Delete','volumeBindingMode':'WaitForFirstConsumer'}",
      PV_DEFAULT_CLASS_NAME, PV_ANN_DEFAULT_CLASS, PV_PROVISIONER);
}

int pv_provisioned_name(const struct cplane_host_api *api,
                        const cplane_object *claim, char *buf, size_t len) {
  const char *uid = api->object_uid(claim);
  int n;

  if (uid == NULL || uid[0] == '\0')
    return -1;
  n = snprintf(buf, len, "pvc-%s", uid);
  return n > 0 && (size_t)n < len ? 0 : -1;
}

/* nodeAffinity pinning the volume to node, as local provisioners do, so
 * that the pod and its volume stay together. */
static char *node_affinity(const struct cplane_host_api *api,
                           const char *node) {
  return api->json_format(
      "{'required':{'nodeSelectorTerms':[{'matchExpressions':[{'key':"
      "'kubernetes.io/hostname','operator':'In','values':[%s]}]}]}}",
      node);
}

#define VOLUME_FMT                                                         \
  "{'apiVersion':'v1','kind':'PersistentVolume','metadata':{'name':%s,"    \
  "'annotations':{%s:%s}},'spec':{'capacity':{'storage':%s},"              \
  "'accessModes':%j,'storageClassName':%s,"                                \
  "'persistentVolumeReclaimPolicy':%s,'volumeMode':%s,"                    \
  "'hostPath':{'path':%s,'type':''},"                                      \
  "'claimRef':{'kind':'PersistentVolumeClaim','apiVersion':'v1',"          \
  "'namespace':%s,'name':%s,'uid':%s}"

char *pv_provisioned_json(const struct cplane_host_api *api,
                          const cplane_object *claim, const cplane_object *sc,
                          const char *node) {
  const char *size = api->object_string(claim, "spec.resources.requests.storage");
  const char *policy = api->object_string(sc, "reclaimPolicy");
  const char *mode = api->object_string(claim, "spec.volumeMode");
  char name[300], path[400], *modes = NULL, *aff = NULL, *out = NULL;

  if (size == NULL || pv_provisioned_name(api, claim, name, sizeof name) < 0)
    return NULL;
  snprintf(path, sizeof path, "/var/lib/cplane/volumes/%s", name);
  modes = api->object_json(claim, "spec.accessModes");
  if (modes == NULL)
    goto out;
  if (node != NULL && node[0] != '\0' && (aff = node_affinity(api, node)) == NULL)
    goto out;
  /* nodeAffinity comes last so that one argument list serves both
   * forms (an unused trailing argument is harmless). */
  out = api->json_format(
      aff != NULL ? VOLUME_FMT ",'nodeAffinity':%j}}" : VOLUME_FMT "}}", name,
      PV_ANN_PROVISIONED_BY, PV_PROVISIONER, size, modes, api->object_name(sc),
      policy != NULL ? policy : "Delete", mode != NULL ? mode : "Filesystem",
      path, api->object_namespace(claim), api->object_name(claim),
      api->object_uid(claim), aff);
out:
  api->free(modes);
  api->free(aff);
  return out;
}
