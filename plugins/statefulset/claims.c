/*
 * claims - a StatefulSet's PersistentVolumeClaims. See claims.h.
 */
#include "claims.h"

#include "identity.h"
#include "podjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SELECTOR_KEYS 64

static const struct cplane_resource *claims = &sts_resources[STS_CLAIMS];

struct keys {
  char *v[MAX_SELECTOR_KEYS + 1];
  size_t n;
  int failed;
};

static int take_key(void *userdata, const char *key, const char *str) {
  struct keys *k = userdata;

  (void)str;
  if (k->n < MAX_SELECTOR_KEYS && (k->v[k->n] = strdup(key)) != NULL)
    k->n++;
  else
    k->failed = 1;
  return k->failed;
}

/* The claim's labels: the template's, then the selector's matchLabels
 * over them, as kube's getPersistentVolumeClaims. */
static char *claim_labels(const struct sts *s, const char *tmpl_labels) {
  const struct cplane_host_api *api = s->api;
  struct keys k = {{NULL}, 0, 0};
  char *own = NULL, *sel = NULL, *out = NULL;
  size_t i;

  api->object_foreach(s->o, "spec.selector.matchLabels", take_key, &k);
  if (k.failed)
    goto done;
  own = sts_members_except(api, s->o, tmpl_labels, (const char *const *)k.v);
  sel = sts_members_except(api, s->o, "spec.selector.matchLabels", NULL);
  if (own != NULL && sel != NULL) {
    size_t len = strlen(own) + strlen(sel) + 4;

    if ((out = api->alloc(len)) != NULL)
      snprintf(out, len, "{%s%s%s}", own, own[0] && sel[0] ? "," : "", sel);
  }
done:
  for (i = 0; i < k.n; i++)
    free(k.v[i]);
  api->free(own);
  api->free(sel);
  return out;
}

/* The body of claim `name` from volumeClaimTemplates[i]. */
static char *claim_json(const struct sts *s, int i, const char *name) {
  const struct cplane_host_api *api = s->api;
  char base[64], p[CPLANE_PATH_MAX], *labels, *ann, *spec, *ref = NULL;
  char *out = NULL;
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;

  snprintf(base, sizeof base, "spec.volumeClaimTemplates[%d]", i);
  snprintf(p, sizeof p, "%s.metadata.labels", base);
  labels = claim_labels(s, p);
  snprintf(p, sizeof p, "%s.metadata.annotations", base);
  ann = sts_members_except(api, s->o, p, NULL);
  snprintf(p, sizeof p, "%s.spec", base);
  spec = sts_members_except(api, s->o, p, NULL);
  if (s->delete_when_deleted)
    ref = cplane_controller_ref_json(api, s->o, "apps/v1", "StatefulSet");
  if (labels != NULL && ann != NULL && spec != NULL &&
      (!s->delete_when_deleted || ref != NULL)) {
    char *text;

    cplane_strbuf_addf(&b,
                       "{\"apiVersion\":\"v1\",\"kind\":"
                       "\"PersistentVolumeClaim\",\"metadata\":{\"name\":"
                       "\"%s\",\"namespace\":\"%s\",\"labels\":%s,"
                       "\"annotations\":{%s}%s%s%s},\"spec\":{%s}}",
                       name, s->ns, labels, ann,
                       ref != NULL ? ",\"ownerReferences\":[" : "",
                       ref != NULL ? ref : "", ref != NULL ? "]" : "", spec);
    if ((text = cplane_strbuf_finish(&b)) != NULL) {
      out = api->string_dup(text);
      free(text);
    }
  }
  api->free(labels);
  api->free(ann);
  api->free(spec);
  api->free(ref);
  return out;
}

/* Claim `name`'s cache key into key. */
static void claim_key(const struct sts *s, const char *name, char *key,
                      size_t len) {
  snprintf(key, len, "%s/%s", s->ns, name);
}

int sts_create_claims(struct sts *s, int64_t ord) {
  const struct cplane_host_api *api = s->api;
  int n = api->object_len(s->o, "spec.volumeClaimTemplates"), i;
  char name[512], key[800], pod[320];

  sts_pod_name(s->name, ord, pod, sizeof pod);
  for (i = 0; i < n; i++) {
    const char *t = cplane_array_string(api, s->o, "spec.volumeClaimTemplates",
                                        i, "metadata.name");
    const cplane_object *have = NULL;
    char *body, *msg = NULL;
    int code;

    if (t == NULL || sts_claim_name(t, s->name, ord, name, sizeof name) < 0)
      continue;
    claim_key(s, name, key, sizeof key);
    if (api->cache_get(s->ctx, STS_CLAIMS, key, &have) == CPLANE_OK) {
      api->object_release(have);
      continue;
    }
    if ((body = claim_json(s, i, name)) == NULL)
      return -1;
    code = api->create(s->ctx, claims, s->ns, body, NULL, &msg);
    api->free(body);
    if (code == 201)
      api->event_record(s->ctx, &sts_resources[STS_SETS], s->o, "Normal",
                        "SuccessfulCreate",
                        "create Claim %s Pod %s in StatefulSet %s success",
                        name, pod, s->name);
    else if (code != 409)
      api->event_record(s->ctx, &sts_resources[STS_SETS], s->o, "Warning",
                        "FailedCreate",
                        "create Claim %s for Pod %s in StatefulSet %s failed "
                        "error: %s",
                        name, pod, s->name, msg != NULL ? msg : "");
    api->free(msg);
    if (code != 201 && code != 409)
      return -1;
  }
  return 0;
}

int sts_claims_to_pod(struct sts *s, const cplane_object *pod, int64_t ord) {
  const struct cplane_host_api *api = s->api;
  int n = api->object_len(s->o, "spec.volumeClaimTemplates"), i, rc = 0;
  char *ref;

  if (!s->delete_when_scaled || n <= 0)
    return 0;
  if ((ref = cplane_controller_ref_json(api, pod, "v1", "Pod")) == NULL)
    return -1;
  for (i = 0; i < n; i++) {
    const char *t = cplane_array_string(api, s->o, "spec.volumeClaimTemplates",
                                        i, "metadata.name");
    const cplane_object *c = NULL;
    char name[512], key[800], *patch;
    int code;

    if (t == NULL || sts_claim_name(t, s->name, ord, name, sizeof name) < 0)
      continue;
    claim_key(s, name, key, sizeof key);
    if (api->cache_get(s->ctx, STS_CLAIMS, key, &c) != CPLANE_OK)
      continue;
    if (!cplane_is_controlled_by(api, c, api->object_uid(pod))) {
      /* The pod becomes the only owner we set: the set's reference, if
       * any, goes, as kube's updateClaimOwnerRefForSetAndPod. */
      patch = api->json_format("{'metadata':{'resourceVersion':%s,"
                               "'ownerReferences':[%j]}}",
                               api->object_resource_version(c), ref);
      code = patch != NULL ? api->patch(s->ctx, claims, s->ns, name,
                                        CPLANE_PATCH_MERGE, patch, NULL, NULL)
                           : -1;
      api->free(patch);
      if (code != 200)
        rc = -1;
    }
    api->object_release(c);
  }
  api->free(ref);
  return rc;
}
