/*
 * revisions - a DaemonSet's ControllerRevisions. See revisions.h.
 */
#include "revisions.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REVS (&ds_resources[DS_REVISIONS])

char *ds_revision_data(const struct cplane_host_api *api,
                       const cplane_object *ds) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  char *tmpl;

  if (api->object_type(ds, "spec.template") != CPLANE_TYPE_OBJECT ||
      (tmpl = api->object_json(ds, "spec.template")) == NULL)
    return NULL;
  cplane_strbuf_add(&b, "{\"spec\":{\"template\":{\"$patch\":\"replace\"");
  if (strcmp(tmpl, "{}") != 0) {
    cplane_strbuf_add(&b, ",");
    cplane_strbuf_add(&b, tmpl + 1); /* its members and closing brace */
  } else {
    cplane_strbuf_add(&b, "}");
  }
  cplane_strbuf_add(&b, "}}");
  api->free(tmpl);
  return cplane_strbuf_finish(&b);
}

/* The highest revision of the revisions other than `cur`. */
static int64_t max_other(const struct cplane_host_api *api,
                         const cplane_object_list *revs,
                         const cplane_object *cur) {
  int64_t max = 0, r;
  size_t i;

  for (i = 0; i < api->list_len(revs); i++) {
    const cplane_object *rev = api->list_at(revs, i);

    if (rev != cur && api->object_int(rev, "revision", &r) == CPLANE_OK &&
        r > max)
      max = r;
  }
  return max;
}

static int write_failed(const struct cplane_host_api *api,
                        cplane_plugin_ctx *ctx, const cplane_object *ds,
                        const char *what, int code, char *msg) {
  api->log(ctx, CPLANE_LOG_WARN, "%s: %s failed: %d %s", api->object_key(ds),
           what, code, msg != NULL ? msg : "");
  api->free(msg);
  return -1;
}

/* Raises the current revision above the others (a rollback). */
static int raise_revision(const struct cplane_host_api *api,
                          cplane_plugin_ctx *ctx, const cplane_object *ds,
                          const cplane_object *cur, int64_t want) {
  char *patch = api->json_format("{'revision':%lld}", (long long)want);
  char *msg = NULL;
  int code;

  if (patch == NULL)
    return -1;
  code =
      api->patch(ctx, REVS, api->object_namespace(cur), api->object_name(cur),
                 CPLANE_PATCH_MERGE, patch, NULL, &msg);
  api->free(patch);
  if (code != 200)
    return write_failed(api, ctx, ds, "raising a revision", code, msg);
  return 0;
}

/* "labels": the template's and controller-revision-hash. */
static char *revision_labels(const struct cplane_host_api *api,
                             const cplane_object *ds, const char *hash) {
  char *tl = api->object_type(ds, "spec.template.metadata.labels") ==
                     CPLANE_TYPE_OBJECT
                 ? api->object_json(ds, "spec.template.metadata.labels")
                 : NULL;
  char *h = api->json_format("%s", hash), *out = NULL;
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;

  if (h == NULL)
    goto out;
  cplane_strbuf_add(&b, "{");
  /* The template's (a selector matches them), then the hash, which the
   * API server's JSON reader keeps as the last value of a repeated key. */
  if (tl != NULL && strcmp(tl, "{}") != 0) {
    cplane_strbuf_addn(&b, tl + 1, strlen(tl) - 2);
    cplane_strbuf_add(&b, ",");
  }
  cplane_strbuf_addf(&b, "\"%s\":%s}", CPLANE_POD_REVISION_LABEL, h);
  {
    char *text = cplane_strbuf_finish(&b);

    out = text != NULL ? api->string_dup(text) : NULL;
    free(text);
  }
out:
  api->free(tl);
  api->free(h);
  return out;
}

/* A name taken by other data: raise status.collisionCount so the next
 * hash differs (kube's snapshot). */
static int bump_collisions(const struct cplane_host_api *api,
                           cplane_plugin_ctx *ctx, const cplane_object *ds) {
  int64_t count = 0;
  char *patch, *msg = NULL;
  int code;

  api->object_int(ds, "status.collisionCount", &count);
  patch = api->json_format(
      "{'metadata':{'resourceVersion':%s},'status':{'collisionCount':%lld}}",
      api->object_resource_version(ds), (long long)count + 1);
  if (patch == NULL)
    return -1;
  code = api->patch_subresource(
      ctx, &ds_resources[DS_DAEMONSETS], api->object_namespace(ds),
      api->object_name(ds), "status", CPLANE_PATCH_MERGE, patch, NULL, &msg);
  api->free(patch);
  if (code != 200)
    return write_failed(api, ctx, ds, "raising collisionCount", code, msg);
  api->log(ctx, CPLANE_LOG_INFO,
           "%s: found a hash collision; collisionCount is now %lld",
           api->object_key(ds), (long long)count + 1);
  return 1;
}

/* 1 when rev's data is `data` (both compacted by the host's printer). */
static int same_data(const struct cplane_host_api *api,
                     const cplane_object *rev, const char *data) {
  const cplane_object *parsed = NULL;
  char *want = NULL, *have = NULL;
  int same = 0;

  if (api->object_parse(data, strlen(data), &parsed, NULL) != CPLANE_OK)
    return 0;
  want = api->object_json(parsed, "");
  have = api->object_json(rev, "data");
  same = want != NULL && have != NULL && strcmp(want, have) == 0;
  api->free(want);
  api->free(have);
  api->object_release(parsed);
  return same;
}

/* On 409: the name is ours already (same data: the cache is behind) or
 * someone else's (a collision). */
static int name_taken(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                      const cplane_object *ds, const char *name,
                      const char *data) {
  const cplane_object *have = NULL;
  int rc = 1;

  if (api->get(ctx, REVS, api->object_namespace(ds), name, &have, NULL) != 200)
    return 1; /* gone again: try anew */
  if (!cplane_is_controlled_by(api, have, api->object_uid(ds)) ||
      !same_data(api, have, data))
    rc = bump_collisions(api, ctx, ds);
  api->object_release(have);
  return rc;
}

static int create_revision(const struct cplane_host_api *api,
                           cplane_plugin_ctx *ctx, const cplane_object *ds,
                           const char *data, int64_t revision, char *hash,
                           size_t len) {
  char name[300], *labels = NULL, *ann = NULL, *ref = NULL, *body = NULL;
  char *msg = NULL;
  int32_t collisions = 0;
  int64_t cc = 0;
  int has_cc, code, rc = -1;

  has_cc = api->object_int(ds, "status.collisionCount", &cc) == CPLANE_OK;
  collisions = (int32_t)cc;
  cplane_revision_hash(data, strlen(data), has_cc ? &collisions : NULL, hash,
                       len);
  if (cplane_revision_name(api->object_name(ds), hash, name, sizeof name) !=
      CPLANE_OK)
    return -1;
  labels = revision_labels(api, ds, hash);
  ann = api->object_type(ds, "metadata.annotations") == CPLANE_TYPE_OBJECT
            ? api->object_json(ds, "metadata.annotations")
            : api->string_dup("{}");
  ref = cplane_controller_ref_json(api, ds, "apps/v1", "DaemonSet");
  if (labels == NULL || ann == NULL || ref == NULL)
    goto out;
  body = api->json_format(
      "{'apiVersion':'apps/v1','kind':'ControllerRevision','metadata':{"
      "'name':%s,'namespace':%s,'labels':%j,'annotations':%j,"
      "'ownerReferences':[%j]},'data':%j,'revision':%lld}",
      name, api->object_namespace(ds), labels, ann, ref, data,
      (long long)revision);
  if (body == NULL)
    goto out;
  code = api->create(ctx, REVS, api->object_namespace(ds), body, NULL, &msg);
  if (code == 201)
    rc = 0;
  else if (code == 409)
    rc = name_taken(api, ctx, ds, name, data);
  else {
    rc = write_failed(api, ctx, ds, "creating a ControllerRevision", code, msg);
    msg = NULL;
  }
out:
  api->free(msg);
  api->free(body);
  api->free(labels);
  api->free(ann);
  api->free(ref);
  return rc;
}

int ds_revisions_sync(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                      const cplane_object *ds, const cplane_object_list *revs,
                      char *hash, size_t len) {
  char *data = ds_revision_data(api, ds);
  const cplane_object *cur;
  const char *h;
  int64_t want, have = 0;
  int rc = 0;

  if (data == NULL)
    return -1;
  cur = cplane_revision_find_equal(api, revs, data);
  want = max_other(api, revs, cur) + 1;
  if (cur == NULL) {
    rc = create_revision(api, ctx, ds, data, want, hash, len);
    goto out;
  }
  h = api->object_label(cur, CPLANE_POD_REVISION_LABEL);
  snprintf(hash, len, "%s", h != NULL ? h : "");
  api->object_int(cur, "revision", &have);
  if (have < want)
    rc = raise_revision(api, ctx, ds, cur, want);
out:
  free(data);
  return rc;
}

static int cmp_revision(const void *a, const void *b) {
  int64_t x = ((const int64_t *)a)[0], y = ((const int64_t *)b)[0];

  return x < y ? -1 : x > y;
}

int ds_revisions_cleanup(const struct cplane_host_api *api,
                         cplane_plugin_ctx *ctx, const cplane_object *ds,
                         const cplane_object_list *revs, const char *cur_hash,
                         const struct cplane_sset *live) {
  size_t n = api->list_len(revs), i, n_old = 0;
  int64_t limit = 10, kill, (*old)[2];
  int rc = 0;

  api->object_int(ds, "spec.revisionHistoryLimit", &limit);
  if (limit < 0)
    limit = 0;
  if (n == 0 || (int64_t)n - 1 <= limit)
    return 0;
  if ((old = calloc(n, sizeof *old)) == NULL)
    return -1;
  for (i = 0; i < n; i++) {
    const cplane_object *r = api->list_at(revs, i);
    const char *h = api->object_label(r, CPLANE_POD_REVISION_LABEL);

    if (h != NULL && strcmp(h, cur_hash) == 0)
      continue;
    old[n_old][1] = (int64_t)i;
    api->object_int(r, "revision", &old[n_old][0]);
    n_old++;
  }
  qsort(old, n_old, sizeof *old, cmp_revision);
  /* kube's toKill: lowest revisions first, a live one skipped. */
  kill = (int64_t)n_old - limit;
  for (i = 0; i < n_old && kill > 0; i++) {
    const cplane_object *r = api->list_at(revs, (size_t)old[i][1]);
    const char *h = api->object_label(r, CPLANE_POD_REVISION_LABEL);
    char *msg = NULL;
    int code;

    if (h != NULL && cplane_sset_has(live, h))
      continue;
    code = api->delete_object(ctx, REVS, api->object_namespace(r),
                              api->object_name(r), NULL, &msg);
    if (code != 200 && code != 404)
      rc = write_failed(api, ctx, ds, "deleting an old ControllerRevision",
                        code, msg);
    else
      api->free(msg);
    kill--;
  }
  free(old);
  return rc;
}
