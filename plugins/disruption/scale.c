/*
 * scale - expected pods from the controllers' scale. See scale.h.
 */
#include "scale.h"

#include "dis.h"

#include <stdio.h>
#include <string.h>

/* The controller reference of obj: index of the ownerReference with
 * controller true, or -1. */
static int controller_ref(const struct cplane_host_api *api,
                          const cplane_object *obj) {
  int n = api->object_len(obj, "metadata.ownerReferences"), i;
  char path[80];

  for (i = 0; i < n && i < 64; i++) {
    int ctl = 0;

    snprintf(path, sizeof path, "metadata.ownerReferences[%d].controller", i);
    if (api->object_bool(obj, path, &ctl) == CPLANE_OK && ctl)
      return i;
  }
  return -1;
}

static const char *ref_field(const struct cplane_host_api *api,
                             const cplane_object *obj, int i, const char *f) {
  return cplane_array_string(api, obj, "metadata.ownerReferences", i, f);
}

/* The cached controller `res` ns/name with uid, or NULL. Owned. */
static const cplane_object *cached(const struct cplane_host_api *api,
                                   cplane_plugin_ctx *ctx, uint32_t res,
                                   const char *ns, const char *name,
                                   const char *uid) {
  const cplane_object *o = NULL;
  char key[512];
  const char *have;

  snprintf(key, sizeof key, "%s/%s", ns, name);
  if (api->cache_get(ctx, res, key, &o) != CPLANE_OK)
    return NULL;
  have = api->object_uid(o);
  if (uid != NULL && (have == NULL || strcmp(have, uid) != 0)) {
    api->object_release(o); /* a newer object of the same name */
    return NULL;
  }
  return o;
}

/* spec.replicas of obj (kube defaults it to 1). */
static int64_t replicas(const struct cplane_host_api *api,
                        const cplane_object *obj, const char *path) {
  int64_t r = 1;

  api->object_int(obj, path, &r);
  return r;
}

/* The plural resource of kind in group/version with a scale subresource,
 * from discovery, into buf. 0, or -1. */
static int scale_resource(const struct cplane_host_api *api,
                          cplane_plugin_ctx *ctx, const char *api_version,
                          const char *kind, char *buf, size_t len) {
  char path[300], *body = NULL, want[300];
  const cplane_object *doc = NULL;
  size_t blen = 0;
  int rc = -1, code, n, i;

  snprintf(path, sizeof path, "%s%s",
           strchr(api_version, '/') ? "/apis/" : "/api/", api_version);
  code = api->request(ctx, "GET", path, NULL, &body, &blen);
  if (code != 200 || body == NULL ||
      api->object_parse(body, blen, &doc, NULL) != CPLANE_OK)
    goto out;
  n = api->object_len(doc, "resources");
  for (i = 0; i < n && i < 4096; i++) {
    const char *name = cplane_array_string(api, doc, "resources", i, "name");
    const char *k = cplane_array_string(api, doc, "resources", i, "kind");

    if (name == NULL || k == NULL || strchr(name, '/') != NULL ||
        strcmp(k, kind) != 0)
      continue;
    snprintf(want, sizeof want, "%s/scale", name);
    if (cplane_array_find(api, doc, "resources", "name", want) >= 0 &&
        snprintf(buf, len, "%s", name) < (int)len)
      rc = 0;
    break;
  }
out:
  api->object_release(doc);
  api->free(body);
  return rc;
}

/* Any other controller: its scale subresource's spec.replicas. 0, or -1
 * (no scale subresource, or not found). */
static int generic_scale(const struct cplane_host_api *api,
                         cplane_plugin_ctx *ctx, const char *api_version,
                         const char *kind, const char *ns, const char *name,
                         const char *uid, int64_t *out) {
  char res[256], path[900], *body = NULL;
  const cplane_object *scale = NULL;
  const char *have;
  size_t blen = 0;
  int rc = -1;

  if (api_version == NULL || kind == NULL ||
      scale_resource(api, ctx, api_version, kind, res, sizeof res) != 0)
    return -1;
  snprintf(path, sizeof path, "%s%s/namespaces/%s/%s/%s/scale",
           strchr(api_version, '/') ? "/apis/" : "/api/", api_version, ns, res,
           name);
  if (api->request(ctx, "GET", path, NULL, &body, &blen) == 200 &&
      body != NULL &&
      api->object_parse(body, blen, &scale, NULL) == CPLANE_OK) {
    have = api->object_uid(scale);
    if (uid == NULL || have == NULL || strcmp(have, uid) == 0) {
      *out = replicas(api, scale, "spec.replicas");
      rc = 0;
    }
  }
  api->object_release(scale);
  api->free(body);
  return rc;
}

/* The scale of the controller at ownerReferences[i] of pod, and the uid
 * it counts under (a Deployment's for its ReplicaSets), into *uid_out.
 * 0, or -1 when it cannot be found. */
static int controller_scale(const struct cplane_host_api *api,
                            cplane_plugin_ctx *ctx, const cplane_object *pod,
                            int i, int64_t *out, char *uid_out, size_t len) {
  const char *kind = ref_field(api, pod, i, "kind");
  const char *name = ref_field(api, pod, i, "name");
  const char *uid = ref_field(api, pod, i, "uid");
  const char *av = ref_field(api, pod, i, "apiVersion");
  const char *ns = api->object_namespace(pod);
  const cplane_object *o = NULL;
  int rc = -1;

  if (kind == NULL || name == NULL || ns == NULL)
    return -1;
  snprintf(uid_out, len, "%s", uid != NULL ? uid : "");
  if (strcmp(kind, "ReplicaSet") == 0 && av != NULL &&
      strcmp(av, "apps/v1") == 0) {
    int d;

    if ((o = cached(api, ctx, DIS_REPLICASETS, ns, name, uid)) == NULL)
      return -1;
    d = controller_ref(api, o);
    if (d >= 0 && (kind = ref_field(api, o, d, "kind")) != NULL &&
        strcmp(kind, "Deployment") == 0) {
      const cplane_object *dep =
          cached(api, ctx, DIS_DEPLOYMENTS, ns, ref_field(api, o, d, "name"),
                 ref_field(api, o, d, "uid"));

      if (dep != NULL) {
        *out = replicas(api, dep, "spec.replicas");
        snprintf(uid_out, len, "%s", api->object_uid(dep));
        rc = 0;
      }
      api->object_release(dep);
    } else {
      *out = replicas(api, o, "spec.replicas");
      rc = 0;
    }
  } else if (strcmp(kind, "StatefulSet") == 0 && av != NULL &&
             strcmp(av, "apps/v1") == 0) {
    if ((o = cached(api, ctx, DIS_STATEFULSETS, ns, name, uid)) != NULL) {
      *out = replicas(api, o, "spec.replicas");
      rc = 0;
    }
  } else if (strcmp(kind, "ReplicationController") == 0 && av != NULL &&
             strcmp(av, "v1") == 0) {
    if ((o = cached(api, ctx, DIS_RCS, ns, name, uid)) != NULL) {
      *out = replicas(api, o, "spec.replicas");
      rc = 0;
    }
  } else {
    rc = generic_scale(api, ctx, av, kind, ns, name, uid, out);
  }
  api->object_release(o);
  return rc;
}

int dis_expected_scale(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const cplane_object *const *pods,
                       size_t n, int64_t *expected, size_t *unmanaged,
                       char **why) {
  struct cplane_sset seen;
  size_t i;
  int rc = 0;

  *expected = 0;
  *unmanaged = 0;
  *why = NULL;
  if (cplane_sset_init(&seen) != 0) {
    *why = api->string_dup("out of memory");
    return -1;
  }
  for (i = 0; i < n && rc == 0; i++) {
    int ref = controller_ref(api, pods[i]);
    const char *uid;
    char counted[128];
    int64_t r = 0;

    if (ref < 0) {
      (*unmanaged)++;
      continue;
    }
    uid = ref_field(api, pods[i], ref, "uid");
    if (uid != NULL && cplane_sset_has(&seen, uid))
      continue; /* this pod's controller is counted */
    if (controller_scale(api, ctx, pods[i], ref, &r, counted, sizeof counted) !=
        0) {
      char msg[400];

      snprintf(msg, sizeof msg, "found no controllers for pod \"%s\"",
               api->object_name(pods[i]));
      *why = api->string_dup(msg); /* kube's words */
      rc = -1;
      break;
    }
    if (uid != NULL && cplane_sset_add(&seen, uid) < 0)
      rc = -1;
    /* A Deployment counts once for all its ReplicaSets. */
    if (counted[0] != '\0' && strcmp(counted, uid ? uid : "") != 0) {
      if (cplane_sset_has(&seen, counted))
        continue;
      if (cplane_sset_add(&seen, counted) < 0)
        rc = -1;
    }
    *expected += r;
  }
  cplane_sset_free(&seen);
  return rc;
}
