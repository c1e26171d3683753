/*
 * rswrite - the writes to ReplicaSets. See rswrite.h.
 */
#include "rswrite.h"

#include "conditions.h"
#include "history.h"
#include "podtemplate.h"
#include "strategy.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dp_write_failed(struct deploy *d, const char *what, int code, char *msg) {
  const struct cplane_host_api *api = d->api;

  /* A conflict is the normal price of a lagging cache: not worth a WARN. */
  api->log(d->ctx, code == 409 ? CPLANE_LOG_DEBUG : CPLANE_LOG_WARN,
           "%s: %s failed: %d %s", d->key, what, code, msg ? msg : "");
  api->free(msg);
  return -1;
}

/* The revision-history annotation r gets when its revision is replaced
 * by `revision` (owned: free()), or NULL when it keeps what it has. */
static char *new_history(const struct cplane_host_api *api,
                         const struct rsinfo *r, int64_t revision) {
  if (r->revision <= 0 || revision <= r->revision)
    return NULL;
  return dp_revision_history(
      api->object_annotation(r->o, ANN_REVISION_HISTORY), r->revision,
      REVISION_HISTORY_MAX_CHARS);
}

/* Sets a ReplicaSet's replicas, its desired/max-replicas annotations and,
 * when revision >= 0, its revision, in one patch guarded by the
 * resourceVersion it was read at; a revision replaced by a newer one is
 * kept in revision-history, as kube keeps it. Does nothing when all
 * already hold. */
int dp_rs_write(struct deploy *d, struct rsinfo *r, int64_t replicas,
                int64_t revision) {
  const struct cplane_host_api *api = d->api;
  int64_t max = d->replicas + d->surge;
  char *patch = NULL, *msg = NULL, *hist = NULL, rev[32], want[32], maxs[32];
  int code, rc = 0;

  if (revision < 0)
    revision = r->revision;
  if (r->spec == replicas && r->desired_ann == d->replicas &&
      r->max_ann == max && r->revision == revision)
    return 0;
  snprintf(rev, sizeof rev, "%" PRId64, revision);
  snprintf(want, sizeof want, "%" PRId64, d->replicas);
  snprintf(maxs, sizeof maxs, "%" PRId64, max);
  /* A ReplicaSet without a revision (not made by us) is not given "0". */
  if (revision > 0 && (hist = new_history(api, r, revision)) != NULL)
    patch = api->json_format(
        "{'metadata':{'resourceVersion':%s,'annotations':{%s:%s,%s:%s,"
        "%s:%s,%s:%s}},'spec':{'replicas':%lld}}",
        api->object_resource_version(r->o), ANN_REVISION, rev, ANN_DESIRED,
        want, ANN_MAX, maxs, ANN_REVISION_HISTORY, hist, (long long)replicas);
  else if (revision > 0)
    patch = api->json_format(
        "{'metadata':{'resourceVersion':%s,'annotations':{%s:%s,%s:%s,"
        "%s:%s}},'spec':{'replicas':%lld}}",
        api->object_resource_version(r->o), ANN_REVISION, rev, ANN_DESIRED,
        want, ANN_MAX, maxs, (long long)replicas);
  else
    patch = api->json_format(
        "{'metadata':{'resourceVersion':%s,'annotations':{%s:%s,%s:%s}},"
        "'spec':{'replicas':%lld}}",
        api->object_resource_version(r->o), ANN_DESIRED, want, ANN_MAX, maxs,
        (long long)replicas);
  if (patch == NULL) {
    rc = -1;
    goto out;
  }
  code = api->patch(d->ctx, &dp_resources[DP_RS], d->ns, r->name,
                    CPLANE_PATCH_MERGE, patch, NULL, &msg);
  if (code != 200) {
    rc = dp_write_failed(d, "updating a ReplicaSet", code, msg);
    goto out;
  }
  api->free(msg);
  if (r->spec != replicas)
    api->log(d->ctx, CPLANE_LOG_INFO,
             "%s: scaled ReplicaSet %s from %" PRId64 " to %" PRId64, d->key,
             r->name, r->spec, replicas);
  if (r->revision != revision)
    api->log(d->ctx, CPLANE_LOG_INFO, "%s: ReplicaSet %s is revision %s",
             d->key, r->name, rev);
  r->spec = replicas;
  r->revision = revision;
  r->desired_ann = d->replicas;
  r->max_ann = max;
out:
  free(hist);
  api->free(patch);
  return rc;
}

/* Why a create came back 409: our own ReplicaSet the cache has not shown
 * yet (wait), or someone else's with our name (count a collision, which
 * changes the hash). */
static int create_conflict(struct deploy *d, const char *name) {
  const struct cplane_host_api *api = d->api;
  char key[512];
  const cplane_object *o = NULL;
  char *t = NULL;
  int clash;

  snprintf(key, sizeof key, "%s/%s", d->ns, name);
  if (api->cache_get(d->ctx, DP_RS, key, &o) != CPLANE_OK)
    return 0; /* ours, most likely; the cache will tell */
  t = dp_template_of(api, o);
  clash = api->object_controller_uid(o) == NULL ||
          strcmp(api->object_controller_uid(o), d->uid) != 0 ||
          (t != NULL && strcmp(t, d->template) != 0);
  free(t);
  api->object_release(o);
  if (clash) {
    d->next.collisions++;
    api->log(d->ctx, CPLANE_LOG_WARN,
             "%s: ReplicaSet %s exists and is not ours: collision %" PRId64,
             d->key, name, d->next.collisions);
  }
  return clash;
}

/* Creates the ReplicaSet for the Deployment's template. Returns 0 when
 * made, 1 when the caller should wait and look again, -1 on failure. */
int dp_create_new_rs(struct deploy *d) {
  const struct cplane_host_api *api = d->api;
  char hash_json[32], name[320], rev[32], want[32], maxs[32];
  char *labels = NULL, *meta = NULL, *tmpl = NULL, *ml = NULL, *sel = NULL;
  char *body = NULL, *msg = NULL, *ref = NULL, text[600];
  int64_t replicas = dp_new_rs_replicas(d, 0);
  int code, rc = -1;

  snprintf(hash_json, sizeof hash_json, "\"%s\"", d->hash);
  snprintf(name, sizeof name, "%s-%s", d->name, d->hash);
  snprintf(rev, sizeof rev, "%" PRId64, dp_max_old_revision(d) + 1);
  snprintf(want, sizeof want, "%" PRId64, d->replicas);
  snprintf(maxs, sizeof maxs, "%" PRId64, d->replicas + d->surge);
  /* The template, selector and labels of the Deployment, each with
   * pod-template-hash added, so the ReplicaSets of two templates never
   * select each other's pods. */
  labels = dp_with_member(api, d->o, "spec.template.metadata.labels",
                          HASH_LABEL, hash_json);
  meta = dp_with_member(api, d->o, "spec.template.metadata", "labels", labels);
  tmpl = dp_with_member(api, d->o, "spec.template", "metadata", meta);
  ml = dp_with_member(api, d->o, "spec.selector.matchLabels", HASH_LABEL,
                      hash_json);
  sel = dp_with_member(api, d->o, "spec.selector", "matchLabels", ml);
  ref = cplane_controller_ref_json(api, d->o, "apps/v1", "Deployment");
  if (labels == NULL || meta == NULL || tmpl == NULL || ml == NULL ||
      sel == NULL || ref == NULL)
    goto out;
  body = api->json_format(
      "{'apiVersion':'apps/v1','kind':'ReplicaSet','metadata':{'name':%s,"
      "'namespace':%s,'labels':%j,'annotations':{%s:%s,%s:%s,%s:%s},"
      "'ownerReferences':[%j]},'spec':{'replicas':%lld,"
      "'minReadySeconds':%lld,'selector':%j,'template':%j}}",
      name, d->ns, labels, ANN_REVISION, rev, ANN_DESIRED, want, ANN_MAX, maxs,
      ref, (long long)replicas, (long long)d->min_ready, sel, tmpl);
  if (body == NULL)
    goto out;
  code = api->create(d->ctx, &dp_resources[DP_RS], d->ns, body, NULL, &msg);
  if (code == 409) {
    api->free(msg);
    msg = NULL;
    rc = 1;
    create_conflict(d, name);
    goto out;
  }
  if (code != 201) {
    dp_write_failed(d, "creating a ReplicaSet", code, msg);
    msg = NULL;
    goto out;
  }
  api->log(d->ctx, CPLANE_LOG_INFO,
           "%s: created ReplicaSet %s (revision %s, %lld replicas)", d->key,
           name, rev, (long long)replicas);
  if (d->deadline > 0) {
    snprintf(text, sizeof text, "Created new replica set \"%s\"", name);
    dp_cond_set(&d->next, COND_PROGRESSING, "True", "NewReplicaSetCreated",
                text);
  }
  rc = 0;
out:
  api->free(msg);
  api->free(body);
  api->free(ref);
  free(labels);
  free(meta);
  free(tmpl);
  free(ml);
  free(sel);
  return rc;
}
