/*
 * status - a StatefulSet's status. See status.h.
 */
#include "status.h"

#include "view.h"

#include <stdio.h>
#include <string.h>

static void count_pod(struct sts *s, const struct sts_pod *p) {
  const struct cplane_host_api *api = s->api;
  const char *phase = api->object_string(p->o, "status.phase");

  if (phase != NULL && phase[0] != '\0')
    s->st.replicas++;
  if (sts_pod_ready(api, p->o)) {
    s->st.ready++;
    if (sts_pod_available(s, p->o, &s->requeue_ms))
      s->st.available++;
  }
  if (phase == NULL || phase[0] == '\0' ||
      api->object_deletion_timestamp(p->o) != NULL)
    return;
  if (strcmp(p->rev, s->st.current_rev) == 0)
    s->st.current++;
  if (strcmp(p->rev, s->st.update_rev) == 0)
    s->st.updated++;
}

void sts_count(struct sts *s) {
  const struct cplane_host_api *api = s->api;
  size_t i;

  s->st.observed = api->object_generation(s->o);
  snprintf(s->st.current_rev, sizeof s->st.current_rev, "%s",
           s->current != NULL ? api->object_name(s->current) : "");
  snprintf(s->st.update_rev, sizeof s->st.update_rev, "%s",
           s->update != NULL ? api->object_name(s->update) : "");
  for (i = 0; i < (size_t)s->replicas; i++)
    if (s->replicas_v[i].o != NULL)
      count_pod(s, &s->replicas_v[i]);
  for (i = 0; i < s->n_condemned; i++)
    count_pod(s, &s->condemned[i]);
}

static int64_t int_at(const struct cplane_host_api *api, const cplane_object *o,
                      const char *path) {
  int64_t v = 0;

  api->object_int(o, path, &v);
  return v;
}

static int same_string(const struct cplane_host_api *api,
                       const cplane_object *o, const char *path,
                       const char *want) {
  const char *v = api->object_string(o, path);

  return strcmp(v != NULL ? v : "", want) == 0;
}

/* 1 when the stored status already says what st says. */
static int unchanged(const struct sts *s) {
  const struct cplane_host_api *api = s->api;
  const cplane_object *o = s->o;

  return int_at(api, o, "status.observedGeneration") == s->st.observed &&
         int_at(api, o, "status.replicas") == s->st.replicas &&
         int_at(api, o, "status.readyReplicas") == s->st.ready &&
         int_at(api, o, "status.currentReplicas") == s->st.current &&
         int_at(api, o, "status.updatedReplicas") == s->st.updated &&
         int_at(api, o, "status.availableReplicas") == s->st.available &&
         int_at(api, o, "status.collisionCount") == s->st.collisions &&
         api->object_type(o, "status.collisionCount") != CPLANE_ENOENT &&
         same_string(api, o, "status.currentRevision", s->st.current_rev) &&
         same_string(api, o, "status.updateRevision", s->st.update_rev);
}

/* Sends a status merge patch (owned here). */
static int send_status(struct sts *s, char *patch) {
  const struct cplane_host_api *api = s->api;
  char *msg = NULL;
  int code;

  if (patch == NULL)
    return -1;
  code = api->patch_subresource(s->ctx, &sts_resources[STS_SETS], s->ns,
                                s->name, "status", CPLANE_PATCH_MERGE, patch,
                                NULL, &msg);
  api->free(patch);
  if (code != 200)
    api->log(s->ctx, code == 409 ? CPLANE_LOG_DEBUG : CPLANE_LOG_WARN,
             "%s: writing status: %d %s", s->key, code, msg != NULL ? msg : "");
  api->free(msg);
  return code == 200 || code == 404 ? 0 : -1;
}

int sts_write_collisions(struct sts *s) {
  if (int_at(s->api, s->o, "status.collisionCount") == s->st.collisions)
    return 0;
  return send_status(s, s->api->json_format("{'status':{'collisionCount':%lld}}",
                                            (long long)s->st.collisions));
}

int sts_write_status(struct sts *s) {
  const struct cplane_host_api *api = s->api;

  if (!s->on_delete && s->st.updated == s->replicas &&
      s->st.ready == s->replicas && s->st.replicas == s->replicas) {
    s->st.current = s->st.updated;
    snprintf(s->st.current_rev, sizeof s->st.current_rev, "%s",
             s->st.update_rev);
  }
  if (unchanged(s))
    return 0;
  return send_status(
      s, api->json_format(
             "{'status':{'observedGeneration':%lld,'replicas':%lld,"
             "'readyReplicas':%lld,'currentReplicas':%lld,"
             "'updatedReplicas':%lld,'availableReplicas':%lld,"
             "'currentRevision':%s,'updateRevision':%s,'collisionCount':%lld}}",
             (long long)s->st.observed, (long long)s->st.replicas,
             (long long)s->st.ready, (long long)s->st.current,
             (long long)s->st.updated, (long long)s->st.available,
             s->st.current_rev, s->st.update_rev, (long long)s->st.collisions));
}
