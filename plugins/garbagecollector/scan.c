/*
 * scan - discovery and listing of the kinds no cache holds. See scan.h.
 */
#include "scan.h"

#include "keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Groups read per discovery; kube-apiserver serves a few dozen. */
#define MAX_GROUPS 128
/* Kinds taken from one group version. */
#define MAX_PER_GV 64

/* GET path and parse the body. CPLANE_OK with *out owned, or an error. */
static int get_doc(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                   const char *path, const cplane_object **out) {
  char *body = NULL, *err = NULL;
  size_t len = 0;
  int code = api->request(ctx, "GET", path, NULL, &body, &len), rc;

  *out = NULL;
  if (code != 200 || body == NULL) {
    if (code != 404)
      api->log(ctx, CPLANE_LOG_WARN, "discovery: GET %s: %d", path, code);
    api->free(body);
    return CPLANE_EUNAVAILABLE;
  }
  rc = api->object_parse(body, len, out, &err);
  if (rc != CPLANE_OK)
    api->log(ctx, CPLANE_LOG_WARN, "discovery: GET %s: %s", path,
             err ? err : "not JSON");
  api->free(err);
  api->free(body);
  return rc;
}

/* Adds the kinds of one group version ("/api/v1" or "/apis/G/V"). */
static int add_group_version(const struct cplane_host_api *api,
                             cplane_plugin_ctx *ctx, struct gc_dyntable *t,
                             const char *path) {
  struct gc_found found[MAX_PER_GV];
  char group[GC_GROUP_MAX] = "", version[GC_VERSION_MAX];
  const cplane_object *doc = NULL;
  const char *gv = path + (strncmp(path, "/apis/", 6) == 0 ? 6 : 5);
  const char *slash = strchr(gv, '/');
  int n, i;

  if (slash != NULL) {
    if ((size_t)(slash - gv) >= sizeof group)
      return 0;
    memcpy(group, gv, (size_t)(slash - gv));
    group[slash - gv] = '\0';
    gv = slash + 1;
  }
  if (strlen(gv) >= sizeof version)
    return 0;
  strcpy(version, gv);
  if (get_doc(api, ctx, path, &doc) != CPLANE_OK)
    return -1;
  n = gc_discovery_resources(api, doc, group, version, found, MAX_PER_GV);
  for (i = 0; i < n; i++) {
    uint32_t before = gc_res_count(t);

    if (gc_dyn_add(t, &found[i]) < 0)
      api->log(ctx, CPLANE_LOG_WARN,
               "discovery: more than %d kinds; %s.%s is not covered",
               GC_DYN_MAX, found[i].resource, found[i].group);
    else if (gc_res_count(t) > before)
      api->log(ctx, CPLANE_LOG_INFO, "covering %s%s%s/%s (%s)",
               found[i].group, found[i].group[0] ? "/" : "", found[i].version,
               found[i].resource, found[i].kind);
  }
  api->object_release(doc);
  return 0;
}

int gc_discover(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                struct gc_dyntable *t, uint32_t discovery_ms,
                uint32_t *requeue_after_ms) {
  static char paths[MAX_GROUPS][256];
  const cplane_object *groups = NULL;
  uint32_t before = gc_res_count(t);
  int n, i, failed = 0;

  /* paths is static to keep 32 KB off the worker's stack; "discover"
   * never runs on two workers at once. */
  failed |= add_group_version(api, ctx, t, "/api/v1") != 0;
  if (get_doc(api, ctx, "/apis", &groups) != CPLANE_OK)
    return CPLANE_RECONCILE_RETRY;
  n = gc_discovery_groups(api, groups, paths, MAX_GROUPS);
  api->object_release(groups);
  for (i = 0; i < n; i++)
    failed |= add_group_version(api, ctx, t, paths[i]) != 0;
  if (gc_res_count(t) > before)
    api->enqueue(ctx, "scan"); /* cover the new kinds now */
  if (failed)
    return CPLANE_RECONCILE_RETRY;
  *requeue_after_ms = discovery_ms;
  return CPLANE_RECONCILE_REQUEUE_AFTER;
}

static void enqueue_key(const struct cplane_host_api *api,
                        cplane_plugin_ctx *ctx, const char *what, uint32_t res,
                        const cplane_object *o) {
  char key[GC_KEY_MAX];

  if (gc_key_format(key, sizeof key, what, res, api->object_key(o)) == 0)
    api->enqueue(ctx, key);
}

/* Indexes a list by uid (values borrowed from the list). */
static int by_uid(const struct cplane_host_api *api, cplane_object_list *list,
                  struct cplane_smap *m) {
  size_t i, n = list != NULL ? api->list_len(list) : 0;

  for (i = 0; i < n; i++) {
    const cplane_object *o = api->list_at(list, i);
    const char *uid = api->object_uid(o);

    if (uid != NULL && cplane_smap_put(m, uid, (void *)o, NULL) != 0)
      return -1;
  }
  return 0;
}

/* Context for went_between. */
struct went {
  const struct cplane_host_api *api;
  cplane_plugin_ctx *ctx;
  const struct cplane_smap *was, *is;
};

/* A uid read from the server, in neither list: it went between them. */
static void went_between(void *arg, const char *uid, void *val) {
  const struct went *w = arg;
  char key[GC_KEY_MAX];

  (void)val;
  if (cplane_smap_has(w->was, uid) || cplane_smap_has(w->is, uid))
    return;
  snprintf(key, sizeof key, "gone/%s", uid);
  w->api->enqueue(w->ctx, key);
}

int gc_scan_diff(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                 uint32_t res, cplane_object_list *old,
                 cplane_object_list *cur, const struct cplane_sset *seen) {
  struct cplane_smap was, is;
  size_t i, n;
  int rc = -1;

  if (cplane_smap_init(&was) != 0)
    return -1;
  if (cplane_smap_init(&is) != 0) {
    cplane_smap_free(&was);
    return -1;
  }
  if (by_uid(api, old, &was) != 0 || by_uid(api, cur, &is) != 0)
    goto out;
  n = cur != NULL ? api->list_len(cur) : 0;
  for (i = 0; i < n; i++) {
    const cplane_object *o = api->list_at(cur, i);
    const cplane_object *before =
        api->object_uid(o) ? cplane_smap_get(&was, api->object_uid(o)) : NULL;

    if (gc_owner_pending(api, o))
      enqueue_key(api, ctx, "owner", res, o);
    if (api->object_len(o, GC_OWNERS) > 0 &&
        (before == NULL || gc_owners_changed(api, before, o)))
      enqueue_key(api, ctx, "check", res, o);
  }
  n = old != NULL ? api->list_len(old) : 0;
  for (i = 0; i < n; i++) {
    const cplane_object *o = api->list_at(old, i);
    const char *uid = api->object_uid(o);
    char key[GC_KEY_MAX];

    /* Gone: as a watch's delete event (garbagecollector.c on_delete). */
    if (uid == NULL || cplane_smap_has(&is, uid) ||
        cplane_finalizer_has(api, o, "orphan"))
      continue;
    snprintf(key, sizeof key, "gone/%s", uid);
    api->enqueue(ctx, key);
  }
  if (seen != NULL) {
    struct went w = {api, ctx, &was, &is};

    cplane_smap_foreach(&seen->map, went_between, &w);
  }
  rc = 0;
out:
  cplane_smap_free(&was);
  cplane_smap_free(&is);
  return rc;
}

/* Context for note_again. */
struct noted {
  struct gc_dyntable *t;
  uint32_t res;
};

/* A list failed: its uids wait for the next one. */
static void note_again(void *arg, const char *uid, void *val) {
  const struct noted *n = arg;

  (void)val;
  gc_dyn_saw(n->t, n->res, uid);
}

/* Lists kind i again and acts on the difference. */
static int scan_one(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                    struct gc_dyntable *t, uint32_t i) {
  uint32_t res = GC_N_RES + i;
  cplane_object_list *cur = NULL, *old;
  char *msg = NULL;
  /* Taken before the list: each uid in it was read before the list
   * began, so the list holds it unless it went. */
  struct cplane_sset *seen = gc_dyn_take_seen(t, i);
  int code = api->list(ctx, gc_res(t, res), NULL, NULL, NULL, &cur, &msg);

  if (code != 200 && code != 404) {
    api->log(ctx, CPLANE_LOG_WARN, "listing %s: %d %s", gc_res(t, res)->resource,
             code, msg ? msg : "");
    if (seen != NULL) {
      struct noted n = {t, res};

      cplane_smap_foreach(&seen->map, note_again, &n);
    }
    code = -1;
    goto out;
  }
  if (code == 404) /* no longer served: every object of it is gone */
    cur = NULL;
  old = gc_dyn_swap(t, i, cur);
  code = gc_scan_diff(api, ctx, res, old, cur, seen);
  api->list_free(old);
out:
  api->free(msg);
  if (seen != NULL)
    cplane_sset_free(seen);
  free(seen);
  return code;
}

int gc_scan(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
            struct gc_dyntable *t, uint32_t scan_ms,
            uint32_t *requeue_after_ms) {
  uint32_t i, n = gc_res_count(t) - GC_N_RES;
  int failed = 0;

  for (i = 0; i < n; i++)
    failed |= scan_one(api, ctx, t, i) != 0;
  (void)failed; /* a kind that failed is listed again next time */
  *requeue_after_ms = scan_ms;
  return CPLANE_RECONCILE_REQUEUE_AFTER;
}
