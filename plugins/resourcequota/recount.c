/*
 * recount - see recount.h.
 */
#include "recount.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Pages of an uncached list read per count (500 objects each). */
#define MAX_PAGES 200

/* Adds the usage of every object of kind k in ns that quota selects,
 * masked to the hard resources k's evaluator tracks. */
static void count_kind(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const cplane_object *quota,
                       const struct rq_kind *k, const char *ns,
                       int64_t now_ms, const struct cplane_quota_list *hard,
                       struct cplane_quota_list *used) {
  int is_pod = k->group[0] == '\0' && strcmp(k->resource, "pods") == 0;
  struct cplane_quota_list u;
  cplane_object_list *list = NULL;
  size_t i, j, n;

  if (api->cache_list(ctx, k->res, ns, NULL, &list) != CPLANE_OK)
    return;
  n = api->list_len(list);
  for (i = 0; i < n; i++) {
    const cplane_object *o = api->list_at(list, i);

    if (!cplane_quota_matches(api, quota, is_pod ? o : NULL))
      continue;
    cplane_quota_usage(api, k->group, k->resource, o, now_ms, &u);
    for (j = 0; j < u.n; j++)
      if (cplane_quota_find((struct cplane_quota_list *)hard,
                            u.items[j].name) != NULL &&
          cplane_quota_tracks(k->group, k->resource, u.items[j].name))
        cplane_quota_add(used, u.items[j].name, u.items[j].milli,
                         u.items[j].format);
  }
  api->list_free(list);
}

/* GET path; the parsed body of a 200 in *out (owned). The status. */
static int get_json(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
                    const char *path, const cplane_object **out) {
  char *body = NULL;
  size_t len = 0;
  int code = api->request(ctx, "GET", path, NULL, &body, &len);

  *out = NULL;
  if (code == 200 && (body == NULL ||
                      api->object_parse(body, len, out, NULL) != CPLANE_OK))
    code = CPLANE_EINVAL;
  api->free(body);
  return code;
}

/* The number of objects "count/<resource>[.<group>]" names in ns, by
 * listing them from the API server (kinds the plugin does not watch).
 * CPLANE_OK, or a negative status. An unserved kind counts 0. */
static int count_uncached(const struct cplane_host_api *api,
                          cplane_plugin_ctx *ctx, const char *ns,
                          const char *what, int64_t *count) {
  char resource[128], base[512], path[1024], cont[1024] = "";
  const char *dot = strchr(what, '.');
  const cplane_object *doc = NULL;
  int code, page, n;

  *count = 0;
  if (snprintf(resource, sizeof resource, "%.*s",
               (int)(dot ? (size_t)(dot - what) : strlen(what)), what) >=
      (int)sizeof resource)
    return CPLANE_EINVAL;
  if (dot == NULL) {
    snprintf(base, sizeof base, "/api/v1/namespaces/%s/%s", ns, resource);
  } else {
    const char *v;

    snprintf(path, sizeof path, "/apis/%s", dot + 1);
    code = get_json(api, ctx, path, &doc);
    if (code == 404)
      return CPLANE_OK;
    v = code == 200 ? api->object_string(doc, "preferredVersion.version")
                    : NULL;
    if (v == NULL) {
      api->object_release(doc);
      return CPLANE_EUNAVAILABLE;
    }
    snprintf(base, sizeof base, "/apis/%s/%s/namespaces/%s/%s", dot + 1, v,
             ns, resource);
    api->object_release(doc);
  }
  for (page = 0; page < MAX_PAGES; page++) {
    const char *next;

    snprintf(path, sizeof path, "%s?limit=500%s%s", base,
             cont[0] ? "&continue=" : "", cont);
    code = get_json(api, ctx, path, &doc);
    if (code == 404 && page == 0)
      return CPLANE_OK;
    if (code != 200)
      return CPLANE_EUNAVAILABLE;
    n = api->object_len(doc, "items");
    *count += n > 0 ? n : 0;
    next = api->object_string(doc, "metadata.continue");
    if (next == NULL || next[0] == '\0' || strlen(next) >= sizeof cont) {
      api->object_release(doc);
      return CPLANE_OK;
    }
    snprintf(cont, sizeof cont, "%s", next);
    api->object_release(doc);
  }
  return CPLANE_OK;
}

int rq_recount(const struct cplane_host_api *api, cplane_plugin_ctx *ctx,
               const cplane_object *quota, const struct rq_kind *kinds,
               size_t n_kinds, int64_t now_ms, struct cplane_quota_list *hard,
               struct cplane_quota_list *used) {
  const char *ns = api->object_namespace(quota);
  size_t h, k;
  int rc = CPLANE_OK;

  memset(hard, 0, sizeof *hard);
  memset(used, 0, sizeof *used);
  if (ns == NULL)
    return CPLANE_EINVAL;
  cplane_quota_resource_list(api, quota, "spec.hard", hard);
  for (k = 0; k < n_kinds; k++) {
    for (h = 0; h < hard->n; h++)
      if (cplane_quota_tracks(kinds[k].group, kinds[k].resource,
                              hard->items[h].name))
        break;
    if (h == hard->n)
      continue;
    count_kind(api, ctx, quota, &kinds[k], ns, now_ms, hard, used);
    /* A tracked resource nothing uses is 0, as kube's UsageStats. */
    for (h = 0; h < hard->n; h++)
      if (cplane_quota_tracks(kinds[k].group, kinds[k].resource,
                              hard->items[h].name))
        cplane_quota_add(used, hard->items[h].name, 0,
                         hard->items[h].format);
  }
  for (h = 0; h < hard->n; h++) {
    const char *name = hard->items[h].name;
    int64_t n = 0;

    if (strncmp(name, "count/", 6) != 0 || cplane_quota_find(used, name))
      continue;
    if (count_uncached(api, ctx, ns, name + 6, &n) != CPLANE_OK) {
      rc = CPLANE_EUNAVAILABLE;
      continue;
    }
    cplane_quota_add(used, name, n * 1000, CPLANE_QUANTITY_DECIMAL_SI);
  }
  return rc;
}

/* Adds "name":"quantity" members of l to b. */
static void members(const struct cplane_host_api *api, struct cplane_strbuf *b,
                    const struct cplane_quota_list *l) {
  char q[CPLANE_QUANTITY_LEN];
  size_t i;

  for (i = 0; i < l->n; i++) {
    cplane_quota_format(l->items[i].milli, l->items[i].format, q, sizeof q);
    cplane_strbuf_add(b, i ? "," : "");
    cplane_strbuf_take(b, api, api->json_format("%s", l->items[i].name));
    cplane_strbuf_add(b, ":");
    cplane_strbuf_take(b, api, api->json_format("%s", q));
  }
}

char *rq_status_json(const struct cplane_host_api *api,
                     const struct cplane_quota_list *hard,
                     const struct cplane_quota_list *used) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  char *text, *out;

  cplane_strbuf_add(&b, "{\"hard\":{");
  members(api, &b, hard);
  cplane_strbuf_add(&b, "},\"used\":{");
  members(api, &b, used);
  cplane_strbuf_add(&b, "}}");
  text = cplane_strbuf_finish(&b);
  out = text != NULL ? api->string_dup(text) : NULL;
  free(text);
  return out;
}

/* 1 when the ResourceList at path of quota equals l. */
static int same_list(const struct cplane_host_api *api,
                     const cplane_object *quota, const char *path,
                     const struct cplane_quota_list *l) {
  struct cplane_quota_list have;
  size_t i;

  memset(&have, 0, sizeof have);
  cplane_quota_resource_list(api, quota, path, &have);
  if (have.n != l->n || api->object_len(quota, path) != (int)l->n)
    return 0;
  for (i = 0; i < l->n; i++) {
    struct cplane_quota_item *it = cplane_quota_find(&have, l->items[i].name);

    if (it == NULL || it->milli != l->items[i].milli)
      return 0;
  }
  return 1;
}

int rq_status_same(const struct cplane_host_api *api,
                   const cplane_object *quota,
                   const struct cplane_quota_list *hard,
                   const struct cplane_quota_list *used) {
  return same_list(api, quota, "status.hard", hard) &&
         same_list(api, quota, "status.used", used);
}

int rq_hard_changed(const struct cplane_host_api *api,
                    const cplane_object *quota) {
  struct cplane_quota_list hard;

  memset(&hard, 0, sizeof hard);
  cplane_quota_resource_list(api, quota, "spec.hard", &hard);
  return !same_list(api, quota, "status.hard", &hard) ||
         api->object_type(quota, "status.used") != CPLANE_TYPE_OBJECT;
}
