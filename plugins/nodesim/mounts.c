/*
 * mounts - the Secrets, ConfigMaps and PVCs a pod waits for. See
 * mounts.h.
 */
#include "mounts.h"

#include "work.h"

#include <stdio.h>
#include <string.h>

/* How a referenced object is: present (and Bound, for a PVC), missing,
 * or unknown (the server did not answer 200 or 404). */
enum found { FOUND, MISSING, UNBOUND, UNKNOWN };

static enum found look_up(const struct cplane_host_api *api,
                          cplane_plugin_ctx *ctx,
                          const struct cplane_resource *res, const char *ns,
                          const char *name) {
  const cplane_object *obj = NULL;
  enum found f = UNKNOWN;
  const char *phase;
  char key[320];
  int code;

  /* kube-root-ca.crt from the cache when it is there (a kubelet's
   * ConfigMap manager watches too); when it is not, the GET decides, so a
   * cache that lags behind never holds a pod back. */
  if (res == &nsim_configmap_res && strcmp(name, ROOT_CA_NAME) == 0 &&
      snprintf(key, sizeof key, "%s/%s", ns, name) < (int)sizeof key &&
      api->cache_get(ctx, NSIM_ROOT_CA, key, &obj) == CPLANE_OK) {
    api->object_release(obj);
    return FOUND;
  }
  code = api->get(ctx, res, ns, name, &obj, NULL);
  if (code == 404)
    return MISSING;
  if (code != 200 || obj == NULL)
    return UNKNOWN;
  f = FOUND;
  if (res == &nsim_pvc_res) {
    phase = api->object_string(obj, "status.phase");
    f = phase != NULL && strcmp(phase, "Bound") == 0 ? FOUND : UNBOUND;
  }
  api->object_release(obj);
  return f;
}

/* Whether the reference at `path` (a secret, configMap, secretRef...
 * object) is marked optional. */
static int optional(const struct cplane_host_api *api,
                    const cplane_object *pod, const char *path) {
  char p[CPLANE_PATH_MAX];
  int v = 0;

  if (snprintf(p, sizeof p, "%s.optional", path) >= (int)sizeof p)
    return 0;
  return api->object_bool(pod, p, &v) == CPLANE_OK && v;
}

/* A projected volume's ConfigMap and Secret sources, as the kubelet's
 * projected volume plugin sets them up: the first one missing (and not
 * optional) holds the pod, with the kubelet's message. (Its token and
 * downward API sources need nothing to exist: ServiceAccount admission
 * vouched for the ServiceAccount.) */
static enum found check_projected(const struct cplane_host_api *api,
                                  cplane_plugin_ctx *ctx,
                                  const cplane_object *pod, int i,
                                  const char *vol, struct nsim_block *b) {
  char base[CPLANE_PATH_MAX], p[CPLANE_PATH_MAX], pn[CPLANE_PATH_MAX];
  int n, j, k;

  if (snprintf(base, sizeof base, "spec.volumes[%d].projected.sources", i) >=
      (int)sizeof base)
    return FOUND;
  n = api->object_len(pod, base);
  for (j = 0; j < n; j++) {
    for (k = 0; k < 2; k++) {
      const struct cplane_resource *res =
          k ? &nsim_secret_res : &nsim_configmap_res;
      const char *name;
      enum found f;

      if (snprintf(p, sizeof p, "%s[%d].%s", base, j,
                   k ? "secret" : "configMap") >= (int)sizeof p ||
          snprintf(pn, sizeof pn, "%s.name", p) >= (int)sizeof pn ||
          (name = api->object_string(pod, pn)) == NULL ||
          optional(api, pod, p))
        continue;
      if ((f = look_up(api, ctx, res, api->object_namespace(pod), name)) ==
          FOUND)
        continue;
      if (f == UNKNOWN)
        return f;
      b->event_reason = "FailedMount";
      b->waiting_reason = "ContainerCreating";
      b->waiting_message[0] = '\0';
      snprintf(b->event_message, sizeof b->event_message,
               "MountVolume.SetUp failed for volume \"%s\" : %s \"%s\" not "
               "found",
               vol, k ? "secret" : "configmap", name);
      return f;
    }
  }
  return FOUND;
}

/* Looks up volume i (Secret, ConfigMap, PVC, or a projected volume's
 * Secrets and ConfigMaps). FOUND when it is none of those. */
static enum found check_volume(const struct cplane_host_api *api,
                               cplane_plugin_ctx *ctx,
                               const cplane_object *pod, int i,
                               struct nsim_block *b) {
  const char *ns = api->object_namespace(pod), *name, *kind = NULL;
  const char *vol = cplane_array_string(api, pod, "spec.volumes", i, "name");
  const struct cplane_resource *res = NULL;
  char p[CPLANE_PATH_MAX];
  enum found f;

  if (vol == NULL)
    return FOUND;
  if ((name = cplane_array_string(api, pod, "spec.volumes", i,
                                  "secret.secretName")) != NULL)
    res = &nsim_secret_res, kind = "secret";
  else if ((name = cplane_array_string(api, pod, "spec.volumes", i,
                                       "configMap.name")) != NULL)
    res = &nsim_configmap_res, kind = "configmap";
  else if ((name = cplane_array_string(api, pod, "spec.volumes", i,
                                       "persistentVolumeClaim.claimName")) !=
           NULL)
    res = &nsim_pvc_res;
  if (res == NULL)
    return check_projected(api, ctx, pod, i, vol, b);
  if (kind != NULL) {
    snprintf(p, sizeof p, "spec.volumes[%d].%s", i,
             res == &nsim_secret_res ? "secret" : "configMap");
    if (optional(api, pod, p))
      return FOUND;
  }
  if ((f = look_up(api, ctx, res, ns, name)) == FOUND || f == UNKNOWN)
    return f;
  b->event_reason = "FailedMount";
  b->waiting_reason = "ContainerCreating";
  b->waiting_message[0] = '\0';
  if (kind != NULL)
    snprintf(b->event_message, sizeof b->event_message,
             "MountVolume.SetUp failed for volume \"%s\" : %s \"%s\" not "
             "found",
             vol, kind, name);
  else
    snprintf(b->event_message, sizeof b->event_message,
             "Unable to attach or mount volumes: unmounted volumes=[%s], "
             "unattached volumes=[], failed to process volumes=[%s]: error "
             "processing PVC %s/%s: %s%s%s",
             vol, vol, ns, name,
             f == MISSING ? "failed to fetch PVC from API server: "
                            "persistentvolumeclaims \""
                          : "PVC is not bound",
             f == MISSING ? name : "", f == MISSING ? "\" not found" : "");
  return f;
}

/* Looks up the Secret or ConfigMap named at ref (a secretRef,
 * configMapRef, secretKeyRef or configMapKeyRef object), if there is one
 * and it is not optional. */
static enum found check_env_ref(const struct cplane_host_api *api,
                                cplane_plugin_ctx *ctx,
                                const cplane_object *pod, const char *ref,
                                int secret, struct nsim_block *b) {
  char p[CPLANE_PATH_MAX];
  const char *name;
  enum found f;

  if (snprintf(p, sizeof p, "%s.name", ref) >= (int)sizeof p ||
      (name = api->object_string(pod, p)) == NULL || optional(api, pod, ref))
    return FOUND;
  f = look_up(api, ctx, secret ? &nsim_secret_res : &nsim_configmap_res,
              api->object_namespace(pod), name);
  if (f != MISSING)
    return f;
  b->event_reason = "Failed";
  b->waiting_reason = "CreateContainerConfigError";
  snprintf(b->waiting_message, sizeof b->waiting_message,
           "%s \"%s\" not found", secret ? "secret" : "configmap", name);
  snprintf(b->event_message, sizeof b->event_message, "Error: %s",
           b->waiting_message);
  return f;
}

/* The env sources of the container at `c` ("spec.containers[0]"):
 * envFrom[].secretRef/configMapRef, env[].valueFrom.secretKeyRef/
 * configMapKeyRef. */
static enum found check_env(const struct cplane_host_api *api,
                            cplane_plugin_ctx *ctx, const cplane_object *pod,
                            const char *c, struct nsim_block *b) {
  static const char *const lists[] = {"envFrom", "env"};
  static const char *const refs[][2] = {{"secretRef", "configMapRef"},
                                        {"valueFrom.secretKeyRef",
                                         "valueFrom.configMapKeyRef"}};
  char list[CPLANE_PATH_MAX], ref[CPLANE_PATH_MAX];
  int l, j, n, k;
  enum found f;

  for (l = 0; l < 2; l++) {
    snprintf(list, sizeof list, "%s.%s", c, lists[l]);
    n = api->object_len(pod, list);
    for (j = 0; j < n && j < 1024; j++)
      for (k = 0; k < 2; k++) {
        if (cplane_element_path(ref, sizeof ref, list, j, refs[l][k]) != 0)
          continue;
        if ((f = check_env_ref(api, ctx, pod, ref, k == 0, b)) != FOUND)
          return f;
      }
  }
  return FOUND;
}

int nsim_pod_blocked(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                     const cplane_object *pod, struct nsim_block *b) {
  static const char *const kinds[] = {"spec.initContainers",
                                      "spec.containers"};
  int n = api->object_len(pod, "spec.volumes"), i, k;
  char c[64];
  enum found f;

  memset(b, 0, sizeof *b);
  /* Volumes first: the kubelet mounts them before creating containers. */
  for (i = 0; i < n && i < 1024; i++)
    if ((f = check_volume(api, ctx, pod, i, b)) != FOUND)
      return f == UNKNOWN ? -1 : 1;
  for (k = 0; k < 2; k++) {
    n = api->object_len(pod, kinds[k]);
    for (i = 0; i < n && i < 1024; i++) {
      snprintf(c, sizeof c, "%s[%d]", kinds[k], i);
      if ((f = check_env(api, ctx, pod, c, b)) != FOUND)
        return f == UNKNOWN ? -1 : 1;
    }
  }
  return 0;
}
