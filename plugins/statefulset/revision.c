/*
 * revision - a StatefulSet's ControllerRevisions. See revision.h.
 */
#include "revision.h"

#include "podjson.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const struct cplane_resource *revisions = &sts_resources[STS_REVISIONS];

char *sts_revision_data(const struct cplane_host_api *api,
                        const cplane_object *set) {
  char *members = sts_members_except(api, set, "spec.template", NULL);
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  const cplane_object *check = NULL;
  char *text, *data = NULL;

  if (members == NULL)
    return NULL;
  /* The members are JSON text already (json_format's %j takes a whole
   * value, not members): spliced by hand, then parsed once to check. */
  cplane_strbuf_addf(&b, "{\"spec\":{\"template\":{\"$patch\":\"replace\"%s%s}}}",
                     members[0] ? "," : "", members);
  api->free(members);
  text = cplane_strbuf_finish(&b);
  if (text == NULL)
    return NULL;
  if (api->object_parse(text, strlen(text), &check, NULL) == CPLANE_OK) {
    api->object_release(check);
    data = api->string_dup(text);
  }
  free(text);
  return data;
}

static int64_t revision_of(const struct cplane_host_api *api,
                           const cplane_object *rev) {
  int64_t r = 0;

  api->object_int(rev, "revision", &r);
  return r;
}

/* Makes an existing equal revision the newest: kube's
 * UpdateControllerRevision after a rollback to an old template. */
static int renumber(struct sts *s, const cplane_object *rev, int64_t to) {
  const struct cplane_host_api *api = s->api;
  char *patch = api->json_format("{'metadata':{'resourceVersion':%s},"
                                 "'revision':%lld}",
                                 api->object_resource_version(rev),
                                 (long long)to);
  int code;

  if (patch == NULL)
    return -1;
  code = api->patch(s->ctx, revisions, s->ns, api->object_name(rev),
                    CPLANE_PATCH_MERGE, patch, &s->made[0], NULL);
  api->free(patch);
  if (code != 200)
    return code == 409 ? 1 : -1;
  s->update = s->made[0];
  return 0;
}

/* The body of a new revision named `name` holding data. */
static char *revision_json(struct sts *s, const char *name, const char *hash,
                           const char *data, int64_t number) {
  const struct cplane_host_api *api = s->api;
  static const char *const skip[] = {CPLANE_REVISION_HASH_LABEL, NULL};
  char *labels = sts_members_except(api, s->o, "spec.template.metadata.labels",
                                    skip);
  char *ref = cplane_controller_ref_json(api, s->o, "apps/v1", "StatefulSet");
  char *hash_label = api->json_format("%s", hash), *out = NULL;
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  char *text;

  if (labels != NULL && ref != NULL && hash_label != NULL) {
    cplane_strbuf_addf(&b,
                       "{\"apiVersion\":\"apps/v1\",\"kind\":"
                       "\"ControllerRevision\",\"metadata\":{\"name\":\"%s\","
                       "\"namespace\":\"%s\",\"labels\":{%s%s\"%s\":%s},"
                       "\"ownerReferences\":[%s]},\"data\":%s,"
                       "\"revision\":%" PRId64 "}",
                       name, s->ns, labels, labels[0] ? "," : "",
                       CPLANE_REVISION_HASH_LABEL, hash_label, ref, data,
                       number);
    if ((text = cplane_strbuf_finish(&b)) != NULL) {
      out = api->string_dup(text);
      free(text);
    }
  }
  api->free(labels);
  api->free(ref);
  api->free(hash_label);
  return out;
}

/* Creates the update revision; on a name taken by other data, counts the
 * collision in status so that the next try hashes to another name. */
static int create(struct sts *s, const char *data, int64_t number) {
  const struct cplane_host_api *api = s->api;
  int32_t cc = (int32_t)s->st.collisions;
  char hash[16], name[300], *body, *msg = NULL;
  const cplane_object *have = NULL;
  int code, rc = -1;

  cplane_revision_hash(data, strlen(data), &cc, hash, sizeof hash);
  if (cplane_revision_name(s->name, hash, name, sizeof name) != CPLANE_OK ||
      (body = revision_json(s, name, hash, data, number)) == NULL)
    return -1;
  code = api->create(s->ctx, revisions, s->ns, body, &s->made[0], &msg);
  api->free(body);
  if (code == 201) {
    s->update = s->made[0];
    rc = 0;
  } else if (code == 409 &&
             api->get(s->ctx, revisions, s->ns, name, &have, NULL) == 200) {
    char *have_data = api->object_json(have, "data");
    const cplane_object *want = NULL;
    char *want_data = NULL;

    if (api->object_parse(data, strlen(data), &want, NULL) == CPLANE_OK)
      want_data = api->object_json(want, "");
    if (have_data != NULL && want_data != NULL &&
        strcmp(have_data, want_data) == 0 &&
        cplane_is_controlled_by(api, have, s->uid)) {
      s->made[0] = have; /* ours; the cache had not shown it yet */
      s->update = have;
      have = NULL;
      rc = 0;
    } else {
      s->st.collisions++;
      rc = 1;
    }
    api->free(have_data);
    api->free(want_data);
    api->object_release(want);
  } else {
    api->log(s->ctx, CPLANE_LOG_WARN, "%s: creating revision %s: %d %s",
             s->key, name, code, msg != NULL ? msg : "");
  }
  api->object_release(have);
  api->free(msg);
  return rc;
}

int sts_sync_revisions(struct sts *s) {
  const struct cplane_host_api *api = s->api;
  const char *cur = api->object_string(s->o, "status.currentRevision");
  char *data = sts_revision_data(api, s->o);
  const cplane_object *eq;
  int64_t max;
  size_t i, n;
  int rc = 0;

  if (data == NULL)
    return -1;
  max = cplane_revision_max(api, s->revs);
  eq = cplane_revision_find_equal(api, s->revs, data);
  if (eq != NULL && revision_of(api, eq) < max)
    rc = renumber(s, eq, max + 1);
  else if (eq != NULL)
    s->update = eq;
  else
    rc = create(s, data, max + 1);
  api->free(data);
  if (rc != 0)
    return rc;
  n = api->list_len(s->revs);
  for (i = 0; cur != NULL && i < n; i++)
    if (strcmp(api->object_name(api->list_at(s->revs, i)), cur) == 0)
      s->current = api->list_at(s->revs, i);
  if (s->current == NULL)
    s->current = s->update;
  return 0;
}

/* 1 when revision `name` is in use: current, update or a pod's. */
static int live(const struct sts *s, const char *name) {
  const struct cplane_host_api *api = s->api;
  size_t i, n = api->list_len(s->pod_list);

  if (strcmp(name, api->object_name(s->current)) == 0 ||
      strcmp(name, api->object_name(s->update)) == 0)
    return 1;
  for (i = 0; i < n; i++) {
    const char *r = api->object_label(api->list_at(s->pod_list, i),
                                      CPLANE_POD_REVISION_LABEL);
    if (r != NULL && strcmp(r, name) == 0)
      return 1;
  }
  return 0;
}

struct numbered {
  const cplane_object *rev;
  int64_t number;
};

static int by_number(const void *a, const void *b) {
  const struct numbered *x = a, *y = b;

  return x->number < y->number ? -1 : x->number > y->number;
}

int sts_truncate_history(struct sts *s) {
  const struct cplane_host_api *api = s->api;
  size_t i, n = api->list_len(s->revs), k = 0;
  struct numbered *old;
  int rc = 0;

  if (n == 0)
    return 0;
  if ((old = calloc(n, sizeof *old)) == NULL)
    return -1;
  for (i = 0; i < n; i++) {
    const cplane_object *r = api->list_at(s->revs, i);

    if (cplane_is_controlled_by(api, r, s->uid) && !live(s, api->object_name(r)))
      old[k++] = (struct numbered){r, revision_of(api, r)};
  }
  qsort(old, k, sizeof *old, by_number);
  for (i = 0; (int64_t)(k - i) > s->history; i++) {
    int code = api->delete_object(s->ctx, revisions, s->ns,
                                  api->object_name(old[i].rev), NULL, NULL);

    if (code != 200 && code != 202 && code != 404)
      rc = -1;
  }
  free(old);
  return rc;
}
