/*
 * history - revisions and revision history. See history.h.
 */
#include "history.h"

#include "conditions.h"
#include "rswrite.h"
#include "view.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *dp_revision_history(const char *history, int64_t old_revision,
                          size_t limit) {
  char old[32], *out;
  const char *start = history != NULL ? history : "";
  size_t olen, total;

  snprintf(old, sizeof old, "%" PRId64, old_revision);
  olen = strlen(old);
  if (start[0] == '\0')
    return olen <= limit ? strdup(old) : NULL;
  /* Drop the oldest entries (and their commas) while it is too long. */
  total = strlen(start) + olen + 1;
  while (total > limit && start != NULL) {
    const char *comma = strchr(start, ',');

    total -= (comma != NULL ? (size_t)(comma - start) : strlen(start)) + 1;
    start = comma != NULL ? comma + 1 : NULL;
  }
  if (total > limit)
    return NULL;
  if (start == NULL) /* every old entry dropped */
    return strdup(old);
  if ((out = malloc(total + 1)) == NULL)
    return NULL;
  snprintf(out, total + 1, "%s,%s", start, old);
  return out;
}

int64_t dp_max_old_revision(struct deploy *d) {
  int64_t max = 0;
  size_t i;

  for (i = 0; i < d->n_rs; i++)
    if (!d->rs[i].is_new && d->rs[i].revision > max)
      max = d->rs[i].revision;
  return max;
}

/* Puts the Deployment's revision annotation in line with its new
 * ReplicaSet. A plain merge patch: setting one annotation to a value is
 * idempotent, so no resourceVersion is needed. */
static int sync_deployment_revision(struct deploy *d) {
  const struct cplane_host_api *api = d->api;
  const char *cur = api->object_annotation(d->o, ANN_REVISION);
  char rev[32], *patch, *msg = NULL;
  int code, rc = 0;

  if (d->new_rs == NULL)
    return 0;
  snprintf(rev, sizeof rev, "%" PRId64, d->new_rs->revision);
  if (cur != NULL && strcmp(cur, rev) == 0)
    return 0;
  patch = api->json_format("{'metadata':{'annotations':{%s:%s}}}", ANN_REVISION,
                           rev);
  if (patch == NULL)
    return -1;
  code = api->patch(d->ctx, &dp_resources[DP_DEPLOY], d->ns, d->name,
                    CPLANE_PATCH_MERGE, patch, &d->patched, &msg);
  if (code != 200) {
    rc = dp_write_failed(d, "setting the revision", code, msg);
  } else {
    api->free(msg);
    /* The status write below is guarded by this newer version. */
    if (d->patched != NULL)
      d->rv = api->object_resource_version(d->patched);
  }
  api->free(patch);
  return rc;
}

/* The existing new ReplicaSet gets the next revision when an older one is
 * higher (a rollback made an old template new again). */
int dp_sync_new_revision(struct deploy *d) {
  struct rsinfo *r = d->new_rs;
  int64_t want = dp_max_old_revision(d) + 1;
  struct condition *c;
  char msg[512];

  if (r == NULL)
    return 0;
  if (dp_rs_write(d, r, r->spec, r->revision < want ? want : r->revision) < 0)
    return -1;
  c = dp_cond_get(&d->next, COND_PROGRESSING);
  if (d->deadline > 0 && c == NULL) {
    snprintf(msg, sizeof msg, "Found new replica set \"%s\"", r->name);
    dp_cond_set(&d->next, COND_PROGRESSING, "True", "FoundNewReplicaSet", msg);
  }
  return sync_deployment_revision(d);
}

/* Deletes old ReplicaSets beyond revisionHistoryLimit, lowest revision
 * first, but only ones that are fully scaled down. */
int dp_cleanup(struct deploy *d) {
  const struct cplane_host_api *api = d->api;
  struct rsinfo **old;
  size_t n, i;
  int64_t diff;
  int oom, rc = 0;

  old = dp_rs_select(d, 1, 0, dp_cmp_rs_revision, &n, &oom);
  if (oom)
    return -1;
  diff = (int64_t)n - d->history;
  for (i = 0; diff > 0 && i < (size_t)diff; i++) {
    struct rsinfo *r = old[i];
    char *msg = NULL;
    int code;

    if (r->replicas != 0 || r->spec != 0 || r->gen > r->observed)
      continue;
    code = api->delete_object(d->ctx, &dp_resources[DP_RS], d->ns, r->name,
                              "{\"propagationPolicy\":\"Background\"}", &msg);
    if (code != 200 && code != 202 && code != 404) {
      rc = dp_write_failed(d, "deleting an old ReplicaSet", code, msg);
      continue;
    }
    api->free(msg);
    api->log(d->ctx, CPLANE_LOG_INFO,
             "%s: deleted old ReplicaSet %s (revision %" PRId64 ")", d->key,
             r->name, r->revision);
  }
  free(old);
  return rc;
}
