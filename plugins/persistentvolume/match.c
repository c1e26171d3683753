/*
 * match - which PersistentVolume a claim may bind to. See match.h.
 */
#include "match.h"

#include <string.h>

static const char *or_empty(const char *s) { return s != NULL ? s : ""; }

const char *pv_claim_class(const struct cplane_host_api *api,
                           const cplane_object *claim) {
  return or_empty(api->object_string(claim, "spec.storageClassName"));
}

int pv_refers_to(const struct cplane_host_api *api, const cplane_object *pv,
                 const cplane_object *claim) {
  const char *ns = api->object_string(pv, "spec.claimRef.namespace");
  const char *name = api->object_string(pv, "spec.claimRef.name");
  const char *uid = api->object_string(pv, "spec.claimRef.uid");

  if (ns == NULL || name == NULL ||
      strcmp(ns, or_empty(api->object_namespace(claim))) != 0 ||
      strcmp(name, or_empty(api->object_name(claim))) != 0)
    return 0;
  return uid == NULL || uid[0] == '\0' ||
         strcmp(uid, or_empty(api->object_uid(claim))) == 0;
}

/* A quantity at path in bytes; -1 when absent or malformed. */
static int64_t bytes_at(const struct cplane_host_api *api,
                        const cplane_object *o, const char *path) {
  const char *s = api->object_string(o, path);
  int64_t v;

  if (s == NULL || cplane_quantity_parse_value(s, &v, NULL) != CPLANE_OK)
    return -1;
  return v;
}

/* 1 when every access mode the claim asks for is one the volume has. */
static int modes_cover(const struct cplane_host_api *api,
                       const cplane_object *pv, const cplane_object *claim) {
  int n = api->object_len(claim, "spec.accessModes"), i;

  for (i = 0; i < n; i++) {
    const char *m = cplane_array_string(api, claim, "spec.accessModes", i, "");

    if (m == NULL ||
        !cplane_string_array_contains(api, pv, "spec.accessModes", m))
      return 0;
  }
  return 1;
}

static const char *volume_mode(const struct cplane_host_api *api,
                               const cplane_object *o) {
  const char *m = api->object_string(o, "spec.volumeMode");

  return m != NULL ? m : "Filesystem";
}

/* 1 when the claim has no selector or its selector matches pv's labels. */
static int selector_matches(const struct cplane_host_api *api,
                            const cplane_object *pv,
                            const cplane_object *claim) {
  char *sel;
  int ok;

  if (api->object_type(claim, "spec.selector") != CPLANE_TYPE_OBJECT)
    return 1;
  if ((sel = api->label_selector_text(claim, "spec.selector")) == NULL)
    return 0; /* malformed: matches nothing, as kube's conversion fails */
  ok = api->object_labels_match(pv, sel) == 1;
  api->free(sel);
  return ok;
}

int pv_fits(const struct cplane_host_api *api, const cplane_object *pv,
            const cplane_object *claim) {
  const char *phase = api->object_string(pv, "status.phase");
  int64_t want = bytes_at(api, claim, "spec.resources.requests.storage");
  int64_t have = bytes_at(api, pv, "spec.capacity.storage");

  if (api->object_deletion_timestamp(pv) != NULL || want < 0 || have < want)
    return 0;
  if (api->object_type(pv, "spec.claimRef") == CPLANE_TYPE_OBJECT) {
    if (!pv_refers_to(api, pv, claim))
      return 0;
  } else if (phase != NULL &&
             (strcmp(phase, "Released") == 0 || strcmp(phase, "Failed") == 0)) {
    return 0;
  }
  return strcmp(or_empty(api->object_string(pv, "spec.storageClassName")),
                pv_claim_class(api, claim)) == 0 &&
         strcmp(volume_mode(api, pv), volume_mode(api, claim)) == 0 &&
         modes_cover(api, pv, claim) && selector_matches(api, pv, claim);
}

const cplane_object *pv_best_match(const struct cplane_host_api *api,
                                   const cplane_object_list *volumes,
                                   const cplane_object *claim) {
  const cplane_object *best = NULL;
  int64_t best_size = 0;
  size_t i, n = volumes != NULL ? api->list_len(volumes) : 0;

  for (i = 0; i < n; i++) {
    const cplane_object *pv = api->list_at(volumes, i);
    int64_t size;

    if (!pv_fits(api, pv, claim))
      continue;
    if (pv_refers_to(api, pv, claim))
      return pv; /* pre-bound to this claim: kube takes it first */
    size = bytes_at(api, pv, "spec.capacity.storage");
    if (best == NULL || size < best_size) {
      best = pv;
      best_size = size;
    }
  }
  return best;
}
