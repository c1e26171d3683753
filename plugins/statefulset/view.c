/*
 * view - what one reconcile of a StatefulSet loads. See view.h.
 */
#include "view.h"

#include "identity.h"

#include <stdlib.h>
#include <string.h>

static int64_t int_or(const struct cplane_host_api *api, const cplane_object *o,
                      const char *path, int64_t dflt) {
  int64_t v;

  return api->object_int(o, path, &v) == CPLANE_OK ? v : dflt;
}

static int string_is(const struct cplane_host_api *api, const cplane_object *o,
                     const char *path, const char *want) {
  const char *v = api->object_string(o, path);

  return v != NULL && strcmp(v, want) == 0;
}

/* maxUnavailable: an integer, or a percentage of replicas rounded down;
 * at least 1 (kube's getStatefulSetMaxUnavailable). -1 when unset. */
static int64_t max_unavailable(const struct cplane_host_api *api,
                               const cplane_object *o, int64_t replicas) {
  const char *path = "spec.updateStrategy.rollingUpdate.maxUnavailable";
  const char *pct = api->object_string(o, path);
  int64_t v = -1;
  char *end;

  if (pct != NULL) {
    long p = strtol(pct, &end, 10);

    if (end == pct || strcmp(end, "%") != 0 || p < 0 || p > 100)
      return -1;
    v = replicas * p / 100;
  } else if (api->object_int(o, path, &v) != CPLANE_OK) {
    return -1;
  }
  return v < 1 ? 1 : v;
}

static void settings(struct sts *s) {
  const struct cplane_host_api *api = s->api;
  const cplane_object *o = s->o;

  s->replicas = int_or(api, o, "spec.replicas", 1);
  if (s->replicas < 0 || s->replicas > INT32_MAX)
    s->replicas = 0;
  s->start = int_or(api, o, "spec.ordinals.start", 0);
  if (s->start < 0 || s->start > INT32_MAX - s->replicas)
    s->start = 0;
  s->partition =
      int_or(api, o, "spec.updateStrategy.rollingUpdate.partition", 0);
  s->min_ready = int_or(api, o, "spec.minReadySeconds", 0);
  if (s->min_ready < 0 || s->min_ready > 86400)
    s->min_ready = s->min_ready < 0 ? 0 : 86400;
  s->history = int_or(api, o, "spec.revisionHistoryLimit", 10);
  s->max_unavailable = max_unavailable(api, o, s->replicas);
  s->parallel = string_is(api, o, "spec.podManagementPolicy", "Parallel");
  s->on_delete = string_is(api, o, "spec.updateStrategy.type", "OnDelete");
  s->delete_when_deleted = string_is(
      api, o, "spec.persistentVolumeClaimRetentionPolicy.whenDeleted", "Delete");
  s->delete_when_scaled = string_is(
      api, o, "spec.persistentVolumeClaimRetentionPolicy.whenScaled", "Delete");
  s->st.collisions = int_or(api, o, "status.collisionCount", 0);
  s->now_ms = api->now_ms(s->ctx);
}

static int by_ordinal_desc(const void *a, const void *b) {
  const struct sts_pod *x = a, *y = b;

  return x->ord < y->ord ? 1 : x->ord > y->ord ? -1 : 0;
}

static int split_pods(struct sts *s) {
  const struct cplane_host_api *api = s->api;
  size_t i, n;

  if (api->cache_list_by_index(s->ctx, STS_PODS, "owner-uid", s->uid, NULL,
                               &s->pod_list) != CPLANE_OK)
    return -1;
  n = api->list_len(s->pod_list);
  s->replicas_v = calloc((size_t)s->replicas + 1, sizeof *s->replicas_v);
  s->condemned = calloc(n + 1, sizeof *s->condemned);
  if (s->replicas_v == NULL || s->condemned == NULL)
    return -1;
  for (i = 0; i < (size_t)s->replicas; i++)
    s->replicas_v[i].ord = s->start + (int64_t)i;
  for (i = 0; i < n; i++) {
    const cplane_object *pod = api->list_at(s->pod_list, i);
    int64_t ord = sts_ordinal(s->name, api->object_name(pod));
    const char *rev = api->object_label(pod, CPLANE_POD_REVISION_LABEL);
    struct sts_pod *slot;

    if (ord < 0 || !cplane_is_controlled_by(api, pod, s->uid))
      continue;
    if (ord >= s->start && ord < s->start + s->replicas)
      slot = &s->replicas_v[ord - s->start];
    else
      slot = &s->condemned[s->n_condemned++];
    slot->o = pod;
    slot->ord = ord;
    slot->rev = rev != NULL ? rev : "";
  }
  qsort(s->condemned, s->n_condemned, sizeof *s->condemned, by_ordinal_desc);
  return 0;
}

int sts_load(struct sts *s) {
  const struct cplane_host_api *api = s->api;

  s->key = api->object_key(s->o);
  s->ns = api->object_namespace(s->o);
  s->name = api->object_name(s->o);
  s->uid = api->object_uid(s->o);
  if (s->ns == NULL || s->name == NULL || s->uid == NULL)
    return -1;
  settings(s);
  if (api->cache_list_by_index(s->ctx, STS_REVISIONS, "owner-uid", s->uid,
                               NULL, &s->revs) != CPLANE_OK)
    return -1;
  return split_pods(s);
}

void sts_unload(struct sts *s) {
  const struct cplane_host_api *api = s->api;

  if (s->revs != NULL)
    api->list_free(s->revs);
  if (s->pod_list != NULL)
    api->list_free(s->pod_list);
  api->object_release(s->made[0]);
  api->object_release(s->made[1]);
  free(s->replicas_v);
  free(s->condemned);
}

int sts_pod_ready(const struct cplane_host_api *api, const cplane_object *pod) {
  const char *phase = api->object_string(pod, "status.phase");

  return phase != NULL && strcmp(phase, "Running") == 0 &&
         cplane_condition_is_true(api, pod, "status.conditions", "Ready");
}

int sts_pod_available(const struct sts *s, const cplane_object *pod,
                      uint32_t *wait_ms) {
  const struct cplane_host_api *api = s->api;
  int i = cplane_condition_find(api, pod, "status.conditions", "Ready");
  const char *since;
  int64_t t, left;

  if (!sts_pod_ready(api, pod))
    return 0;
  if (s->min_ready <= 0)
    return 1;
  since = cplane_array_string(api, pod, "status.conditions", i,
                              "lastTransitionTime");
  if (since == NULL || cplane_time_parse(since, &t) != CPLANE_OK)
    return 0;
  left = t + s->min_ready * 1000 - s->now_ms;
  if (left <= 0)
    return 1;
  if (wait_ms != NULL && (*wait_ms == 0 || (uint32_t)left < *wait_ms))
    *wait_ms = (uint32_t)left;
  return 0;
}

int sts_pod_healthy(const struct cplane_host_api *api,
                    const cplane_object *pod) {
  return sts_pod_ready(api, pod) && api->object_deletion_timestamp(pod) == NULL;
}
