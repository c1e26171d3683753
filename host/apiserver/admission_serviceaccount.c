/*
 * admission_serviceaccount - see admission_serviceaccount.h.
 */
#include "apiserver/admission_serviceaccount.h"

#include <json-c/json.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "apiserver/admission.h"
#include "apiserver/nscache.h"
#include "apiserver/sa_mountable_secrets.h"
#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/refuse.h"
#include "apiserver/verbs.h"

#define MIRROR_ANNOTATION "kubernetes.io/config.mirror"
/* kube's serviceaccount.WarnOnlyBoundTokenExpirationSeconds. */
#define TOKEN_EXPIRATION_SECONDS 3607
/* getServiceAccount: "default" is looked up this many times. */
#define DEFAULT_ATTEMPTS 10
/* kube's goroutines may all wait for a "default" ServiceAccount; here a
 * waiting request holds one of the server's few workers, so only this
 * many wait at once and the rest are refused at once (their controllers
 * retry, as they do after kube's waits too). */
#define MAX_WAITING 4

static _Atomic int waiting;

/* What admission needs of a ServiceAccount. */
struct sa_info {
  int automount;           /* -1 unset, 0 false, 1 true */
  json_object *pull_secrets; /* owned; NULL: none */
  /* The ServiceAccount when it enforces mountable secrets
   * (sa_mountable_secrets.h), owned; NULL: it does not. */
  json_object *enforcing;
};

/* The cache holds automount + 1 (0 false, 1 true... shifted so that 0
 * is never "unset"); only ServiceAccounts without imagePullSecrets,
 * whose whole answer fits in that int. */
static int cache_key(char *buf, size_t len, const char *ns, const char *name) {
  return snprintf(buf, len, "%s/%s", ns, name) < (int)len;
}

/* 1 found (into *out), 0 not there, -1 store failure (rc in *rc). */
static int read_sa(struct cp_api_ctx *ctx, const char *ns, const char *name,
                   struct sa_info *out, int *rc) {
  const struct cp_resource_type *t =
      cp_resources_find(ctx->resources, "", "v1", "serviceaccounts");
  char *key = t != NULL ? cp_api_key(t, ns, name) : NULL;
  cp_store_kv kv;
  json_object *o, *ps;

  if (key == NULL) {
    *rc = CPLANE_ENOMEM;
    return -1;
  }
  memset(&kv, 0, sizeof kv);
  *rc = cp_store_get(ctx->store, key, strlen(key), 0, &kv, NULL);
  free(key);
  if (*rc == CPLANE_ENOENT)
    return 0;
  if (*rc != CPLANE_OK)
    return -1;
  o = cp_api_parse_stored(NULL, &kv);
  cp_store_kv_free(&kv);
  out->automount = -1;
  out->pull_secrets = NULL;
  out->enforcing = cp_sa_enforces_mountable(o) ? json_object_get(o) : NULL;
  if (json_object_is_type(get(o, "automountServiceAccountToken"),
                          json_type_boolean))
    out->automount =
        json_object_get_boolean(get(o, "automountServiceAccountToken"));
  ps = cp_field_typed(o, "imagePullSecrets", json_type_array);
  if (ps != NULL && json_object_array_length(ps) > 0)
    out->pull_secrets = json_object_get(ps);
  json_object_put(o);
  return 1;
}

/* kube's getServiceAccount: the cache, else the store (several times for
 * "default", which the controller is about to create). */
static int find_sa(struct cp_api_ctx *ctx, const char *ns, const char *name,
                   struct sa_info *out, int *rc) {
  char key[384];
  int cached, attempts, i, found = 0;
  uint64_t epoch = 0;
  unsigned char r;

  if (ctx->sa_cache != NULL && cache_key(key, sizeof key, ns, name)) {
    if (cp_ns_cache_get(ctx->sa_cache, key, &cached)) {
      out->automount = cached - 1;
      out->pull_secrets = NULL;
      out->enforcing = NULL;
      return 1;
    }
    epoch = cp_ns_cache_epoch(ctx->sa_cache);
  }
  attempts = strcmp(name, CP_SA_DEFAULT_NAME) == 0 ? DEFAULT_ATTEMPTS : 1;
  for (i = 0; i < attempts; i++) {
    if (i > 0) {
      struct timespec ts = {0, 100000000L};

      if (atomic_fetch_add(&waiting, 1) >= MAX_WAITING) {
        atomic_fetch_sub(&waiting, 1);
        break;
      }
      if (getrandom(&r, 1, 0) == 1)
        ts.tv_nsec += (long)(r % 100) * 1000000L;
      nanosleep(&ts, NULL);
      atomic_fetch_sub(&waiting, 1);
    }
    if ((found = read_sa(ctx, ns, name, out, rc)) != 0)
      break;
  }
  if (found == 1 && out->pull_secrets == NULL && out->enforcing == NULL &&
      ctx->sa_cache != NULL &&
      cache_key(key, sizeof key, ns, name))
    cp_ns_cache_put(ctx->sa_cache, key, out->automount + 1, epoch);
  return found;
}

json_object *cp_sa_token_volume(const char *name) {
  json_object *v = json_object_new_object(), *proj = json_object_new_object();
  json_object *srcs = json_object_new_array(), *s;
  json_object *items, *item;

  json_object_object_add(v, "name", json_object_new_string(name));
  json_object_object_add(v, "projected", proj);
  json_object_object_add(proj, "sources", srcs);
  /* kube sets the default mode explicitly (kubernetes#104464). */
  json_object_object_add(proj, "defaultMode", json_object_new_int(420));
  s = json_object_new_object();
  item = json_object_new_object();
  json_object_object_add(item, "expirationSeconds",
                         json_object_new_int(TOKEN_EXPIRATION_SECONDS));
  json_object_object_add(item, "path", json_object_new_string("token"));
  json_object_object_add(s, "serviceAccountToken", item);
  json_object_array_add(srcs, s);
  s = json_object_new_object();
  item = json_object_new_object();
  json_object_object_add(item, "name",
                         json_object_new_string("kube-root-ca.crt"));
  items = json_object_new_array();
  json_object_array_add(items, json_tokener_parse("{\"key\":\"ca.crt\","
                                                  "\"path\":\"ca.crt\"}"));
  json_object_object_add(item, "items", items);
  json_object_object_add(s, "configMap", item);
  json_object_array_add(srcs, s);
  s = json_object_new_object();
  json_object_object_add(
      s, "downwardAPI",
      json_tokener_parse("{\"items\":[{\"fieldRef\":{\"apiVersion\":\"v1\","
                         "\"fieldPath\":\"metadata.namespace\"},"
                         "\"path\":\"namespace\"}]}"));
  json_object_array_add(srcs, s);
  return v;
}

/* Adds the mount to every container of list (spec.containers or
 * spec.initContainers) that has nothing at the token path; 1 when one
 * got it. */
static int mount_in(json_object *list, const char *vol) {
  size_t i, j, n;
  int added = 0;

  if (!json_object_is_type(list, json_type_array))
    return 0;
  n = json_object_array_length(list);
  for (i = 0; i < n; i++) {
    json_object *c = json_object_array_get_idx(list, i);
    json_object *vms = get(c, "volumeMounts"), *m;
    int taken = 0;

    if (!json_object_is_type(c, json_type_object))
      continue;
    if (vms != NULL && !json_object_is_type(vms, json_type_array))
      continue; /* validation reports it */
    for (j = 0; vms != NULL && j < json_object_array_length(vms); j++) {
      const char *p = get_str(json_object_array_get_idx(vms, j), "mountPath");

      if (p != NULL && strcmp(p, CP_SA_TOKEN_MOUNT_PATH) == 0)
        taken = 1;
    }
    if (taken)
      continue;
    if (vms == NULL) {
      vms = json_object_new_array();
      json_object_object_add(c, "volumeMounts", vms);
    }
    m = json_object_new_object();
    json_object_object_add(m, "name", json_object_new_string(vol));
    json_object_object_add(m, "readOnly", json_object_new_boolean(1));
    json_object_object_add(m, "mountPath",
                           json_object_new_string(CP_SA_TOKEN_MOUNT_PATH));
    json_object_array_add(vms, m);
    added = 1;
  }
  return added;
}

/* kube's shouldAutomount: the pod's word, then the ServiceAccount's,
 * else yes. */
static int should_automount(json_object *pod, int sa_automount) {
  json_object *p = cp_field_at(pod, "spec.automountServiceAccountToken");

  if (json_object_is_type(p, json_type_boolean))
    return json_object_get_boolean(p);
  return sa_automount != 0;
}

/* kube's mountServiceAccountToken: an existing kube-api-access-* volume
 * is reused, else a new one is added when some container mounts it. */
static void mount_token(json_object *pod, const char *suffix) {
  json_object *spec = cp_field_typed(pod, "spec", json_type_object);
  json_object *vols = get(spec, "volumes");
  char name[64] = "";
  int has = 0, needs;
  size_t i;

  if (spec == NULL ||
      (vols != NULL && !json_object_is_type(vols, json_type_array)))
    return;
  for (i = 0; vols != NULL && i < json_object_array_length(vols); i++) {
    const char *n = get_str(json_object_array_get_idx(vols, i), "name");

    if (n != NULL && strncmp(n, CP_SA_VOLUME_PREFIX,
                             strlen(CP_SA_VOLUME_PREFIX)) == 0 &&
        strlen(n) < sizeof name) {
      snprintf(name, sizeof name, "%s", n);
      has = 1;
      break;
    }
  }
  if (!has)
    snprintf(name, sizeof name, "%s%.5s", CP_SA_VOLUME_PREFIX, suffix);
  needs = mount_in(get(spec, "initContainers"), name);
  needs |= mount_in(get(spec, "containers"), name);
  if (has || !needs)
    return;
  if (vols == NULL) {
    vols = json_object_new_array();
    json_object_object_add(spec, "volumes", vols);
  }
  json_object_array_add(vols, cp_sa_token_volume(name));
}

void cp_sa_mount_token(json_object *pod, int sa_automount,
                       json_object *pull_secrets, const char *suffix) {
  json_object *ips = cp_field_at(pod, "spec.imagePullSecrets");
  size_t i;

  if (should_automount(pod, sa_automount))
    mount_token(pod, suffix);
  if (pull_secrets == NULL || (json_object_is_type(ips, json_type_array) &&
                               json_object_array_length(ips) > 0))
    return;
  /* Names only, as kube copies them. */
  ips = json_object_new_array();
  for (i = 0; i < json_object_array_length(pull_secrets); i++) {
    const char *n = get_str(json_object_array_get_idx(pull_secrets, i), "name");
    json_object *ref = json_object_new_object();

    json_object_object_add(ref, "name", json_object_new_string(n ? n : ""));
    json_object_array_add(ips, ref);
  }
  cp_field_set(pod, "spec.imagePullSecrets", ips);
}

/* Whether any of a container list's env or envFrom names a Secret. */
static int containers_use_secret(json_object *list) {
  size_t i, j;

  for (i = 0; json_object_is_type(list, json_type_array) &&
              i < json_object_array_length(list);
       i++) {
    json_object *c = json_object_array_get_idx(list, i);
    json_object *env = cp_field_typed(c, "env", json_type_array);
    json_object *from = cp_field_typed(c, "envFrom", json_type_array);

    for (j = 0; env != NULL && j < json_object_array_length(env); j++)
      if (cp_field_at(json_object_array_get_idx(env, j),
                      "valueFrom.secretKeyRef") != NULL)
        return 1;
    for (j = 0; from != NULL && j < json_object_array_length(from); j++)
      if (get(json_object_array_get_idx(from, j), "secretRef") != NULL)
        return 1;
  }
  return 0;
}

/* What kube's VisitPodSecretNames would visit: pull secrets, env, and
 * every volume source that names a Secret. */
static int pod_uses_secret(json_object *spec) {
  static const char *const vol_refs[] = {
      "secret",          "azureFile",        "cephfs.secretRef",
      "cinder.secretRef", "flexVolume.secretRef", "iscsi.secretRef",
      "rbd.secretRef",   "scaleIO.secretRef", "storageos.secretRef",
      "csi.nodePublishSecretRef", NULL};
  json_object *vols = cp_field_typed(spec, "volumes", json_type_array);
  json_object *ips = cp_field_typed(spec, "imagePullSecrets", json_type_array);
  size_t i, j, k;

  if (ips != NULL && json_object_array_length(ips) > 0)
    return 1;
  if (containers_use_secret(get(spec, "containers")) ||
      containers_use_secret(get(spec, "initContainers")) ||
      containers_use_secret(get(spec, "ephemeralContainers")))
    return 1;
  for (i = 0; vols != NULL && i < json_object_array_length(vols); i++) {
    json_object *v = json_object_array_get_idx(vols, i);
    json_object *srcs = cp_field_typed(v, "projected.sources", json_type_array);

    for (k = 0; vol_refs[k] != NULL; k++)
      if (cp_field_at(v, vol_refs[k]) != NULL)
        return 1;
    for (j = 0; srcs != NULL && j < json_object_array_length(srcs); j++)
      if (get(json_object_array_get_idx(srcs, j), "secret") != NULL)
        return 1;
  }
  return 0;
}

/* Whether a projected volume of spec carries a token. */
static int pod_projects_token(json_object *spec) {
  json_object *vols = cp_field_typed(spec, "volumes", json_type_array);
  size_t i, j;

  for (i = 0; vols != NULL && i < json_object_array_length(vols); i++) {
    json_object *srcs = cp_field_typed(json_object_array_get_idx(vols, i),
                                       "projected.sources", json_type_array);

    for (j = 0; srcs != NULL && j < json_object_array_length(srcs); j++)
      if (get(json_object_array_get_idx(srcs, j), "serviceAccountToken") !=
          NULL)
        return 1;
  }
  return 0;
}

/* kube's Validate for a mirror pod: 0, or -1 having refused it. */
static int mirror_pod(json_object *pod, struct cp_api_response *rs) {
  json_object *spec = get(pod, "spec");
  const char *sa = cp_field_str(pod, "spec.serviceAccountName");
  const char *why = NULL;

  if (sa != NULL && sa[0] != '\0')
    why = "a mirror pod may not reference service accounts";
  else if (pod_uses_secret(spec))
    why = "a mirror pod may not reference secrets";
  else if (pod_projects_token(spec))
    why = "a mirror pod may not use ServiceAccountToken volume projections";
  if (why == NULL)
    return 0;
  cp_strategy_forbidden(rs, "", "pods", cp_strategy_refused_name(pod), "%s", why);
  return -1;
}

int cp_admission_serviceaccount(const struct cp_strategy_write *w,
                                json_object *pod, struct cp_api_response *rs) {
  struct cp_api_ctx *ctx = w->ctx;
  const char *ns = w->rq != NULL ? w->rq->ns : NULL;
  const char *sa;
  struct sa_info info = {-1, NULL, NULL};
  char *why = NULL;
  char suffix[6];
  unsigned char r[5];
  int found, rc = CPLANE_OK, i;

  if (ctx == NULL || ns == NULL || w->op != CP_OP_CREATE ||
      w->subresource != NULL || (ctx->admission_off & CP_ADMISSION_OFF_SA))
    return 0;
  /* Read without creating: kube stores no empty annotations. */
  if (get(cp_field_typed(pod, "metadata.annotations", json_type_object),
          MIRROR_ANNOTATION) != NULL)
    return mirror_pod(pod, rs);
  sa = cp_field_str(pod, "spec.serviceAccountName");
  if (sa == NULL || sa[0] == '\0') {
    cp_field_set(pod, "spec.serviceAccountName",
                 json_object_new_string(CP_SA_DEFAULT_NAME));
    sa = CP_SA_DEFAULT_NAME;
  }
  found = find_sa(ctx, ns, sa, &info, &rc);
  if (found < 0) {
    cp_verbs_store_error(rs, rc);
    return -1;
  }
  if (found == 0) {
    cp_strategy_forbidden(rs, "", "pods", cp_strategy_refused_name(pod),
                          "error looking up service account %s/%s: "
                          "serviceaccount \"%s\" not found",
                          ns, sa, sa);
    return -1;
  }
  if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
    memset(r, (int)time(NULL), sizeof r);
  for (i = 0; i < 5; i++)
    suffix[i] = "bcdfghjklmnpqrstvwxz2456789"[r[i] % 27];
  suffix[5] = '\0';
  cp_sa_mount_token(pod, info.automount, info.pull_secrets, suffix);
  json_object_put(info.pull_secrets);
  /* kubernetes.io/enforce-mountable-secrets: only the Secrets the
   * ServiceAccount lists. */
  rc = info.enforcing != NULL
           ? cp_sa_limit_secret_references(info.enforcing, sa, pod, &why)
           : 0;
  if (rc < 0)
    cp_api_respond_status(rs, 500, NULL);
  else if (rc > 0)
    cp_strategy_forbidden(rs, "", "pods", cp_strategy_refused_name(pod),
                          "%s", why);
  free(why);
  json_object_put(info.enforcing);
  return rc == 0 ? 0 : -1;
}
